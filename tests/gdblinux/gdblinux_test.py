#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gdb-multiarch against Linux on Retrovisor: the acceptance tests of the
issue "GDB stub for guest kernels, with reverse execution", one case per
Bazel target (gdblinux_test.py RETROVISOR CASE).

The guest is the project-built kernel (tools/build-kernel), whose vmlinux
with DWARF lies next to its Image, with the busybox initramfs of
tools/fetch-guest; tools/test passes their paths in RV_BUILT_KERNEL and
RV_GUEST_INITRAMFS. The initramfs's /init runs rv.cmd="..." from the kernel
command line and powers off, so every run ends by itself.

Each case starts retrovisor with `--gdb tcp:127.0.0.1:0` (the stub prints
the port it got on stderr), drives `gdb-multiarch -batch -nx -x SCRIPT
vmlinux` against it and checks what gdb printed, then that the machine
itself ended as it should. Where gdb only stepped backwards (and never
forwards again over the same code), the guest's console output must show
each line once: a reverse step's re-execution is not new output.

  boot              4 harts: break start_kernel, bt, p init_task.comm,
                    info threads, monitor info harts, run to the end
  watch             watch jiffies fires twice with New = Old + 1; rwatch
  reverse_stepi     1,000 stepi then 1,000 reverse-stepi in a plain run:
                    every register and the machine's position equal, in
                    reverse order, those seen going forward
  reverse_stepi_replay
                    the same in a replay of a recording (replay --gdb)
  reverse_stepi_smp the same with 2 harts, in a replay
  reverse_continue  schedule hit 3 times, reverse-continue stops at the 2nd
                    and the 1st hit (same positions); reverse-finish; a
                    watchpoint in reverse; monitor snapshot/restore; then
                    a reverse-continue across checkpoints to a breakpoint
                    the session had stopped at going forwards
  writes            gdb writes memory and a register in a recording; the
                    guest prints the changed kernel release; replay
                    without gdb matches; a replay under gdb shows the values
  record_reverse    reverse execution while recording: back and forth near
                    the end, back to the start of history, and back over a
                    write; each recording replays, a write survives
  malformed         a gdb killed with SIGKILL (while the machine runs and
                    while it is halted) leaves the machine running to its
                    end; another gdb attaches to the running machine and
                    Ctrl-C interrupts it
  lx_helpers        tools/gdb (Linux's own lx-* helpers loaded) at
                    kernel_power_off: lx-version is the kernel's banner
                    and release, lx-ps lists swapper/0, init and kthreadd,
                    lx-dmesg holds the boot log from its banner on,
                    lx-lsmod an empty module list (modules are off); then
                    the same in a replay of a recording (replay --gdb, over
                    a Unix socket), which shows exactly the same
  paced_interrupt   with --clock realtime, Ctrl-C in gdb stops a guest that
                    waits out a paced `sleep 30` at once, not at its timer
  gdb_tool          tools/gdb refuses a bad port and a cache without the
                    kernel with one line (status 2)
"""
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, env_path, finish, need, need_tool  # noqa: E402

RV = os.path.abspath(sys.argv[1])
CASE = sys.argv[2]
GDB = "gdb-multiarch"
SETUP = "tools/setup and tools/build-kernel"
check = functools.partial(rvtest.check, lines=60)


KERNEL = env_path("RV_BUILT_KERNEL", SETUP)
INITRAMFS = env_path("RV_GUEST_INITRAMFS", SETUP)
VMLINUX = need(os.path.join(os.path.dirname(KERNEL), "vmlinux"),
               "the built kernel's vmlinux, with DWARF,", SETUP)
need_tool(GDB)


def guest_opts(cmd="echo gdblinux-done", harts=1):
    return ["--kernel", KERNEL, "--initrd", INITRAMFS,
            "--append", f'console=ttyS0 quiet rv.cmd="{cmd}"',
            "--harts", str(harts), "--rtc", "1767225600", "--watchdog", "120"]


class Machine:
    """A retrovisor process with its stdout and stderr in files."""

    def __init__(self, name, args, gdb=True, paused=True):
        self.name = name
        self.out_path = os.path.join(TMP, name + ".out")
        self.err_path = os.path.join(TMP, name + ".err")
        if gdb:
            args = args + ["--gdb", "tcp:127.0.0.1:0"] + (["--paused"] if paused else [])
        self.p = subprocess.Popen([RV, *args], stdin=subprocess.DEVNULL,
                                  stdout=open(self.out_path, "wb"),
                                  stderr=open(self.err_path, "wb"))
        self.port = None
        if gdb:
            deadline = time.time() + 30
            while time.time() < deadline and self.p.poll() is None:
                m = re.search(r"gdb stub listening on 127\.0\.0\.1:(\d+)", self.err())
                if m:
                    self.port = int(m.group(1))
                    break
                time.sleep(0.05)
            if self.port is None:
                self.p.kill()
                self.p.wait()
                print(f"FAIL: {name}: the gdb stub did not start: {self.err().strip()}")
                sys.exit(1)

    def out(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode(errors="replace").replace("\r", "")

    def err(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")

    def finish(self, timeout=120):
        """The exit status ("hung" if it did not end in time)."""
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return "hung"

    def ended_cleanly(self, what, timeout=120, expect_out="gdblinux-done"):
        status = self.finish(timeout)
        out = self.out()
        check(status == 0, f"{what}: retrovisor exits 0 (got {status}; stderr: "
              f"{self.err().strip()[-400:]})", out)
        check(expect_out in out and "retrovisor-guest: exit status 0" in out,
              f"{what}: the guest ran its command to the end", out)
        return out


def console_once(out, what):
    """A reverse step re-executes guest code from a checkpoint; what the
    guest printed there must not appear again (for sessions that never go
    forwards over code they went back over)."""
    lines = [l for l in out.splitlines() if l.strip()]
    dup = sorted({l for l in lines if lines.count(l) > 1})
    check(not dup, f"{what}: re-execution does not print the guest's console output again "
          f"({len(lines)} lines, repeated: {dup[:3]})")


def gdb_script(port, body):
    return ("set pagination off\nset confirm off\nset width 0\nset height 0\n"
            "set architecture riscv:rv64\n"
            f"target remote 127.0.0.1:{port}\n" + body)


def gdb_start(port, body, name):
    """gdb-multiarch running a script; its output goes to TMP/name.log."""
    path = os.path.join(TMP, name + ".gdb")
    with open(path, "w") as f:
        f.write(gdb_script(port, body))
    g = subprocess.Popen([GDB, "-batch", "-nx", "-x", path, VMLINUX],
                         stdin=subprocess.DEVNULL,
                         stdout=open(os.path.join(TMP, name + ".log"), "wb"),
                         stderr=subprocess.STDOUT, start_new_session=True)
    g.log = os.path.join(TMP, name + ".log")
    return g


def gdb_output(g):
    with open(g.log, "rb") as f:
        return f.read().decode(errors="replace")


def gdb_wait_for(g, text, timeout=60):
    """Wait until gdb printed text; False if it did not in time."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in gdb_output(g):
            return True
        if g.poll() is not None:
            return text in gdb_output(g)
        time.sleep(0.05)
    return False


def gdb_wait(g, timeout):
    try:
        g.wait(timeout=timeout)
        return g.returncode, gdb_output(g)
    except subprocess.TimeoutExpired:
        g.kill()
        g.wait()
        return g.returncode, gdb_output(g) + "\n[gdblinux: gdb TIMED OUT and was killed]\n"


def gdb(port, body, name, timeout=150):
    status, out = gdb_wait(gdb_start(port, body, name), timeout)
    check(status == 0 and "TIMED OUT" not in out,
          f"{name}: gdb ends by itself with status 0 (got {status})", out)
    return out


def positions(out):
    """The positions `monitor icount` printed, in order."""
    return [int(p) for p in re.findall(r"instructions retired in all; hart \d+: \d+ "
                                       r"\(position (\d+)\)", out)]


def tagged(out, tag):
    """The line after `echo TAG:\\n`."""
    lines = out.split(tag + ":\n", 1)
    return lines[1].splitlines()[0] if len(lines) == 2 and lines[1] else ""


def case_boot():
    m = Machine("boot", ["run", *guest_opts(harts=4)])
    out = gdb(m.port, """
break start_kernel
continue
bt
p init_task.comm
info threads
monitor info harts
thread 2
echo T2PC:\\n
p/x $pc
thread 1
echo T1PC:\\n
p $pc
delete
continue
""", "boot")
    check(re.search(r"Thread 1 hit Breakpoint 1, start_kernel \(\) at .*init/main\.c", out),
          "continue stops at the breakpoint on start_kernel", out)
    check(re.search(r"^#0  start_kernel \(\) at .*init/main\.c:\d+", out, re.M),
          "bt shows start_kernel with its source line", out)
    check(re.search(r"^#1  .* in _start_kernel \(\)", out, re.M), "bt shows the caller", out)
    check(re.search(r'^\$1 = "swapper', out, re.M), 'p init_task.comm is "swapper"', out)
    threads = re.findall(r"^\*?\s+(\d)\s+Thread \1 \(hart (\d)", out, re.M)
    check([(t, h) for t, h in threads] == [("1", "0"), ("2", "1"), ("3", "2"), ("4", "3")],
          "info threads lists the 4 harts as threads 1-4", out)
    harts = re.findall(r"^[ *] hart (\d): pc 0x[0-9a-f]{16}, ", out, re.M)
    check(harts == ["0", "1", "2", "3"], "monitor info harts lists 4 harts", out)
    check("0x80200000" in tagged(out, "T2PC"), "thread 2 (a hart not yet started) is at the "
          "kernel entry", out)
    check("<start_kernel>" in tagged(out, "T1PC"), "thread 1 is back at start_kernel", out)
    check("[Inferior 1 (Remote target) exited normally]" in out,
          "after delete and continue the machine runs to its end", out)
    gout = m.ended_cleanly("boot")
    check("4 harts)" in gout, "the guest came up with 4 harts", gout)


def case_schedlock():
    """Continue and step per hart: with scheduler locking on, stepping
    thread 2 holds hart 0 (its instruction count does not move); with it
    off the scheduler runs every hart (whether hart 0 gets instructions
    during one step depends on where the round is), and the machine runs
    to its end."""
    m = Machine("schedlock", ["run", *guest_opts(harts=2)])
    out = gdb(m.port, """
break do_idle
continue
delete
set scheduler-locking on
thread 2
echo H0:\\n
monitor info harts
stepi
stepi
stepi
echo H1:\\n
monitor info harts
set scheduler-locking off
stepi
echo H2:\\n
monitor info harts
continue
""", "schedlock")
    def counts(tag):
        i = out.find(tag + ":")
        part = out[i:] if i >= 0 else ""
        return [int(n) for n in re.findall(r"hart \d: pc 0x[0-9a-f]+, .*?, (\d+) instructions",
                                           part)[:2]]
    h0, h1, h2 = counts("H0"), counts("H1"), counts("H2")
    check(len(h0) == 2 and len(h1) == 2 and len(h2) == 2, "monitor info harts three times", out)
    if len(h0) == 2 and len(h1) == 2 and len(h2) == 2:
        check(h1[0] == h0[0], f"hart 0 held while thread 2 stepped ({h0[0]} -> {h1[0]})", out)
        check(h1[1] == h0[1] + 3, f"hart 1 made 3 steps ({h0[1]} -> {h1[1]})", out)
        check(h2[1] == h1[1] + 1, f"unlocked, a step is still one step of hart 1 ({h2[1]})",
              out)
    m.ended_cleanly("schedlock")


def case_watch():
    m = Machine("watch", ["run", *guest_opts()])
    out = gdb(m.port, """
break start_kernel
continue
delete
watch jiffies
continue
continue
delete
rwatch jiffies
continue
delete
continue
""", "watch")
    hits = re.findall(r"Hardware watchpoint 2: jiffies\s+Old value = (\d+)\s+New value = (\d+)",
                      out)
    check(len(hits) == 2, "the write watchpoint on jiffies fires twice", out)
    if len(hits) == 2:
        (o1, n1), (o2, n2) = [(int(a), int(b)) for a, b in hits]
        check(n1 == o1 + 1 and n2 == o2 + 1, "each hit shows New value = Old value + 1", out)
        check(o2 == n1, "the second hit starts where the first ended", out)
    check(re.search(r"Hardware read watchpoint 3: jiffies\s+Value = \d+", out),
          "a read watchpoint on jiffies fires", out)
    check("[Inferior 1 (Remote target) exited normally]" in out, "the run goes on to its end",
          out)
    m.ended_cleanly("watch")


# Forward stepi N times recording the registers and the position, then
# reverse-stepi N times comparing with the records in reverse order, then
# forward again a few steps (re-execution of the same history).
RSTEP_PY = """
python
import re
N = %(n)d
def state():
    regs = gdb.execute("info registers", to_string=True)
    pos = gdb.execute("monitor icount", to_string=True)
    m = re.search(r"position (\\d+)", pos)
    return regs, m.group(1) if m else pos
fw = [state()]
for i in range(N):
    gdb.execute("stepi", to_string=True)
    fw.append(state())
moved = len(set(s[0] for s in fw))
bad = []
for i in range(N):
    gdb.execute("reverse-stepi", to_string=True)
    s = state()
    if s != fw[N - 1 - i]:
        bad.append(i + 1)
again = 0
for i in range(1, 11):
    gdb.execute("stepi", to_string=True)
    if state() != fw[i]:
        again += 1
print("RSTEP steps=%%d distinct=%%d mismatches=%%d first=%%s again_mismatches=%%d "
      "start=%%s end=%%s" %% (N, moved, len(bad), bad[0] if bad else "-", again,
                             fw[0][1], fw[N][1]))
if bad:
    i = bad[0]
    print("FORWARD:\\n" + fw[N - i][0] + fw[N - i][1])
    gdb.execute("reverse-stepi", to_string=True)
end
"""


def reverse_stepi_session(port, name, where="free_initmem", n=1000):
    out = gdb(port, f"""
break {where}
continue
delete
""" + RSTEP_PY % {"n": n} + """
continue
""", name, timeout=240)
    m = re.search(r"RSTEP steps=(\d+) distinct=(\d+) mismatches=(\d+) first=(\S+) "
                  r"again_mismatches=(\d+) start=(\d+) end=(\d+)", out)
    check(m is not None, f"{name}: the stepping script ran", out)
    if not m:
        return out
    check(int(m.group(2)) > n // 2, f"{name}: stepi {n} times went through distinct states "
          f"({m.group(2)})", out)
    check(int(m.group(7)) - int(m.group(6)) >= n, f"{name}: the position advanced by at least "
          f"{n} ({m.group(6)} to {m.group(7)})", out)
    check(m.group(3) == "0", f"{name}: each of {n} reverse-stepi returned to exactly the "
          f"registers and position seen going forward (mismatches: {m.group(3)}, first at "
          f"reverse step {m.group(4)})", out)
    check(m.group(5) == "0", f"{name}: stepping forward again retraces the same states", out)
    check("[Inferior 1 (Remote target) exited normally]" in out,
          f"{name}: the run goes on to its end", out)
    return out


def case_reverse_stepi():
    m = Machine("rstep", ["run", *guest_opts()])
    reverse_stepi_session(m.port, "reverse_stepi")
    console_once(m.ended_cleanly("plain run"), "plain run")


def record(name, harts=1):
    log = os.path.join(TMP, name + ".rlog")
    m = Machine(name + "-record", ["record", "--log", log, *guest_opts(harts=harts)],
                gdb=False)
    m.ended_cleanly("recording")
    return log


def case_reverse_stepi_replay():
    log = record("rstep-replay")
    m = Machine("rstep-replay", ["replay", log, "--trust-stored-paths"])
    reverse_stepi_session(m.port, "reverse_stepi_replay")
    console_once(m.ended_cleanly("replay under gdb"), "replay under gdb")
    check("replay matched the recording" in m.err(), "the replay under gdb matched the "
          f"recording ({m.err().strip()[-300:]})")


def case_reverse_stepi_smp():
    log = record("rstep-smp", harts=2)
    m = Machine("rstep-smp", ["replay", log, "--trust-stored-paths"])
    # kernel_init runs on hart 0 while hart 1 is up and idling.
    reverse_stepi_session(m.port, "reverse_stepi_smp", n=300)
    console_once(m.ended_cleanly("2-hart replay under gdb"), "2-hart replay under gdb")
    check("replay matched the recording" in m.err(), "the 2-hart replay under gdb matched "
          f"the recording ({m.err().strip()[-300:]})")


def case_reverse_continue():
    m = Machine("rcont", ["run", *guest_opts()])
    out = gdb(m.port, """
break schedule
continue
monitor icount
continue
monitor icount
continue
monitor icount
echo REV1:\\n
reverse-continue
monitor icount
echo REV2:\\n
reverse-continue
monitor icount
delete
break kernel_execve
continue
monitor icount
monitor snapshot execve
echo RFINISH:\\n
reverse-finish
echo FRAME:\\n
frame
delete
break do_idle
continue
monitor icount
delete
watch jiffies
echo REVWATCH:\\n
reverse-continue
monitor icount
delete
echo RESTORE:\\n
monitor restore execve
monitor icount
maintenance flush register-cache
frame
continue
""", "reverse_continue", timeout=240)
    pos = positions(out)
    check(len(pos) == 9, f"monitor icount answered 9 times ({pos})", out)
    if len(pos) >= 5:
        check(pos[0] < pos[1] < pos[2], "three forward hits of schedule at increasing "
              "positions", out)
        check(pos[3] == pos[1], f"reverse-continue stops at the 2nd hit (position {pos[3]}, "
              f"expected {pos[1]})", out)
        check(pos[4] == pos[0], f"reverse-continue again stops at the 1st hit (position "
              f"{pos[4]}, expected {pos[0]})", out)
    rev1 = out.split("REV1:", 1)[-1].split("RFINISH:", 1)[0]
    check(len(re.findall(r"Breakpoint 1, schedule \(\)", rev1)) == 2,
          "gdb reports both reverse stops as Breakpoint 1 in schedule", out)
    rf = out.split("RFINISH:", 1)[-1].split("REVWATCH:", 1)[0]
    check(re.search(r"FRAME:\n#0  0x[0-9a-f]+ in (run_init_process|try_to_run_init_process|"
                    r"kernel_init) ", rf),
          "reverse-finish from kernel_execve stops at the call in its caller", out)
    rw = out.split("REVWATCH:", 1)[-1].split("RESTORE:", 1)[0]
    w = re.search(r"Hardware watchpoint \d+: jiffies\s+Old value = (\d+)\s+New value = (\d+)",
                  rw)
    check(w and int(w.group(1)) == int(w.group(2)) + 1,
          "a watchpoint on jiffies fires in reverse (Old value = New value + 1)", out)
    if len(pos) == 9:
        check(pos[5] < pos[7] < pos[6], "the reverse watchpoint stop lies between "
              f"kernel_execve and do_idle ({pos[5]} < {pos[7]} < {pos[6]})", out)
    rs = out.split("RESTORE:", 1)[-1]
    # gdb cannot know that a monitor command changed the registers:
    # the script flushes its register cache.
    check("restored 'execve'" in rs and re.search(r"#0  kernel_execve \(", rs),
          "monitor restore goes back to the snapshot taken at kernel_execve", out)
    if len(pos) == 9:
        check(pos[8] == pos[5], f"at the same position ({pos[8]}, {pos[5]})", out)
    check("[Inferior 1 (Remote target) exited normally]" in out, "the run goes on to its end",
          out)
    # (This session goes forwards again over code it went back over, which
    # may print again: no console_once here.)
    m.ended_cleanly("reverse_continue")

    # Far back: over checkpoints, to a breakpoint the session stopped at
    # before (going forwards) and set again.
    m = Machine("rcont-far", ["run", *guest_opts()])
    out = gdb(m.port, """
break free_initmem
continue
monitor icount
delete
break do_idle
continue
monitor icount
break free_initmem
echo REVFAR:\\n
reverse-continue
monitor icount
p $pc
delete
continue
""", "reverse_continue_far", timeout=240)
    pos = positions(out)
    check(len(pos) == 3, f"monitor icount answered 3 times ({pos})", out)
    if len(pos) == 3:
        check(pos[0] + 10_000_000 < pos[1], "do_idle is hit far (>10^7 events) after "
              f"free_initmem ({pos[0]}, {pos[1]})", out)
        check(pos[2] == pos[0], "reverse-continue across checkpoints stops at the earlier "
              f"hit of free_initmem (position {pos[2]}, expected {pos[0]})", out)
    far = out.split("REVFAR:", 1)[-1]
    check(re.search(r"Breakpoint \d+(\.\d+)?, free_initmem \(\)", far) and
          "<free_initmem" in far, "gdb reports the breakpoint in free_initmem", out)
    check("[Inferior 1 (Remote target) exited normally]" in out, "the run goes on to its end",
          out)
    m.ended_cleanly("reverse_continue far")


def case_writes():
    log = os.path.join(TMP, "writes.rlog")
    m = Machine("writes-record", ["record", "--log", log, *guest_opts()])
    out = gdb(m.port, """
break start_kernel
continue
delete
set var init_uts_ns.name.release[0] = '7'
set $t3 = 0x5eed1234
echo T3:\\n
p/x $t3
break kernel_power_off
continue
echo REL:\\n
p init_uts_ns.name.release
delete
continue
""", "writes-record")
    check("0x5eed1234" in tagged(out, "T3"), "a register written at start_kernel reads back",
          out)
    check('"7.1.' in tagged(out, "REL"), "the kernel release written at start_kernel is "
          "still there at kernel_power_off", out)
    rec = m.ended_cleanly("recording under gdb")
    check("init ok (kernel 7.1." in rec, "the guest prints the release gdb wrote", rec)

    plain = Machine("writes-replay", ["replay", log, "--trust-stored-paths"], gdb=False)
    pout = plain.ended_cleanly("replay without gdb")
    check("replay matched the recording" in plain.err(), "the replay without gdb matches the "
          f"recording ({plain.err().strip()[-300:]})", pout)
    check("init ok (kernel 7.1." in pout, "the replay prints the release gdb wrote", pout)

    m = Machine("writes-replay-gdb", ["replay", log, "--trust-stored-paths"])
    out = gdb(m.port, """
break start_kernel
continue
echo REL1:\\n
p init_uts_ns.name.release
echo T3:\\n
p/x $t3
delete
break kernel_power_off
continue
echo REL2:\\n
p init_uts_ns.name.release
delete
continue
""", "writes-replay-gdb")
    check('"7.1.' in tagged(out, "REL1") and "0x5eed1234" in tagged(out, "T3"),
          "a replay under gdb shows the memory and register gdb wrote, at the same place",
          out)
    check('"7.1.' in tagged(out, "REL2"), "a replay under gdb shows the written release at "
          "kernel_power_off", out)
    m.ended_cleanly("replay under gdb")
    check("replay matched the recording" in m.err(), "the replay under gdb matches "
          f"({m.err().strip()[-300:]})")


def record_under_gdb(name, body, once=True):
    """Record under gdb running body; replay the log without gdb. once:
    gdb never goes forwards over code it went back over, so the console
    must show every line once."""
    log = os.path.join(TMP, name + ".rlog")
    m = Machine(name, ["record", "--log", log, *guest_opts()])
    out = gdb(m.port, body, name)
    rec = m.ended_cleanly(name + ": recording")
    if once:
        console_once(rec, name + ": recording")
    plain = Machine(name + "-replay", ["replay", log, "--trust-stored-paths"], gdb=False)
    status = plain.finish()
    check(status == 0 and "replay matched the recording" in plain.err(),
          f"{name}: the recording replays (status {status}: "
          f"{plain.err().strip()[:400]})")
    return out, rec, plain.out()


def case_record_reverse():
    # Back and forth within the last stretch of a recording.
    record_under_gdb("near", """
break free_initmem
continue
delete
python
for i in range(50):
    gdb.execute("stepi", to_string=True)
for i in range(50):
    gdb.execute("reverse-stepi", to_string=True)
end
continue
""")
    # Back to the start of history, far behind the log's last digest, then
    # forward again to the end.
    out, _, _ = record_under_gdb("far", """
break do_idle
continue
delete
monitor icount
reverse-continue
monitor icount
continue
""", once=False)
    pos = positions(out)
    check(len(pos) == 2 and pos[1] + 10_000_000 < pos[0],
          f"far: reverse-continue went back more than 10^7 events ({pos})", out)
    # A write, one step forward and one back: the machine is where the
    # write was made, which must still be there.
    out, rec, rep = record_under_gdb("write-back", """
break free_initmem
continue
delete
set var init_uts_ns.name.release[0] = '9'
stepi
reverse-stepi
echo REL:\\n
p init_uts_ns.name.release
continue
""")
    check('"9.1.' in tagged(out, "REL"), "write-back: after stepi and reverse-stepi the "
          "memory gdb wrote still holds its value", out)
    check("init ok (kernel 9.1." in rec, "write-back: the recorded guest prints the release "
          "gdb wrote", rec)
    # The same in a plain run.
    m = Machine("write-back-run", ["run", *guest_opts()])
    out = gdb(m.port, """
break free_initmem
continue
delete
set var init_uts_ns.name.release[0] = '9'
stepi
reverse-stepi
echo REL:\\n
p init_uts_ns.name.release
continue
""", "write-back-run")
    check('"9.1.' in tagged(out, "REL"), "write-back-run: in a plain run too", out)
    m.ended_cleanly("write-back-run")


def case_malformed():
    # About 6*10^9 instructions of guest work (about 10 s with the JIT on
    # an idle host, 40 s interpreted): long enough for three gdbs, each
    # started only once the one before is done. (A quarter of it ended
    # before the second gdb's Ctrl-C under the JIT.)
    cmd = "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done; echo gdblinux-done $i"
    m = Machine("malformed", ["run", *guest_opts(cmd)])
    g1 = gdb_start(m.port, "monitor icount\ncontinue\n", "gdb1")
    # A script's continue prints nothing: its monitor command comes just
    # before.
    check(gdb_wait_for(g1, "(position "), "the first gdb attaches and lets the machine run",
          gdb_output(g1))
    time.sleep(1)
    g1.kill()  # SIGKILL while the machine runs
    g1.wait()
    time.sleep(0.5)
    check(m.p.poll() is None, "retrovisor runs on after a gdb was killed while it ran",
          m.err())

    g2 = gdb_start(m.port, """
echo ATTACHED:\\n
monitor icount
continue
echo AFTER:\\n
monitor icount
info threads
detach
""", "gdb2")
    check(gdb_wait_for(g2, "(position "), "a second gdb attaches to the running machine "
          "and continues it", gdb_output(g2))
    time.sleep(2)
    g2.send_signal(signal.SIGINT)  # Ctrl-C: gdb sends 0x03
    status, out = gdb_wait(g2, 60)
    check(status == 0, f"the second gdb ends with 0 (got {status})", out)
    check(re.search(r"received signal SIGINT|stopped", out),
          "Ctrl-C interrupts the running machine", out)
    pos = positions(out)
    check(len(pos) == 2 and 0 < pos[0] < pos[1],
          f"the machine ran under the killed gdb and between attaching and Ctrl-C "
          f"(positions {pos})", out)
    check("Thread 1 (hart 0" in out.split("AFTER:")[-1], "the session works after Ctrl-C",
          out)

    g3 = gdb_start(m.port, "monitor icount\nshell sleep 60\n", "gdb3")
    check(gdb_wait_for(g3, "(position "), "a third gdb attaches", gdb_output(g3))
    g3.kill()  # SIGKILL while the machine is halted under it
    _, out3 = gdb_wait(g3, 30)
    pos3 = positions(out3)
    check(len(pos3) == 1 and pos and pos3[0] > pos[-1],
          f"the machine ran on after the second gdb detached ({pos3})", out3)
    m.ended_cleanly("after gdbs were killed", timeout=300)


TOOL_GDB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "gdb")
# --cache-dir as tools/build-kernel takes it: RV_BUILT_KERNEL is DIR/kernel/Image.
KERNEL_CACHE = os.path.dirname(os.path.dirname(KERNEL))
LX_SCRIPT = ["-batch", "-nx", "-ex", "break kernel_power_off", "-ex", "continue",
             "-ex", "echo LX-VERSION:\\n", "-ex", "lx-version",
             "-ex", "echo LX-PS:\\n", "-ex", "lx-ps",
             "-ex", "echo LX-DMESG:\\n", "-ex", "lx-dmesg",
             "-ex", "echo LX-LSMOD:\\n", "-ex", "lx-lsmod",
             "-ex", "echo LX-END:\\n", "-ex", "delete", "-ex", "continue"]


def tool_gdb(args, name, timeout=150):
    """tools/gdb with args; (status, output), also in TMP/name.log."""
    log = os.path.join(TMP, name + ".log")
    with open(log, "wb") as f:
        p = subprocess.Popen([TOOL_GDB, "--cache-dir", KERNEL_CACHE, *args],
                             stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    with open(log, "rb") as f:
        return p.returncode, f.read().decode(errors="replace")


def lx_sections(out):
    """What each lx-* command printed, by the echo markers around them."""
    parts = {}
    for tag, nxt in (("LX-VERSION", "LX-PS"), ("LX-PS", "LX-DMESG"), ("LX-DMESG", "LX-LSMOD"),
                     ("LX-LSMOD", "LX-END")):
        m = re.search(tag + r":\n(.*?)" + nxt + ":\n", out, re.S)
        parts[tag] = m.group(1) if m else ""
    return parts


def lx_check(what, out, release):
    status_ok = "[Inferior 1 (Remote target) exited normally]" in out
    check(status_ok, f"{what}: gdb stopped at kernel_power_off and ran the machine to its end",
          out)
    check("Python Exception" not in out and "Error occurred" not in out,
          f"{what}: the Linux helpers ran without errors", out)
    p = lx_sections(out)
    version = p["LX-VERSION"].strip()
    check(version.startswith(f"Linux version {release} ("),
          f"{what}: lx-version is the kernel's banner with release {release}", out)
    tasks = re.findall(r"^0x[0-9a-f]+\s+(\d+)\s+(\S+)$", p["LX-PS"], re.M)
    check(("0", "swapper/0") in tasks and ("1", "init") in tasks and ("2", "kthreadd") in tasks,
          f"{what}: lx-ps lists swapper/0 (0), init (1) and kthreadd (2) among "
          f"{len(tasks)} tasks", out)
    dmesg = p["LX-DMESG"].splitlines()
    check(dmesg and dmesg[0] == "[    0.000000] " + version,
          f"{what}: lx-dmesg starts with the banner lx-version printed", out)
    check(any(l.endswith("Machine model: riscv-virtio,retrovisor") for l in dmesg) and
          any(l.endswith("Run /init as init process") for l in dmesg),
          f"{what}: lx-dmesg holds the boot log (machine model, running /init)", out)
    lsmod = [l for l in p["LX-LSMOD"].splitlines() if l.strip()]
    check(len(lsmod) == 1 and lsmod[0].split() == ["Address", "Module", "Size", "Used", "by"],
          f"{what}: lx-lsmod prints its header and no module (the kernel has none)", out)
    return p


def case_lx_helpers():
    m = Machine("lx-run", ["run", *guest_opts()])
    status, out = tool_gdb(["--port", str(m.port), *LX_SCRIPT], "lx-run")
    check(status == 0, f"tools/gdb on a running guest exits 0 (got {status})", out)
    gout = m.ended_cleanly("run under tools/gdb")
    rel = re.search(r"init ok \(kernel (\S+),", gout)
    check(rel is not None, "the guest printed its release", gout)
    release = rel.group(1) if rel else "?"
    live = lx_check("running guest", out, release)

    log = record("lx")
    # A short path: a Unix socket's name holds at most 107 bytes.
    sock = os.path.join(tempfile.mkdtemp(prefix="rv-lx-"), "gdb.sock")
    r = Machine("lx-replay", ["replay", log, "--trust-stored-paths", "--gdb", "unix:" + sock,
                              "--paused"], gdb=False)
    deadline = time.time() + 30
    while time.time() < deadline and not os.path.exists(sock) and r.p.poll() is None:
        time.sleep(0.05)
    status, out = tool_gdb(["--unix", sock, *LX_SCRIPT], "lx-replay")
    check(status == 0, f"tools/gdb --unix on a replay exits 0 (got {status})", out)
    replayed = lx_check("replayed guest", out, release)
    r.ended_cleanly("replay under tools/gdb")
    shutil.rmtree(os.path.dirname(sock), ignore_errors=True)
    check("replay matched the recording" in r.err(), "the replay under tools/gdb matched "
          f"({r.err().strip()[-300:]})")
    check(replayed == live, "the replay shows exactly what the live run showed "
          "(lx-version, lx-ps, lx-dmesg, lx-lsmod)", out)


def case_paced_interrupt():
    m = Machine("paced", ["run", *guest_opts("echo sleeping-now; sleep 30; echo gdblinux-done"),
                          "--clock", "realtime"])
    g = gdb_start(m.port, "continue\necho STOPPED:\\n\nmonitor icount\nkill\n", "paced")
    deadline = time.time() + 120
    while time.time() < deadline and "sleeping-now" not in m.out():
        time.sleep(0.1)
    check("sleeping-now" in m.out(), "the paced guest started its sleep", m.out())
    time.sleep(1.5)
    t0 = time.time()
    g.send_signal(signal.SIGINT)
    stopped = gdb_wait_for(g, "(position ", timeout=30)
    took = time.time() - t0
    status, out = gdb_wait(g, 30)
    check(stopped and "SIGINT" in out, "Ctrl-C stops the machine during a paced wait", out)
    check(took < 2.0, f"at once ({took:.2f} s), not when the guest's timer is due", out)
    check(m.finish(30) != "hung", "gdb's kill ends the machine", m.err())


def case_gdb_tool():
    for args, want in ((["--port", "http"], "--port 'http': expected a TCP port"),
                       (["--port", "1", "--unix", "s"], "give one --port or --unix"),
                       (["--cache-dir", os.path.join(TMP, "none")],
                        "the project-built kernel is not built")):
        p = subprocess.run([TOOL_GDB, *args], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = p.stderr.splitlines()
        check(p.returncode == 2 and len(lines) == 1 and want in lines[0] and
              ("kernel" not in want or "run tools/setup" in lines[0]),
              f"tools/gdb {' '.join(args)}: one line, status 2 ({p.returncode}: "
              f"{p.stderr.strip()})")


CASES = {
    "lx_helpers": case_lx_helpers,
    "gdb_tool": case_gdb_tool,
    "paced_interrupt": case_paced_interrupt,
    "boot": case_boot,
    "watch": case_watch,
    "schedlock": case_schedlock,
    "reverse_stepi": case_reverse_stepi,
    "reverse_stepi_replay": case_reverse_stepi_replay,
    "reverse_stepi_smp": case_reverse_stepi_smp,
    "reverse_continue": case_reverse_continue,
    "writes": case_writes,
    "record_reverse": case_record_reverse,
    "malformed": case_malformed,
}

t0 = time.time()
CASES[CASE]()
print(f"({time.time() - t0:.1f} s)")
finish()
