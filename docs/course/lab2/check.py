#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lab 2's check (//docs/course/lab2:check): runs solution/lab2.gdb through
starter/run.sh against the project-built kernel, reads what gdb printed
between the script's "== NAME" markers, recomputes every answer from that
fresh session and compares it with solution/answers.txt. It also checks
what reverse execution promises: reverse-continue stops exactly where the
breakpoint was hit going forwards, each reverse step lands earlier, and
the guest printed its line once although its code ran again. Then the
starter: its script (TODOs left) must not yield the answers, and its
answers (all "?") must fail.

    check.py RETROVISOR [ANSWERS]

With ANSWERS (a student's file) only that file is compared. tools/test
passes the kernel's and the initramfs's paths (RV_BUILT_KERNEL,
RV_GUEST_INITRAMFS).
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "lib"))
from rvtest import TMP, check, env_path, finish, need, need_tool, run  # noqa: E402

SETUP = "tools/setup and tools/build-kernel"
RV = os.path.abspath(sys.argv[1])
KERNEL = env_path("RV_BUILT_KERNEL", SETUP)
need(os.path.join(os.path.dirname(KERNEL), "vmlinux"), "the built kernel's vmlinux", SETUP)
need_tool("gdb-multiarch")
os.environ.update(RETROVISOR=RV, KERNEL_DIR=os.path.dirname(KERNEL),
                  INITRAMFS=env_path("RV_GUEST_INITRAMFS", SETUP))
FRAME = re.compile(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \(", re.M)
POSITION = re.compile(r"\(position (\d+)\)")


def session(script, name):
    """(status, gdb's output by marker, console) of one run of SCRIPT."""
    out = os.path.join(TMP, name)
    status, o, err = run(["sh", os.path.join(HERE, "starter", "run.sh"),
                          os.path.join(HERE, script), out], timeout=600)
    log = console = ""
    if os.path.exists(os.path.join(out, "gdb.log")):
        log = open(os.path.join(out, "gdb.log"), errors="replace").read()
        console = open(os.path.join(out, "console.txt"), errors="replace").read()
    parts = dict(re.findall(r"^== ([A-Z-]+)\n(.*?)(?=^== |\Z)", log, re.M | re.S))
    return status, parts, console, o + err + log


def frames(text):
    return [f for _, f in FRAME.findall(text)]


def position(text):
    p = POSITION.findall(text)
    return int(p[-1]) if p else None


def value(text, pattern):
    m = re.search(pattern, text)
    return m.group(1) if m else None


def facts(parts):
    """Every answer recomputed from one session's output (keys missing
    where the output lacks them)."""
    f = {}
    at_ksys = frames(parts.get("AT-KSYS-WRITE", ""))
    at_tty = frames(parts.get("AT-TTY-WRITE", ""))
    if at_ksys and at_ksys[0] == "ksys_write":
        f["entry_function"] = at_ksys[-1]
    comm = value(parts.get("TASK", ""), r'\$\d+ = "([^"\\]*)')
    if comm:
        f["task_comm"] = comm
    for key, marker, pattern in (("syscall_number", "SYSCALL-NUMBER", r"\$\d+ = (\d+)"),
                                 ("user_pc", "USER-PC", r"\$\d+ = (0x[0-9a-f]+)")):
        v = value(parts.get(marker, ""), pattern)
        if v:
            f[key] = int(v, 0)
    if at_tty and at_tty[0] == "tty_write" and "ksys_write" in at_tty:
        f["write_path"] = " > ".join(reversed(at_tty[:at_tty.index("ksys_write") + 1]))
        p0, p1 = position(parts["AT-KSYS-WRITE"]), position(parts["AT-TTY-WRITE"])
        if p0 is not None and p1 is not None:
            f["instructions_to_tty_write"] = p1 - p0
    rf = frames("#0  " + parts.get("REVERSE-FINISH", "").lstrip())
    if rf:
        f["reverse_finish_function"] = rf[0]
    rs = frames(parts.get("REVERSE-STEPI", ""))
    if rs:
        f["reverse_stepi_function"] = rs[0]
    ret = re.findall(r"Value returned is \$\d+ = (-?\d+)", parts.get("FINISH", ""))
    if ret:
        f["write_returns"] = int(ret[-1])
    return f


def answers(path):
    out = {}
    for line in open(path):
        key, sep, v = line.split("#", 1)[0].partition(":")
        if sep:
            out[key.strip()] = v.strip()
    return out


def wrong(path, truth):
    given = answers(path)

    def same(k):
        if isinstance(truth[k], int):
            try:
                return int(given[k], 0) == truth[k]
            except ValueError:
                return False
        return " ".join(given[k].split()) == truth[k]
    return [k for k in truth if k not in given or not same(k)] + \
        [k for k in given if k not in truth]


status, parts, console, log = session("solution/lab2.gdb", "solution")
check(status == 0 and "exited normally" in log,
      f"solution/lab2.gdb runs to the guest's end (status {status})", log)
truth = facts(parts)
check(len(truth) == 9, f"every answer could be recomputed ({sorted(truth)})", log)
if len(sys.argv) > 2:
    w = wrong(sys.argv[2], truth)
    check(not w, f"{sys.argv[2]}: every answer right (wrong: {w})")
    finish()
w = wrong(os.path.join(HERE, "solution", "answers.txt"), truth)
check(not w, "solution/answers.txt agrees with the fresh session (wrong: " +
      ", ".join(f"{k} (gdb says {truth.get(k)!r})" for k in w) + ")")

at = position(parts.get("AT-KSYS-WRITE", ""))
tty = position(parts.get("AT-TTY-WRITE", ""))
back = position(parts.get("REVERSE-FINISH", ""))
again = position(parts.get("REVERSE-CONTINUE", ""))
check(None not in (at, tty, back, again) and at < back < tty,
      f"reverse-finish goes back, but not past ksys_write ({at} < {back} < {tty})", log)
check(again == at and "Breakpoint 1, ksys_write" in parts.get("REVERSE-CONTINUE", ""),
      f"reverse-continue stops where the breakpoint was hit going forwards ({again}, {at})",
      log)
check(console.count("lab2-marker") == 1 and "retrovisor-guest: exit status 0" in console,
      "the guest printed its line once, although its write ran again after going back",
      console)

status, parts, console, log = session("starter/lab2.gdb", "starter")
started = facts(parts)
check(len(started) < len(truth) and "lab2-marker" in console,
      f"the starter script runs but yields {len(started)} of {len(truth)} answers", log)
w = wrong(os.path.join(HERE, "starter", "answers.txt"), truth)
check(len(w) == len(truth), f"the starter's answers fail ({len(w)} of {len(truth)} wrong)")
finish()
