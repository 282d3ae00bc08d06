#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lab 6's check (README.md): check.py RETROVISOR FAULTINJ CAMPAIGN GUEST
RUN_PY CONFIG SOLUTION_ANALYZE [STARTER_ANALYZE].

  1. run.py runs the solution's campaign (CONFIG: 200 register bit flips,
     seed 1, two jobs) on the workload guest; it completes;
  2. it runs it again into another folder: every row is the same (fault,
     injection point, outcome, exit status, output hash, final digest and
     instruction count), whatever order the two jobs finished in;
  3. every outcome class appears: masked, detected, crash, hang, sdc;
  4. the solution's analyze.py counts the same classes as the campaign's
     summary and replays an interesting run without the plugin, matched;
     this check replays the first kept run of each class that is not
     masked itself too: "replay matched the recording", the CSV's digest
     and exit status;
  5. the starter's analyze.py (TODOs left) fails (left out without
     STARTER_ANALYZE: give a student's config and analyze.py as CONFIG and
     SOLUTION_ANALYZE to grade them).
"""
import csv
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "tests", "lib"))
from rvtest import TMP, check, digest, finish, run  # noqa: E402

RV, FAULTINJ, CAMPAIGN, GUEST, RUN_PY, CONFIG, SOL_ANALYZE = (
    os.path.abspath(a) for a in sys.argv[1:8])
START_ANALYZE = os.path.abspath(sys.argv[8]) if len(sys.argv) > 8 else None
OUTCOMES = ("masked", "detected", "crash", "hang", "sdc")
SAME = ("run", "fault", "icount", "outcome", "exit_status", "output_hash", "digest",
        "final_icount")


def campaign(out):
    status, text, err = run([sys.executable, RUN_PY, CONFIG, out, "--retrovisor", RV,
                             "--plugin", FAULTINJ, "--campaign", CAMPAIGN, "--guest", GUEST],
                            timeout=600)
    ok = check(status == 0 and os.path.exists(os.path.join(out, "campaign.csv")),
               "run.py completed the campaign into %s (exit %s)" % (os.path.basename(out), status),
               text + err)
    if not ok:
        return None
    with open(os.path.join(out, "campaign.csv"), newline="") as f:
        return list(csv.DictReader(f))


def main():
    out1, out2 = os.path.join(TMP, "c1"), os.path.join(TMP, "c2")
    rows = campaign(out1)
    rows2 = campaign(out2)
    if rows is None or rows2 is None:
        finish()
    with open(CONFIG) as f:
        runs = json.load(f)["runs"]
    check(len(rows) == runs, "the CSV has one row per run (%d of %d)" % (len(rows), runs))
    diff = [(a["run"], k) for a, b in zip(rows, rows2) for k in SAME if a[k] != b[k]]
    check(len(rows) == len(rows2) and not diff,
          "the second campaign has the same rows (%s)" % (
              "differs: " + ", ".join("run %s %s" % d for d in diff[:5]) if diff else
              "fault, outcome, digest and instruction count of every run"))
    counts = {o: sum(r["outcome"] == o for r in rows) for o in OUTCOMES}
    check(all(counts.values()), "every outcome class appears: %s" % ", ".join(
        "%s %d" % kv for kv in counts.items()))

    js = os.path.join(TMP, "analysis.json")
    status, text, err = run([sys.executable, SOL_ANALYZE, out1, "--retrovisor", RV,
                             "--json", js], timeout=600)
    got = {}
    if os.path.exists(js):
        with open(js) as f:
            got = json.load(f)
    rep = got.get("replay") or {}
    check(status == 0 and got.get("counts") == counts and
          got.get("classes_seen") == list(OUTCOMES),
          "the solution's analysis counts the campaign's classes", text + err)
    check(rep.get("matched") and rep.get("same_output") and rep.get("outcome") == "sdc",
          "the analysis replayed an SDC run without the plugin: matched, same output (%s)" %
          rep.get("fault"), text)

    for o in OUTCOMES[1:]:
        r = next(r for r in rows if r["outcome"] == o)
        status, _, err = run([RV, "replay", os.path.join(out1, r["log"]),
                              "--trust-stored-paths", "--print-digest"], timeout=300)
        check("replay matched the recording" in err and digest(err)[0] == r["digest"] and
              str(status) == r["exit_status"],
              "run %s (%s, %s) replays without the plugin: digest %s, exit %s" % (
                  r["run"], o, r["fault"], r["digest"], r["exit_status"]), err)

    if not START_ANALYZE:
        finish()
    status, text, err = run([sys.executable, START_ANALYZE, out1, "--retrovisor", RV],
                            timeout=600)
    check(status != 0 and "TODO" in text,
          "the starter's analysis (TODOs left) fails (exit %s)" % status, text + err)
    finish()


main()
