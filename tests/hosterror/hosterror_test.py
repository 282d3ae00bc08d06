#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host failures never look like guest results (issue 12, item 7):
hosterror_test.py RETROVISOR_TESTHOOKS SMP.elf.

The test build's RETROVISOR_TEST_HOST_ERROR=N makes the host fail, as an
out-of-memory copy of a copy-on-write page does (machine_host_error), at
the first round boundary past instruction N. Then:

* run and record end with status 1 (docs/cli.md: an internal failure,
  never a guest's result) and one line "retrovisor: out of host memory
  ...; the run cannot go on (at instruction M)", with M >= N; a guest
  that would have shut down with status 0 does not get to, and nothing
  says it shut down;
* loop ends with status 1 and "...; the loop cannot go on (iteration I)"
  instead of reporting the iteration.

Without the variable the same guest shuts down with status 0.
"""
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check  # noqa: E402

RV = os.path.abspath(sys.argv[1])
SMP = os.path.join(TMP, "smp.elf")
shutil.copy(sys.argv[2], SMP)
MACHINE = ["--bios", "none", "--kernel", SMP, "--harts", "2"]
ONE_LINE = re.compile(r"retrovisor: out of host memory \(injected by RETROVISOR_TEST_HOST_ERROR "
                      r"at instruction (\d+)\); the (run|loop) cannot go on "
                      r"\((at instruction|iteration) (\d+)\)")


def rv(*args, fail_at=None):
    os.environ.pop("RETROVISOR_TEST_HOST_ERROR", None)
    if fail_at is not None:
        os.environ["RETROVISOR_TEST_HOST_ERROR"] = str(fail_at)
    return rvtest.run([RV, *args], timeout=300)


def lines(err):
    return [ln for ln in err.splitlines() if ln.strip()]


status, _, err = rv("run", *MACHINE, "--print-digest")
total = int(re.search(r"icount (\d+)", err).group(1)) if "icount" in err else 0
check(status == 0 and total > 1000, f"without a host failure the guest shuts down with 0 "
      f"after {total} instructions (status {status})", err)
at = total // 2

status, out, err = rv("run", *MACHINE, fail_at=at)
m = ONE_LINE.fullmatch(err.strip())
check(status == 1, f"run: a host failure ends with the internal status 1 (got {status})", err)
check(len(lines(err)) == 1 and m is not None and m.group(2) == "run"
      and int(m.group(4)) >= at, "run: exactly one line, saying the host failed and where",
      err)

log = os.path.join(TMP, "r.rlog")
status, _, err = rv("record", "--log", log, *MACHINE, fail_at=at)
check(status == 1, f"record: the internal status 1 (got {status})", err)
check(any(ONE_LINE.fullmatch(ln) for ln in lines(err)) and "shut" not in err,
      "record: the host failure's line, nothing about a shutdown", err)

status, out, err = rv("loop", "--start-at", str(at // 2), "--iterations", "3", *MACHINE,
                      fail_at=at)
m = ONE_LINE.fullmatch(lines(err)[-1]) if lines(err) else None
check(status == 1, f"loop: the internal status 1 (got {status})", err)
check(m is not None and m.group(2) == "loop" and m.group(4) == "0",
      "loop: its last line says the host failed in iteration 0", err)
check("iteration 0" not in out, "loop: the failed iteration is not reported as a result", out)

rvtest.finish()
