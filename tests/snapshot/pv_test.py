#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The snapshot requests of the paravirtual SBI extension (<retrovisor/pv.h>) and the
fast reset loop (`retrovisor loop`), end to end, with the guests of this
folder:

  pv_test.py RETROVISOR PVSNAP.elf PVSNAP_SMP.elf PVLOOP.elf

pvsnap and pvsnap_smp report their checks as "PASS ..." / "FAIL ..." lines
on the console; pvloop ends each loop iteration with a status computed from
its input (1: starts with "BUG", 2: empty, else 0). Every check prints one
"ok:" or "FAIL:" line; the test fails if any check failed.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check, digest_lines, finish  # noqa: E402

RV, PVSNAP, PVSMP, PVLOOP = sys.argv[1:5]
LINE = re.compile(r"^iteration (\d+) input (\S+) end (\w+) status (\d+) instructions (\d+)$")


def rv(*args, timeout=300):
    return rvtest.run([RV, *args], timeout=timeout, keep_timeout=True)


def guest_lines(out, prefix):
    return [l for l in out.splitlines() if l.startswith(prefix)]


def case_pvsnap():
    status, out, err = rv("run", "--kernel", PVSNAP, timeout=120)
    detail = out + err
    for what in [
        "probe_extension(RV_PV_EXT) says it exists",
        "GET_VERSION is RV_PV_VERSION",
        "an unknown function is NOT_SUPPORTED",
        "RESTORE(7) of a tag never taken is INVALID_PARAM",
        "END_ITERATION outside a loop is NOT_SUPPORTED",
        "GET_INPUT outside a loop gives an empty input",
    ]:
        line = [l for l in out.splitlines() if what in l]
        check(len(line) == 1 and line[0].startswith("PASS "), f"pvsnap: {what}",
              "\n".join(line) or detail)
    # SNAPSHOT(1) returns with a1 = 0, then 1, 2, 3 after each RESTORE, the
    # counter and s2 rewound every time; taken again it starts over.
    got = [l for l in out.splitlines() if l.startswith("SNAPSHOT(")]
    want = [f"SNAPSHOT(1) returned error=0 a1={n} counter=100 s2=1234" for n in (0, 1, 2, 3)]
    want += [f"SNAPSHOT(1) returned error=0 a1={n} counter=100 s2=1234" for n in (0, 1)]
    want += [f"SNAPSHOT(2) returned error=0 a1={n} counter=100 s2=1234" for n in (0, 1, 2)]
    check(got == want, "pvsnap: SNAPSHOT returns a1 = 0, 1, 2, 3 with memory and s2 "
          "rewound; retaken it counts from 0 again; another tag counts apart",
          "\n".join(got) + "\n" + detail)
    for what in ["PASS three restores of SNAPSHOT(1)",
                 "PASS SNAPSHOT(1) taken again counts its restores from 1",
                 "PASS SNAPSHOT(2) restored twice"]:
        check(what in out.splitlines(), f"pvsnap: {what[5:]}", detail)
    check(not guest_lines(out, "FAIL"), "pvsnap: no FAIL line", detail)
    check("PASS all" in out.splitlines() and status == 0,
          f"pvsnap: PASS all and exit status 0 (got {status})", detail)


def case_pvsnap_smp():
    status, out, err = rv("run", "--harts", "2", "--kernel", PVSMP, timeout=60)
    detail = out + err
    snaps = [l for l in out.splitlines() if l.startswith("SNAPSHOT(5)")]
    check(snaps == ["SNAPSHOT(5) returned error=0 a1=0 go=0",
                    "SNAPSHOT(5) returned error=0 a1=1 go=0"],
          "pvsnap_smp: a snapshot taken by hart 0 and restored by hart 1 returns on "
          "hart 0 with a1 = 1", detail)
    check(not guest_lines(out, "FAIL"), "pvsnap_smp: the restoring hart's registers "
          "are the snapshot's (no FAIL line)", detail)
    check(status == 0 and "PASS a snapshot restored by another hart" in out,
          f"pvsnap_smp: PASS and exit status 0 (got {status})", detail)


def inputs_dir():
    d = os.path.join(TMP, "inputs")
    os.makedirs(d, exist_ok=True)
    # Names in this order: the loop takes the files of a folder sorted.
    for name, data in (("1-hello", b"hello"), ("2-bug", b"BUG123"), ("3-xyz", b"xyz")):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    return d


def parse_lines(out):
    return [LINE.match(l) for l in out.splitlines()]


def case_loop():
    d = inputs_dir()
    args = ["loop", "--kernel", PVLOOP, "--input-dir", d, "--iterations", "9",
            "--check-digest"]
    status, out, err = rv(*args)
    detail = out + err
    check(status == 0, f"loop: exit status 0 (got {status})", detail)
    lines = parse_lines(out)
    check(len(lines) == 9 and all(lines), "loop: 9 lines 'iteration I input NAME end KIND "
          "status S instructions N'", detail)
    if len(lines) == 9 and all(lines):
        names = [os.path.basename(m.group(2)) for m in lines]
        check(names == ["1-hello", "2-bug", "3-xyz"] * 3,
              "loop: inputs used in turn, in name order", str(names))
        check([int(m.group(1)) for m in lines] == list(range(9)), "loop: iterations 0..8")
        check(all(m.group(3) == "guest" for m in lines), "loop: every iteration ends by "
              "the guest's END_ITERATION", detail)
        check([int(m.group(4)) for m in lines] == [0, 1, 0] * 3,
              "loop: statuses 0, 1, 0 for hello, BUG123, xyz", detail)
        counts = [int(m.group(5)) for m in lines]
        check(all(counts[i] == counts[i % 3] for i in range(9)),
              "loop: the same input takes the same number of instructions", str(counts))
        check(min(counts) > 131072, "loop: each iteration scribbles 1 MiB (more "
              "instructions than doublewords written)", str(counts))
    check("every restore matched" in err, "loop: --check-digest: every restore matched "
          "the start's digest", err)
    # The same loop again prints exactly the same.
    status2, out2, err2 = rv(*args)
    check(status2 == 0 and out2 == out, "loop: a second run prints identical lines",
          out + "\n---\n" + out2)


def case_loop_budget():
    d = inputs_dir()
    status, out, err = rv("loop", "--kernel", PVLOOP, "--input-dir", d, "--iterations", "6",
                          "--budget", "1000", "--check-digest")
    lines = parse_lines(out)
    check(status == 0 and len(lines) == 6 and all(lines), f"loop --budget: 6 lines, exit 0 "
          f"(got {status})", out + err)
    check(all(m and m.group(3) == "budget" and m.group(5) == "1000" for m in lines),
          "loop --budget 1000: every iteration ends with 'end budget' after 1000 "
          "instructions", out)


def case_loop_console():
    d = inputs_dir()
    status, out, err = rv("loop", "--kernel", PVLOOP, "--input-dir", d, "--iterations", "3",
                          "--console")
    check(status == 0, f"loop --console: exit 0 (got {status})", out + err)
    pre = [l for l in err.splitlines() if "before the loop" in l]
    check(len(pre) == 1 and pre[0].startswith("PASS"), "pvloop: GET_INPUT into an "
          "address outside RAM before SNAPSHOT(0) is INVALID_ADDRESS", "\n".join(pre) or err)
    inside = [l for l in err.splitlines() if "in an iteration with" in l]
    check(len(inside) == 3 and all(l.startswith("PASS") for l in inside),
          "pvloop: GET_INPUT outside RAM in an iteration is INVALID_ADDRESS",
          "\n".join(inside) or err)


def case_loop_empty_input():
    empty = os.path.join(TMP, "empty")
    open(empty, "wb").close()
    status, out, err = rv("loop", "--kernel", PVLOOP, "--input", empty, "--iterations", "2",
                          "--console")
    lines = parse_lines(out)
    check(status == 0 and len(lines) == 2 and all(m and m.group(3) == "guest" and
                                                   m.group(4) == "2" for m in lines),
          "loop: an empty input gives status 2", out + err)
    inside = [l for l in err.splitlines() if "in an iteration with a 0-byte input" in l]
    check(len(inside) == 2 and all(l.startswith("PASS") for l in inside),
          "pvloop: GET_INPUT outside RAM with an empty input is INVALID_ADDRESS (the "
          "range is checked, not only the bytes copied)", "\n".join(inside) or err)
    # Without inputs every iteration gets an empty one.
    status, out, err = rv("loop", "--kernel", PVLOOP, "--iterations", "2")
    lines = parse_lines(out)
    check(status == 0 and len(lines) == 2 and all(m and m.group(2) == "-" and
                                                   m.group(4) == "2" for m in lines),
          "loop: without inputs the input is empty (status 2, input -)", out + err)


def case_pvloop_outside_a_loop():
    # Under `run`, GET_INPUT gives an empty input (<retrovisor/pv.h>: "Outside a loop:
    # a1 = 0") and END_ITERATION returns NOT_SUPPORTED; the guest then
    # shuts down normally.
    status, out, err = rv("run", "--kernel", PVLOOP, timeout=120)
    check("END_ITERATION returned error=-2: not in a loop" in out and status == 0,
          f"pvloop under run: empty input, END_ITERATION NOT_SUPPORTED, exit 0 "
          f"(got {status})", out + err)


def case_snapshot_file_continues():
    # --snapshot-at is invisible to the guest, and a run restored from the
    # file continues exactly: same output from there and the same digest.
    # (--rtc: the wall clock at power-on is an input; fixed, the run is
    # deterministic.) Instruction 2000 is before the guest's SNAPSHOT(0).
    snap = os.path.join(TMP, "pvloop.rvsnap")
    rtc = ("--rtc", "1767225600")
    s0, out0, err0 = rv("run", "--kernel", PVLOOP, *rtc, "--print-digest", timeout=120)
    s1, out1, err1 = rv("run", "--kernel", PVLOOP, *rtc, "--print-digest", "--snapshot-at",
                        f"2000={snap}", timeout=120)
    dig = digest_lines
    check(s1 == s0 and out1 == out0 and dig(err1) == dig(err0) and len(dig(err0)) == 2,
          "run --snapshot-at: same output, status and digest as without", err0 + err1)
    check(os.path.exists(snap), "run --snapshot-at writes the file", err1)
    s2, out2, err2 = rv("run", "--restore", snap, "--print-digest", timeout=120)
    check(s2 == s0 and dig(err2) == dig(err0) and out0.endswith(out2),
          "run --restore: same status, digest and the rest of the output", err0 + err2)


for case in (case_pvsnap, case_pvsnap_smp, case_loop, case_loop_budget, case_loop_console,
             case_loop_empty_input, case_pvloop_outside_a_loop,
             case_snapshot_file_continues):
    case()

finish()
