# SPDX-License-Identifier: MIT
"""Lab 4, solution: an Sv39 page-table walk in gdb, through Retrovisor's stub.

    (gdb) source sv39.py
    (gdb) sv39 0xffffffc012345678
    satp 0x8000000000080213: mode 8 (Sv39), root table at 0x80213000
    va 0xffffffc012345678: VPN[2] 0x100 VPN[1] 0x091 VPN[0] 0x145 offset 0x678
    level 2: PTE at 0x80213800 = 0x20085401 (V) -> table at 0x80215000
    ...
    pa 0x80216678

The walk is the one of the privileged spec's "Virtual Address Translation
Process" (section "Sv39"): a = satp.PPN * 4096; for i = 2, 1, 0 read the
PTE at a + VPN[i] * 8; V = 0, or W without R, is a page fault; R or X set
makes it a leaf (a superpage when i > 0, whose low PPN fields must be
zero); otherwise a = PTE.PPN * 4096 and go down a level. The PTEs are
read by physical address: `monitor phys on` makes the stub's memory
accesses physical, `monitor phys off` gives back the hart's view. Like a
debugger, it checks no permission and sets no A or D bit.
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
    return (va >> (PAGE_SHIFT + VPN_BITS * level)) & ((1 << VPN_BITS) - 1)


def flags(pte):
    return "".join(c for c, b in zip("VRWXUGAD", range(8)) if pte >> b & 1)


def walk(satp, va, say=print):
    """The physical address of va, or None (a page fault; say() tells why)."""
    mode = satp >> 60
    if mode != 8:
        say("satp.MODE is %d, not 8 (Sv39)" % mode)
        return None
    a = (satp & PPN_MASK) << PAGE_SHIFT
    say("satp 0x%x: mode 8 (Sv39), root table at 0x%x" % (satp, a))
    if (va >> 38) & 1 and va >> 39 != (1 << 25) - 1 or not (va >> 38) & 1 and va >> 39:
        say("va 0x%x is not canonical: bits 63..39 must equal bit 38" % va)
        return None
    say("va 0x%x: VPN[2] 0x%03x VPN[1] 0x%03x VPN[0] 0x%03x offset 0x%03x" % (
        va, vpn(va, 2), vpn(va, 1), vpn(va, 0), va & 0xfff))
    for level in range(LEVELS - 1, -1, -1):
        pte_addr = a + vpn(va, level) * PTE_SIZE
        pte = read_u64_phys(pte_addr)
        ppn = (pte >> 10) & PPN_MASK
        head = "level %d: PTE at 0x%x = 0x%x (%s)" % (level, pte_addr, pte, flags(pte))
        if not pte & PTE_V or (pte & PTE_W and not pte & PTE_R):
            say(head + ": invalid, a page fault")
            return None
        if pte & (PTE_R | PTE_X):
            low = (1 << (VPN_BITS * level)) - 1
            if ppn & low:
                say(head + ": misaligned superpage, a page fault")
                return None
            size = 1 << (PAGE_SHIFT + VPN_BITS * level)
            pa = (ppn << PAGE_SHIFT) | (va & (size - 1))
            say(head + ": leaf, a %s page at 0x%x" % (
                {0: "4 KiB", 1: "2 MiB", 2: "1 GiB"}[level], ppn << PAGE_SHIFT))
            return pa
        a = ppn << PAGE_SHIFT
        say(head + " -> table at 0x%x" % a)
    say("no leaf after %d levels, a page fault" % LEVELS)
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
