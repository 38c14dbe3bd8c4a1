#!/usr/bin/env bash
# The closing line of `make test` / `make unit` / `make e2e` / `.ci/run`.
#
#   scripts/test_log.sh run LOG COMMAND...  runs COMMAND (a `cargo test`), its output also
#                                           written to LOG; then prints `tests: N passed,
#                                           M failed` from LOG, also when COMMAND failed,
#                                           and exits with COMMAND's status.
#   scripts/test_log.sh totals LOG          only the closing line, from an existing LOG.
set -uo pipefail

totals() {
	if [[ -f $1 ]]; then
		# cargo prints one `test result: ok. 3 passed; 0 failed; ...` per test binary.
		awk '/^test result:/ { passed += $4; failed += $6 }
			END { printf "tests: %d passed, %d failed\n", passed, failed }' "$1"
	else
		echo "tests: not run (no $1: an earlier step failed)"
	fi
}

case "${1:-}" in
run)
	[[ $# -ge 3 ]] || { echo "usage: $0 run LOG COMMAND..." >&2; exit 2; }
	log=$2
	shift 2
	mkdir -p "$(dirname "$log")"
	status=0
	"$@" 2>&1 | tee "$log" || status=$?
	totals "$log"
	exit "$status"
	;;
totals)
	[[ $# -eq 2 ]] || { echo "usage: $0 totals LOG" >&2; exit 2; }
	totals "$2"
	;;
*)
	echo "usage: $0 run LOG COMMAND... | $0 totals LOG" >&2
	exit 2
	;;
esac
