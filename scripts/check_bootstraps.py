#!/usr/bin/env python3
"""`make package`'s check of what `sam build` produced, one bootstrap per function:

- an ELF64 little-endian executable for AArch64 (the template says arm64);
- within the size budget (--max-bytes);
- built with panic = "unwind". cargo-lambda injects panic = "abort" into a release build
  unless the workspace profile sets it, and under abort a panicking handler dies without
  answering CloudFormation. The stripped binary still tells: only the unwinding panic
  runtime (`panic_unwind`) links std's handler for foreign exceptions, whose message
  "Rust cannot catch foreign exceptions" is then in the binary; only `panic_abort` links
  its own source path (`library/panic_abort/src/lib.rs`, a panic location). Both markers
  were checked on aarch64 builds of the same program in both profiles (see
  test_check_bootstraps.py); a binary must show the first and not the second.

Prints one line per function (size in bytes and MiB) and exits 1 on any finding.
"""

from __future__ import annotations

import argparse
import struct
import sys
from pathlib import Path

EM_AARCH64 = 183
ET_EXEC, ET_DYN = 2, 3
UNWIND_MARKER = b"Rust cannot catch foreign exceptions"
ABORT_MARKER = b"/library/panic_abort/"


def inspect(data: bytes, max_bytes: int) -> list[str]:
    """The findings for one bootstrap's bytes (empty: fine)."""
    findings = []
    if data[:4] != b"\x7fELF":
        return ["not an ELF file"]
    if data[4] != 2 or data[5] != 1:
        findings.append("not ELF64 little-endian")
    else:
        e_type, e_machine = struct.unpack_from("<HH", data, 16)
        if e_machine != EM_AARCH64:
            findings.append(f"machine {e_machine}, not AArch64 ({EM_AARCH64}): not an arm64 build")
        if e_type not in (ET_EXEC, ET_DYN):
            findings.append(f"ELF type {e_type} is not an executable")
    if len(data) > max_bytes:
        findings.append(f"{len(data)} bytes, over the budget of {max_bytes} ({max_bytes / 2**20:.1f} MiB)")
    if ABORT_MARKER in data:
        findings.append("links panic_abort: built with panic = \"abort\" (a panic would never answer CloudFormation)")
    if UNWIND_MARKER not in data:
        findings.append("no unwinding panic runtime (panic_unwind): built with panic = \"abort\"?")
    return findings


def bootstraps(template: Path, build_dir: Path, binaries: list[str]) -> dict[str, Path]:
    """Function name -> its bootstrap in SAM's build directory (`<LogicalId>/bootstrap`)."""
    from cfnlint.decode import decode

    parsed, matches = decode(str(template))
    if parsed is None:
        raise SystemExit(f"{template}: {matches}")
    logical = {
        r.get("Metadata", {}).get("BuildProperties", {}).get("Binary"): name
        for name, r in parsed.get("Resources", {}).items()
        if r.get("Type") == "AWS::Serverless::Function"
    }
    missing = [b for b in binaries if b not in logical]
    if missing:
        raise SystemExit(f"{template}: no function builds {missing}")
    return {b: build_dir / logical[b] / "bootstrap" for b in binaries}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, required=True)
    parser.add_argument("--build-dir", type=Path, required=True)
    parser.add_argument("--max-bytes", type=int, required=True)
    parser.add_argument("functions", nargs="+")
    args = parser.parse_args(argv)
    failed = 0
    for binary, path in bootstraps(args.template, args.build_dir, args.functions).items():
        if not path.is_file():
            print(f"bootstrap {binary}: FAILED: {path} is missing", file=sys.stderr)
            failed += 1
            continue
        data = path.read_bytes()
        findings = inspect(data, args.max_bytes)
        size = f"{len(data)} bytes ({len(data) / 2**20:.2f} MiB)"
        if findings:
            failed += 1
            print(f"bootstrap {binary}: FAILED: {size}: " + "; ".join(findings), file=sys.stderr)
        else:
            print(f"bootstrap {binary}: arm64 ELF, panic=unwind, {size}, budget {args.max_bytes / 2**20:.1f} MiB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
