#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Network-fault campaigns over a system of domains (issue 16, item 4;
docs/campaigns.md, section 7, "Network faults over domains").

    campaign-net --prepare DIR [--fetches N] [--save-epoch E]
    campaign-net --system DIR --runs N --seed S --out OUT [--jobs J] ...

A campaign starts every run from one saved system (`xl save-system DIR`:
system.cfg, system.state, NAME.snap) and gives it one network fault as a
schedule of toolstack requests (`up --inject FILE`): drop, duplicate or
reorder (a rate in ppm on a bridge), delay (a rate and a number of
epochs), or partition (one domain cut off), switched on at a drawn epoch
and off again K epochs later. Each run is

    retrovisor up --restore DIR --inject F --control none --max-epochs BUDGET \\
        --record LOG --log-dir RUN --rtc T --print-digest

so the fault is in LOG as the toolstack's requests and `retrovisor up
--replay LOG` replays the run without F. The observer domain's console
(its programs' lines: the kernel's own, which carry its clock, are left
out) is compared with the golden run's (no fault): masked (the same, and
it powered off with the same status), detected (it printed what --detect
matches and the golden run did not), SDC (different, and it powered
off), hang (it had not powered off at BUDGET epochs), crash (a domain
crashed). DIR/start.inject, when present, holds requests every run (the
golden run too) applies first, at their epochs; faults are drawn after
them.

--prepare DIR boots the example system (the Debian guest of
tools/fetch-guest): a server running busybox httpd, and a client that
fetches a page --fetches times (each try twice), prints the MD5 and size
of what it got, a line per failed fetch and the count of five pings,
tells the server it is done (which then powers off) and powers off. The
client is partitioned from the start and waits for the network; the
system is saved at epoch --save-epoch, all through up's --inject, so the
same images give the same saved system. Its start.inject heals the
partition at epoch 1.

Output in OUT: campaign.csv (a row a run), summary.json (the golden run,
counts, the 95% Wilson interval of each class: report.py's statistics),
report.md (the table, outcomes by fault kind, a replay command for every
run that was not masked), replay.sh (those commands), runs/NNNN.log (the
recordings of runs that were not masked) and runs/NNNN/ (their consoles
and schedule). The same system, --seed and options draw the same faults
and give the same CSV (the seconds column aside).
"""
import argparse
import csv
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_RV = os.path.join(ROOT, "bazel-bin", "retrovisor")
GUEST = os.path.expanduser("~/.cache/retrovisor/guest")
KINDS = ("drop", "duplicate", "reorder", "delay", "partition")
FIELDS = ["run", "kind", "fault", "epoch", "duration", "outcome", "end", "exit_status",
          "epochs", "digest", "output_hash", "log", "seconds", "weight"]
DIGEST_RE = re.compile(r"system digest ([0-9a-f]{16}) after (\d+) epochs")
# The kernel's own lines carry its clock, which a fault that only delays
# shifts: the observer's output is what its programs print.
PRINTK_RE = re.compile(rb"^\[ *\d+\.\d+\] [^\n]*\n?", re.M)

SERVER = ("ip addr add 10.0.0.1/24 dev eth0; ip link set eth0 up; mkdir -p /www; "
          "seq 1 2500 > /www/data; httpd -p 80 -h /www; echo server-ready; "
          "timeout 120 nc -l -p 81 >/dev/null; echo server-done")
CLIENT = ("ip addr add 10.0.0.2/24 dev eth0; ip link set eth0 up; echo client-waiting; "
          "until ping -c 1 -W 1 10.0.0.1 >/dev/null 2>&1; do :; done; echo client-start; "
          "i=0; : > /tmp/all; while [ $i -lt {fetches} ]; do "
          "wget -q -T 2 -O /tmp/p http://10.0.0.1/data || "
          "wget -q -T 2 -O /tmp/p http://10.0.0.1/data || "
          "{{ echo fetch-failed-$i; : > /tmp/p; }}; cat /tmp/p >> /tmp/all; i=$((i+1)); done; "
          "echo result $(md5sum < /tmp/all | cut -c1-32) $(wc -c < /tmp/all); "
          "ping -q -c 5 -i 0.2 -W 1 10.0.0.1 > /tmp/ping || echo ping-failed; "
          "grep transmitted /tmp/ping; "
          "echo bye | nc -w 2 10.0.0.1 81; echo client-done")


def say(msg):
    print("campaign-net: " + msg, flush=True)


class Failure(Exception):
    pass


# ---- The example system ----

def prepare(args):
    """Boot the server and the client with the client partitioned, and
    save the system at epoch --save-epoch: all through up's --inject, so
    the same images give the same saved system. DIR/start.inject heals
    the partition."""
    kernel = os.path.abspath(args.kernel or os.environ.get("RV_GUEST_KERNEL") or
                             os.path.join(GUEST, "Image"))
    initrd = os.path.abspath(args.initrd or os.environ.get("RV_GUEST_INITRAMFS") or
                             os.path.join(GUEST, "initramfs.cpio"))
    out = os.path.abspath(args.prepare)
    if os.path.exists(out):
        raise Failure("%s exists: --prepare makes it" % out)
    work = tempfile.mkdtemp(prefix="campaign-net-")
    try:
        return prepare_in(args, kernel, initrd, out, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def prepare_in(args, kernel, initrd, out, work):
    cfg = os.path.join(work, "system.cfg")

    def dom(name, cmd):
        return ("name = '%s'\nkernel = '%s'\ninitrd = '%s'\n"
                "cmdline = 'console=ttyS0 quiet rv.net=off rv.cmd=\"%s\"'\n"
                "memory = 256\nvif = [ 'bridge=br0' ]\n\n" % (name, kernel, initrd, cmd))
    with open(cfg, "w") as f:
        f.write("bridge = [ 'br0' ]\n\n" + dom("server", SERVER) +
                dom("client", CLIENT.format(fetches=args.fetches)))
    inject = os.path.join(work, "prepare.inject")
    with open(inject, "w") as f:
        f.write('0 {"cmd":"partition","bridge":"br0","domain":"client","group":1}\n'
                '%d {"cmd":"save-system","file":%s}\n%d {"cmd":"quit"}\n' % (
                    args.save_epoch, json.dumps(out), args.save_epoch))
    p = subprocess.run([args.retrovisor, "up", cfg, "--log-dir", work, "--control", "none",
                        "--rtc", str(args.rtc), "--inject", inject,
                        "--max-epochs", str(args.save_epoch + 1)],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       errors="replace", timeout=args.timeout)
    if p.returncode or not os.path.exists(os.path.join(out, "system.state")):
        raise Failure("the example system was not saved (status %d): %s" % (
            p.returncode, p.stderr.strip()[-600:]))
    consoles = {}
    for name in ("server", "client"):
        with open(os.path.join(work, name + ".console"), errors="replace") as f:
            consoles[name] = f.read()
    if "server-ready" not in consoles["server"] or "client-waiting" not in consoles["client"]:
        shutil.rmtree(out)
        raise Failure("at epoch %d the example system was not ready yet (the server's httpd "
                      "up, the client waiting): give a larger --save-epoch" % args.save_epoch)
    with open(os.path.join(out, "start.inject"), "w") as f:
        f.write("# The client waits for the network: heal its partition.\n"
                '1 {"cmd":"partition","bridge":"br0","domain":"client","group":0}\n')
    say("saved the example system at epoch %d in %s (observer: client)" % (args.save_epoch, out))
    return 0


# ---- Runs ----

def system_shape(sysdir):
    """{bridge: [domain, ...]} from DIR/system.cfg."""
    with open(os.path.join(sysdir, "system.cfg")) as f:
        text = f.read()
    m = re.search(r"^bridge = \[(.*)\]$", text, re.M)
    bridges = {b.split(",")[0]: [] for b in re.findall(r"'([^']*)'", m.group(1))} if m else {}
    name = None
    for line in text.splitlines():
        n = re.match(r"name = '([^']*)'", line)
        if n:
            name = n.group(1)
        v = re.match(r"vif = \[ 'bridge=([^,']*)", line)
        if v and name and v.group(1) in bridges:
            bridges[v.group(1)].append(name)
    return bridges


def start_lines(sysdir):
    """DIR/start.inject's requests, [(epoch, request)]; up checks them."""
    path = os.path.join(sysdir, "start.inject")
    if not os.path.exists(path):
        return []
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            s = line.strip()
            if s and not s.startswith("#"):
                e, _, req = s.partition(" ")
                if not e.isdigit():
                    raise Failure("%s:%d: a line is EPOCH {JSON request}" % (path, n))
                out.append((int(e), req.strip()))
    return out


def draw(args, shape, lo, hi):
    """The runs' faults from --seed: (kind, description, epoch, duration,
    [(epoch, request), ...])."""
    rnd = random.Random(args.seed)
    kinds = args.kinds.split(",")
    dlo, dhi = args.duration
    rates = [int(x) for x in args.rates.split(",")]
    bridges = sorted(b for b in shape if shape[b])

    def req(**kv):
        return json.dumps(kv, separators=(",", ":"))
    faults = []
    for _ in range(args.runs):
        kind = rnd.choice(kinds)
        bridge = rnd.choice(bridges)
        epoch = rnd.randrange(lo, hi)
        dur = rnd.randint(dlo, dhi)
        if kind == "partition":
            dom = rnd.choice(shape[bridge])
            on = req(cmd="partition", bridge=bridge, domain=dom, group=1)
            off = req(cmd="partition", bridge=bridge, domain=dom, group=0)
            what = "partition %s:%s" % (bridge, dom)
        elif kind == "delay":
            rate, by = rnd.choice(rates), rnd.randint(1, args.max_delay)
            on = req(cmd="faults", bridge=bridge, delay=rate, delay_epochs=by)
            off = req(cmd="faults", bridge=bridge, delay=0, delay_epochs=0)
            what = "delay %s:%dppm:%d" % (bridge, rate, by)
        else:
            rate = rnd.choice(rates)
            on = req(cmd="faults", bridge=bridge, **{kind: rate})
            off = req(cmd="faults", bridge=bridge, **{kind: 0})
            what = "%s %s:%dppm" % (kind, bridge, rate)
        faults.append((kind, "%s for %d epochs" % (what, dur), epoch, dur,
                       [(epoch, on), (epoch + dur, off)]))
    return faults


def up_run(args, sysdir, lines, budget, rundir, log):
    """One recorded run of the system with the requests lines; returns
    what classify() needs and the host seconds it took."""
    os.makedirs(rundir, exist_ok=True)
    inject = os.path.join(rundir, "fault.inject")
    with open(inject, "w") as f:
        for e, r in sorted(lines, key=lambda x: x[0]):
            f.write("%d %s\n" % (e, r))
    t0 = time.monotonic()
    p = subprocess.run([args.retrovisor, "up", "--restore", sysdir, "--inject", inject,
                        "--control", "none", "--max-epochs", str(budget), "--record", log,
                        "--log-dir", rundir, "--rtc", str(args.rtc), "--print-digest"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       errors="replace", timeout=args.timeout)
    secs = time.monotonic() - t0
    m = DIGEST_RE.search(p.stdout)
    if p.returncode != 0 or not m:
        raise Failure("a run failed (status %d): %s" % (p.returncode, p.stderr.strip()[-600:]))
    try:
        with open(os.path.join(rundir, args.observer + ".console"), "rb") as f:
            out = PRINTK_RE.sub(b"", f.read())
    except OSError:
        out = b""
    off = re.search(r"domain '%s' powered off \(status (-?\d+)\)" % re.escape(args.observer),
                    p.stderr)
    crashed = re.search(r"domain '[^']*' crashed", p.stderr)
    return {"end": "crash" if crashed else "poweroff" if off else "budget",
            "exit_status": off.group(1) if off else "",
            "epochs": int(m.group(2)), "digest": m.group(1), "output": out,
            "output_hash": hashlib.sha256(out).hexdigest()[:16]}, secs


def classify(r, golden, detect):
    if r["end"] == "crash":
        return "crash"
    if r["end"] == "budget":
        return "hang"
    if r["output"] == golden["output"] and r["exit_status"] == golden["exit_status"]:
        return "masked"
    if re.search(detect, r["output"].decode(errors="replace")) and \
            not re.search(detect, golden["text"]):
        return "detected"
    return "sdc"


def replay_command(rv, out, row):
    return "%s up --replay %s --log-dir %s --print-digest  # %s %s, digest %s" % (
        shlex.quote(rv), shlex.quote(os.path.join(out, row["log"])),
        shlex.quote(os.path.join(out, "runs", row["run"])), row["outcome"], row["fault"],
        row["digest"])


def check_replay(rv, out, row):
    """Replays a kept run: it must match its log and print its row's digest."""
    p = subprocess.run(shlex.split(replay_command(rv, out, row).split("  #")[0]),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       errors="replace")
    m = DIGEST_RE.search(p.stdout)
    return (p.returncode == 0 and "replay matched the log" in p.stderr and m is not None and
            m.group(1) == row["digest"])


def write_report(args, out, rows, summary):
    """report.md and replay.sh; the intervals and by_kind into summary.
    Returns the outcome table's lines."""
    iv = report.intervals(rows, census=False)
    lines = report.outcome_table(iv, "runs")
    by_kind = {k: {o: sum(1 for r in rows if r["kind"] == k and r["outcome"] == o)
                   for o in report.OUTCOMES} for k in sorted({r["kind"] for r in rows})}
    replays = [replay_command(args.retrovisor, out, r) for r in rows if r["log"] and
               r["outcome"] != "masked"]
    md = ["# Network-fault campaign over %s" % summary["system"], "",
          "%d runs, faults (%s) drawn with seed %d at epochs %d..%d of the golden run "
          "(%d epochs; budget %d); observer '%s'. Intervals: 95%% Wilson score." % (
              len(rows), args.kinds, args.seed, summary["window"][0], summary["window"][1] - 1,
              summary["golden"]["epochs"], summary["budget"], args.observer), ""]
    md += lines + ["", "## By fault kind", "", "| kind | " + " | ".join(report.OUTCOMES) + " |",
                   "|---|" + "---:|" * len(report.OUTCOMES)]
    md += ["| %s | %s |" % (k, " | ".join(str(t[o]) for o in report.OUTCOMES))
           for k, t in by_kind.items()]
    report.write_files(out, md, "every run that was not masked", "its schedule file", replays)
    summary["intervals"] = iv
    summary["by_kind"] = by_kind
    return lines


def campaign(args):
    sysdir = os.path.abspath(args.system)
    out = os.path.abspath(args.out)
    for k in args.kinds.split(","):
        if k not in KINDS:
            raise Failure("unknown fault kind '%s' (%s)" % (k, ", ".join(KINDS)))
    shape = system_shape(sysdir)
    if not any(shape.values()):
        raise Failure("%s/system.cfg has no domain on a bridge" % sysdir)
    os.makedirs(os.path.join(out, "runs"), exist_ok=True)
    start = start_lines(sysdir)
    t0 = time.monotonic()
    g, gsecs = up_run(args, sysdir, start, args.golden_limit, os.path.join(out, "runs", "golden"),
                      os.path.join(out, "runs", "golden.log"))
    if g["end"] != "poweroff":
        raise Failure("the golden run did not end with '%s' powering off within %d epochs "
                      "(--golden-limit; it ended: %s)" % (args.observer, args.golden_limit,
                                                          g["end"]))
    g["text"] = g["output"].decode(errors="replace")
    budget = args.max_epochs or 3 * g["epochs"] + 2 * args.duration[1]
    lo = max([e for e, _ in start], default=-1) + 1
    hi = max(lo + 1, g["epochs"])
    say("golden run: %d epochs in %.1f s, observer '%s' powered off (status %s), "
        "output %s; budget %d epochs" % (g["epochs"], gsecs, args.observer, g["exit_status"],
                                         g["output_hash"], budget))
    faults = draw(args, shape, lo, hi)

    def one(i):
        kind, what, epoch, dur, lines = faults[i]
        name = "%04d" % i
        rundir = os.path.join(out, "runs", name)
        log = os.path.join(out, "runs", name + ".log")
        r, secs = up_run(args, sysdir, start + lines, budget, rundir, log)
        outcome = classify(r, g, args.detect)
        keep = outcome != "masked" or args.keep_all
        if not keep:
            os.unlink(log)
            shutil.rmtree(rundir)
        return {"run": name, "kind": kind, "fault": what, "epoch": epoch, "duration": dur,
                "outcome": outcome, "end": r["end"], "exit_status": r["exit_status"],
                "epochs": r["epochs"], "digest": r["digest"], "output_hash": r["output_hash"],
                "log": os.path.join("runs", name + ".log") if keep else "",
                "seconds": "%.2f" % secs, "weight": 1}
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(one, range(len(faults))))
    with open(os.path.join(out, "campaign.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    counts = {o: sum(1 for r in rows if r["outcome"] == o) for o in report.OUTCOMES}
    summary = {"system": sysdir, "seed": args.seed, "kinds": args.kinds, "runs": len(rows),
               "observer": args.observer, "window": [lo, hi], "budget": budget,
               "golden": {"epochs": g["epochs"], "digest": g["digest"],
                          "output_hash": g["output_hash"], "exit_status": g["exit_status"],
                          "output": g["text"][-4000:]},
               "counts": counts, "seconds": round(time.monotonic() - t0, 1), "jobs": args.jobs}
    lines = write_report(args, out, rows, summary)
    if args.check_replays:
        kept = [r for r in rows if r["log"]][:args.check_replays]
        bad = [r["run"] for r in kept if not check_replay(args.retrovisor, out, r)]
        summary["replays_checked"] = len(kept)
        summary["replays_failed"] = bad
        if bad:
            say("these runs did not replay to their digest: %s" % " ".join(bad))
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    for line in lines[2:]:
        say(line)
    say("%d runs in %.1f s (%d jobs): %s" % (len(rows), summary["seconds"], args.jobs, ", ".join(
        "%s %d" % (o, counts[o]) for o in report.OUTCOMES)))
    return 1 if summary.get("replays_failed") else 0


def span(text):
    lo, sep, hi = text.partition(":")
    if not (sep and lo.isdigit() and hi.isdigit() and 1 <= int(lo) <= int(hi)):
        raise argparse.ArgumentTypeError("LO:HI, whole numbers, 1 <= LO <= HI")
    return int(lo), int(hi)


def main():
    ap = argparse.ArgumentParser(prog="campaign-net", description=__doc__.split("\n")[0])
    ap.add_argument("--prepare", metavar="DIR", help="boot and save the example system in DIR")
    ap.add_argument("--fetches", type=int, default=5, help="the example client's fetches")
    ap.add_argument("--save-epoch", type=int, default=100000,
                    help="the epoch --prepare saves the booted system at")
    ap.add_argument("--kernel")
    ap.add_argument("--initrd")
    ap.add_argument("--system", metavar="DIR", help="a system saved by xl save-system")
    ap.add_argument("--out", metavar="DIR")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kinds", default=",".join(KINDS),
                    help="fault kinds drawn from: " + ", ".join(KINDS))
    ap.add_argument("--rates", default="100000,300000,600000,1000000",
                    help="ppm rates drawn from (drop, duplicate, reorder, delay)")
    ap.add_argument("--duration", type=span, default=(200, 8000), metavar="LO:HI",
                    help="epochs a fault lasts, drawn from LO..HI")
    ap.add_argument("--max-delay", type=int, default=200, help="delay's epochs, drawn 1..N")
    ap.add_argument("--observer", default="client", help="the domain whose console is compared")
    ap.add_argument("--detect", default=r"fail|error|timed out",
                    help="a regex: output with it (the golden run's without) is detected")
    ap.add_argument("--max-epochs", type=int, default=0,
                    help="each run's budget (default: 3 golden runs and 2 longest faults)")
    ap.add_argument("--golden-limit", type=int, default=400000,
                    help="the golden run's budget")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=int, default=1800, help="host seconds a run may take")
    ap.add_argument("--keep-all", action="store_true", help="keep masked runs' recordings")
    ap.add_argument("--check-replays", type=int, default=0, metavar="K",
                    help="replay K kept runs at the end and check their digests")
    ap.add_argument("--rtc", type=int, default=1767225600, help="up's --rtc for every run")
    ap.add_argument("--retrovisor", default=DEFAULT_RV)
    args = ap.parse_args()
    args.retrovisor = os.path.abspath(args.retrovisor)
    try:
        if args.prepare:
            return prepare(args)
        if not args.system or not args.out:
            ap.error("give --prepare DIR, or --system DIR and --out DIR")
        return campaign(args)
    except (Failure, OSError, ValueError, subprocess.TimeoutExpired) as e:
        sys.exit("campaign-net: %s" % e)


if __name__ == "__main__":
    sys.exit(main())
