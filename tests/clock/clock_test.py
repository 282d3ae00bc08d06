#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Guest time against the host's clock (--clock realtime|fast, hv/platform/pace.h):
the acceptance tests of issue 15's "guest time that feels right", one case
per Bazel target (clock_test.py RETROVISOR CASE).

The guest is Debian's riscv64 kernel with the busybox initramfs of
tools/fetch-guest (tools/test passes their paths); its /init runs
rv.cmd="..." and powers off, or starts a shell on the console without one.
The host times what the guest prints as it arrives on the console.

  sleep     `sleep 3` between two markers takes at least 3 s of wall time
            with --clock realtime and well under 1 s with fast, and both
            runs end in the same state (digest)
  default   without --clock a run on a terminal (a pty) is paced and one
            on pipes is not
  record    recordings made paced and unpaced (no host input) are the same
            file byte for byte; replays of either match with the same
            digest, and a replay is paced only with --clock realtime
  input     a paced interactive recording: a line typed while the guest
            sleeps reaches it during the wait (the guest's sleep still
            lasts its time), the log has the idle period's early end, and
            the replay matches
  options   --clock takes realtime or fast, anything else is one line and
            status 2; run --help documents it; a snapshot file does not
            store it
"""
import os
import pty
import re
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check, digest, env_path, run_case  # noqa: E402

RV = os.path.abspath(sys.argv[1])
CASE = sys.argv[2]
PROMPT = b"retrovisor:~# "


def guest_opts(cmd=None):
    append = "console=ttyS0 quiet" + (f' rv.cmd="{cmd}"' if cmd else "")
    return ["--kernel", env_path("RV_GUEST_KERNEL"), "--initrd", env_path("RV_GUEST_INITRAMFS"),
            "--append", append, "--memory", "512M", "--rtc", "1767225600", "--watchdog", "120"]


class Console:
    """A retrovisor process whose console is read as it comes, each byte
    with the time it arrived; stdin and stdout are pipes, or one pty."""

    def __init__(self, argv, tty=False, stdin=subprocess.DEVNULL):
        self.err_path = os.path.join(TMP, f"console-{time.monotonic_ns()}.err")
        err = open(self.err_path, "wb")
        if tty:
            master, slave = pty.openpty()
            self.p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=err)
            os.close(slave)
            self.fd, self.stdin = master, None
        else:
            self.p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=err)
            self.fd, self.stdin = self.p.stdout.fileno(), self.p.stdin
        self.buf = b""
        self.times = []  # (time, length of buf after the chunk)

    def pump(self, until=None, timeout=300):
        """Read until the text `until` appears (or the end); True if it did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if until is not None and until in self.buf:
                return True
            r, _, _ = select.select([self.fd], [], [], 0.5)
            if not r:
                continue
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                return until is None
            self.buf += chunk
            self.times.append((time.monotonic(), len(self.buf)))
        return False

    def when(self, text):
        """When text first was complete on the console, or None."""
        i = self.buf.find(text)
        if i < 0:
            return None
        return next(t for t, n in self.times if n >= i + len(text))

    def type(self, data):
        if self.stdin:
            self.stdin.write(data)
            self.stdin.flush()
        else:
            os.write(self.fd, data)

    def finish(self, timeout=300):
        self.pump(timeout=timeout)
        if self.stdin:
            self.stdin.close()
        try:
            status = self.p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            status = self.p.wait()
        if self.p.stdout is None:
            os.close(self.fd)  # the pty's master
        with open(self.err_path, "rb") as f:
            err = f.read().decode(errors="replace")
        return status, self.buf.decode(errors="replace").replace("\r", ""), err


SLEEP_CMD = "echo mark-$((1+1)); sleep 3; echo mark-$((2+1))"


def timed_sleep(extra, tty=False):
    c = Console([RV, "run", *guest_opts(SLEEP_CMD), "--print-digest", *extra], tty=tty)
    status, out, err = c.finish()
    t0, t1 = c.when(b"mark-2"), c.when(b"mark-3")
    check(status == 0 and t0 is not None and t1 is not None,
          f"{extra or 'no --clock'}{' on a pty' if tty else ''}: the guest ran its command "
          f"(status {status}; {err.strip()[-300:]})", out)
    return (t1 - t0 if t0 and t1 else None), digest(err)[0]


def case_sleep():
    paced, d1 = timed_sleep(["--clock", "realtime"])
    fast, d2 = timed_sleep(["--clock", "fast"])
    if paced is not None:
        check(paced >= 3.0, f"--clock realtime: sleep 3 took {paced:.2f} s of wall time (>= 3)")
        check(paced < 10, f"--clock realtime: and not much more ({paced:.2f} s)")
    if fast is not None:
        check(fast < 1.0, f"--clock fast: sleep 3 took {fast:.2f} s of wall time (< 1)")
    check(d1 is not None and d1 == d2, f"paced and unpaced runs end alike (digests {d1}, {d2})")


def case_default():
    tty, _ = timed_sleep([], tty=True)
    pipes, _ = timed_sleep([])
    if tty is not None:
        check(tty >= 3.0, f"on a terminal the default is realtime: sleep 3 took {tty:.2f} s")
    if pipes is not None:
        check(pipes < 1.0, f"on pipes the default is fast: sleep 3 took {pipes:.2f} s")


def record(name, clock):
    log = os.path.join(TMP, name + ".rlog")
    status, out, err = rvtest.run([RV, "record", "--log", log, "--clock", clock,
                                   *guest_opts("sleep 2; echo recorded-$((4*5))"),
                                   "--print-digest"], strip_cr=True)
    check(status == 0 and "recorded-20" in out, f"recording with --clock {clock} "
          f"(status {status}; {err.strip()[-300:]})", out)
    return log, digest(err)[0]


def replay(log, extra=()):
    c = Console([RV, "replay", log, "--trust-stored-paths", "--print-digest", *extra])
    status, out, err = c.finish()
    ok = status == 0 and "replay matched the recording" in err
    check(ok, f"replay of {os.path.basename(log)} {' '.join(extra)} matches "
          f"(status {status}; {err.strip()[-300:]})", out)
    t0, t1 = c.when(b"init ok"), c.when(b"recorded-20")
    return digest(err)[0], (t1 - t0 if t0 and t1 else None)


def case_record():
    paced, dp = record("paced", "realtime")
    fast, df = record("fast", "fast")
    with open(paced, "rb") as a, open(fast, "rb") as b:
        same = a.read() == b.read()
    check(same, "the paced and the unpaced recording are the same file byte for byte")
    check(dp is not None and dp == df, f"and end in the same state ({dp}, {df})")
    r1, t1 = replay(paced)
    r2, _ = replay(fast)
    r3, t3 = replay(fast, ["--clock", "realtime"])
    check(r1 == r2 == r3 == dp, f"every replay ends as the recording did ({r1}, {r2}, {r3})")
    if t1 is not None:
        check(t1 < 1.0, f"a replay is not paced by default (sleep 2 took {t1:.2f} s)")
    if t3 is not None:
        check(t3 >= 2.0, f"replay --clock realtime is paced (sleep 2 took {t3:.2f} s)")


def case_input():
    log = os.path.join(TMP, "input.rlog")
    c = Console([RV, "record", "--log", log, "--clock", "realtime", *guest_opts(),
                 "--print-digest"], stdin=subprocess.PIPE)
    if not check(c.pump(PROMPT), "the shell's prompt appeared", c.buf.decode(errors="replace")):
        c.p.kill()
        c.finish()
        return
    c.type(b"sleep 4; echo slept-$((2*3))\n")
    t_typed = time.monotonic()
    time.sleep(1.5)
    # Typed while the guest waits for its timer: the input ends the paced
    # wait (the terminal echoes it at once); the shell reads it after sleep.
    c.type(b"echo typed-$((6*7))\n")
    t_second = time.monotonic()
    c.pump(b"typed-42\r\n", timeout=60)
    c.type(b"poweroff\n")
    status, out, err = c.finish()
    check(status == 0, f"the interactive recording ends with poweroff (status {status}; "
          f"{err.strip()[-300:]})", out)
    echo = c.when(b"echo typed-$((6*7))")
    slept = c.when(b"slept-6")
    check(echo is not None and echo - t_second < 1.0,
          "the line typed during the wait reached the guest at once (echoed "
          f"{(echo - t_second) if echo else 0:.2f} s after it was typed)", out)
    check(slept is not None and slept - t_typed >= 4.0,
          f"the guest's sleep 4 still took its time ({(slept - t_typed) if slept else 0:.2f} s)",
          out)
    check(slept is not None and echo is not None and echo < slept and
          out.find("typed-42\n") > out.find("slept-6"),
          "the echo came during the sleep, the command's output after it", out)
    st, sout, serr = rvtest.run([RV, "log", "stats", log])
    m = re.search(r"^idle\s+(\d+) events", sout, re.M)
    check(m is not None and int(m.group(1)) >= 2, "the log has the idle periods that input "
          f"ended early ({m.group(0) if m else 'none'})", sout + serr)
    d, _ = replay(log)
    check(d is not None and d == digest(err)[0],
          f"the replay ends as the recording did ({d}, {digest(err)[0]})")


def case_options():
    status, out, err = rvtest.run([RV, "run", "--kernel", "x", "--clock", "slow"])
    check(status == 2 and err.strip() == "retrovisor: --clock 'slow': expected realtime or "
          "fast", f"--clock slow is refused with one line, status 2 ({status}: {err.strip()})")
    status, out, err = rvtest.run([RV, "replay", "x.rlog", "--clock", "sometimes"])
    check(status == 2 and err.count("\n") == 1 and "--clock 'sometimes'" in err,
          f"replay --clock sometimes likewise ({status}: {err.strip()})")
    status, out, err = rvtest.run([RV, "run", "--help"])
    check(status == 0 and "--clock realtime|fast" in out, "run --help documents --clock", out)
    snap = os.path.join(TMP, "clock.snap")
    status, out, err = rvtest.run([RV, "run", *guest_opts(), "--clock", "realtime",
                                   "--snapshot-at", f"1M={snap}", "--max-instructions", "2M"])
    status, out, err = rvtest.run([RV, "snapshot", "info", snap])
    check(status == 0 and "arg --memory" in out and "--clock" not in out and
          "realtime" not in out, "a snapshot file does not store --clock", out + err)


CASES = {
    "sleep": case_sleep,
    "default": case_default,
    "record": case_record,
    "input": case_input,
    "options": case_options,
}

if __name__ == "__main__":
    run_case(CASES, CASE)
