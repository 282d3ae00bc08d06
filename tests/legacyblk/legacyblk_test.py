#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The teaching-style disk driver (disk_guest.c) on its disk in virtio
slot 0: legacyblk_test.py RETROVISOR GUEST.elf CASE.

slot0: with --drive file=IMG,slot=0 it finds its disk, negotiates without
VIRTIO_F_VERSION_1, reads three requests' sectors and checks them (status
0, the exact console output); stderr notes the legacy driver once.
among_others: the same with another drive, the network pinned to slot 3
and the entropy device around it; the slot map shows where each went.
not_in_slot0: without slot=0 (the first drive then takes slot 7) or with
slot=1 it finds no disk and ends with status 1 and one FAIL line.
qemu: QEMU runs the same ELF with the disk on virtio-mmio-bus.0 (and the
same other devices, placed by QEMU's own rules): the same console output
and the same status, alone and among others.
replay: a recording replays with the same output (its disk in slot 0
again: the log's stored options keep slot=0) and digest.
snapshot: a snapshot taken after the legacy bring-up restores and ends
with the uninterrupted run's digest; a --restore that names another slot
for the drive, or --rng none for a machine with an entropy device, is
refused as another machine.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check, need_tool, run_case  # noqa: E402

RV, GUEST, CASE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
IMG = os.path.join(TMP, "disk.img")
OTHER = os.path.join(TMP, "other.img")
LEGACY_NOTE = ("retrovisor: virtio-blk@0x10001000: the driver did not accept "
               "VIRTIO_F_VERSION_1; serving it through the legacy interface")
READS = ["legacy-disk features-ok 1",
         "legacy-disk read 0+2 ok 01 04 07 0a",
         "legacy-disk read 5+1 ok 24 27 2a 2d",
         "legacy-disk read 9+2 ok 40 43 46 49",
         "legacy-disk done"]


def make_images():
    """Sector s holds (s * 7 + i * 3 + 1) & 0xff at byte i (disk_guest.c)."""
    with open(IMG, "wb") as f:
        for s in range(64):
            f.write(bytes((s * 7 + i * 3 + 1) & 0xFF for i in range(512)))
    with open(OTHER, "wb") as f:
        f.write(bytes(8192))


def slot_map(ids):
    return [f"legacy-disk slot {i} id {d}" for i, d in enumerate(ids)]


def lines(out):
    return out.replace("\r", "").splitlines()


def rv(*args, timeout=120):
    return rvtest.run([RV, *args], timeout=timeout, strip_cr=True)


def guest_run(*devices, extra=()):
    return rv("run", "--bios", "none", "--kernel", GUEST, "--rtc", "1767225600", *devices,
              *extra)


ALONE = ["--drive", f"file={IMG},slot=0"]
ALONE_MAP = [2, 0, 0, 0, 0, 0, 0, 4]
# Another drive (the highest free slot, 7), the network pinned to slot 3,
# then the entropy device (the highest still free, 6).
AMONG = ["--drive", f"file={OTHER}", "--drive", f"file={IMG},slot=0", "--net", "user,slot=3"]
AMONG_MAP = [2, 0, 0, 1, 0, 0, 4, 2]


def case_slot0():
    status, out, err = guest_run(*ALONE)
    check(status == 0, f"the guest reads its disk in slot 0 (status {status})", out + err)
    check(lines(out) == slot_map(ALONE_MAP) + READS, "it prints the slot map and its reads",
          out)
    check(err.count(LEGACY_NOTE) == 1, "stderr notes the legacy driver once", err)


def case_among_others():
    status, out, err = guest_run(*AMONG)
    check(status == 0, f"with other devices around it (status {status})", out + err)
    check(lines(out) == slot_map(AMONG_MAP) + READS,
          "the other drive took slot 7, the network slot 3, entropy slot 6", out)


def case_not_in_slot0():
    for devices, ids in (([f"file={IMG}"], [0, 0, 0, 0, 0, 0, 4, 2]),
                         ([f"file={IMG},slot=1"], [0, 2, 0, 0, 0, 0, 0, 4])):
        status, out, err = guest_run("--drive", devices[0])
        check(status == 1, f"--drive {devices[0]}: status 1 (got {status})", out + err)
        check(lines(out) == slot_map(ids) +
              ["legacy-disk FAIL no virtio disk in slot 0 (0x10001000)"],
              f"--drive {devices[0]}: the slot map, then one FAIL line", out)


def qemu_run(qemu, devices):
    argv = [qemu, "-machine", "virt", "-bios", "none", "-kernel", GUEST,
            "-global", "virtio-mmio.force-legacy=false", "-nographic", *devices]
    return rvtest.run(argv, timeout=120, strip_cr=True)


def case_qemu():
    qemu = need_tool("qemu-system-riscv64")
    disk0 = ["-drive", f"file={IMG},if=none,format=raw,id=x0",
             "-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0"]
    # QEMU places devices without bus= from the highest free bus down, in
    # command-line order: the other drive, the network, the entropy device.
    others = ["-drive", f"file={OTHER},if=none,format=raw,id=x1",
              "-device", "virtio-blk-device,drive=x1", *disk0,
              "-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0,bus=virtio-mmio-bus.3",
              "-device", "virtio-rng-device"]
    for name, ours, theirs in (("alone", ALONE, disk0 + ["-device", "virtio-rng-device"]),
                               ("among others", AMONG, others),
                               ("not in slot 0", ["--drive", f"file={IMG}"],
                                ["-drive", f"file={IMG},if=none,format=raw,id=x0",
                                 "-device", "virtio-blk-device,drive=x0",
                                 "-device", "virtio-rng-device"])):
        q_status, q_out, q_err = qemu_run(qemu, theirs)
        r_status, r_out, r_err = guest_run(*ours)
        check(lines(q_out) == lines(r_out), f"{name}: QEMU and Retrovisor print the same",
              f"--- QEMU:\n{q_out}{q_err}--- Retrovisor:\n{r_out}{r_err}", lines=None)
        check(q_status == r_status, f"{name}: the same status (QEMU {q_status}, "
              f"Retrovisor {r_status})", q_err + r_err)


def case_replay():
    log = os.path.join(TMP, "run.rlog")
    status, out, err = rv("record", "--log", log, "--bios", "none", "--kernel", GUEST, *ALONE,
                          "--print-digest")
    check(status == 0 and lines(out) == slot_map(ALONE_MAP) + READS,
          f"the recorded run reads its disk (status {status})", out + err)
    rec = rvtest.digest(err)
    status, out2, err2 = rv("replay", log, "--trust-stored-paths", "--print-digest")
    check(status == 0, f"the replay ends like the recording (status {status})", out2 + err2)
    check(lines(out2) == lines(out), "the replay prints what the recording printed", out2)
    check(rec[0] is not None and rvtest.digest(err2) == rec,
          f"the replay ends with the recording's digest ({rec})", err2)


def case_snapshot():
    status, out, err = guest_run(*ALONE, extra=["--print-digest"])
    full = rvtest.digest(err)
    check(status == 0 and full[1] is not None, f"the full run (status {status})", out + err)
    if full[1] is None:
        return
    snap = os.path.join(TMP, "late.snap")
    at = full[1] - 300  # after the last read: the driver's legacy state is live
    status, _, err = guest_run(*ALONE, extra=["--snapshot-at", f"{at}={snap}"])
    check(status == 0 and os.path.exists(snap), f"a snapshot at instruction {at}", err)
    status, out, err = rv("run", "--restore", snap, "--drive", f"file={IMG},slot=0",
                          "--print-digest")
    check(status == 0 and lines(out)[-1:] == ["legacy-disk done"],
          f"the restored legacy device runs to the end (status {status})", out + err)
    check(rvtest.digest(err) == full, f"with the uninterrupted run's digest {full}", err)
    status, out, err = rv("run", "--restore", snap, "--drive", f"file={IMG}", "--print-digest")
    check(status == 0 and rvtest.digest(err) == full,
          "a --drive without slot= takes the file's slot", out + err)
    status, out, err = rv("run", "--restore", snap, "--drive", f"file={IMG},slot=3")
    check(status == 2 and "is of another machine" in err and "slot 0, not in slot 3" in err
          and len(err.strip().splitlines()) == 1,
          "a --restore naming another slot is refused in one line", err)
    # The entropy device is part of the shape: this file has one.
    status, out, err = rv("run", "--restore", snap, "--drive", f"file={IMG}", "--rng", "none")
    check(status == 2 and "is of another machine" in err
          and len(err.strip().splitlines()) == 1,
          "a --restore asking for no entropy device is refused in one line", err)
    status, out, err = rv("run", "--restore", snap, "--drive", f"file={IMG}", "--rng", "virtio",
                          "--print-digest")
    check(status == 0 and rvtest.digest(err) == full,
          "a --restore asking for the entropy device it has runs on", out + err)


make_images()
run_case({
    "slot0": case_slot0,
    "among_others": case_among_others,
    "not_in_slot0": case_not_in_slot0,
    "qemu": case_qemu,
    "replay": case_replay,
    "snapshot": case_snapshot,
}, CASE)
