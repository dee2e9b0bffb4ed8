#!/usr/bin/env bash
# The reliability suite (Benchmarks/reliability/reliability.py): slow clients, overload,
# SIGTERM as PID 1 with requests in flight, memory over many requests. Full version on the
# release build (make bench); `--short` is CI's, on the debug build `make test` left.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${DPCL_SHARED:-../shared}
if [ "${1:-}" = --short ]; then
    dpcl=.build/debug/dpcl
    [ -x "$dpcl" ] || swift build --product dpcl >/dev/null
else
    swift build -c release --product dpcl >/dev/null
    dpcl=.build/release/dpcl
fi
scripts/fetch-model >/dev/null
command -v slowhttptest >/dev/null || { echo "reliability: no slowhttptest: run scripts/setup" >&2; exit 1; }
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores"
exec .venv/bin/python Benchmarks/reliability/reliability.py --dpcl "$dpcl" --shared "$shared" "$@"
