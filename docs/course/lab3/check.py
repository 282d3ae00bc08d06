#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lab 3's check (//docs/course/lab3:check).

    check.py RETROVISOR RETROVISOR_SOLUTION RETROVISOR_STARTER
             GUEST_SOLUTION GUEST_STARTER

* The solution guest on the solution binary: the probe finds the
  extension, get_icount answers and grows, the checksum is the FNV-1a this
  script computes of the same text, the three bad calls get
  INVALID_ADDRESS, INVALID_ADDRESS and INVALID_PARAM, an unknown function
  NOT_SUPPORTED; two runs print the same count; a recording replays.
* The same guest on //:retrovisor: the probe answers 0 and every call
  SBI_ERR_NOT_SUPPORTED (-2): the extension point changes nothing there.
* The starter binary (its TODOs left) and the starter guest each fail the
  solution's expectations, so the check is one a student can fail.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "lib"))
from rvtest import TMP, check, finish, run  # noqa: E402

RV, RV_SOLUTION, RV_STARTER, GUEST, GUEST_STARTER = (os.path.abspath(a) for a in sys.argv[1:6])
TEXT = b"The quick brown fox jumps over the lazy dog"


def fnv1a(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def boot(rv, guest, *extra):
    """(status, console lines after the marker) of one run."""
    status, out, err = run([rv, "run", "--kernel", guest, "--max-instructions", "10000000",
                            *extra], timeout=60, strip_cr=True)
    lines = out.split("=== pvguest lab3 ===\n", 1)[-1].splitlines()
    return status, lines, out + err


def expected(icount):
    return [
        "probe 0xa455452: 1",
        f"get_icount: error=0 value={icount}",
        "get_icount again: error=0 grew=yes",
        f"checksum: error=0 value={fnv1a(TEXT):#x} matches=yes",
        "checksum outside RAM: error=-5",
        "checksum wrapping: error=-5",
        "checksum too long: error=-3",
        "unknown function: error=-2",
    ]


def icount_of(lines):
    m = next((re.match(r"get_icount: error=0 value=(\d+)$", l) for l in lines
              if l.startswith("get_icount:")), None)
    return int(m.group(1)) if m else None


status, lines, out = boot(RV_SOLUTION, GUEST)
icount = icount_of(lines)
check(status == 0 and icount and lines == expected(icount),
      f"solution guest on the solution binary: every answer right (status {status})", out)
status2, lines2, out2 = boot(RV_SOLUTION, GUEST)
check(lines2 == lines, "a second run prints the same instruction count (determinism)", out2)

log = os.path.join(TMP, "lab3.rlog")
status, rec, out = run([RV_SOLUTION, "record", "--log", log, "--kernel", GUEST], timeout=60,
                       strip_cr=True)
status2, rep, out2 = run([RV_SOLUTION, "replay", log, "--image", f"kernel={GUEST}"],
                         timeout=60, strip_cr=True)
check(status == 0 and status2 == 0 and rep == rec and "matches=yes" in rep,
      f"a recording on the solution binary replays alike (status {status}, {status2})",
      out2 + rep)

status, lines, out = boot(RV, GUEST)
check(status == 0 and lines == ["probe 0xa455452: 0"] + [
    "get_icount: error=-2 value=0",
    "get_icount again: error=-2 grew=no",
    "checksum: error=-2 value=0x0 matches=no",
    "checksum outside RAM: error=-2",
    "checksum wrapping: error=-2",
    "checksum too long: error=-2",
    "unknown function: error=-2",
], "solution guest on //:retrovisor: probe 0, every call SBI_ERR_NOT_SUPPORTED", out)

status, lines, out = boot(RV_STARTER, GUEST)
check(lines[:1] == ["probe 0xa455452: 1"] and lines != expected(icount_of(lines)),
      "the starter binary registers the extension but fails the solution's expectations",
      out)
status, lines, out = boot(RV_SOLUTION, GUEST_STARTER)
check(status == 0 and "checksum: TODO" in lines and not any("matches=yes" in l for l in lines),
      "the starter guest runs and still has its task to do", out)
finish()
