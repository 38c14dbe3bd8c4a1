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

# The template's tools, each in its own venv (their pins conflict with .venv's and each
# other's): AWS SAM CLI (sam validate --lint, sam build) and checkov.
SAM_VENV     := .venv-sam
CHECKOV_VENV := .venv-checkov
SAM          := $(abspath $(SAM_VENV))/bin/sam
CHECKOV      := $(abspath $(CHECKOV_VENV))/bin/checkov
# `make package`: SAM's build directory and the stack set artifacts.
SAM_BUILD_DIR := $(CURDIR)/.aws-sam/build
DIST          := $(CURDIR)/dist
# The shipped bootstraps' size budget (bytes, per function).
BOOTSTRAP_BUDGET ?= 6291456
# cfn-lint checks the template against every region's resource specs (China, GovCloud and
# the ISO regions included): a stack set may deploy it anywhere.
LINT_REGIONS ?= ALL_REGIONS

.PHONY: help setup lint-tools selftest test unit e2e lint deny lint-template debug-bins shipped build package bench demo invoke clean fuzz

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-13s %s\n", $$1, $$2}'
	@echo "  functions: $(FUNCTIONS)"

setup: $(VENV)/.installed ## Create .venv with moto[server], cargo-lambda, zig, cfn-lint, crhelper (idempotent)

$(VENV)/.installed: requirements.txt requirements.lock
	@scripts/check_python_venv.sh '$(PYTHON)'
	$(PYTHON) -m venv $(VENV)
	$(VENV_BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements.lock
	touch $@

lint-tools: $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed ## Create .venv-sam (AWS SAM CLI) and .venv-checkov (idempotent)

$(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed: .venv-%/.installed: requirements-%.txt requirements-%.lock
	@scripts/check_python_venv.sh '$(PYTHON)'
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-$*.txt -c requirements-$*.lock
	touch $@

selftest: ## Check the Makefile and scripts themselves (no build, a second)
	@scripts/selftest.sh

test: selftest setup lint deny debug-bins shipped ## fmt, clippy, unit and end-to-end tests (debug + shipped profile)
	@scripts/test_log.sh run '$(TEST_LOG)' cargo test --workspace --no-fail-fast

unit: ## Unit tests of the shared crate and every function (no venv, no e2e)
	@scripts/test_log.sh run '$(UNIT_LOG)' cargo test --workspace --exclude tests --no-fail-fast

e2e: setup debug-bins shipped ## End-to-end tests only: the real binaries against moto
	@scripts/test_log.sh run '$(E2E_LOG)' cargo test -p tests --test e2e --no-fail-fast

lint: lint-template ## fmt, clippy -D warnings, and the template checks
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p cfn-custom-resource-kit --features ledger,testing
	# The kit is publishable: packaged alone, its tarball builds (no upload).
	cargo publish --dry-run --allow-dirty --package cfn-custom-resource-kit

# cargo-deny and cargo-fuzz, each built from crates.io once into .tools/ (a package
# registry, like the rest), at the version pinned here.
CARGO_TOOLS := cargo-deny@0.20.2 cargo-fuzz@0.13.2
DENY        := $(CURDIR)/.tools/bin/cargo-deny
CARGO_FUZZ  := $(CURDIR)/.tools/bin/cargo-fuzz

$(DENY) $(CARGO_FUZZ): $(CURDIR)/.tools/bin/%:
	cargo install --locked --quiet --root '$(CURDIR)/.tools' $(filter $*@%,$(CARGO_TOOLS))

# Licences, bans and sources always (deny.toml). Advisories need the RustSec database, a
# git repository on GitHub: checked when it can be fetched, otherwise said, never passed.
deny: $(DENY) ## cargo deny: licences, banned crates, sources; advisories when the RustSec database is reachable
	$(DENY) --offline check --hide-inclusion-graph bans licenses sources
	@if timeout 120 $(DENY) fetch db >/dev/null 2>&1; then \
		$(DENY) --offline check --hide-inclusion-graph advisories; \
	else \
		echo "deny: ADVISORIES NOT CHECKED: the RustSec database (https://github.com/rustsec/advisory-db) cannot be fetched from this machine; run 'make deny' where it can"; \
	fi

# cargo fuzz's targets need nightly.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(sort $(patsubst fuzz/fuzz_targets/%.rs,%,$(wildcard fuzz/fuzz_targets/*.rs)))
# Seeds beside the envelope target's own corpus (read, never written): the sample events.
FUZZ_SEEDS   := shared/fixtures $(wildcard events/*)

# Each target for FUZZ_SECONDS, built instrumented into its own target directory. No
# sanitizer: the kit is safe Rust; the invariants (shared/src/fuzzing.rs) are the oracle.
# A finding stops the run, its input in fuzz/artifacts/<target>/; each log is kept.
fuzz: $(CARGO_FUZZ) ## cargo fuzz: each target in fuzz/fuzz_targets for FUZZ_SECONDS (default 60)
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@mkdir -p '$(TARGET_DIR)/fuzz'
	@for target in $(FUZZ_TARGETS); do \
		echo "fuzz: $$target for $(FUZZ_SECONDS) s"; \
		mkdir -p "fuzz/corpus/$$target"; \
		seeds=; if [ "$$target" = envelope ]; then seeds='$(FUZZ_SEEDS)'; fi; \
		PATH='$(CURDIR)/.tools/bin':"$$PATH" cargo +nightly fuzz run --sanitizer none \
			--target-dir '$(TARGET_DIR)/fuzz' "$$target" "fuzz/corpus/$$target" $$seeds \
			-- -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			2>&1 | tee "$(TARGET_DIR)/fuzz/$$target.log" | grep -E '^(#[0-9]+ +DONE|Done |stat::number_of_executed_units|==[0-9]+==|thread .* panicked|.*Test unit written to)'; \
	done

# Offline: the region only picks cfn-lint's resource specs (no credentials, no calls);
# checkov never downloads (--skip-download). The unit tests under scripts/ check what no
# linter does (ServiceTokens, IAM actions = README's lists, DependsOn order) and the
# bootstrap checker `make package` uses.
lint-template: setup lint-tools ## template.yml: cfn-lint, sam validate --lint, checkov, template tests
	$(VENV_BIN)/cfn-lint --regions $(LINT_REGIONS) -- template.yml
	$(SAM) validate --lint --region us-east-1 --template template.yml
	$(CHECKOV) --file template.yml --framework cloudformation --skip-download --quiet --compact
	$(VENV_BIN)/python -m unittest discover --start-directory scripts --pattern 'test_*.py'

debug-bins:
	cargo build --workspace --bins

# The shipped profile for this machine's architecture: what the shipped-profile tests (with
# the harness's `probe` function) and the benchmark run. Same profile as `make build`, only
# the target differs.
shipped: setup
	cargo lambda build --release $(BIN_ARGS) --bin probe

build: setup ## Release build for Lambda (arm64), as SAM packages it
	cargo lambda build --release --arm64 --lambda-dir '$(TARGET_DIR)/lambda-arm64' $(BIN_ARGS)

# sam build runs `cargo lambda build --release --arm64 --bin <fn>` per function (cargo-lambda
# and zig from .venv, first on PATH); then every bootstrap is checked (arm64 ELF, size
# budget, unwinding panic runtime) and the stack set artifacts are written to dist/.
package: setup lint-tools ## sam build (arm64), check the bootstraps, stack set template + zips in dist/
	@rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
	$(SAM) build --template template.yml --build-dir '$(SAM_BUILD_DIR)'
	$(VENV_BIN)/python scripts/check_bootstraps.py --template template.yml --build-dir '$(SAM_BUILD_DIR)' \
		--max-bytes $(BOOTSTRAP_BUDGET) $(FUNCTIONS)
	rm -rf '$(DIST)'
	$(SAM_VENV)/bin/python scripts/stackset_package.py --build-dir '$(SAM_BUILD_DIR)' --out '$(DIST)'
	$(VENV_BIN)/cfn-lint --regions $(LINT_REGIONS) -- '$(DIST)/stackset-template.json'
	$(CHECKOV) --file '$(DIST)/stackset-template.json' --framework cloudformation --skip-download --quiet --compact

# ARM64=skip: no arm64 build (CI's short run; the arm64 size is then reported as not built).
bench: setup shipped ## each benched function vs its Python crhelper + boto3 peer: cold start, warm, RSS, sizes
	@if [ "$(ARM64)" != skip ] && rustup target list --installed 2>/dev/null | grep -q aarch64-unknown-linux-gnu; then \
		$(MAKE) --no-print-directory build; \
	else echo "arm64 size skipped (ARM64=skip, or no aarch64 std: rustup target add aarch64-unknown-linux-gnu)"; fi
	cargo run --quiet -p bench -- --runs $${RUNS:-9} --json-dir bench/results

demo: setup debug-bins ## All four functions against the emulators, printing what CloudFormation receives, then baseline verify (clean, drifted)
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
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam dist
