#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Debian guest under both engines (issue 14, item 6): linux_test.py
RETROVISOR.

The engine is chosen the way every test picks it, through
RETROVISOR_ENGINE in the environment (with RETROVISOR_JIT_HOT=0, so the
JIT translates every block on its first entry). The guest (tools/fetch-guest;
tools/test passes RV_GUEST_KERNEL and RV_GUEST_INITRAMFS) boots with a
fixed wall clock, the fast clock and no network, runs `seq 1 2000 | md5sum`
and powers off. Checked:

* a recording under each engine prints the right checksum and ends with
  the same digest and instruction count under both (--jit-stats shows the
  JIT translated thousands of blocks, the interpreter none);
* the JIT's log replays under the interpreter and the interpreter's under
  the JIT, each matching its recording at every digest;
* a snapshot taken halfway through by each recording restores under the
  other engine and runs on to the same final digest and count.
"""
import hashlib
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check, digest, digest_lines, env_path  # noqa: E402

RV = os.path.abspath(sys.argv[1])
CMD = "seq 1 2000 | md5sum"
WANT_MD5 = hashlib.md5("".join(f"{i}\n" for i in range(1, 2001)).encode()).hexdigest()
# Halfway through the run (about 3.4e9 instructions).
MID = 1700000000
ENGINES = ("interp", "jit")


def rv(engine, *args):
    """retrovisor ARGS under ENGINE: (status, stdout without CRs, stderr)."""
    return rvtest.run([RV, *args], timeout=300, strip_cr=True,
                      env={"RETROVISOR_ENGINE": engine, "RETROVISOR_JIT_HOT": "0"})


def main():
    machine = ["--kernel", env_path("RV_GUEST_KERNEL"), "--initrd",
               env_path("RV_GUEST_INITRAMFS"), "--append",
               f'console=ttyS0 quiet rv.net=off rv.cmd="{CMD}"', "--rtc", "1700000000",
               "--clock", "fast", "--print-digest", "--watchdog", "120"]
    rec = {}
    for engine in ENGINES:
        log = os.path.join(TMP, f"{engine}.rlog")
        snap = os.path.join(TMP, f"{engine}.snap")
        status, out, err = rv(engine, "record", "--log", log, "--digest-interval", "200M",
                              "--snapshot-at", f"{MID}={snap}", "--jit-stats", *machine)
        rec[engine] = (digest(err), digest_lines(err), out)
        m = re.search(r"^retrovisor: jit: (\d+) blocks translated", err, re.M)
        blocks = int(m.group(1)) if m else 0
        check(blocks > 1000 if engine == "jit" else blocks == 0,
              f"recorded under {engine}: {blocks} blocks translated", err)
        check(status == 0 and WANT_MD5 in out and "retrovisor-guest: exit status 0" in out,
              f"recorded under {engine}: the guest printed the checksum and shut down "
              f"(exit {status})", out + err)
        check(os.path.exists(snap), f"recorded under {engine}: the snapshot at {MID} was "
              "saved", err)
    (di, li, oi), (dj, lj, oj) = rec["interp"], rec["jit"]
    check(None not in di and di == dj and li == lj and oi == oj,
          f"both engines: the same console, digests and final count ({di} and {dj})")

    for made, other in (("jit", "interp"), ("interp", "jit")):
        log = os.path.join(TMP, f"{made}.rlog")
        status, out, err = rv(other, "replay", log, "--trust-stored-paths", "--print-digest")
        check(status == 0 and "replay matched the recording" in err and
              digest(err) == rec[made][0],
              f"the log recorded under {made} replays under {other} to its end", err)

    for made, other in (("jit", "interp"), ("interp", "jit")):
        snap = os.path.join(TMP, f"{made}.snap")
        status, out, err = rv(other, "run", "--restore", snap, "--print-digest",
                              "--watchdog", "120")
        check(status == 0 and digest(err) == di,
              f"the snapshot taken under {made} runs on under {other} to the same digest "
              f"and count ({digest(err)})", out + err)
    rvtest.finish()


main()
