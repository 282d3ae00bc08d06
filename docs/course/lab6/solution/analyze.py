#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lab 6, solution: what a fault-injection campaign found, and one run
replayed without the fault injector.

    analyze.py OUT [--retrovisor FILE] [--json FILE]

OUT is the folder run.py (experiments/campaign) wrote: campaign.csv (one
row per run: fault, icount, outcome, exit status, kept log, output hash,
digest, final icount, what faultinj did), summary.json and runs/.

  1. Outcome classes: count, share and a 95 % Wilson score interval per
     class (masked, detected, crash, hang, sdc), so that a share from 200
     runs is read with its uncertainty.
  2. Where the faults that mattered were: per register, the runs that
     were not masked, by class; and how many of them flipped a high bit
     (32..63) against a low one.
  3. Replay: the first silent data corruption (else crash, hang, detected)
     is replayed from its recording without the plugin (`retrovisor replay
     LOG --trust-stored-paths --print-digest`; a replay never loads a
     plugin, the flipped bit is an input in the log): it must report "replay
     matched the recording", end with the digest the CSV holds, and print
     the same console output as the recorded run (runs/NNNN.out).

Prints a report; --json writes {"counts", "classes_seen", "intervals",
"replay": {"run", "outcome", "fault", "matched", "digest", "same_output"}}.
Exits 0 when a run was replayed and matched, 1 otherwise.
"""
import argparse
import collections
import csv
import json
import math
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                    ".."))
OUTCOMES = ("masked", "detected", "crash", "hang", "sdc")
REPLAY_ORDER = ("sdc", "crash", "hang", "detected")


def wilson(k, n, z=1.96):
    """95 % Wilson score interval of a proportion k/n, as (lo, hi)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def classes(rows):
    counts = {o: sum(r["outcome"] == o for r in rows) for o in OUTCOMES}
    intervals = {o: wilson(counts[o], len(rows)) for o in OUTCOMES}
    print("%-9s %5s %7s   95%% interval" % ("outcome", "runs", "share"))
    for o in OUTCOMES:
        lo, hi = intervals[o]
        print("%-9s %5d %6.1f%%   %5.1f%% .. %5.1f%%" % (
            o, counts[o], 100 * counts[o] / max(1, len(rows)), 100 * lo, 100 * hi))
    return counts, intervals


def where(rows):
    by_reg = collections.defaultdict(collections.Counter)
    high = low = 0
    for r in rows:
        if r["outcome"] == "masked":
            continue
        fields = dict(f.split("=", 1) for f in r["fault"].split(","))
        by_reg[fields.get("reg", fields.get("mem", "?"))][r["outcome"]] += 1
        if int(fields.get("bit", 0)) >= 32:
            high += 1
        else:
            low += 1
    print("\nruns not masked, by register:")
    for reg, c in sorted(by_reg.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])):
        print("  %-5s %3d  %s" % (reg, sum(c.values()), ", ".join(
            "%s %d" % (o, c[o]) for o in OUTCOMES if c[o])))
    print("  bit 32..63: %d, bit 0..31: %d" % (high, low))


def replay(rv, out, rows):
    picks = sorted((r for r in rows if r["log"] and r["outcome"] in REPLAY_ORDER),
                   key=lambda r: (REPLAY_ORDER.index(r["outcome"]), int(r["run"])))
    if not picks:
        print("\nno kept run to replay")
        return None
    r = picks[0]
    log = os.path.join(out, r["log"])
    p = subprocess.run([rv, "replay", log, "--trust-stored-paths", "--print-digest"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    err = p.stderr.decode(errors="replace")
    digest = None
    for line in err.splitlines():
        if line.startswith("digest "):
            digest = line.split()[1]
    with open(os.path.splitext(log)[0] + ".out", "rb") as f:
        same = f.read() == p.stdout
    matched = "replay matched the recording" in err and digest == r["digest"]
    print("\nreplay of run %s (%s, %s at instruction %s) without the plugin: %s, digest %s "
          "(recorded %s), console output %s" % (
              r["run"], r["outcome"], r["fault"], r["icount"],
              "matched" if matched else "DIFFERS", digest, r["digest"],
              "the same" if same else "DIFFERENT"))
    return {"run": int(r["run"]), "outcome": r["outcome"], "fault": r["fault"],
            "matched": matched, "digest": digest, "same_output": same}


def main():
    ap = argparse.ArgumentParser(prog="analyze.py", description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--retrovisor", default=os.path.join(ROOT, "bazel-bin", "retrovisor"))
    ap.add_argument("--json")
    args = ap.parse_args()
    with open(os.path.join(args.out, "campaign.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(args.out, "summary.json")) as f:
        summary = json.load(f)
    print("%d %s faults into %s, seed %s; golden run %d instructions from the snapshot" % (
        len(rows), summary["kind"], summary["workload"], summary["seed"],
        summary["golden"]["icount"] - summary["snapshot_icount"]))
    counts, intervals = classes(rows)
    where(rows)
    rep = replay(args.retrovisor, args.out, rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"counts": counts, "classes_seen": [o for o in OUTCOMES if counts[o]],
                       "intervals": intervals, "replay": rep}, f, indent=1)
            f.write("\n")
    return 0 if rep and rep["matched"] and rep["same_output"] else 1


if __name__ == "__main__":
    sys.exit(main())
