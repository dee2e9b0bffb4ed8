# Entry points for people and CI; README.md explains each.
SWIFT ?= swift

.PHONY: setup build test serve bench clean

setup:
	@scripts/setup
	@scripts/fetch-model

build: setup
	$(SWIFT) build -c release --product dpcl

test: setup
	$(SWIFT) test
	Fuzz/run-imaging.sh
	Fuzz/run-evaluation.sh

serve: build
	.build/release/dpcl doctor

bench: build
	@set -e; found=0; for script in Benchmarks/*.sh; do \
		[ -f "$$script" ] || continue; found=1; echo "== $$script"; bash "$$script"; done; \
	[ $$found = 1 ] || echo "bench: no benchmark scripts under Benchmarks/ yet"

clean:
	rm -rf .build .build-* .venv
