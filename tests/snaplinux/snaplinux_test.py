#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Snapshots of a Debian guest: the acceptance tests of issue "Part 4", one
case per Bazel target (snaplinux_test.py RETROVISOR FORK_MEM CASE).

The guest is Debian trixie's riscv64 kernel with a busybox initramfs
(tools/fetch-guest; tools/test passes the paths in RV_GUEST_KERNEL and
RV_GUEST_INITRAMFS). Without rv.cmd the initramfs gives a shell on the
console, whose prompt ends in "# "; `retrovisor loop --start-on-output "# "`
starts its loop there.

Cases:
  reset1000   shell -> snapshot -> a workload that writes a file on an ext4
              disk and memory -> restore, 1,000 times: every restore's state
              digest equals the snapshot's, the workload never sees the
              previous iteration's file, every iteration is identical.
  save_load   snapshot files saved mid-run (full and incremental) and loaded
              in a new process continue with the same output and final
              digest as the uninterrupted run; `snapshot save|load|info`.
  bad_files   truncated, bit-flipped, wrong-version, junk, empty and
              wrong-machine files: one clear line, exit status 2, no crash.
  replay      a run recorded from a snapshot file replays; a replay's
              --snapshot-at file restores to the replay's final state, and
              the log replays from that snapshot on (replay --from).
  forks       16 machines forked from one snapshot, each running the
              workload, cost less memory than 2 full copies of the guest.
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

RV = sys.argv[1]
FORK_MEM = sys.argv[2]
CASE = sys.argv[3]
TMP = os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp()
FAILURES = []
PROMPT = "# "
# The marker is computed by the shell, so the echo of the typed command
# (which shows "$((6*7))") cannot end an iteration early.
# Likewise the workload reports a file left by an earlier iteration as
# "OLD-2", which its echo cannot show.
WORKLOAD = ("mount /dev/vda /mnt 2>/dev/null; test -e /mnt/f && echo OLD-$((1+1)); "
            "dd if=/dev/urandom of=/mnt/f bs=4k count=16 2>/dev/null; "
            "sync; echo $((6*7))-DONE")
MARKER = "42-DONE"


def env_path(name):
    path = os.environ.get(name, "")
    if not path or not os.path.exists(path):
        print(f"FAIL: {name} is not set to an existing file ({path!r}): run tools/setup, "
              "then the tests through tools/test, which passes the guest's paths")
        sys.exit(1)
    return path


def check(cond, what, out=None):
    if cond:
        print("ok: " + what)
    else:
        print("FAIL: " + what)
        if out is not None:
            print("--- output (last 40 lines):")
            print("\n".join(str(out).splitlines()[-40:]))
        FAILURES.append(what)


def sh(args, timeout=900, stdin=subprocess.DEVNULL):
    p = subprocess.run(args, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return (p.returncode, p.stdout.decode(errors="replace").replace("\r", ""),
            p.stderr.decode(errors="replace"))


def make_disk(name="disk.img", mib=32):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.truncate(mib << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", path], check=True)
    return path


def machine_args(disk=None, cmd=None, memory="128M"):
    append = "console=ttyS0 quiet"
    if cmd:
        append += f' rv.cmd="{cmd}"'
    args = ["--kernel", env_path("RV_GUEST_KERNEL"), "--initrd", env_path("RV_GUEST_INITRAMFS"),
            "--append", append, "--memory", memory, "--rtc", "1767225600"]
    if disk:
        args += ["--drive", f"file={disk}"]
    return args


def shell_snapshot(disk):
    """A snapshot file of the guest waiting at its shell prompt."""
    path = os.path.join(TMP, "shell.snap")
    status, out, err = sh([RV, "loop", "--iterations", "0", "--save-start", path,
                           "--start-on-output", PROMPT, *machine_args(disk)])
    check(status == 0 and os.path.exists(path), f"saved the shell's state (stderr: {err})")
    return path


def digest_of(err):
    d = [l.split()[1] for l in err.splitlines() if l.startswith("digest ")]
    n = [l.split()[1] for l in err.splitlines() if l.startswith("icount ")]
    return (d[-1] if d else None, n[-1] if n else None)


def case_reset1000():
    disk = make_disk()
    snap = shell_snapshot(disk)
    status, out, err = sh([RV, "loop", "--restore", snap, "--iterations", "1000",
                           "--type", WORKLOAD + "\\n", "--until-output", MARKER,
                           "--check-digest", "--console"], timeout=1500)
    lines = [l for l in out.splitlines() if l.startswith("iteration ")]
    check(status == 0, f"the loop ran 1,000 iterations (exit {status}; {err[-300:]})")
    check("every restore matched the start's digest" in err,
          "every restore's digest equals the snapshot's", err[-2000:])
    check(len(lines) == 1000, f"1,000 iteration lines (got {len(lines)})", out)
    ends = {" ".join(l.split()[4:6]) for l in lines}
    check(ends == {"end output"}, f"every iteration ran the workload to its end ({ends})", out)
    counts = {l.split()[-1] for l in lines}
    check(len(counts) == 1, f"every iteration is the same execution ({len(counts)} "
          "different instruction counts)", out)
    check(err.count(MARKER) == 1000, f"the workload finished 1,000 times "
          f"({err.count(MARKER)} markers)")
    check("OLD-2" not in err, "no iteration saw the file an earlier one wrote (the "
          "disk overlay was restored)")


def case_save_load():
    disk = make_disk()
    cmd = ("mount /dev/vda /mnt; for i in 1 2 3 4 5 6; do echo line$i | tee -a /mnt/log; "
           "dd if=/dev/urandom of=/mnt/f$i bs=4k count=8 2>/dev/null; sync; done; "
           "md5sum /mnt/log; cat /proc/loadavg | cut -c1-4")
    base = machine_args(disk, cmd)
    status, full, err = sh([RV, "run", *base, "--print-digest"])
    check(status == 0 and "retrovisor-guest: exit status 0" in full,
          f"the uninterrupted run succeeds (exit {status})", full + err)
    want_digest, want_icount = digest_of(err)
    total = int(want_icount or 0)
    a = os.path.join(TMP, "a.snap")
    b = os.path.join(TMP, "b.snap")
    c = os.path.join(TMP, "c.snap")
    at1, at2, at3 = total // 2, total * 3 // 4, total - total // 20
    status, out, err = sh([RV, "run", *base, "--print-digest", "--snapshot-incremental",
                           "--snapshot-at", f"{at1}={a}", "--snapshot-at", f"{at2}={b}",
                           "--snapshot-at", f"{at3}={c}"])
    check(status == 0 and out == full, "saving snapshots does not change the run", out)
    check(digest_of(err) == (want_digest, want_icount),
          "saving snapshots does not change the final state", err)
    check("full snapshot" in err and err.count("incremental snapshot") == 2,
          "one full and two incremental files", err)
    check(os.path.getsize(b) < os.path.getsize(a) // 2,
          f"the incremental file is smaller ({os.path.getsize(b)} vs {os.path.getsize(a)})")
    for path, at in ((a, at1), (b, at2), (c, at3)):
        status, out, err = sh([RV, "run", "--restore", path, "--print-digest"])
        name = os.path.basename(path)
        check(status == 0, f"{name}: the restored run ends as the original (exit {status}; "
              f"{err.strip()[-300:]})")
        check(out and full.endswith(out),
              f"{name}: its console output is the rest of the original's", out)
        check(digest_of(err) == (want_digest, want_icount),
              f"{name}: final digest and instruction count equal the uninterrupted run's",
              err)
    # snapshot save / load / info
    s = os.path.join(TMP, "s.snap")
    status, out, err = sh([RV, "snapshot", "save", "--at", str(at1), "-o", s, *base])
    check(status == 0 and os.path.exists(s), f"snapshot save (exit {status}: {err.strip()})")
    with open(a, "rb") as f1, open(s, "rb") as f2:
        check(f1.read() == f2.read(), "the same state saved twice gives the same file")
    status, out, err = sh([RV, "snapshot", "load", s, "--print-digest"])
    check(status == 0 and digest_of(err) == (want_digest, want_icount),
          "snapshot load continues to the same end", err)
    status, out, err = sh([RV, "snapshot", "info", b])
    check(status == 0 and "incremental" in out and f"instructions retired: {at2}" in out
          and "parent" in out, "snapshot info describes the file and its parent", out + err)
    # A snapshot restored with a shape option that disagrees: wrong machine.
    status, out, err = sh([RV, "run", "--restore", a, "--harts", "2"])
    check(status == 2 and "another machine" in err and err.count("\n") == 1,
          "a restore into another shape is refused in one line", err)


def flip(data, off):
    b = bytearray(data)
    b[off] ^= 0x10
    return bytes(b)


def case_bad_files():
    disk = make_disk()
    good = os.path.join(TMP, "good.snap")
    status, out, err = sh([RV, "snapshot", "save", "--at", "200M", "-o", good,
                           *machine_args(disk, "true")])
    check(status == 0, f"saved a file to damage ({err.strip()})")
    data = open(good, "rb").read()
    bad = os.path.join(TMP, "bad.snap")

    def refused(content, what, words):
        with open(bad, "wb") as f:
            f.write(content)
        status, out, err = sh([RV, "run", "--restore", bad], timeout=120)
        lines = err.strip().splitlines()
        check(status == 2 and len(lines) == 1 and lines[0].startswith("retrovisor: ")
              and all(w in lines[0] for w in words),
              f"{what}: refused in one line naming the problem (exit {status}: {err.strip()})")

    refused(b"", "an empty file", ["not a Retrovisor snapshot"])
    refused(b"hello, world\n" * 10, "a text file", ["not a Retrovisor snapshot"])
    for n in (40, 64, 100, len(data) // 3, len(data) // 2, len(data) - 1):
        refused(data[:n], f"truncated to {n} bytes", [bad])
    for off in (8, 20, 61, 64, 70, 90, len(data) // 4, len(data) // 2, len(data) - 5):
        refused(flip(data, off), f"a bit flipped at byte {off}", [bad])
    hdr = bytearray(data[:64])
    struct.pack_into("<I", hdr, 8, 99)
    struct.pack_into("<I", hdr, 60, zlib.crc32(bytes(hdr[:60])))
    refused(bytes(hdr) + data[64:], "another format version", ["version 99", "reads version"])
    refused(data + b"x", "a byte after the end", [bad, "END"])
    # Wrong machine: the drive holds another image now.
    with open(disk, "r+b") as f:
        f.seek(4096)
        f.write(b"changed")
    status, out, err = sh([RV, "run", "--restore", good])
    check(status == 2 and "SHA-256" in err and err.count("\n") == 1,
          f"a drive image that changed since is refused ({err.strip()})")
    status, out, err = sh([RV, "run", "--restore", good, "--memory", "256M"])
    check(status == 2 and "another machine" in err, f"a restore asking for another "
          f"memory size is refused ({err.strip()})")
    status, out, err = sh([RV, "snapshot", "info", os.path.join(TMP, "none.snap")])
    check(status == 2 and "cannot open" in err, "a missing file is named")


def case_replay():
    disk = make_disk()
    snap = shell_snapshot(disk)
    log = os.path.join(TMP, "from-snap.rlog")
    # Typed input through a pipe: the shell runs the workload and powers off.
    p = subprocess.run([RV, "record", "--log", log, "--restore", snap, "--digest-interval",
                        "5M", "--print-digest"], input=(WORKLOAD + "; poweroff -f\n").encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    rec_out = p.stdout.decode(errors="replace")
    rec_err = p.stderr.decode(errors="replace")
    check(p.returncode == 0 and MARKER in rec_out,
          f"recorded a session that starts from a snapshot (exit {p.returncode}; "
          f"{rec_err.strip()[-300:]})", rec_out)
    rec = digest_of(rec_err)
    status, out, err = sh([RV, "replay", log, "--print-digest"])
    check(status == 0 and "replay matched the recording" in err and digest_of(err) == rec,
          f"the log replays from the snapshot to the same end ({err.strip()[-300:]})")
    mid = os.path.join(TMP, "mid.snap")
    status, out, err = sh([RV, "replay", log, "--snapshot-at", f"{int(rec[1]) - 1000000}={mid}",
                           "--print-digest"])
    check(status == 0 and os.path.exists(mid), f"a replay saves a snapshot ({err.strip()})")
    status, out, err = sh([RV, "run", "--restore", mid, "--print-digest"])
    check(digest_of(err) == rec, "the replay's snapshot continues to the recorded end "
          f"({err.strip()[-300:]})")
    status, out, err = sh([RV, "replay", log, "--from", mid, "--print-digest"])
    check(status == 0 and "replay matched the recording" in err and digest_of(err) == rec,
          f"the log replays from that snapshot on (replay --from) ({err.strip()[-300:]})")


def case_forks():
    disk = make_disk()
    snap = shell_snapshot(disk)
    status, out, err = sh([FORK_MEM, snap, "16", WORKLOAD, MARKER], timeout=900)
    print(out.strip())
    check(status == 0, f"16 forks ran the workload to the same end and cost less than "
          f"two copies of the guest ({out.strip()}; {err.strip()})")
    fields = out.split()
    if len(fields) >= 10:
        check(float(fields[9]) < 2 * float(fields[5]),
              f"measured: {fields[9]} MiB for 16 forks < 2 x {fields[5]} MiB")


CASES = {
    "reset1000": case_reset1000,
    "save_load": case_save_load,
    "bad_files": case_bad_files,
    "replay": case_replay,
    "forks": case_forks,
}

if __name__ == "__main__":
    CASES[CASE]()
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        sys.exit(1)
    print("all checks passed")
