# SPDX-License-Identifier: MIT
#
# The list of ISA test guests, shared by tests/guests/BUILD.bazel (which
# builds //tests/guests:<name>.elf from <name>.c) and tests/diff/BUILD.bazel
# (which runs each against QEMU and against its expected signature).
# Adding a guest: add its name here, write <name>.c, and generate
# expected/<name>.out with tests/diff/regen_expected.sh.

GUESTS = [
    "alu",
    "muldiv",
    "branch",
    "compressed",
    "loadstore",
    "amo",
    "fp",
    "csr",
    "priv",
    "paging",
    "interrupts",
]
