#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A fault-injection campaign on the Debian guest: the acceptance test of
issue "Part 6", item 8 (campaign_test.py RETROVISOR FAULTINJ CAMPAIGN, the
last being experiments/campaign_lib/campaign.py, which experiments/campaign
runs).

The guest is Debian trixie's riscv64 kernel with a busybox initramfs
(tools/fetch-guest; tools/test passes the paths in RV_GUEST_KERNEL and
RV_GUEST_INITRAMFS). Steps:
  1. boot to the shell prompt and save a snapshot (retrovisor loop
     --iterations 0 --save-start);
  2. experiments/campaign: 100 register bit flips (seed 7) into a small
     workload that prints a checksum, two jobs;
  3. the CSV has 100 rows, one per run and fault, outcomes from the five
     classes, every fault injected (a run is the golden run until its
     fault, so it always reaches the injection point), at least one run
     not masked, a recording for every run that
     is not masked and none for masked ones; the plot and summary exist
     and agree;
  4. one kept run, silent data corruption if there is one, else the first
     other interesting run, replays without the plugin (`retrovisor replay
     LOG --print-digest`): "replay matched the recording", the digest of
     the CSV, and the same workload output.
The runner's own deadline (--timeout per run) and this test's subprocess
timeouts keep a broken machine from hanging the test.
"""
import csv
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from rvtest import TMP, check, digest, env_path, finish, run  # noqa: E402

RV, FAULTINJ, CAMPAIGN = (os.path.abspath(a) for a in sys.argv[1:4])
RUNS = 100
OUTCOMES = {"masked", "detected", "crash", "hang", "sdc"}
# Small on purpose (about 8 million instructions): 100 runs on two cores.
WORKLOAD = "seq 1 200 | md5sum"


def load_campaign():
    """The runner as a module, to read a replay's output the way it does."""
    sys.dont_write_bytecode = True  # nothing next to the runner's source
    loader = importlib.machinery.SourceFileLoader("campaign_runner", CAMPAIGN)
    spec = importlib.util.spec_from_loader("campaign_runner", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def main():
    kernel, initramfs = env_path("RV_GUEST_KERNEL"), env_path("RV_GUEST_INITRAMFS")
    snap = os.path.join(TMP, "shell.snap")
    t0 = time.monotonic()
    status, _, err = run([RV, "loop", "--iterations", "0", "--save-start", snap,
                          "--start-on-output", "# ", "--kernel", kernel, "--initrd", initramfs,
                          "--append", "console=ttyS0 quiet", "--memory", "128M",
                          "--rtc", "1767225600"], timeout=600)
    if not check(status == 0 and os.path.exists(snap),
                 f"saved the guest at its shell prompt (exit {status}; {err.strip()[-300:]})"):
        return
    print(f"snapshot in {time.monotonic() - t0:.1f} s")

    out = os.path.join(TMP, "campaign")
    t1 = time.monotonic()
    p = subprocess.run([sys.executable, CAMPAIGN, "--snapshot", snap, "--workload", WORKLOAD, "--runs",
                        str(RUNS), "--kind", "reg", "--seed", "7", "--jobs", "2", "--out", out,
                        "--retrovisor", RV, "--plugin", FAULTINJ, "--timeout", "120"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=900)
    log = p.stdout.decode(errors="replace")
    took = time.monotonic() - t1
    print("\n".join(log.splitlines()[-3:]))
    print(f"campaign of {RUNS} runs in {took:.1f} s")
    if not check(p.returncode == 0, f"the campaign completed (exit {p.returncode})", log):
        return

    with open(os.path.join(out, "campaign.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    check(len(rows) == RUNS, f"the CSV has {RUNS} rows (got {len(rows)})")
    check(sorted(int(r["run"]) for r in rows) == list(range(RUNS)), "one row per run")
    check(len({(r["fault"], r["icount"]) for r in rows}) == len(rows),
          "every run has a distinct fault")
    bad = [r["outcome"] for r in rows if r["outcome"] not in OUTCOMES]
    check(not bad, f"every outcome is one of {sorted(OUTCOMES)} (others: {bad[:5]})")
    missed = [r for r in rows if "flipped" not in r["injection"]]
    check(not missed, "every run reached its injection point and flipped its bit (%d did "
          "not, e.g. run %s: %r)" % (len(missed), missed[0]["run"] if missed else "-",
                                     missed[0]["injection"] if missed else ""))
    interesting = [r for r in rows if r["outcome"] != "masked"]
    counts = {o: sum(r["outcome"] == o for r in rows) for o in sorted(OUTCOMES)}
    print("outcomes:", counts)
    check(interesting, "at least one run is not masked")
    check(all(r["log"] and os.path.exists(os.path.join(out, r["log"])) for r in interesting),
          "every run that is not masked keeps its recording")
    check(all(not r["log"] for r in rows if r["outcome"] == "masked"),
          "masked runs' recordings are deleted (no --keep-all)")
    with open(os.path.join(out, "outcomes.png"), "rb") as f:
        check(f.read(8) == b"\x89PNG\r\n\x1a\n", "the plot is a PNG image")
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    check(summary.get("counts") == counts, "summary.json counts the CSV's outcomes")

    if not interesting:
        return
    sdc = [r for r in interesting if r["outcome"] == "sdc"]
    pick = (sdc or interesting)[0]
    path = os.path.join(out, pick["log"])
    status, stdout, err = run([RV, "replay", path, "--trust-stored-paths", "--print-digest"],
                              timeout=300)
    got = digest(err)[0]
    check("replay matched the recording" in err,
          f"run {pick['run']} ({pick['outcome']}, {pick['fault']}) replays without the "
          f"plugin: {err.strip()[-300:]}")
    check(got is not None and got == pick["digest"],
          f"its replay ends with the recorded digest {pick['digest']} (got {got})")
    check(str(status) == pick["exit_status"],
          f"its replay ends with the recorded status {pick['exit_status']} (got {status})")
    text, _ = load_campaign().workload_output(stdout.encode())
    check(hashlib.sha256(text.encode()).hexdigest()[:16] == pick["output_hash"],
          "its replay prints the recorded workload output", text)


if __name__ == "__main__":
    main()
    finish()
