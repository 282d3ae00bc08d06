#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lab 4's check (README.md): check.py RETROVISOR GUEST SOLUTION_PY
SOLUTION_SO [STARTER_PY STARTER_SO].

The guest (sv39guest.elf) maps a 4 KiB page, a 2 MiB page and a 1 GiB
identity page with Sv39 and stops at lab_ready(). For three addresses
(one of each size) and one that is not mapped:

  1. the solution's plugin: the introspection library's walk
     (intro_translate) gives the machine's own answer (rv_translate),
     and both fault on the unmapped address;
  2. the solution's gdb command `sv39 VA`, reading PTEs through the stub
     with `monitor phys on`, gives the same physical addresses, and "pa
     none" for the unmapped one;
  3. the stub's own translation agrees: the 8 bytes gdb reads at VA (the
     hart's view) are the guest's marker and equal those at the walk's PA
     read physically, and a value gdb writes at VA appears at that PA;
  4. the starter as handed out (TODOs left) does not pass 1 or 2: it
     prints no address for the mapped pages. Left out without the last
     two arguments: give a student's sv39.py and plugin as SOLUTION_PY and
     SOLUTION_SO to grade them.
"""
import functools
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "tests", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, finish, need_tool, run  # noqa: E402

RV, GUEST, SOL_PY, SOL_SO = (os.path.abspath(a) for a in sys.argv[1:5])
START_PY, START_SO = (os.path.abspath(a) for a in sys.argv[5:7]) if len(sys.argv) > 6 else (
    None, None)
GDB = "gdb-multiarch"
check = functools.partial(rvtest.check, lines=None)

VA_PAGE, VA_MEGA, VA_NONE = 0xffffffc012345678, 0xffffffc000600abc, 0xffffffc012346000
MARK_PAGE = 0x454741503442414c  # "LAB4PAGE"
MAPPED = {"4 KiB page": VA_PAGE, "2 MiB page": VA_MEGA, "1 GiB page": "$pc"}
PROBE = 0x1122334455667788


def plugin_walks(so):
    """{va: (library pa or None, machine pa or None)} from the plugin's lines."""
    vas = [VA_PAGE, VA_MEGA, 0x80200000, VA_NONE]
    args = ",".join("va=0x%x" % v for v in vas)
    status, out, err = run([RV, "run", "--kernel", GUEST, "--plugin", so + "," + args],
                           timeout=120)
    walks = {}
    for m in re.finditer(r"^walk va 0x([0-9a-f]+) library (?:0x([0-9a-f]+)|fault -?\d+)"
                         r"(?: perm \w*)? machine (?:0x([0-9a-f]+)|fault)$", err, re.M):
        walks[int(m.group(1), 16)] = tuple(int(g, 16) if g else None for g in m.group(2, 3))
    return status, out, err, walks


def gdb_session(script, body):
    """Run the guest paused under the stub and a gdb that sources script,
    stops at lab_ready and runs body; return gdb's output."""
    p = subprocess.Popen([RV, "run", "--kernel", GUEST, "--gdb", "tcp:127.0.0.1:0", "--paused"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    port = None
    deadline = time.time() + 30
    line = b""
    while time.time() < deadline and port is None:
        line = p.stderr.readline()
        m = re.search(rb"gdb stub listening on 127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
        elif not line:
            break
    if port is None:
        p.kill()
        p.wait()
        check(False, "the gdb stub started (%s)" % line.decode(errors="replace").strip())
        return ""
    cmds = ["set architecture riscv:rv64", "set pagination off",
            "target remote 127.0.0.1:%d" % port, "source " + script, "break lab_ready",
            "continue"] + body + ["kill"]
    args = [GDB, "-batch", "-nx", GUEST]
    for c in cmds:
        args += ["-ex", c]
    try:
        g = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        out = g.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") + "\n(gdb timed out)"
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return out


def gdb_walks(script):
    """{what: pa or None} from `sv39 VA` for the mapped addresses and VA_NONE."""
    body = []
    for what, va in list(MAPPED.items()) + [("unmapped", VA_NONE)]:
        body += ["echo WALK %s\\n" % what.replace(" ", "_"),
                 "sv39 %s" % (va if isinstance(va, str) else "0x%x" % va)]
    out = gdb_session(script, body)
    pas = {}
    for m in re.finditer(r"^WALK (\S+)\n(?:.*\n)*?pa (0x[0-9a-f]+|none)$", out, re.M):
        pas[m.group(1).replace("_", " ")] = None if m.group(2) == "none" else int(m.group(2), 16)
    return out, pas


def main():
    need_tool(GDB)
    status, out, err = run([RV, "run", "--kernel", GUEST], timeout=120)
    check(status == 0 and "lab4: done" in out, "the guest runs to its end (exit %s)" % status,
          out + err)

    # 1. The library's walk and the machine's translation, in the plugin.
    status, out, err, walks = plugin_walks(SOL_SO)
    check(status == 0 and len(walks) == 4, "the solution plugin reports 4 walks (exit %s)" %
          status, err)
    for va in (VA_PAGE, VA_MEGA, 0x80200000):
        lib, mach = walks.get(va, (None, None))
        check(lib is not None and lib == mach, "plugin: va 0x%x: library 0x%x = machine 0x%x"
              % (va, lib or 0, mach or 0), err)
    check(walks.get(VA_NONE) == (None, None), "plugin: va 0x%x faults in both" % VA_NONE, err)

    # 2. The gdb walk gives the same addresses.
    out, pas = gdb_walks(SOL_PY)
    check(len(pas) == 4, "gdb: `sv39 VA` printed a result for the 4 addresses", out)
    check(pas.get("unmapped", 0) is None, "gdb: the unmapped address has no pa", out)
    for what in ("4 KiB page", "2 MiB page"):
        va = MAPPED[what]
        check(pas.get(what) is not None and pas.get(what) == walks.get(va, (None,))[0],
              "gdb: the %s's pa (0x%x) is the library's and the machine's" % (
                  what, pas.get(what) or 0), out)
    g = pas.get("1 GiB page")
    check(g is not None and 0x80200000 <= g < 0x80400000,
          "gdb: $pc (in the 1 GiB identity page) is at pa 0x%x, in the guest's image" % (g or 0),
          out)

    # 3. The stub's own translation: reads and a write through the VA
    # land at the walk's PA.
    pa = pas.get("4 KiB page")
    if pa is not None:
        body = ["echo VIRT\\n", "x/gx 0x%x" % VA_PAGE, "monitor phys on", "echo PHYS\\n",
                "x/gx 0x%x" % pa, "monitor phys off", "set {long}0x%x = 0x%x" % (VA_PAGE, PROBE),
                "monitor phys on", "echo WRITTEN\\n", "x/gx 0x%x" % pa, "monitor phys off"]
        out = gdb_session(SOL_PY, body)
        vals = {m.group(1): int(m.group(2), 16) for m in re.finditer(
            r"^(VIRT|PHYS|WRITTEN)\n0x[0-9a-f]+(?: <[^>]*>)?:\s+(0x[0-9a-f]+)$", out, re.M)}
        check(vals.get("VIRT") == MARK_PAGE and vals.get("PHYS") == MARK_PAGE,
              "stub: the marker read at va 0x%x (virtual) is at pa 0x%x (physical)" % (
                  VA_PAGE, pa), out)
        check(vals.get("WRITTEN") == PROBE,
              "stub: a value written at va 0x%x appears at pa 0x%x" % (VA_PAGE, pa), out)

    # 4. The starter, as handed out, does not pass.
    if not START_PY:
        finish()
    status, out, err, walks = plugin_walks(START_SO)
    check(status == 0 and walks.get(VA_PAGE, (0, 0))[0] is None,
          "the starter plugin (TODOs left) finds no library address for va 0x%x" % VA_PAGE, err)
    out, pas = gdb_walks(START_PY)
    check(pas.get("4 KiB page") is None and "TODO" in out,
          "the starter's `sv39` (TODOs left) finds no pa and says TODO", out)
    finish()


main()
