"""check_bootstraps.py on synthetic ELF headers (run by `make lint`; `make package` runs
the checker itself on the real arm64 bootstraps).

The markers were read in real aarch64 builds (rustc 1.95, cargo-lambda with zig, strip =
"symbols", lto = "thin") of one small program using catch_unwind, built once with
panic = "unwind" and once with panic = "abort": only the unwind build contains
"Rust cannot catch foreign exceptions" (std's __rust_foreign_exception, referenced by
panic_unwind), only the abort build contains ".../library/panic_abort/src/lib.rs". Neither
the dynamic symbols (zig links libunwind statically) nor `.eh_frame` /
`.gcc_except_table` (present in both) tell the two apart.
"""

import struct
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_bootstraps import ABORT_MARKER, UNWIND_MARKER, inspect  # noqa: E402


def elf(machine=183, elf_class=2, body=b""):
    header = bytearray(64)
    header[:4] = b"\x7fELF"
    header[4], header[5] = elf_class, 1
    struct.pack_into("<HH", header, 16, 3, machine)
    return bytes(header) + body


UNWIND_BODY = b"\0fatal runtime error: " + UNWIND_MARKER + b", aborting\0"
ABORT_BODY = b"\0/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/panic_abort/src/lib.rs\0"


class Inspect(unittest.TestCase):
    def test_an_arm64_unwinding_build_within_budget_passes(self):
        self.assertEqual(inspect(elf(body=UNWIND_BODY), max_bytes=4096), [])

    def test_an_x86_64_build_fails(self):
        self.assertIn("not an arm64 build", " ".join(inspect(elf(machine=62, body=UNWIND_BODY), 4096)))

    def test_a_panic_abort_build_fails(self):
        findings = " ".join(inspect(elf(body=ABORT_BODY), 4096))
        self.assertIn("links panic_abort", findings)
        self.assertIn("no unwinding panic runtime", findings)

    def test_a_bootstrap_over_budget_fails(self):
        self.assertIn("over the budget", " ".join(inspect(elf(body=UNWIND_BODY + bytes(5000)), 4096)))

    def test_not_an_elf_fails(self):
        self.assertEqual(inspect(b"#!/bin/sh\n", 4096), ["not an ELF file"])

    def test_a_32_bit_elf_fails(self):
        self.assertIn("not ELF64", " ".join(inspect(elf(elf_class=1, body=UNWIND_BODY), 4096)))


if __name__ == "__main__":
    unittest.main()
