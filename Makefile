# Entry points. `make demo` and `make test` work on a fresh machine (Rust + Python 3).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV      := .venv
VENV_BIN  := $(abspath $(VENV))/bin
PYTHON    ?= python3
# Every package under functions/ (its directory name is its package and binary name).
FUNCTIONS := $(sort $(patsubst functions/%/Cargo.toml,%,$(wildcard functions/*/Cargo.toml)))

# Build output: cargo's target directory, `CARGO_TARGET_DIR` when set (made absolute, so
# the harness, scripts and cargo-lambda, which writes `<target>/lambda/<fn>/bootstrap`,
# all agree whatever their working directory).
ifneq ($(strip $(CARGO_TARGET_DIR)),)
override CARGO_TARGET_DIR := $(abspath $(CARGO_TARGET_DIR))
export CARGO_TARGET_DIR
TARGET_DIR := $(CARGO_TARGET_DIR)
else
TARGET_DIR := $(CURDIR)/target
endif
TEST_LOG := $(TARGET_DIR)/test.log
UNIT_LOG := $(TARGET_DIR)/unit.log
E2E_LOG  := $(TARGET_DIR)/e2e.log

# The venv's tools (cargo-lambda, zig, moto_server, cfn-lint) come first.
export PATH := $(VENV_BIN):$(PATH)
# Local runs never probe the EC2 metadata address and never use real credentials.
export AWS_REGION ?= us-east-1
export AWS_EC2_METADATA_DISABLED := true
export SAM_CLI_TELEMETRY := 0

BIN_ARGS := $(foreach fn,$(FUNCTIONS),--bin $(fn))

.PHONY: help setup selftest test unit e2e lint debug-bins shipped build bench demo invoke clean

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-8s %s\n", $$1, $$2}'
	@echo "  functions: $(FUNCTIONS)"

setup: $(VENV)/.installed ## Create .venv with moto[server], cargo-lambda, zig, cfn-lint, crhelper (idempotent)

$(VENV)/.installed: requirements.txt requirements.lock
	@scripts/check_python_venv.sh '$(PYTHON)'
	$(PYTHON) -m venv $(VENV)
	$(VENV_BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements.lock
	touch $@

selftest: ## Check the Makefile and scripts themselves (no build, a second)
	@scripts/selftest.sh

test: selftest setup lint debug-bins shipped ## fmt, clippy, unit and end-to-end tests (debug + shipped profile)
	@scripts/test_log.sh run '$(TEST_LOG)' cargo test --workspace --no-fail-fast

unit: ## Unit tests of the shared crate and every function (no venv, no e2e)
	@scripts/test_log.sh run '$(UNIT_LOG)' cargo test --workspace --exclude tests --no-fail-fast

e2e: setup debug-bins shipped ## End-to-end tests only: the real binaries against moto
	@scripts/test_log.sh run '$(E2E_LOG)' cargo test -p tests --test e2e --no-fail-fast

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

debug-bins:
	cargo build --workspace --bins

# The shipped profile for this machine's architecture: what the shipped-profile tests (with
# the harness's `probe` function) and the benchmark run. Same profile as `make build`, only
# the target differs.
shipped: setup
	cargo lambda build --release $(BIN_ARGS) --bin probe

build: setup ## Release build for Lambda (arm64), as SAM packages it
	cargo lambda build --release --arm64 --lambda-dir '$(TARGET_DIR)/lambda-arm64' $(BIN_ARGS)

bench: setup shipped ## kms-ready vs the Python crhelper + boto3 peer: cold start, warm, RSS, sizes
	@if rustup target list --installed 2>/dev/null | grep -q aarch64-unknown-linux-gnu; then \
		$(MAKE) --no-print-directory build; \
	else echo "aarch64 std not installed: arm64 size skipped (rustup target add aarch64-unknown-linux-gnu)"; fi
	cargo run --quiet -p tests --bin bench -- --runs $${RUNS:-9} --json-dir bench/results

demo: setup debug-bins ## KmsReady lifecycle against moto, printing what CloudFormation receives
	cargo run --quiet -p tests --bin demo

# Without a known FN and an existing EVENT: the usage and the sample events, exit 2
# (before the venv and the build, which would only delay the message).
ifneq ($(and $(filter $(FUNCTIONS),$(FN)),$(wildcard $(EVENT))),)
invoke: setup debug-bins ## make invoke FN=kms-ready EVENT=events/kms-ready/create.json
	$(VENV_BIN)/python scripts/local_invoke.py --function '$(FN)' --event '$(EVENT)'
else
invoke:
	@echo "usage: make invoke FN=<function> EVENT=<event file>" >&2
	@echo "  e.g. make invoke FN=kms-ready EVENT=events/kms-ready/create.json" >&2
	@$(if $(FN),$(if $(filter $(FUNCTIONS),$(FN)),,echo "unknown function '$(FN)'" >&2;),)
	@$(if $(EVENT),$(if $(wildcard $(EVENT)),,echo "no such event file '$(EVENT)'" >&2;),)
	@echo "functions: $(FUNCTIONS)" >&2
	@echo "sample events:" >&2
	@for fn in $(FUNCTIONS); do for e in events/$$fn/*.json; do \
		[ -e "$$e" ] && echo "  make invoke FN=$$fn EVENT=$$e" >&2; done; done; exit 2
endif

clean:
	cargo clean
	rm -rf $(VENV)
