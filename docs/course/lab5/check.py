#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lab 5's check (README.md): check.py RETROVISOR BUGGY.elf FIXED.elf
SOLUTION_FUZZ SEEDS [STARTER_FUZZ].

  1. every seed frame runs clean on both drivers (the bug needs a frame
     the seeds do not hold);
  2. the solution's fuzzer (--seed 1, at most ROUNDS rounds of 500) finds
     at least one finding in the buggy driver, and the same again when
     run a second time (same inputs, same findings);
  3. each finding reproduces alone (`retrovisor loop --input FILE`) with
     the same end as in the fuzzing run, and it is a crash (a trap: the
     runtime powers off with status 1) or a hang;
  4. the fixed driver survives every input the fuzzer made, findings
     included: every iteration ends by END_ITERATION with status 0;
  5. the starter's fuzzer (TODOs left) finds nothing in the same rounds
     (left out without STARTER_FUZZ: give a student's fuzz.py and fixed
     driver as SOLUTION_FUZZ and FIXED.elf to grade them).
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "tests", "lib"))
from rvtest import TMP, check, finish, run  # noqa: E402

RV, BUGGY, FIXED, SOL_FUZZ, SEEDS = (os.path.abspath(a) for a in sys.argv[1:6])
START_FUZZ = os.path.abspath(sys.argv[6]) if len(sys.argv) > 6 else None
ROUNDS = 20
BUDGET = 100000
LINE_RE = re.compile(r"^iteration \d+ input (\S+) end (\S+ status \d+ instructions \d+)$", re.M)


def loop(driver, *inputs):
    """{input: "KIND status S instructions N"} of one reset loop."""
    status, out, err = run([RV, "loop", "--kernel", driver, "--budget", str(BUDGET)] +
                           list(inputs), timeout=300)
    ends = dict(LINE_RE.findall(out))
    if status != 0:
        check(False, "retrovisor loop on %s ran (exit %d)" % (driver, status), err)
    return ends


def fuzz(script, out):
    status, text, err = run([sys.executable, script, "--retrovisor", RV, "--driver", BUGGY,
                             "--seeds", SEEDS, "--out", out, "--rounds", str(ROUNDS),
                             "--seed", "1", "--budget", str(BUDGET)], timeout=600)
    found = sorted(n for n in os.listdir(os.path.join(out, "crashes"))
                   if not n.endswith(".txt")) if os.path.isdir(os.path.join(out, "crashes")) else []
    return status, text + err, found


def main():
    for driver in (BUGGY, FIXED):
        ends = loop(driver, "--input-dir", SEEDS)
        check(len(ends) == len(os.listdir(SEEDS)) and
              all(e.startswith("guest status 0 ") for e in ends.values()),
              "every seed frame runs clean on the %s driver" % (
                  "buggy" if driver == BUGGY else "fixed"),
              "\n".join("%s: %s" % kv for kv in ends.items()))

    out1, out2 = os.path.join(TMP, "fuzz1"), os.path.join(TMP, "fuzz2")
    status, text, found = fuzz(SOL_FUZZ, out1)
    check(status == 0 and found, "the solution's fuzzer finds the bug within %d rounds of 500 "
          "(%d findings)" % (ROUNDS, len(found)), text)
    status, text2, found2 = fuzz(SOL_FUZZ, out2)
    check(status == 0 and found2 == found, "a second run with the same seed finds the same "
          "inputs (%s)" % ", ".join(found2[:4]), text2)

    crashes = os.path.join(out1, "crashes")
    for name in found:
        with open(os.path.join(crashes, name + ".txt")) as f:
            recorded = LINE_RE.search(f.read())
        ends = loop(BUGGY, "--input", os.path.join(crashes, name))
        got = next(iter(ends.values()), "")
        check(recorded and got == recorded.group(2) and
              re.match(r"(shutdown status 1|budget|deadlock) ", got),
              "finding %s reproduces alone: %s" % (name, got or "no line"))

    rounds = sorted(d for d in os.listdir(out1) if d.startswith("round-"))
    bad = []
    total = 0
    for d in rounds + ["crashes"]:
        ends = loop(FIXED, "--input-dir", os.path.join(out1, d))
        total += len(ends)
        bad += ["%s: %s" % kv for kv in ends.items() if not kv[1].startswith("guest status 0 ")]
    check(found and total > len(found) and not bad, "the fixed driver survives all %d inputs of "
          "the fuzzing run, findings included" % total, "\n".join(bad[:20]))

    if not START_FUZZ:
        finish()
    status, text, found = fuzz(START_FUZZ, os.path.join(TMP, "starter"))
    check(status == 0 and not found and "no finding in %d rounds" % ROUNDS in text,
          "the starter's fuzzer (TODOs left) finds nothing in %d rounds" % ROUNDS, text)
    finish()


main()
