#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The host failing under a file being written: write_fail_test.py
RETROVISOR CASE PVGUEST.elf... (the paravirtual test guests; base.elf is
the one run).

Snapshot files (run --snapshot-at), record logs (record --log) and bundles
(bundle -o) are written under a temporary name in the same directory,
synced and renamed. So:

* full: a write that fails (the file size limit, RLIMIT_FSIZE, which makes
  write return EFBIG once SIGXFSZ is ignored, as retrovisor does; and a
  full 1 MiB tmpfs, ENOSPC, where the test may mount one) ends the command
  with exit status 2 and exactly one line on stderr that names the file and
  the error; no file appears under the final name, a file already there is
  byte-identical afterwards, and no temporary file is left. Replaying a
  bundle whose extraction fails leaves nothing behind in TMPDIR.
* kill: SIGKILL while the temporary file is being written leaves the
  previous file under the final name byte-identical (the temporary may
  stay: a killed process cannot clean up; for a log it is the documented
  interrupted recording).

The data is made large and incompressible by an initramfs of random bytes
that the machine loads into RAM (a snapshot holds it) and that the log
names as an image (a bundle holds it).
"""
import contextlib
import os
import resource
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check  # noqa: E402

RV = os.path.abspath(sys.argv[1])
CASE = sys.argv[2]
GUEST = os.path.abspath(next(a for a in sys.argv[3:] if a.endswith("/base.elf")))
BIG = os.path.join(TMP, "big.cpio")
LIMIT = 1 << 20  # bytes a limited command may write to one file
PREVIOUS = b"the previous file, which must survive\n" * 100

# j . : a guest that runs until it is killed.
LOOP = os.path.join(TMP, "loop.bin")


def setup():
    if not os.path.exists(BIG):
        with open(BIG, "wb") as f:
            f.write(rvtest.newc_entry("big", 0o100644, os.urandom(24 << 20)))
            f.write(rvtest.newc_entry("TRAILER!!!", 0, b""))
    with open(LOOP, "wb") as f:
        f.write((0x0000006F).to_bytes(4, "little"))


def machine(kernel=GUEST):
    return ["--harts", "2", "--kernel", kernel, "--initrd", BIG]


def limited(argv, env=None):
    """Runs ARGV with every file it writes limited to LIMIT bytes."""
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
    p = subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=300, preexec_fn=limit, env=env)
    return p.returncode, p.stderr.decode(errors="replace")


def listing(d):
    return sorted(os.listdir(d))


def fresh_dir(name):
    d = os.path.join(TMP, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    return d


def check_failure(what, status, err, d, final, previous, want_error):
    """One failed write into directory D of file FINAL (holding PREVIOUS
    before, or absent when None)."""
    lines = err.splitlines()
    check(status == 2, f"{what}: exit status 2 (got {status})", err)
    check(len(lines) == 1 and os.path.basename(final) in lines[0] and want_error in lines[0],
          f"{what}: one line naming the file and '{want_error}'", err)
    if previous is None:
        check(not os.path.exists(final), f"{what}: nothing under the final name", err)
    else:
        with open(final, "rb") as f:
            check(f.read() == previous, f"{what}: the previous file is byte-identical", err)
    left = [f for f in listing(d) if f not in ("in.rlog", os.path.basename(final))]
    check(not left, f"{what}: no temporary file left ({left})", err)


def record(log, kernel=GUEST):
    status, _, err = rvtest.run([RV, "record", "--log", log, *machine(kernel)], timeout=300)
    if not check(status == 0, f"record {os.path.basename(log)}", err):
        rvtest.finish()


def bundle_argv(log, out):
    """bundle's command line, naming the images where this retrovisor
    wants them named (a log's host paths are not opened on its word)."""
    return [RV, "bundle", "--log", log, "-o", out, "--image", f"kernel={GUEST}",
            "--image", f"initrd={BIG}"]


def bundle_cmd(log, out):
    """bundle_argv, without the --image options where this retrovisor
    does not take them."""
    probe = os.path.join(TMP, "probe.rvb")
    status, _, err = rvtest.run(bundle_argv(log, probe)[:5])
    if os.path.exists(probe):
        os.unlink(probe)
    full = bundle_argv(log, out)
    return full if status != 0 and "--image" in err else full[:5]


def fail_writes(want_error, d, tight):
    """Every writer once into D, with D's files limited by LIMIT or full;
    TIGHT is a context in which even a record log's first chunk cannot be
    written."""
    # Snapshot file, new and over a previous one.
    for previous in (None, PREVIOUS):
        snap = os.path.join(d, "s.snap")
        if previous is not None:
            open(snap, "wb").write(previous)
        status, err = limited([RV, "run", *machine(), "--snapshot-at", f"1000={snap}"])
        check_failure(f"snapshot{'' if previous is None else ' over a file'}", status, err,
                      d, snap, previous, want_error)
        if os.path.exists(snap):
            os.unlink(snap)

    # Record log: a few KiB, so written where even that does not fit.
    for previous in (None, PREVIOUS):
        log = os.path.join(d, "r.rlog")
        if previous is not None:
            open(log, "wb").write(previous)
        with tight():
            status, err = limited([RV, "record", "--log", log, *machine()])
        check_failure(f"record{'' if previous is None else ' over a file'}", status, err,
                      d, log, previous, want_error)
        if os.path.exists(log):
            os.unlink(log)

    # Bundle: the initramfs alone is 24 MiB of random bytes.
    src = os.path.join(d, "in.rlog")
    if not os.path.exists(src):
        record(src)
    out = os.path.join(d, "b.rvb")
    argv = bundle_cmd(src, out)
    for previous in (None, PREVIOUS):
        if previous is not None:
            open(out, "wb").write(previous)
        status, err = limited(argv)
        check_failure(f"bundle{'' if previous is None else ' over a file'}", status, err,
                      d, out, previous, want_error)
        if os.path.exists(out):
            os.unlink(out)


@contextlib.contextmanager
def small_limit():
    """LIMIT of 100 bytes: a log's header fits, its first chunk does not."""
    global LIMIT
    saved, LIMIT = LIMIT, 100
    try:
        yield
    finally:
        LIMIT = saved


def case_limit():
    """RLIMIT_FSIZE: write fails with EFBIG."""
    setup()
    fail_writes("File too large", fresh_dir("limit"), small_limit)

    # A record log that fails after its first chunks: a long run (a guest
    # that loops) with digests every 100000 instructions fills the limit.
    d = fresh_dir("limit_late")
    log = os.path.join(d, "late.rlog")
    global LIMIT
    saved, LIMIT = LIMIT, 64 << 10
    status, err = limited([RV, "record", "--log", log, "--digest-interval", "100000",
                           "--max-instructions", "1000000000", "--kernel", LOOP])
    LIMIT = saved
    check_failure("record failing mid-run", status, err, d, log, None, "File too large")

    # Replaying a bundle unpacks it under TMPDIR: an unpacking that fails
    # leaves nothing there.
    d = fresh_dir("limit_unpack")
    src = os.path.join(d, "in.rlog")
    record(src)
    out = os.path.join(TMP, "unpack.rvb")
    status, _, err = rvtest.run(bundle_cmd(src, out))
    if check(os.path.exists(out), "a bundle to replay", err):
        tmpdir = fresh_dir("unpack_tmp")
        status, err = limited([RV, "replay", out], env=dict(os.environ, TMPDIR=tmpdir))
        lines = err.splitlines()
        check(status == 2 and len(lines) == 1 and "File too large" in err,
              "replay of a bundle that cannot be unpacked: status 2, one line", err)
        check(listing(tmpdir) == [], f"nothing left in TMPDIR ({listing(tmpdir)})", err)


def case_full():
    """A full file system: write fails with ENOSPC. Needs a 1 MiB tmpfs,
    which only root may mount (CI runs as root); elsewhere the case says
    so and checks the limit case's outcome only."""
    setup()
    d = fresh_dir("full")
    if os.getuid() != 0 or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", d],
            capture_output=True).returncode != 0:
        print("note: cannot mount a tmpfs here (not root, or no permission); "
              "the limit case covers failed writes")
        return
    @contextlib.contextmanager
    def full():
        """D's file system full to its last byte."""
        filler = os.path.join(d, ".fill")
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(bytes(4096))
            except OSError:
                pass
        try:
            yield
        finally:
            os.unlink(filler)

    try:
        global LIMIT
        LIMIT = resource.RLIM_INFINITY
        fail_writes("No space left on device", d, full)
    finally:
        subprocess.run(["umount", d])


def wait_for(path, final, p, min_size, seconds=60):
    """Polls until PATH exists with MIN_SIZE bytes or more (True), or
    process P has ended or replaced FINAL, so that PATH came and went
    unseen (False)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if os.path.getsize(path) >= min_size:
                return True
        except FileNotFoundError:
            pass
        if p.poll() is not None or os.path.getsize(final) != len(PREVIOUS):
            return False
        time.sleep(0.0005)
    return False


def kill_while_writing(what, argv, final, min_size=0, tries=10):
    """Starts ARGV over FINAL (holding PREVIOUS) and kills it while
    FINAL.tmp exists (with MIN_SIZE bytes); then FINAL must be PREVIOUS."""
    tmp = final + ".tmp"
    for _ in range(tries):
        open(final, "wb").write(PREVIOUS)
        if os.path.exists(tmp):
            os.unlink(tmp)
        p = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seen = wait_for(tmp, final, p, min_size)
        p.send_signal(signal.SIGKILL)
        p.wait()
        if seen and os.path.exists(tmp):
            with open(final, "rb") as f:
                check(f.read() == PREVIOUS,
                      f"{what}: killed while writing, the previous file is byte-identical")
            return tmp
    check(False, f"{what}: the kill never landed while the temporary file existed "
          f"({tries} tries)")
    return None


def case_kill():
    setup()
    d = fresh_dir("kill")
    snap = os.path.join(d, "s.snap")
    kill_while_writing("snapshot", [RV, "run", *machine(LOOP), "--snapshot-at", f"1000={snap}"],
                       snap)

    log = os.path.join(d, "r.rlog")
    # Killed once the configuration is in the file (its header and first
    # chunk, flushed at the start), the log reads as an interrupted one.
    tmp = kill_while_writing("record log", [RV, "record", "--log", log, *machine(LOOP)], log,
                             min_size=24 + 32 + 16)
    if tmp:
        status, out, err = rvtest.run([RV, "log", "stats", tmp])
        check(status == 0 and "interrupted recording" in out,
              "the killed recording's temporary log reads as interrupted", out + err)

    src = os.path.join(d, "in.rlog")
    record(src)
    out = os.path.join(d, "b.rvb")
    kill_while_writing("bundle", bundle_cmd(src, out), out)


rvtest.run_case({"limit": case_limit, "full": case_full, "kill": case_kill}, CASE)
