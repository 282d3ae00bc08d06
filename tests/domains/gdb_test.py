#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gdb on the domains of `retrovisor up` (docs/domains.md, "Debugging a
domain"): gdb_test.py RETROVISOR GUEST. Two domains, alpha and beta, run
GUEST (tests/domains/gdbguest.c: a loop calling tick(), then power-off,
preserved); each has a stub of its own, driven by Debian's gdb-multiarch.

  digest    both domains with --paused stubs on 2 host threads: gdb
            attaches to each (beta's continues at once), sets a breakpoint
            on tick in alpha, stops there twice (reading a0 and the
            counter), lists the domains twice through the toolstack while
            stopped (the system stands still: beta's instructions do not
            move), is refused reverse-stepi with gdb's "not supported",
            stops on a watchpoint, on a conditional breakpoint (300 stops
            gdb resumes at once), steps, then runs to the end: both gdbs
            hear the target exit, and the consoles and the system digest
            after as many epochs are those of a run without gdb on 1 thread
  destroy   beta's gdb kills it (destroyed, one line says so); alpha's gdb,
            stopped at a breakpoint, sees its domain destroyed by `xl
            destroy` as the connection closing; up ends with status 0
  interrupt one stub on a Unix socket: gdb makes the loop endless, lets it
            run, Ctrl-C halts it, `xl quit` ends up (status 0)
  replay    a recording replayed with a stub on beta, stopped at a
            breakpoint and continued: the replay still matches the log
  refusals  --gdb on an unknown domain, a malformed address, a domain
            named twice, --paused without --gdb, --gdb with --record
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check, free_port, need_tool, run  # noqa: E402

RV = os.path.abspath(sys.argv[1])
GUEST = os.path.abspath(sys.argv[2])
GDB = "gdb-multiarch"
DIGEST = re.compile(r"system digest ([0-9a-f]{16}) after (\d+) epochs")
RTC = "1767225600"


def config():
    dom = ('name = "{}"\nkernel = "%s"\nbios = "none"\nmemory = 64\n'
           'on_poweroff = "preserve"\n' % GUEST)
    path = os.path.join(TMP, "two.cfg")
    with open(path, "w") as f:
        f.write("epoch_us = 100\n" + dom.format("alpha") + dom.format("beta"))
    return path


def logdir(name):
    d = os.path.join(TMP, name)
    os.makedirs(d, exist_ok=True)
    return d


def consoles(d):
    out = {}
    for name in ("alpha", "beta"):
        with open(os.path.join(d, name + ".console"), errors="replace") as f:
            out[name] = f.read()
    return out


def start_up(*args):
    """up ARGS in the background; returns once every stub listens."""
    p = subprocess.Popen([RV, "up", *args],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    want = args.count("--gdb")
    seen, err = 0, ""
    while seen < want:
        line = p.stderr.readline().decode(errors="replace")
        if not line:
            break
        err += line
        seen += "gdb stub listening on" in line
    check(seen == want, f"up starts {want} gdb stub(s)", err)
    return p, err


def finish_up(p, err, timeout=120):
    try:
        out, rest = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, rest = p.communicate()
    return p.returncode, out.decode(errors="replace"), err + rest.decode(errors="replace")


def gdb(target, cmds, background=False):
    args = [GDB, "-batch", "-nx", "-ex", "set pagination off", "-ex", "file " + GUEST,
            "-ex", "target remote " + target]
    for c in cmds:
        args += ["-ex", c]
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    return p if background else output(p)


def output(p, timeout=120):
    try:
        return p.communicate(timeout=timeout)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        p.kill()
        return p.communicate()[0].decode(errors="replace") + "\n(gdb timed out)"


def xl(sock, *args):
    return f"shell {RV} xl --control {sock} {' '.join(args)}"


def case_digest(cfg):
    plain = logdir("plain")
    st, out, err = run([RV, "up", cfg, "--log-dir", plain, "--rtc", RTC, "--control", "none",
                        "--print-digest", "--max-epochs", "100000"])
    want = DIGEST.search(out)
    check(st == 0 and want is not None, "up without gdb prints the system digest", out + err)
    sock = os.path.join(tempfile.mkdtemp(prefix="upgdb", dir="/tmp"), "ctl.sock")
    pa, pb = free_port(), free_port()
    logs = logdir("gdb")
    p, err = start_up(cfg, "--log-dir", logs, "--rtc", RTC, "--control", sock, "--print-digest",
                      "--max-epochs", "100000", "--threads", "2",
                      "--gdb", f"alpha=tcp:127.0.0.1:{pa}", "--gdb", f"beta=tcp:127.0.0.1:{pb}",
                      "--paused")
    gb = gdb(f"127.0.0.1:{pb}", ["info registers pc", "continue"], background=True)
    ga = gdb(f"127.0.0.1:{pa}", [
        "info registers pc", "break tick", "continue", "echo A0-FIRST:\\n", "p $a0",
        "continue", "echo A0-SECOND:\\n", "p $a0", "p *(unsigned long *)&counter",
        "echo LIST1:\\n", xl(sock, "list"), "shell sleep 0.5", "echo LIST2:\\n",
        xl(sock, "list"), "echo END-LISTS\\n", "reverse-stepi", "echo AFTER-REVERSE\\n",
        "delete", "watch *(unsigned long *)&counter", "continue", "delete",
        "break tick if $a0 == 300", "continue", "echo A0-COND:\n", "p $a0", "stepi", "stepi",
        "delete", "continue"
    ])
    outb = output(gb)
    st, out, err = finish_up(p, err)
    check(st == 0, f"up with two gdbs exits 0 (got {st})", err)
    check("pc             0x80000000" in ga, "gdb attached before the first epoch (pc at reset)",
          ga)
    after = lambda tag: ga.split(tag, 1)[1].splitlines()[1] if tag in ga else ""
    check("Breakpoint 1, 0x" in ga and "in tick ()" in ga, "a breakpoint in alpha stops it",
          ga)
    check(after("A0-FIRST:") == "$1 = 0" and after("A0-SECOND:") == "$2 = 1",
          "registers read at each stop (tick's argument 0, then 1)", ga)
    check("$3 = 1" in ga, "memory reads back (the counter after one tick)", ga)
    lists = [ga.split(a, 1)[1].split(b, 1)[0] if a in ga and b in ga else ""
             for a, b in (("LIST1:", "LIST2:"), ("LIST2:", "END-LISTS"))]
    beta = [re.search(r"beta +1 running +0 +(\d+)", t) for t in lists]
    check(all(beta) and beta[0].group(1) == beta[1].group(1) and int(beta[0].group(1)) > 0,
          "the toolstack answers while gdb holds alpha, and beta waits at the barrier "
          "(its instructions do not move)", "\n".join(lists))
    check("Target remote does not support this command." in ga and "AFTER-REVERSE" in ga,
          "reverse-stepi is refused as unsupported", ga)
    check("Old value = 1\nNew value = 5" in ga, "a watchpoint stops alpha at the next write",
          ga)
    check(after("A0-COND:").endswith(" = 300"),
          "a conditional breakpoint (alpha stopped and resumed 300 times) stops where it holds",
          ga)
    check("[Inferior 1 (Remote target) exited normally]" in ga and
          "[Inferior 1 (Remote target) exited normally]" in outb,
          "both gdbs hear their domain's end", ga + outb)
    got = DIGEST.search(out)
    check(got is not None and want is not None and got.groups() == want.groups(),
          "the system digest after as many epochs is the one without gdb",
          f"with gdb: {got and got.groups()}, without: {want and want.groups()}")
    con, con0 = consoles(logs), consoles(plain)
    check(con == con0 and "gdbguest counter" in con["alpha"],
          "both consoles are those of the run without gdb", str(con))


def case_destroy(cfg):
    sock = os.path.join(tempfile.mkdtemp(prefix="upgdb", dir="/tmp"), "ctl.sock")
    pa, pb = free_port(), free_port()
    p, err = start_up(cfg, "--log-dir", logdir("destroy"), "--control", sock, "--gdb",
                      f"alpha=tcp:127.0.0.1:{pa}", "--gdb", f"beta=tcp:127.0.0.1:{pb}",
                      "--paused")
    gb = gdb(f"127.0.0.1:{pb}", ["kill"])
    ga = gdb(f"127.0.0.1:{pa}", ["break tick", "continue", xl(sock, "destroy", "alpha"),
                                 "shell sleep 0.3", "info registers pc", "echo END\\n"])
    st, out, err = finish_up(p, err)
    check("[Inferior 1 (Remote target) killed]" in gb, "gdb kills beta", gb)
    check("domain 'beta' destroyed: gdb killed it" in err, "up says gdb killed beta", err)
    check("Breakpoint 1, 0x" in ga and "Remote connection closed" in ga,
          "alpha's gdb, at a breakpoint, sees the connection close when alpha is destroyed",
          ga)
    check("domain 'alpha' is gone: its gdb stub is closed" in err and
          "domain 'alpha' destroyed by the toolstack" in err,
          "up closes the stub of the destroyed domain", err)
    check(st == 0, f"up ends with status 0 when no domain is left (got {st})", err)


def case_interrupt(cfg):
    d = tempfile.mkdtemp(prefix="upgdb", dir="/tmp")
    sock, gsock = os.path.join(d, "ctl.sock"), os.path.join(d, "alpha.sock")
    p, err = start_up(cfg, "--log-dir", logdir("interrupt"), "--control", sock, "--gdb",
                      "alpha=unix:" + gsock, "--paused")
    g = gdb(gsock, ["set var *(unsigned long *)&iters = 1000000000000", "continue",
                    "echo AFTER:\\n", "p *(unsigned long *)&counter > 1000", xl(sock, "quit"),
                    "shell sleep 0.3"], background=True)
    time.sleep(2)
    g.send_signal(signal.SIGINT)
    out = output(g)
    st, _, err = finish_up(p, err)
    check("Program received signal SIGINT, Interrupt." in out, "Ctrl-C halts alpha", out)
    check("AFTER:" in out and "$1 = 1" in out.split("AFTER:")[1],
          "alpha ran its endless loop until then", out)
    check(st == 0 and "the toolstack asked to quit" in err,
          f"xl quit ends up while gdb holds alpha (status {st})", err)
    check(not os.path.exists(gsock), "the stub's Unix socket is removed")


def case_replay(cfg):
    log = os.path.join(TMP, "sys.log")
    st, out, err = run([RV, "up", cfg, "--log-dir", logdir("rec"), "--rtc", RTC, "--control",
                        "none", "--record", log])
    check(st == 0, f"up records the system (status {st})", err)
    port = free_port()
    p, err = start_up("--replay", log, "--log-dir", logdir("replay"), "--gdb",
                      f"beta=tcp:127.0.0.1:{port}", "--paused")
    g = gdb(f"127.0.0.1:{port}", ["break tick", "continue", "continue", "delete", "continue"])
    st, out, err = finish_up(p, err)
    check(g.count("Breakpoint 1, 0x") == 2 and "exited normally" in g,
          "gdb stops beta's replay twice and lets it end", g)
    check(st == 0 and "replay matched the log" in err,
          f"the replay under gdb still matches the log (status {st})", err)


def case_refusals(cfg):
    for args, want in [
        (["--gdb", "gamma"], "--gdb gamma: " + cfg + " defines no such domain"),
        (["--gdb", "alpha=localhost:1"], "expected NAME=tcp:[HOST]:PORT or NAME=unix:PATH"),
        (["--gdb", "alpha", "--gdb", "alpha=tcp::0"], "--gdb names domain 'alpha' twice"),
        (["--paused"], "--paused needs --gdb NAME"),
        (["--gdb", "alpha", "--record", os.path.join(TMP, "no.log")],
         "--gdb cannot debug a recording"),
    ]:
        st, out, err = run([RV, "up", cfg, "--log-dir", logdir("refusals"), "--control", "none",
                            *args])
        check(st == 2 and want in err, f"up {' '.join(args)} is refused (status {st})", err)


def main():
    need_tool(GDB)
    cfg = config()
    case_refusals(cfg)
    case_digest(cfg)
    case_destroy(cfg)
    case_interrupt(cfg)
    case_replay(cfg)
    rvtest.finish()


main()
