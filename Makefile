# Entry points. `make demo` and `make test` work on a fresh machine (Rust + Python 3).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV      := .venv
VENV_BIN  := $(CURDIR)/$(VENV)/bin
PYTHON    ?= python3
FUNCTIONS := kms-ready

# The venv's tools (cargo-lambda, zig, moto_server, cfn-lint) come first.
export PATH := $(VENV_BIN):$(PATH)
# Local runs never probe the EC2 metadata address and never use real credentials.
export AWS_REGION ?= us-east-1
export AWS_EC2_METADATA_DISABLED := true
export SAM_CLI_TELEMETRY := 0

BIN_ARGS := $(foreach fn,$(FUNCTIONS),--bin $(fn))

.PHONY: help setup test lint unit e2e debug-bins shipped build bench demo invoke clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-8s %s\n", $$1, $$2}'

setup: $(VENV)/.installed ## Create .venv with moto[server], cargo-lambda, zig, cfn-lint (idempotent)

$(VENV)/.installed: requirements.txt requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV_BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements.lock
	touch $@

test: setup lint debug-bins shipped ## fmt, clippy, unit and end-to-end tests (debug + shipped profile)
	cargo test --workspace --no-fail-fast 2>&1 | tee target/test.log
	@awk '/^test result:/ { passed += $$4; failed += $$6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' target/test.log

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

debug-bins:
	cargo build --workspace --bins

# The shipped profile for this machine's architecture: what the panic and shipped-profile
# tests and the benchmark run. Same profile as `make build`, only the target differs.
shipped: setup
	cargo lambda build --release $(BIN_ARGS) --bin panic-probe

build: setup ## Release build for Lambda (arm64), as SAM packages it
	cargo lambda build --release --arm64 --lambda-dir target/lambda-arm64 $(BIN_ARGS)

bench: setup shipped ## Cold start, warm invoke, peak RSS and binary sizes of kms-ready (medians)
	@if rustup target list --installed 2>/dev/null | grep -q aarch64-unknown-linux-gnu; then \
		$(MAKE) --no-print-directory build; \
	else echo "aarch64 std not installed: arm64 size skipped (rustup target add aarch64-unknown-linux-gnu)"; fi
	cargo run --quiet -p tests --bin bench -- --runs $${RUNS:-9} --json bench/results/kms-ready.json

demo: setup debug-bins ## KmsReady lifecycle against moto, printing what CloudFormation receives
	cargo run --quiet -p tests --bin demo

invoke: setup debug-bins ## make invoke FN=kms-ready EVENT=events/kms-ready/create.json
	$(VENV_BIN)/python scripts/local_invoke.py --function $(FN) --event $(EVENT)

clean:
	cargo clean
	rm -rf $(VENV)
