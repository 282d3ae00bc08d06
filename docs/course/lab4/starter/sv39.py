# SPDX-License-Identifier: MIT
"""Lab 4, starter: an Sv39 page-table walk in gdb, through Retrovisor's stub.

    (gdb) source sv39.py
    (gdb) sv39 0xffffffc012345678
    ...
    pa 0x........

Finish vpn() and walk() (README.md, task 4) after doing one walk by hand
(tasks 2 and 3). The walk is the one of the privileged spec's "Virtual
Address Translation Process" (section "Sv39"): a = satp.PPN * 4096; for
i = 2, 1, 0 read the PTE at a + VPN[i] * 8; V = 0, or W without R, is a
page fault; R or X set makes it a leaf (a superpage when i > 0, whose
low PPN fields must be zero); otherwise a = PTE.PPN * 4096 and go down a
level. read_u64_phys() reads a PTE by its physical address: `monitor
phys on` makes the stub's memory accesses physical, `monitor phys off`
gives back the hart's view.
"""
import gdb

PAGE_SHIFT = 12
LEVELS = 3            # Sv39
VPN_BITS = 9
PTE_SIZE = 8
PTE_V, PTE_R, PTE_W, PTE_X = 1, 2, 4, 8
PPN_MASK = (1 << 44) - 1


def read_u64_phys(pa):
    """Eight bytes at physical address pa, little-endian."""
    gdb.execute("monitor phys on", to_string=True)
    try:
        data = gdb.selected_inferior().read_memory(pa, 8).tobytes()
    finally:
        gdb.execute("monitor phys off", to_string=True)
    return int.from_bytes(data, "little")


def vpn(va, level):
    """VPN[level] of va: 9 bits from bit 12 + 9 * level."""
    # TODO (task 4)
    return 0


def flags(pte):
    return "".join(c for c, b in zip("VRWXUGAD", range(8)) if pte >> b & 1)


def walk(satp, va, say=print):
    """The physical address of va, or None (a page fault; say() tells why)."""
    # TODO (task 4):
    #  1. satp.MODE (bits 63..60) must be 8; the root table is at satp.PPN * 4096;
    #  2. for level 2, 1, 0: read the PTE, stop at an invalid one or a leaf
    #     (and return its physical address: PPN, then the untranslated low
    #     bits of va, 12 of them for a 4 KiB page, 21 for 2 MiB, 30 for 1 GiB);
    #  3. say() each PTE on the way, as the solution's output in README.md.
    say("TODO: the walk is not written yet (satp 0x%x, va 0x%x)" % (satp, va))
    return None


class Sv39(gdb.Command):
    """sv39 VA: walk the selected hart's Sv39 page tables for VA and print
    every PTE on the way and the physical address."""

    def __init__(self):
        super().__init__("sv39", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        va = int(gdb.parse_and_eval(arg)) & ((1 << 64) - 1)
        satp = int(gdb.parse_and_eval("$satp")) & ((1 << 64) - 1)
        pa = walk(satp, va)
        print("pa 0x%x" % pa if pa is not None else "pa none")


Sv39()
