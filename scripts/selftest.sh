#!/usr/bin/env bash
# `make selftest` (the first step of `make test`): checks the Makefile and the scripts
# themselves, with `make -n` and stand-ins; no build, no venv, about a second.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

ok() { echo "selftest ok: $1"; }
fail() {
	echo "selftest FAILED: $1" >&2
	[[ -z ${2:-} ]] || sed 's/^/    /' <<<"$2" >&2
	failures=$((failures + 1))
}
# A make of this Makefile as a user would run it: none of the caller's make flags, no
# CARGO_TARGET_DIR unless given.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CARGO_TARGET_DIR make --no-print-directory -C "$root" "$@" 2>&1; }

# 1. FUNCTIONS is every functions/*/ package: each gets a --bin in the builds.
expected=$(for d in functions/*/Cargo.toml; do basename "$(dirname "$d")"; done | sort | tr '\n' ' ')
out=$(mk -n build)
got=$(grep -o -- '--bin [^ ]*' <<<"$out" | awk '{print $2}' | sort | tr '\n' ' ')
[[ $got == "$expected" ]] && ok "make build builds every functions/*/ package: $got" ||
	fail "make build's --bin list is '$got', functions/ has '$expected'" "$out"
out=$(mk -n shipped)
got=$(grep -o -- '--bin [^ ]*' <<<"$out" | awk '{print $2}' | sort | tr '\n' ' ')
want=$(printf '%s\n' $expected probe | sort | tr '\n' ' ')
[[ $got == "$want" ]] && ok "make shipped builds $got" || fail "make shipped's --bin list is '$got', not '$want'" "$out"

# 2. Build output follows CARGO_TARGET_DIR (command line, environment, relative), else target/.
check_log() { # $1: what, $2: expected log path, rest: make arguments / environment
	local what=$1 want=$2
	shift 2
	local out
	out=$("$@")
	if grep -qF -- "'$want'" <<<"$out" && ! grep -qE "(^|[ '])target/test.log" <<<"$out"; then
		ok "make test logs to $want ($what)"
	else
		fail "make test with $what does not log to $want" "$(grep -n 'test.log' <<<"$out")"
	fi
}
check_log "CARGO_TARGET_DIR unset" "$root/target/test.log" mk -n test
check_log "CARGO_TARGET_DIR=$tmp/t on the command line" "$tmp/t/test.log" mk -n test CARGO_TARGET_DIR="$tmp/t"
check_log "CARGO_TARGET_DIR=$tmp/e in the environment" "$tmp/e/test.log" \
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL CARGO_TARGET_DIR="$tmp/e" make --no-print-directory -C "$root" -n test
check_log "a relative CARGO_TARGET_DIR=rel" "$root/rel/test.log" mk -n test CARGO_TARGET_DIR=rel
out=$(mk -n build CARGO_TARGET_DIR="$tmp/t")
grep -qF -- "--lambda-dir '$tmp/t/lambda-arm64'" <<<"$out" && ok "make build writes to \$CARGO_TARGET_DIR/lambda-arm64" ||
	fail "make build ignores CARGO_TARGET_DIR" "$out"
# local_invoke.py's child environment: toolchain variables only (target dir made absolute).
out=$(cd "$tmp" && AWS_PROFILE=me AWS_ACCESS_KEY_ID=AKIAREAL AWS_SESSION_TOKEN=tok AWS_CONFIG_FILE=/x \
	AWS_DEFAULT_REGION=eu-west-1 CARGO_TARGET_DIR=rel python3 -c '
import sys; sys.path.insert(0, sys.argv[1]); import local_invoke as li
env = li.child_env("http://127.0.0.1:5000", "127.0.0.1:6000")
want = {"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_EC2_METADATA_DISABLED": "true",
        "CR_ALLOWED_RESPONSE_HOSTS": "127.0.0.1:6000", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "CR_LOCAL_FUNCTION_ARN": "arn:aws:lambda:us-east-1:123456789012:function:local"}
aws = {k: v for k, v in env.items() if k.startswith("AWS_") or k.startswith("CR_")}
assert aws == want, aws
assert set(env) - set(want) <= set(li.PASSED_THROUGH), env
import os; assert env["CARGO_TARGET_DIR"] == os.path.join(os.getcwd(), "rel"), env
print("clean")' "$root/scripts" 2>&1)
[[ $out == clean ]] && ok "local_invoke.py builds cargo lambda's environment from scratch" ||
	fail "local_invoke.py's child environment" "$out"

# 3. The closing line prints also when the tests fail, and the status stays non-zero.
out=$(scripts/test_log.sh run "$tmp/logs/test.log" bash -c \
	'echo "test result: ok. 5 passed; 0 failed; 0 ignored"; echo "test result: FAILED. 3 passed; 2 failed; 0 ignored"; exit 101')
status=$?
[[ $status == 101 && $(tail -n1 <<<"$out") == "tests: 8 passed, 2 failed" && -s $tmp/logs/test.log ]] &&
	ok "failing tests still end with 'tests: 8 passed, 2 failed' (exit 101)" ||
	fail "test_log.sh: exit $status, last line '$(tail -n1 <<<"$out")'" "$out"
[[ $(scripts/test_log.sh totals "$tmp/none.log") == "tests: not run"* ]] && ok "no log: 'tests: not run'" ||
	fail "test_log.sh totals without a log"
# Every .PHONY target exists.
missing=""
for target in $(sed -n 's/^\.PHONY://p' Makefile); do
	grep -qE "^$target:" Makefile || missing+=" $target"
done
[[ -z $missing ]] && ok "every .PHONY target has a rule" || fail "in .PHONY without a rule:$missing"

# 4. make invoke without FN/EVENT (or with wrong ones): usage, sample events, non-zero.
for args in "" "FN=kms-ready" "FN=no-such-function EVENT=events/kms-ready/create.json" "FN=kms-ready EVENT=nope.json"; do
	out=$(mk invoke $args)
	status=$?
	if [[ $status != 0 && $out == *"usage: make invoke FN="* && $out == *"EVENT=events/kms-ready/create.json"* ]]; then
		ok "make invoke $args: usage and sample events, exit $status"
	else
		fail "make invoke $args: exit $status" "$out"
	fi
done

# 5. make setup with a Python lacking ensurepip (Debian without python3-venv) names the package.
printf 'raise ImportError("no ensurepip: simulated Debian without python3-venv")\n' >"$tmp/ensurepip.py"
out=$(mk setup VENV="$tmp/venv" PYTHON="env PYTHONPATH=$tmp python3")
status=$?
if [[ $status != 0 && $out == *"apt-get install python3-venv"* && $out != *Traceback* && ! -e $tmp/venv ]]; then
	ok "make setup without ensurepip says: apt-get install python3-venv"
else
	fail "make setup without ensurepip: exit $status" "$out"
fi

if [[ $failures -gt 0 ]]; then
	echo "selftest: $failures check(s) failed" >&2
	exit 1
fi
