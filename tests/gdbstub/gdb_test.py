#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The gdb stub against Debian's gdb-multiarch: gdb_test.py FAKE_TARGET CASE.

FAKE_TARGET is tests/gdbstub/fake_target (a fake 2-hart riscv64 machine
served by gdbstub/); each case starts it, drives a scripted
`gdb-multiarch -batch` session against it and checks what gdb printed.

  session    TCP: threads, registers (general, CSR, FP, priv), memory read
             and write, thread switch, monitor, stepi, a breakpoint, a
             watchpoint, reverse-stepi and reverse-continue, detach
  interrupt  Unix socket: continue, then Ctrl-C (SIGINT to gdb, which
             sends 0x03), then detach
"""
import functools
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import need_tool, run_case  # noqa: E402

FAKE = sys.argv[1]
CASE = sys.argv[2]
GDB = "gdb-multiarch"
check = functools.partial(rvtest.check, lines=None)  # all of gdb's output


def start_target(spec):
    p = subprocess.Popen([FAKE, spec], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stdout.readline().decode()
    if not line.startswith("port "):
        p.kill()
        print("FAIL: fake_target did not start: " + line + p.stderr.read().decode())
        sys.exit(1)
    return p, int(line.split()[1])


def gdb_args(target, commands):
    args = [GDB, "-batch", "-nx", "-ex", "set architecture riscv:rv64",
            "-ex", "set pagination off", "-ex", "target remote " + target]
    for c in commands:
        args += ["-ex", c]
    return args


def finish_target(p):
    try:
        status = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        status = "hung"
    check(status == 0, f"fake_target exits 0 after gdb leaves (got {status}; stderr: "
          f"{p.stderr.read().decode().strip()})")


def case_session():
    p, port = start_target("tcp:127.0.0.1:0")
    cmds = [
        "info threads",
        "info registers pc",
        "p $sstatus",
        "p/x $misa",
        "p $priv",
        "p $fcsr",
        "x/4xw 0x80000000",
        "set *(int*)0x80000010 = 5",
        "x/1dw 0x80000010",
        "thread 2",
        "p $a0",
        "monitor icount",
        "stepi",
        "echo STEP:\\n",
        "info registers pc",
        "break *0x80000100",
        "continue",
        "echo BREAK:\\n",
        "info registers pc",
        "reverse-stepi",
        "echo RSTEP:\\n",
        "info registers pc",
        "delete",
        "watch *(int*)0x80001000",
        "continue",
        "reverse-continue",
        "delete",
        "reverse-continue",
        "detach",
    ]
    r = subprocess.run(gdb_args(f"127.0.0.1:{port}", cmds), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    out = r.stdout.decode(errors="replace")
    lines = out.splitlines()
    check(r.returncode == 0, f"gdb exits 0 (got {r.returncode})", out)
    check(any("Thread 1 (hart 0, fake" in l for l in lines) and
          any("Thread 2 (hart 1, fake" in l for l in lines),
          "info threads lists 2 harts with their extra info", out)
    check(any(l.startswith("pc ") and "0x80000000" in l for l in lines),
          "info registers pc shows the reset pc", out)
    check("= 9223372045444734976" in out, "p $sstatus reads the CSR", out)
    check("= 0x800000000014112d" in out, "p/x $misa reads the CSR", out)
    check(any(l.endswith("= 1") for l in lines), "p $priv reads S-mode", out)
    check("0x80000000:\t0x00000013\t0x00000013\t0x00000013\t0x00000013" in out,
          "x/4xw reads memory", out)
    check("0x80000010:\t5" in out, "a value written with set reads back", out)
    check("[Switching to thread 2 (Thread 2)]" in out, "thread 2 switches harts", out)
    check("icount 0 (hart 1)" in out, "monitor icount answers for the current hart", out)
    after = lambda tag: out.split(tag, 1)[1].splitlines()[1] if tag in out else ""
    check("0x80000004" in after("STEP:"), "stepi advances hart 1 by one instruction", out)
    check("hit Breakpoint 1, 0x0000000080000100" in out, "continue stops at the breakpoint",
          out)
    check("0x80000100" in after("BREAK:"), "pc is the breakpoint address", out)
    check("0x800000fc" in after("RSTEP:"), "reverse-stepi goes back one instruction", out)
    # The counter starts as 19 (0x13, from the nops filling memory) and
    # ticks every 100 instructions; the breakpoint run already ticked it.
    check("Hardware watchpoint 2: *(int*)0x80001000" in out and
          "Old value = 20\nNew value = 21" in out, "a write watchpoint fires forwards", out)
    check("Old value = 21\nNew value = 20" in out, "the watchpoint fires in reverse", out)
    check("No more reverse-execution history." in out,
          "reverse-continue stops at the start of history", out)
    check("[Inferior 1 (Remote target) detached]" in out, "detach", out)
    finish_target(p)


def case_interrupt():
    # Bazel's TEST_TMPDIR can be longer than a Unix socket path may be.
    sock = os.path.join(tempfile.mkdtemp(prefix="gdbstub", dir="/tmp"), "gdb.sock")
    p, _ = start_target("unix:" + sock)
    check(oct(os.stat(sock).st_mode & 0o777) == "0o600", "the Unix socket is private")
    g = subprocess.Popen(gdb_args(sock, ["continue", "echo AFTER:\\n", "info threads",
                                         "detach"]),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    time.sleep(2)
    g.send_signal(signal.SIGINT)
    try:
        out = g.communicate(timeout=60)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        g.kill()
        out = g.communicate()[0].decode(errors="replace")
    check(g.returncode == 0, f"gdb exits 0 (got {g.returncode})", out)
    check("received signal SIGINT, Interrupt." in out, "Ctrl-C stops the running target", out)
    check("AFTER:" in out and "Thread 2" in out.split("AFTER:")[1],
          "the session goes on after the interrupt", out)
    check("detached" in out, "detach", out)
    finish_target(p)
    check(not os.path.exists(sock), "the Unix socket is removed when the stub closes")


CASES = {"session": case_session, "interrupt": case_interrupt}

need_tool(GDB)
run_case(CASES, CASE)
