# SPDX-License-Identifier: MIT
#
# Known, documented differences between QEMU 7.2 (`-M virt -bios none`)
# and the RISC-V spec as Retrovisor implements it: rule 1 is a choice the
# spec leaves open, the others are QEMU departing from the spec
# (tests/guests/README.md). This script rewrites the signature lines QEMU
# prints in those places into what Retrovisor prints, so the differential
# test and the expected signatures (tests/guests/expected/*.out) hold
# Retrovisor to the spec. Every rule names the guest lines it touches;
# the guests print those lines in a form this script can map exactly.
#
# 1. Misaligned scalar loads and stores: the spec allows performing them
#    or trapping. QEMU performs them; Retrovisor chooses to raise load (4)
#    / store (6) address-misaligned with mtval = address.
s/^\(loadstore misaligned-l[a-z]*@\)\([0-9a-f]\{16\}\) notrap$/\1\2 trap 0000000000000004 \2/
s/^\(loadstore misaligned-s[a-z]*@\)\([0-9a-f]\{16\}\) notrap$/\1\2 trap 0000000000000006 \2/
#
# 2. Misaligned AMOs: QEMU reports cause 4 (load address misaligned); the
#    A chapter and the privileged cause table say store/AMO (6).
s/^\(amo misaligned-amo[a-z]*\.[wd]@\)\([0-9a-f]\{16\}\) trap 0000000000000004 /\1\2 trap 0000000000000006 /
#
# 3. Misaligned SC without a reservation: QEMU fails it silently (rd = 1);
#    the A chapter requires an address-misaligned (6) or access exception.
s/^\(amo misaligned-sc\.[wd]@\)\([0-9a-f]\{16\}\) notrap$/\1\2 trap 0000000000000006 \2/
#
# 4. mepc/sepc bit 0: QEMU 7.2 keeps it as written; the privileged spec
#    says xepc[0] is always zero.
s/^csr mepc\.ones ffffffffffffffff$/csr mepc.ones fffffffffffffffe/
s/^csr sepc\.3 0000000080000003$/csr sepc.3 0000000080000002/
#
# 5. mstatus.UXL: QEMU 7.2 accepts the reserved value 3 from an all-ones
#    write; UXL is WARL and 2 is the only legal value on RV64 here.
s/^csr mstatus\.ones\.uxl 0000000000000003$/csr mstatus.ones.uxl 0000000000000002/
#
# 6. medeleg[11] (ECALL from M): writable in QEMU 7.2, read-only zero
#    since privileged spec 1.12.
s/^csr medeleg\.ones\.ecall_m 0000000000000001$/csr medeleg.ones.ecall_m 0000000000000000/
#
# 7. Interrupt priority: with MEI, MSI, MTI, SEI, SSI and STI all pending
#    and enabled in M, QEMU 7.2 takes them in ascending cause order; the
#    privileged spec orders MEI > MSI > MTI > SEI > SSI > STI.
s/^interrupts order M1 M3 M5 M7 M9 M11$/interrupts order M11 M3 M7 M9 M1 M5/
s/^interrupts order\.first 0000000000000301$/interrupts order.first 000000000000030b/
s/^interrupts order\.last 000000000000030b$/interrupts order.last 0000000000000305/
