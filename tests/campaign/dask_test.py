#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The campaign runner on an existing distributed engine (issue "Part 6",
item 7): a Dask scheduler with one worker is started here (Debian's
python3-distributed, installed by tools/setup), and a 4-run campaign from a
snapshot of the Debian guest runs on it (`--scheduler tcp://...`): every
run lands in the CSV with an outcome, the summary names the scheduler, and
the outcomes equal those of the same campaign on the local process pool
(the runs are deterministic wherever they execute), and the Dask worker
ran every run on one cached `retrovisor worker` (it loaded the snapshot
once).
dask_test.py RETROVISOR FAULTINJ CAMPAIGN
"""
import csv
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from rvtest import TMP, check, env_path, finish  # noqa: E402

RV, FAULTINJ, CAMPAIGN = (os.path.abspath(a) for a in sys.argv[1:4])
PY = "/usr/bin/python3"  # Debian's Python, where python3-distributed lives


def campaign(out, extra):
    cmd = [PY, CAMPAIGN, "--retrovisor", RV, "--plugin", FAULTINJ, "--snapshot", SNAP,
           "--workload", "seq 1 100 | md5sum", "--runs", "4", "--seed", "11", "--out", out,
           *extra]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    print(p.stdout[-2000:], p.stderr[-2000:])
    check(p.returncode == 0, f"campaign {' '.join(extra)} exits 0 (got {p.returncode})")
    with open(os.path.join(out, "campaign.csv")) as f:
        return list(csv.DictReader(f))


kernel, initramfs = env_path("RV_GUEST_KERNEL"), env_path("RV_GUEST_INITRAMFS")
SNAP = os.path.join(TMP, "shell.snap")
p = subprocess.run([RV, "loop", "--iterations", "0", "--save-start", SNAP, "--start-on-output",
                    "# ", "--kernel", kernel, "--initrd", initramfs, "--append",
                    "console=ttyS0 quiet", "--rtc", "1767225600"], capture_output=True,
                   text=True, timeout=600)
check(p.returncode == 0 and os.path.exists(SNAP), "a snapshot of the guest's shell")
sched = subprocess.Popen([PY, "-c", """
import sys, time
from distributed import LocalCluster
c = LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                 dashboard_address=None, scheduler_port=0)
print(c.scheduler_address, flush=True)
sys.stdin.read()
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
try:
    address = sched.stdout.readline().strip()
    check(address.startswith("tcp://"), f"a Dask scheduler runs at {address}")
    rows = campaign(os.path.join(TMP, "dask"), ["--scheduler", address])
    check(len(rows) == 4 and all(r["outcome"] in
                                 {"masked", "detected", "crash", "hang", "sdc"} for r in rows),
          "4 runs on the scheduler, each with an outcome")
    with open(os.path.join(TMP, "dask", "summary.json")) as f:
        summary = json.load(f)
    check(summary.get("scheduler") == address, "the summary names the scheduler")
    eng = summary.get("engine", {})
    check(eng.get("worker_processes") == 1 and eng.get("runs_per_worker") == [4],
          f"the Dask worker ran all 4 runs on one retrovisor worker, its snapshot loaded "
          f"once ({eng})")
finally:
    sched.stdin.close()
    try:
        sched.wait(timeout=30)
    except subprocess.TimeoutExpired:
        sched.kill()
local = campaign(os.path.join(TMP, "local"), ["--jobs", "2"])
check([(r["fault"], r["outcome"], r["digest"]) for r in rows] ==
      [(r["fault"], r["outcome"], r["digest"]) for r in local],
      "the same faults, outcomes and digests as on the local pool")
finish()
