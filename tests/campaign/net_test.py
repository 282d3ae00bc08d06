#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A network-fault campaign over a system of domains (issue 16, item 4's
network faults; net_test.py RETROVISOR NET, the last being
experiments/campaign_lib/net.py, which experiments/campaign-net runs).

The guests are Debian's (tools/fetch-guest; tools/test passes the paths).
Steps:
  1. campaign-net --prepare saves the example system (a busybox httpd
     server and a client that fetches five times, pings, and powers off)
     at a fixed epoch while the client waits, partitioned, for its
     start.inject (all by up --inject, so the saved system is the same
     every time);
  2. `up --inject FILE` refuses a bad schedule before anything starts,
     naming FILE:LINE and the problem (a decreasing epoch, a request that
     is not a JSON object, an unknown command), and a replay with
     --inject is refused; a well-formed request the toolstack refuses
     when it is applied (no such bridge) is one line on stderr, and the
     run goes on to the schedule's quit;
  3. an 8-run campaign (seed 1: partitions, drops and duplicates, a
     budget of 9000 epochs) on two jobs: the CSV has a row a run, in at
     least three classes, masked and hang among them (with this guest,
     also SDC: a ping's count changed silently), each class the faults
     produced reported with its interval in summary.json and report.md;
     a hang ran to the budget and its observer never powered off; every
     run that was not masked kept its recording, has one replay line, and
     its log holds the fault as the toolstack's requests at the drawn
     epochs;
  4. one such run, with its schedule file gone, replays through its line
     of replay.sh: "replay matched the log", the digest of its row, and the
     observer's console the same.
"""
import binascii
import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from rvtest import TMP, check, env_path, finish, run  # noqa: E402

RV, NET = (os.path.abspath(a) for a in sys.argv[1:3])
OUTCOMES = ("masked", "detected", "crash", "hang", "sdc")
START = '{"cmd":"partition","bridge":"br0","domain":"client","group":0}'


def net(*args, timeout=900):
    return run([sys.executable, NET, "--retrovisor", RV, *args], timeout=timeout)


def refusals(system):
    bad = os.path.join(TMP, "bad.inject")
    for text, why in (('5 {"cmd":"quit"}\n4 {"cmd":"quit"}\n', "must not decrease"),
                      ('# ok\n7 cmd=quit\n', "one JSON object"),
                      ('7 {"cmd":"fualts"}\n', "not a toolstack request")):
        with open(bad, "w") as f:
            f.write(text)
        line = len(text.splitlines())
        logs = os.path.join(TMP, "refused")
        os.makedirs(logs, exist_ok=True)
        st, out, err = run([RV, "up", "--restore", system, "--inject", bad, "--control", "none",
                            "--log-dir", logs, "--max-epochs", "10"], timeout=120)
        check(st == 2 and f"bad.inject:{line}: " in err and why in err and
              len(err.strip().splitlines()) == 1 and not os.listdir(logs),
              f"a schedule with a bad line is refused before anything starts ({why})", err)
    st, out, err = run([RV, "up", "--replay", bad, "--inject", bad], timeout=60)
    check(st == 2 and "--inject" in err, "a replay takes no --inject", err)
    with open(bad, "w") as f:
        f.write('0 {"cmd":"faults","bridge":"nope","drop":5}\n3 {"cmd":"quit"}\n')
    st, out, err = run([RV, "up", "--restore", system, "--inject", bad, "--control", "none",
                        "--log-dir", logs, "--max-epochs", "10", "--print-digest"], timeout=300)
    check(st == 0 and "--inject's or a replayed one) failed: there is no bridge named 'nope'"
          in err and "the toolstack asked to quit" in err and " after 3 epochs" in out,
          "a scheduled request the toolstack refuses says so on stderr, and the run goes on "
          "to the next (a quit at epoch 3)", err + out)


def logged_requests(log):
    """[(epoch, request)] of a system log's toolstack requests."""
    reqs = []
    with open(log) as f:
        for line in f:
            m = re.match(r"E (\d+) req ([0-9a-f]+) ", line)
            if m:
                reqs.append((int(m.group(1)), binascii.unhexlify(m.group(2)).decode()))
    return reqs


def main():
    kernel, initrd = env_path("RV_GUEST_KERNEL"), env_path("RV_GUEST_INITRAMFS")
    system = os.path.join(TMP, "system")
    st, out, err = net("--prepare", system, "--kernel", kernel, "--initrd", initrd)
    check(st == 0 and all(os.path.exists(os.path.join(system, f)) for f in
                          ("system.cfg", "system.state", "server.snap", "client.snap",
                           "start.inject")),
          "--prepare saves the example system and its start.inject", out + err)
    refusals(system)

    out_dir = os.path.join(TMP, "campaign")
    st, out, err = net("--system", system, "--out", out_dir, "--runs", "8", "--seed", "1",
                       "--jobs", "2", "--kinds", "partition,drop,duplicate",
                       "--rates", "300000,1000000", "--duration", "500:12000",
                       "--max-epochs", "9000", timeout=1800)
    check(st == 0, "the campaign runs", out + err)
    with open(os.path.join(out_dir, "campaign.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(out_dir, "summary.json")) as f:
        summary = json.load(f)
    with open(os.path.join(out_dir, "report.md")) as f:
        md = f.read()
    with open(os.path.join(out_dir, "replay.sh")) as f:
        replays = f.read().splitlines()
    got = {r["outcome"] for r in rows}
    check(len(rows) == 8 and got <= set(OUTCOMES), "a row a run, each in one class", str(rows))
    check({"masked", "hang"} <= got and len(got) >= 3,
          f"network faults give masked runs, hangs and another class ({sorted(got)})",
          str(rows))
    for o in sorted(got):
        n = sum(1 for r in rows if r["outcome"] == o)
        iv = summary["intervals"][o]
        check(summary["counts"][o] == n and iv["count"] == n and
              iv["lo"] <= iv["share"] <= iv["hi"] and
              re.search(r"^\| %s \| %d \| " % (o, n), md, re.M),
              f"class {o} ({n} runs) is reported with its interval in summary.json and "
              "report.md", md)
    for r in rows:
        if r["outcome"] == "hang":
            check(r["end"] == "budget" and r["epochs"] == "9000" and not r["exit_status"],
                  f"hang run {r['run']} ran to the budget, its observer still up", str(r))
    kept = [r for r in rows if r["outcome"] != "masked"]
    check(all(r["log"] and os.path.exists(os.path.join(out_dir, r["log"])) for r in kept) and
          not any(r["log"] for r in rows if r["outcome"] == "masked") and
          len(replays) == len(kept),
          "every run that was not masked keeps its recording and has a replay line",
          "\n".join(replays))
    for r in kept:
        reqs = logged_requests(os.path.join(out_dir, r["log"]))
        epoch, dur = int(r["epoch"]), int(r["duration"])
        want = [e for e in (epoch, epoch + dur) if e < int(r["epochs"])]
        check(reqs and reqs[0] == (1, START) and [e for e, _ in reqs[1:]] == want,
              f"run {r['run']}'s log holds start.inject's request and its fault's at epochs "
              f"{want}", str(reqs))

    r = kept[0]
    line = next(x for x in replays if f"/runs/{r['run']}.log " in x)
    rundir = os.path.join(out_dir, "runs", r["run"])
    with open(os.path.join(rundir, "client.console"), "rb") as f:
        console = f.read()
    shutil.rmtree(rundir)  # its schedule file and consoles
    os.makedirs(rundir)
    p = subprocess.run(shlex.split(line.split("  #")[0]), capture_output=True, text=True,
                       timeout=900)
    m = re.search(r"system digest ([0-9a-f]{16})", p.stdout)
    with open(os.path.join(rundir, "client.console"), "rb") as f:
        again = f.read()
    check(p.returncode == 0 and "replay matched the log" in p.stderr and m and
          m.group(1) == r["digest"] and again == console,
          f"run {r['run']} ({r['outcome']}: {r['fault']}) replays from its line of replay.sh "
          "without its schedule: matched, its digest, the same console", p.stderr + p.stdout)
    finish()


if __name__ == "__main__":
    main()
