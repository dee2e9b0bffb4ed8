#!/usr/bin/env bash
# Matching from k = 1, 2, ... labelled reference images against the pair matcher, on the dev
# splits with at least 3 images (Benchmarks/references/krefs.py): every image in turn is the
# target, every choice of k of the others its references; macro F1@0.10 and mPCK@0.10 by k
# of the matches and of the proposals, with the foreground learnt from all references and
# from the best one. Environment: DPCL (default .build/release/dpcl, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

dpcl=${DPCL:-.build/release/dpcl}
python=.venv/bin/python
[ -x "$dpcl" ] || swift build -c release --product dpcl >/dev/null
scripts/fetch-model >/dev/null
shared=${DPCL_SHARED:-../shared}
[ -d "$shared/data" ] || { echo "references.sh: no dev data at $shared/data" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" Benchmarks/references/krefs.py --shared "$shared" --dpcl "$dpcl" --work "$work" "$@"
