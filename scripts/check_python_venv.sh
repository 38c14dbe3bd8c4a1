#!/usr/bin/env bash
# `make setup`'s first step: can the interpreter (`$1`, default python3; words allowed,
# e.g. "env X=1 python3") create a virtual environment with pip? Debian and Ubuntu ship
# `venv`/`ensurepip` separately (python3-venv); without them `python3 -m venv` dies with
# an ensurepip traceback. Say which package to install instead.
set -uo pipefail
read -r -a python <<<"${1:-python3}"
[[ ${#python[@]} -gt 0 ]] || python=(python3)

if ! "${python[@]}" -c 'import sys; assert sys.version_info >= (3, 9)' >/dev/null 2>&1; then
	echo "make setup: '${python[*]}' is not a working Python 3.9 or newer." >&2
	echo "Install Python 3, or name one: make setup PYTHON=/path/to/python3" >&2
	exit 1
fi
if "${python[@]}" -c 'import ensurepip, venv' >/dev/null 2>&1; then
	exit 0
fi
version=$("${python[@]}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
cat >&2 <<MSG
make setup: '${python[*]}' (Python $version) cannot create a virtual environment with pip:
its 'venv'/'ensurepip' modules are missing. On Debian or Ubuntu install them with

    sudo apt-get install python3-venv

(or python$version-venv, the package matching this interpreter), then run make setup again.
Another interpreter works too: make setup PYTHON=/path/to/python3
MSG
exit 1
