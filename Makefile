# Entry points for people and CI; docs/COMMANDS.md explains each.
SWIFT ?= swift
# The acceptance data beside the repository.
SHARED ?= ../shared

.PHONY: setup build test fuzz serve bench clean

setup:
	@scripts/setup
	@scripts/fetch-model

build: setup
	$(SWIFT) build -c release --product dpcl

# Label Studio (about 1 GB, its own venv) only for the tests that drive a real one.
test: setup
	@scripts/setup-label-studio
	$(SWIFT) test
	.venv/bin/python tools/durability_check.py .build/debug/dpcl $(SHARED)/data/coco-person-dev
	Fuzz/run.sh 10

# Longer fuzzing than the test command's: each target for FUZZ_SECONDS.
FUZZ_SECONDS ?= 120
fuzz: setup
	Fuzz/run.sh $(FUZZ_SECONDS)

# The dev splits beside the repository, when there, give the match page its example pairs.
serve: build
	.build/release/dpcl serve --host 127.0.0.1 --port 8080 --config Config/server.yaml \
		$(if $(wildcard $(SHARED)/data/*/pairs.json),--examples-dir $(SHARED)/data)

bench: build
	@set -e; found=0; for script in Benchmarks/*.sh; do \
		[ -f "$$script" ] || continue; found=1; echo "== $$script"; bash "$$script"; done; \
	[ $$found = 1 ] || echo "bench: no benchmark scripts under Benchmarks/ yet"

clean:
	rm -rf .build .build-* .venv .venv-label-studio
