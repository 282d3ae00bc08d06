#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Misaligned accesses from Linux user space, on Retrovisor and on QEMU:
misalign_test.py RETROVISOR MISALIGN_ELF.

MISALIGN_ELF (misalign.c) makes a misaligned load or store with every
RV64GC form (lh lhu lw lwu ld flw fld, sh sw sd fsw fsd, c.lw c.ld c.fld
c.sw c.sd c.fsd and the SP-relative c.*sp forms) at every misaligned
offset, and across a page boundary, and prints what it read and wrote.
It runs as rv.cmd in Debian's 6.12 kernel with the busybox initramfs
(tools/fetch-guest; tools/test passes the paths in RV_GUEST_KERNEL and
RV_GUEST_INITRAMFS), the program appended to the initramfs as a second
newc archive. Retrovisor raises the misaligned-address exceptions and the
kernel emulates the accesses; QEMU performs them (the kernel's count of
alignment faults, which the program prints, shows which path ran). The
printed values must be identical on both machines and equal to what the
pattern implies.
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from rvtest import TMP, check, env_path, finish, need_tool, newc_entry, run  # noqa: E402

RV, PROG = sys.argv[1], sys.argv[2]
APPEND = 'console=ttyS0 quiet rv.net=off rv.cmd="/misalign"'

LOADS = [("lh", 2, True), ("lhu", 2, False), ("lw", 4, True), ("lwu", 4, False),
         ("ld", 8, False), ("flw", 4, True), ("fld", 8, False), ("c.lw", 4, True),
         ("c.ld", 8, False), ("c.fld", 8, False), ("c.lwsp", 4, True), ("c.ldsp", 8, False),
         ("c.fldsp", 8, False)]
STORES = [("sh", 2), ("sw", 4), ("sd", 8), ("fsw", 4), ("fsd", 8), ("c.sw", 4), ("c.sd", 8),
          ("c.fsd", 8), ("c.swsp", 4), ("c.sdsp", 8), ("c.fsdsp", 8)]


def pattern_byte(i):
    return (i * 0x3B + 0x81) & 0xFF


def store_value(off):
    return 0xF1E2D3C4B5A69788 ^ (off * 0x1111111111111111)


def expected_lines():
    """What misalign.c must print, computed from its pattern."""
    lines = []
    pat = bytes(pattern_byte(i) for i in range(64))
    pages = bytes(pattern_byte(i) for i in range(32))  # pages[4080..4112)

    def load_value(data, width, signed):
        v = int.from_bytes(data[:width], "little", signed=signed)
        return v & (2**64 - 1)

    for name, width, signed in LOADS:
        for off in range(1, width):
            v = load_value(pat[8 + off:], width, signed)
            lines.append(f"L {name} {off} {v:016x}")
        off = width - 1
        v = load_value(pages[16 - off:], width, signed)
        lines.append(f"P {name} {off} {v:016x}")
    for name, width in STORES:
        for off in range(1, width):
            win = bytearray(24)
            win[8 + off:8 + off + width] = store_value(off).to_bytes(8, "little")[:width]
            lines.append(f"S {name} {off} {win.hex()}")
        off = width - 1
        win = bytearray(24)  # pages[4088..4112)
        win[8 - off:8 - off + width] = store_value(off).to_bytes(8, "little")[:width]
        lines.append(f"P {name} {off} {win.hex()}")
    lines.append(f"misalign: done {len(lines)}")
    return lines


def initramfs_with_program():
    """The guest's initramfs with /misalign appended as a second archive."""
    path = os.path.join(TMP, "misalign.cpio")
    with open(path, "wb") as f:
        with open(env_path("RV_GUEST_INITRAMFS"), "rb") as base:
            shutil.copyfileobj(base, f)
        f.write(b"\0" * (-f.tell() % 4))
        f.write(newc_entry("misalign", 0o100755, open(PROG, "rb").read()))
        f.write(newc_entry("TRAILER!!!", 0, b""))
    return path


def program_lines(out):
    return [l for l in out.replace("\r", "").splitlines()
            if l[:2] in ("L ", "S ", "P ") or l.startswith("misalign: ")]


def main():
    kernel = env_path("RV_GUEST_KERNEL")
    qemu = need_tool("qemu-system-riscv64")
    initrd = initramfs_with_program()
    want = expected_lines()

    status, rv_out, err = run([RV, "run", "--kernel", kernel, "--initrd", initrd,
                               "--append", APPEND, "--memory", "512M", "--watchdog", "120",
                               "--rtc", "1767225600"], timeout=600)
    check(status == 0 and "retrovisor-guest: exit status 0" in rv_out,
          f"Retrovisor: the program ran to its end (exit {status}; {err.strip()})", rv_out)

    status, qemu_out, err = run([qemu, "-M", "virt", "-m", "512M", "-smp", "1", "-nographic",
                                 "-kernel", kernel, "-initrd", initrd, "-append", APPEND],
                                timeout=600)
    check(status == 0 and "retrovisor-guest: exit status 0" in qemu_out,
          f"QEMU: the program ran to its end (exit {status}; {err.strip()})", qemu_out)

    rv_lines, qemu_lines = program_lines(rv_out), program_lines(qemu_out)
    check(len(want) > 100, f"{len(want) - 1} accesses are compared")
    check(rv_lines == qemu_lines, "Retrovisor and QEMU print the same values",
          "\n".join(f"rv:   {a}\nqemu: {b}" for a, b in zip(rv_lines, qemu_lines) if a != b)
          or f"{len(rv_lines)} vs {len(qemu_lines)} lines")
    check(rv_lines == want, "and they are the values the pattern implies",
          "\n".join(f"got:  {a}\nwant: {b}" for a, b in zip(rv_lines, want) if a != b)
          or f"{len(rv_lines)} vs {len(want)} lines")
    # The paths really differ: every access trapped on Retrovisor and was
    # emulated by the kernel (its perf counter of alignment faults), none
    # on QEMU.
    accesses = len(want) - 1
    check(f"alignment-faults {accesses}" in rv_out.replace("\r", "").splitlines(),
          f"on Retrovisor the kernel emulated all {accesses} accesses", rv_out)
    check("alignment-faults 0" in qemu_out.replace("\r", "").splitlines(),
          "on QEMU it emulated none", qemu_out)


if __name__ == "__main__":
    main()
    finish()
