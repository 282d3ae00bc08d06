#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fault-injection campaign: many runs forked from one snapshot, one fault each.

Usage:
  experiments/campaign --snapshot S.snap --out DIR [--workload CMD] [--runs N]
                       [--kind reg|mem|blk] [--seed S] [--jobs J]
                       [--scheduler tcp://HOST:PORT] [--keep-all] ...

Steps (issue "Part 6", item 7):
 1. A golden run: `retrovisor record --restore S.snap` with the workload typed
    on the console as one line, `echo S@$((6*7)); CMD; echo E@$?; poweroff
    -f`. Its console output between the lines "S@42" and "E@N" (N: the
    shell's status of CMD), its exit status and final icount are the
    reference. The workload's instruction range is [snapshot icount, golden
    final icount).
 2. N runs, each `retrovisor record --log DIR/runs/NNNN.rlog --restore S.snap
    --plugin faultinj.so,at=ICOUNT,...,out=FILE` with a distinct fault drawn
    from --seed (random.Random, so the same seed gives the same faults):
      reg  icount uniform in the workload's range, register x1..x31, bit
           0..63, hart uniform among the machine's harts;
      mem  icount likewise, a byte address uniform in --mem-range (default:
           the kernel image's memory, read from the Image header of the
           kernel named in the snapshot's configuration), bit 0..7;
      blk  the Nth block request of the run (faultinj counts them from 0,
           per device), N uniform in 0..--blk-max-1; the workload must use
           a drive; the CSV's icount is then the snapshot's.
    The plugin's at= counts the instructions of the faulted hart (the
    machine's, with one hart); see draw_faults for several harts.
 3. Each run is classified against the golden run:
      masked    same workload output and exit status as the golden run;
      detected  the guest powered off but reported the fault: an error word
                (error, Oops, BUG, segmentation fault, ...) that the golden
                output does not have, or CMD's shell status differs;
      crash     kernel panic (status 5), a plugin stop (8), an unexplained
                machine stop (1), or a poweroff with a non-zero status;
      hang      --watchdog (6), --max-instructions (3), deadlock (4: the
                guest waits for console input that never comes), or the
                host-side --timeout;
      sdc       silent data corruption: status 0, no error report, but the
                workload output differs from the golden run's.
 4. DIR/campaign.csv (run, fault, icount, outcome, exit_status, log,
    output_hash, then digest, final_icount, injection, seconds), a bar chart
    DIR/outcomes.png (matplotlib, Agg backend) with the outcomes over the
    workload's instruction range beside it, and DIR/summary.json. The
    recording of every run that is not masked stays in DIR/runs (with its
    console output); masked runs' files are deleted unless --keep-all. Any
    kept run replays exactly: `retrovisor replay DIR/runs/NNNN.rlog
    --print-digest` prints the digest of the CSV (--check-replays K does
    that for K interesting runs after the campaign).
 5. Runs go to a local pool of --jobs worker processes (default: the CPU
    count), each driving one retrovisor process, or with --scheduler to an
    existing Dask distributed scheduler (Debian: python3-distributed). Dask
    workers must see the same paths (snapshot, binaries, DIR): one host or a
    shared file system.

Smaller fault spaces (issue 16, item 2; defuse.py): for --kind reg,
--window LO:HI (instruction offsets into the workload), --regs and --bits
name a fault space (for --kind mem: --window, --mem-range, which may name
the guest ELF's symbols, and --bits); --exhaustive runs all of it, --prune
one experiment per def/use equivalence class (a golden run traced with
defuse.so), weighted by the class's size, and counts flips overwritten
before any read as masked without running them. The CSV's weight column is a run's
(or a class's) share of the space; span the class's counts. report.py
writes report.md (intervals, locations, replay lines) and two plots.

Layout: experiments/campaign runs this file (experiments/campaign_lib/
campaign.py) as __main__, so that run_one is pickled by value for Dask
workers; tests/campaign uses this file directly (its BUILD exports it).

Engines (issue 16, items 1, 3 and 5; engine.py): by default (--engine
worker) each pool thread or Dask worker keeps one `retrovisor worker`
process, which loads the snapshot once and runs each experiment by
in-memory restore, recorded as `record` would record it; a run that hangs
(--timeout) or crashes the worker restarts it and is marked as a
per-process run would be. --engine process starts one `retrovisor record`
a run, as before. Early stop (worker engine, not with --keep-all): the
golden run notes its state digest every --digest-interval instructions; a
faulty run whose state and output equal the golden run's there, after its
fault, is masked and stops at once (CSV early_stop: where; summary.json:
the instructions and estimated seconds saved). Checkpoints (worker engine,
one hart): each worker runs the golden run again once, snapshotting it in
memory every --checkpoint-interval instructions, and starts a run whose
fault comes later from the last checkpoint before it instead of from the
snapshot (its log is the same, byte for byte). campaign.csv grows a row a
run as results arrive (flushed); --resume keeps the rows of a stopped
campaign with the same --seed, --kind and --runs and runs only the rest.
Several machines: a Dask scheduler and dask-worker processes on hosts that
share the file system (docs/campaigns.md).

Determinism: every run starts from the same snapshot with the same console
input (a file, read at the machine's first input poll), so until the fault
a run is the golden run instruction for instruction, and the same seed
gives the same CSV. Untrusted input: the guest's console output (decoded
with replacement, capped when kept in memory) and the snapshot's
configuration text; a run whose retrovisor refuses the command line (status
2 without a final digest) stops the campaign with that line, since every
other run would fail the same way.
"""
import argparse
import concurrent.futures
import csv
import json
import os
import random
import re
import resource
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engine  # noqa: E402  (the runs: worker or process; shipped to Dask by value)
from engine import last_line, run_one, stderr_values, workload_output  # noqa: E402,F401

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import defuse  # noqa: E402
import fault_kinds  # noqa: E402
import report  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_RV = os.path.join(ROOT, "bazel-bin", "retrovisor")
DEFAULT_PLUGIN = os.path.join(ROOT, "bazel-bin", "plugins", "examples", "faultinj.so")
DEFAULT_WORKLOAD = "seq 1 2000 | md5sum; echo DONE"
DEBIAN_PYTHON = "/usr/bin/python3"

OUTCOMES = ("masked", "detected", "crash", "hang", "sdc")
# The workload's output lies between two lines that only the shell's
# output can hold whole: the typed line shows "$((6*7))" and "$?" (and the
# line editor may wrap it anywhere), the shell prints the numbers. They
# are short because the typed line should be: a long line of console input
# is more exposed to the guest's UART timing.
START_TYPED = "S@$((6*7))"
START_RE = engine.START_RE
MARK_TYPED = "E@$?"
# Kinds whose fault faultinj.so makes at its at= instruction and not
# before: the worker may load it there (attach-at) and compare from there.
AT_KINDS = ("reg", "mem", "regmulti", "memmulti", "skip", "stuck")
FIELDS = ["run", "fault", "icount", "outcome", "exit_status", "log", "output_hash", "digest",
          "final_icount", "injection", "seconds", "weight", "span", "early_stop"]


class Failure(Exception):
    """A problem reported as one line, without a traceback."""


def say(msg):
    print("campaign: " + msg, flush=True)


# ------------------------------------------------------------ helpers ----

def debian_python_reexec(need_distributed):
    """Matplotlib (and Dask) come from Debian's packages (tools/setup); when
    another interpreter runs this script (a pyenv shim first in PATH), run
    it again under Debian's python3, once."""
    mods = ["matplotlib"] + (["distributed"] if need_distributed else [])
    missing = []
    for mod in mods:
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    if not missing:
        return
    if (os.path.exists(DEBIAN_PYTHON) and
            os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON) and
            not os.environ.get("CAMPAIGN_REEXEC")):
        os.environ["CAMPAIGN_REEXEC"] = "1"
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
    if "distributed" in missing:
        raise Failure("--scheduler needs Dask's distributed module: install the Debian "
                      "package python3-distributed")
    raise Failure("the plot needs matplotlib: install the Debian package python3-matplotlib "
                  "(tools/setup does)")


# ----------------------------------------------------- classification ----

def classify(r, golden):
    """One of OUTCOMES for a run's result r, against the golden run's."""
    s = r["status"]
    if r["timed_out"] or s in (3, 4, 6):
        return "hang"
    if s != 0:
        return "crash"  # 5 panic, 8 plugin stop, 1 machine stop, other poweroffs
    if r["output_hash"] == golden["output_hash"] and r["shell_status"] == golden["shell_status"]:
        return "masked"
    more_errors = any(a > b for a, b in zip(r["errors"], golden["errors"]))
    if more_errors or (r["shell_status"] is not None and
                       r["shell_status"] != golden["shell_status"]):
        return "detected"
    return "sdc"


# -------------------------------------------------------------- setup ----

def snapshot_info(rv, snap):
    p = subprocess.run([rv, "snapshot", "info", snap], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    text = p.stdout.decode(errors="replace")
    if p.returncode != 0:
        raise Failure("%s: retrovisor snapshot info failed: %s" % (
            snap, last_line(p.stderr.decode(errors="replace"))))
    m = re.search(r"instructions retired: (\d+)", text)
    h = re.search(r"machine: .*?(\d+) harts?", text)
    if not m or not h:
        raise Failure("%s: snapshot info shows no instruction count or hart count" % snap)
    args = re.findall(r"^arg (.*)$", text, re.M)
    kernel = None
    for i, a in enumerate(args[:-1]):
        if a == "--kernel":
            kernel = args[i + 1]
    return {"icount": int(m.group(1)), "harts": int(h.group(1)), "kernel": kernel, "args": args}


def kernel_range(kernel):
    """[lo, hi) of the kernel image in guest memory from a RISC-V Linux
    Image header (text_offset at 8, image_size at 16, paravirtual load at
    RAM base 0x80000000 + text_offset; docs/cli.md)."""
    try:
        with open(kernel, "rb") as f:
            head = f.read(64)
    except OSError as e:
        raise Failure("%s: %s (give --mem-range LO:HI)" % (kernel, e.strerror))
    if len(head) < 64 or head[56:60] != b"RSC\x05":
        raise Failure("%s is not a RISC-V Linux Image: give --mem-range LO:HI" % kernel)
    text_offset, image_size = struct.unpack_from("<QQ", head, 8)
    lo = 0x80000000 + text_offset
    return lo, lo + image_size


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def draw_faults(args, lo_ic, hi_ic, harts, mem):
    """N distinct faults from --seed: (label, plugin arguments, icount).
    faultinj's at= is the chosen hart's own instruction count; with one
    hart that is the machine's. With several, the hart's range is taken
    as the machine's divided by the hart count (an approximation: the
    golden run measures only the sum; a fault past the hart's real end is
    not injected and the run comes out masked)."""
    rng = random.Random(args.seed)
    if harts > 1:
        lo_ic, hi_ic = lo_ic // harts, max(lo_ic // harts + 1, hi_ic // harts)
    seen, faults = set(), []
    space = (hi_ic - lo_ic) * 31 * 64 * harts if args.kind == "reg" else None
    if args.kind == "mem":
        space = (hi_ic - lo_ic) * (mem[1] - mem[0]) * 8 * harts
    elif args.kind == "blk":
        space = args.blk_max
    elif args.kind in fault_kinds.KINDS:
        space = fault_kinds.space(args, lo_ic, hi_ic, mem) * harts
    if space < args.runs:
        raise Failure("only %d distinct faults of kind %s exist; ask for fewer runs" % (
            space, args.kind))
    while len(faults) < args.runs:
        hart = rng.randrange(harts)
        if args.kind == "reg":
            at, reg, bit = rng.randrange(lo_ic, hi_ic), rng.randint(1, 31), rng.randint(0, 63)
            key = (at, reg, bit, hart)
            label = "reg=x%d,bit=%d" % (reg, bit) + (",hart=%d" % hart if harts > 1 else "")
            pargs = "at=%d,reg=%d,bit=%d" % (at, reg, bit) + (
                ",hart=%d" % hart if harts > 1 else "")
        elif args.kind == "mem":
            at, addr, bit = rng.randrange(lo_ic, hi_ic), rng.randrange(*mem), rng.randint(0, 7)
            key = (at, addr, bit, hart)
            label = "mem=0x%x,bit=%d" % (addr, bit) + (",hart=%d" % hart if harts > 1 else "")
            pargs = "at=%d,mem=0x%x,bit=%d" % (at, addr, bit) + (
                ",hart=%d" % hart if harts > 1 else "")
        elif args.kind in fault_kinds.KINDS:
            key, label, pargs, at = fault_kinds.draw_one(args, rng, lo_ic, hi_ic, mem)
            key += (hart,)
            if harts > 1:
                label, pargs = label + ",hart=%d" % hart, pargs + ",hart=%d" % hart
        else:
            at, nth = lo_ic, rng.randrange(args.blk_max)
            key = (nth,)
            label = "blk=%d" % nth
            pargs = "blk=%d" % nth
        if key in seen:
            continue
        seen.add(key)
        faults.append((label, pargs, at))
    return faults


# ------------------------------------------------------------- running ----

def run_all(jobs, args, done):
    """Run jobs on the pool or the Dask scheduler; call done(result) as
    each finishes."""
    if args.scheduler:
        import cloudpickle
        import distributed
        cloudpickle.register_pickle_by_value(engine)  # workers need not import it
        try:
            client = distributed.Client(args.scheduler, timeout=30)
        except (OSError, TimeoutError) as e:
            raise Failure("cannot reach the Dask scheduler %s: %s" % (args.scheduler, e))
        try:
            futures = client.map(run_one, jobs, pure=False)
            for fut in distributed.as_completed(futures):
                done(fut.result())
        finally:
            client.close()
        return
    # Threads: each drives its own retrovisor process (engine.run_one).
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_one, j) for j in jobs]
        try:
            for fut in concurrent.futures.as_completed(futures):
                done(fut.result())
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
        finally:
            pool.shutdown(wait=True)
            engine.close_workers()


def typed(row):
    """A CSV row with the numbers the driver computes with."""
    for k in ("run", "icount", "exit_status", "final_icount", "early_stop"):
        if re.fullmatch(r"-?\d+", row.get(k) or ""):
            row[k] = int(row[k])
    for k in ("seconds", "weight"):
        if k in row and re.fullmatch(r"\d+(\.\d*)?", row[k] or ""):
            row[k] = float(row[k]) if "." in row[k] else int(row[k])
    return row


class CsvSink:
    """campaign.csv as the results arrive, a row a run, flushed: a stopped
    campaign resumes from it (--resume: done holds its rows by run)."""

    def __init__(self, path, fields, resume, faults):
        self.done = {}
        if resume and os.path.exists(path):
            with open(path, newline="") as f:
                rd = csv.DictReader(f)
                if rd.fieldnames != fields:
                    raise Failure("%s has other columns than this campaign's; --resume needs "
                                  "the CSV of a campaign of this version" % path)
                for row in rd:
                    if None in row or None in row.values() or not row["outcome"]:
                        continue  # the row being written when the campaign stopped
                    row = typed(row)
                    run = row["run"]
                    if not isinstance(run, int) or run < 0 or run >= len(faults):
                        continue  # not a run of this campaign's (e.g. unrun flips)
                    if faults[run][0] != row["fault"]:
                        raise Failure("%s: run %d was fault %s, this campaign's is %s: resume "
                                      "with the --seed, --kind and --runs it was started "
                                      "with" % (path, run, row["fault"], faults[run][0]))
                    self.done[run] = row
        with open(path + ".tmp", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(sorted(self.done.values(), key=lambda r: r["run"]))
        os.replace(path + ".tmp", path)
        self.f = open(path, "a", newline="")
        self.w = csv.DictWriter(self.f, fieldnames=fields)

    def add(self, row):
        self.w.writerow(row)
        self.f.flush()

    def close(self):
        self.f.close()


def median(v):
    v = sorted(v)
    return round((v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2, 2) if v else None


def engine_summary(args, rows, golden, lo_ic, hi_ic, workers, timing, nruns, t_runs, skipped,
                   t_ready=0.0, driver_cpu=0.0):
    """summary.json's "engine": how the runs ran (runs per second of the
    run phase; the median milliseconds a run took beyond its machine's
    execution, in the driver and in the worker), and what early stop and
    checkpoints saved (instructions; seconds estimated at the golden run's
    guest speed). skipped: per run started from a checkpoint, the
    instructions from the snapshot to it. t_ready: the seconds the pool's
    workers took to get ready, before the run phase; driver_cpu: the CPU
    seconds this process used in the run phase (its threads included)."""
    stopped = [r["early_stop"] for r in rows if r.get("early_stop")]
    saved = sum(hi_ic - e for e in stopped)
    guest_s = golden.get("guest_us", golden["seconds"] * 1e6) / 1e6
    per_insn = guest_s / max(1, hi_ic - lo_ic)
    return {"engine": args.engine, "digest_interval": args.digest_interval,
            "early_stopped": len(stopped), "instructions_saved": saved,
            "seconds_saved": round(saved * per_insn, 2),
            "checkpoint_interval": args.checkpoint_interval,
            "checkpoint_starts": len(skipped), "instructions_skipped": sum(skipped),
            "seconds_skipped": round(sum(skipped) * per_insn, 2),
            "worker_processes": len(workers), "runs_per_worker": sorted(workers.values()),
            "runs_run": nruns, "runs_seconds": round(t_runs, 2),
            "workers_ready_seconds": round(t_ready, 2),
            "driver_cpu_seconds": round(driver_cpu, 3),
            "runs_per_second": round(nruns / t_runs, 2) if t_runs > 0 else None,
            "overhead_ms": median(t[0] for t in timing),
            "worker_overhead_ms": median(t[1] for t in timing),
            # Summed over the runs: seconds from request to row (driver),
            # from request to answer (worker) and of guest execution.
            "sum_seconds": {"driver": round(sum(t[2] for t in timing), 3),
                            "worker": round(sum(t[3] for t in timing), 3),
                            "guest": round(sum(t[4] for t in timing), 3)}}


def check_setup_error(r, what):
    """Status 2 without a digest: retrovisor refused the command line."""
    if r["status"] == 2 and not r["digest"]:
        raise Failure("%s: retrovisor refused to run: %s" % (what, r["stderr_last"]))


def plot(path, rows, counts, args, lo_ic, hi_ic):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"masked": "#7f9f7f", "detected": "#4a7fbf", "crash": "#c04040",
              "hang": "#d09030", "sdc": "#8040a0"}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    bars = ax1.bar(OUTCOMES, [counts[o] for o in OUTCOMES],
                   color=[colors[o] for o in OUTCOMES])
    for b, o in zip(bars, OUTCOMES):
        ax1.annotate(str(counts[o]), (b.get_x() + b.get_width() / 2, b.get_height()),
                     ha="center", va="bottom")
    ax1.set_ylabel("runs")
    ax1.set_title("%d %s faults: outcomes" % (len(rows), args.kind))
    nbins = 10
    width = max(1, hi_ic - lo_ic)
    bottom = [0] * nbins
    for o in OUTCOMES:
        h = [0] * nbins
        for r in rows:
            if r["outcome"] == o:
                h[min(nbins - 1, (r["icount"] - lo_ic) * nbins // width)] += r["weight"]
        ax2.bar([(i + 0.5) * 100 / nbins for i in range(nbins)], h, width=100 / nbins * 0.9,
                bottom=bottom, color=colors[o], label=o)
        bottom = [a + b for a, b in zip(bottom, h)]
    ax2.set_xlabel("injection point (%% of the workload's %d instructions)" % (hi_ic - lo_ic))
    ax2.set_ylabel("runs")
    ax2.set_title("outcome by injection time")
    ax2.legend(fontsize="small")
    fig.suptitle("workload: " + args.workload[:90], fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def check_replays(rv, out, rows, k):
    """Replay up to k interesting runs (SDC first): same digest as recorded?"""
    order = {"sdc": 0, "detected": 1, "crash": 2, "hang": 3}
    picks = sorted((r for r in rows if r["log"] and r["outcome"] in order),
                   key=lambda r: (order[r["outcome"]], r["run"]))[:k]
    bad = 0
    for r in picks:
        p = subprocess.run([rv, "replay", os.path.join(out, r["log"]), "--trust-stored-paths",
                            "--print-digest"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=600)
        err = p.stderr.decode(errors="replace")
        digest, _ = stderr_values(err)
        ok = "replay matched the recording" in err and digest == r["digest"]
        bad += not ok
        say("replay of run %d (%s): %s" % (r["run"], r["outcome"], "matched, digest " + digest
                                            if ok else "DIFFERS: " + last_line(err)))
    return bad


def main():
    ap = argparse.ArgumentParser(
        prog="campaign", description="Fault-injection campaign from one snapshot: a golden "
        "run, N runs with one fault each, classified; CSV and plot in --out.")
    ap.add_argument("--snapshot", required=True, metavar="S.snap",
                    help="snapshot of the guest at its shell prompt (retrovisor loop "
                    "--iterations 0 --save-start S.snap --start-on-output '# ' ...)")
    ap.add_argument("--drive", action="append", default=[], metavar="IMG",
                    help="the snapshot's drive images, in order (retrovisor opens a drive "
                    "a snapshot names only when the command line names it)")
    ap.add_argument("--workload", default=DEFAULT_WORKLOAD, metavar="CMD",
                    help="shell command line typed at the prompt (default: %(default)r)")
    ap.add_argument("--runs", type=int, default=100, metavar="N")
    ap.add_argument("--kind", choices=("reg", "mem", "blk") + fault_kinds.KINDS, default="reg",
                    help="the fault class (fault_kinds.py for all but reg, mem and blk)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="J")
    ap.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                    help="run on this Dask distributed scheduler instead of a local pool")
    ap.add_argument("--out", required=True, metavar="DIR")
    ap.add_argument("--keep-all", action="store_true",
                    help="keep masked runs' recordings too")
    ap.add_argument("--retrovisor", default=DEFAULT_RV, metavar="FILE")
    ap.add_argument("--plugin", default=DEFAULT_PLUGIN, metavar="FILE",
                    help="the fault injector (default: bazel-bin/plugins/examples/faultinj.so)")
    ap.add_argument("--watchdog", type=float, default=5, metavar="SECONDS",
                    help="guest seconds without console output that make a hang")
    ap.add_argument("--budget", type=int, default=10, metavar="K",
                    help="a run may retire K times the golden workload's instructions "
                    "(at least 10 million) past the golden run's end before it counts "
                    "as a hang")
    ap.add_argument("--timeout", type=float, default=600, metavar="SECONDS",
                    help="host seconds after which a run is killed (a hang)")
    ap.add_argument("--mem-range", metavar="LO:HI",
                    help="physical addresses for --kind mem, each end a number or "
                    "SYMBOL[+OFF] of --symbols' ELF, or one SYMBOL (default: the kernel image)")
    ap.add_argument("--blk-max", type=int, default=64, metavar="N",
                    help="--kind blk: fail request 0..N-1")
    fault_kinds.add_arguments(ap)
    ap.add_argument("--symbols", metavar="ELF",
                    help="names fault locations in report.md (a vmlinux, a guest ELF; "
                    "default: the snapshot's kernel if it is an ELF file)")
    ap.add_argument("--window", metavar="LO:HI",
                    help="--exhaustive/--prune: instruction offsets into the workload")
    ap.add_argument("--regs", default="1-31", metavar="LIST",
                    help="--exhaustive/--prune: registers (default %(default)s)")
    ap.add_argument("--bits", metavar="LIST",
                    help="--exhaustive/--prune: bits (default 0-63, for --kind mem 0-7)")
    space = ap.add_mutually_exclusive_group()
    space.add_argument("--exhaustive", action="store_true",
                       help="run every register or memory flip of the space (not --runs draws)")
    space.add_argument("--prune", action="store_true",
                       help="one run per def/use equivalence class of the space, weighted")
    ap.add_argument("--engine", choices=("worker", "process"), default="worker",
                    help="worker: one retrovisor process per pool thread or Dask worker, "
                    "runs restored in memory (default); process: a process a run")
    ap.add_argument("--digest-interval", type=int, default=1000000, metavar="N",
                    help="worker engine: compare with the golden run every N instructions "
                    "and stop a run whose state became the golden run's (0: never)")
    ap.add_argument("--checkpoint-interval", type=int, default=1000000, metavar="N",
                    help="worker engine: start each run from the golden run's last in-memory "
                    "checkpoint before its fault, taken every N instructions (0: from the "
                    "snapshot)")
    ap.add_argument("--resume", action="store_true",
                    help="keep the rows of --out's campaign.csv (same --seed, --kind, "
                    "--runs) and run only the others")
    ap.add_argument("--check-replays", type=int, default=0, metavar="K",
                    help="afterwards replay K interesting runs and compare digests")
    args = ap.parse_args()
    try:
        return campaign(args)
    except (Failure, defuse.SpaceError) as e:
        print("campaign: " + str(e), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def campaign(args):
    debian_python_reexec(bool(args.scheduler))
    if args.runs < 1 or args.jobs < 1 or args.budget < 1 or args.blk_max < 1:
        raise Failure("--runs, --jobs, --budget and --blk-max must be at least 1")
    if "\n" in args.workload or not args.workload.strip():
        raise Failure("--workload must be one non-empty line")
    rv = os.path.abspath(args.retrovisor)
    plugin = os.path.abspath(args.plugin)
    snap = os.path.abspath(args.snapshot)
    out = os.path.abspath(args.out)
    for path, what in ((rv, "--retrovisor"), (plugin, "--plugin"), (snap, "--snapshot")):
        if not os.path.isfile(path):
            hint = {"--retrovisor": " (bazel build //:retrovisor)",
                    "--plugin": " (bazel build //plugins/examples:faultinj.so)"}.get(what, "")
            raise Failure("%s %s does not exist%s" % (what, path, hint))
    runs_dir = os.path.join(out, "runs")
    os.makedirs(runs_dir, exist_ok=True)
    info = snapshot_info(rv, snap)
    mem = None
    bad = fault_kinds.check(args)
    if bad:
        raise Failure(bad)
    if args.kind in ("mem", "memmulti"):
        if args.mem_range:
            mem = defuse.parse_mem_range(args.mem_range, args.symbols or info["kernel"])
        elif info["kernel"]:
            mem = kernel_range(info["kernel"])
        else:
            raise Failure("the snapshot names no kernel: give --mem-range LO:HI")

    typed = args.workload.strip().rstrip(";").rstrip()
    inp = os.path.join(out, "input.txt")
    with open(inp, "w") as f:
        f.write("echo %s; %s; echo %s; poweroff -f\n" % (START_TYPED, typed, MARK_TYPED))
    t0 = time.monotonic()
    base_job = {"rv": rv, "plugin": plugin, "snapshot": snap, "input": inp,
                "watchdog": args.watchdog, "timeout": args.timeout,
                "drives": [os.path.abspath(d) for d in args.drive],
                "engine": args.engine, "scratch": out,
                "interval": args.digest_interval if args.engine == "worker" else 0,
                "checkpoints": args.checkpoint_interval if args.engine == "worker" else 0}
    if args.digest_interval < 0 or args.checkpoint_interval < 0:
        raise Failure("--digest-interval and --checkpoint-interval must be 0 (off) or more")
    early = args.engine == "worker" and args.digest_interval > 0 and not args.keep_all
    golden_chk = os.path.join(out, "golden.chk") if args.engine == "worker" else None

    # 1. The golden run (no fault), with a generous budget.
    golden_max = info["icount"] + 50 * 10 ** 9
    golden = run_one(dict(base_job, run=0, base=os.path.join(out, "golden"), write_golden=golden_chk,
                          max_insns=golden_max, plugin_args=None))
    engine.close_workers()  # the golden run's: faulty runs go to the pool's
    check_setup_error(golden, "golden run")
    if golden["status"] != 0 or golden["shell_status"] is None or golden["icount"] is None:
        raise Failure("the golden run did not finish the workload and power off (status %s, "
                      "%s); see %s.out" % (golden["status"], golden["stderr_last"],
                                           os.path.join(out, "golden")))
    lo_ic, hi_ic = info["icount"], golden["icount"]
    span = hi_ic - lo_ic
    say("golden run: %d instructions from the snapshot's %d, %.1f s, output %s, workload "
        "status %d" % (span, lo_ic, golden["seconds"], golden["output_hash"],
                       golden["shell_status"]))

    # 2. The faulty runs.
    weights, spans, benign, space = None, None, [], None
    if args.exhaustive or args.prune:
        faults, weights, spans, benign, space = defuse.plan(
            args, run_one, base_job, out, info, lo_ic, hi_ic, dict(golden, max_insns=golden_max),
            mem)
        say("fault space %d, %d experiments (pruning factor %s)" % (
            space["space"], len(faults), space["pruning_factor"]))
    else:
        faults = draw_faults(args, lo_ic, hi_ic, info["harts"], mem)
    max_insns = hi_ic + max(args.budget * span, 10 ** 7)
    # faultinj.so's at= acts from there on: the worker loads it there.
    late_attach = args.kind in AT_KINDS and info["harts"] == 1
    # Early stop from where the fault has done all it does (never for block
    # faults: a drive's contents are not in the state compared).
    done_at = {"stuck": args.stuck_len}.get(args.kind, 0)
    early = early and args.kind in AT_KINDS and (info["harts"] == 1 or not done_at)
    jobs = [dict(base_job, run=i, base=os.path.join(runs_dir, "%04d" % i),
                 max_insns=max_insns, plugin_args=f[1], golden=golden_chk,
                 after=f[2] + done_at if early else None,
                 attach_at=f[2] if late_attach else None,
                 drop_masked=None if args.keep_all else [golden["output_hash"],
                                                         golden["shell_status"]])
            for i, f in enumerate(faults)]
    rows, counts = [], {o: 0 for o in OUTCOMES}
    sink = CsvSink(os.path.join(out, "campaign.csv"), FIELDS, args.resume, faults)
    for row in sink.done.values():
        rows.append(row)
        counts[row["outcome"]] += row.get("weight", 1)
    jobs = [j for j in jobs if j["run"] not in sink.done]
    if sink.done:
        say("resuming: %d runs are in campaign.csv already, %d to run" % (len(rows), len(jobs)))
    workers, timing, skipped = {}, [], []

    def done(r):
        check_setup_error(r, "run %d" % r["run"])
        label, _, at = faults[r["run"]]
        outcome = classify(r, golden)
        weight = weights[r["run"]] if weights else 1
        counts[outcome] += weight
        base = os.path.join(runs_dir, "%04d" % r["run"])
        keep = args.keep_all or outcome != "masked"
        if not keep:
            for ext in (".rlog", ".out", ".err", ".inj"):
                if os.path.exists(base + ext):
                    os.unlink(base + ext)
        rows.append({"run": r["run"], "fault": label, "icount": at, "outcome": outcome,
                     "exit_status": r["status"],
                     "log": os.path.relpath(base + ".rlog", out) if keep else "",
                     "output_hash": r["output_hash"], "digest": r["digest"],
                     "final_icount": r["icount"] if r["icount"] is not None else "",
                     "injection": r["injection"], "seconds": r["seconds"],
                     "weight": weight, "span": spans[r["run"]] if spans else ""})
        say("%d/%d run %d %s at %d: %s (status %s, %.1f s)" % (
            len(rows), len(jobs), r["run"], label, at, outcome, r["status"], r["seconds"]))
        rows[-1]["early_stop"] = r.get("early") or ""
        sink.add(rows[-1])
        if r.get("worker_pid"):
            workers[r["worker_pid"]] = workers.get(r["worker_pid"], 0) + 1
        if r.get("started_at", 0) > lo_ic:
            skipped.append(r["started_at"] - lo_ic)
        if r.get("guest_us") is not None:
            timing.append((r["seconds"] * 1e3 - r["guest_us"] / 1e3,
                           (r["worker_us"] - r["guest_us"]) / 1e3,
                           r["seconds"], r["worker_us"] / 1e6, r["guest_us"] / 1e6))

    # The pool's workers start (snapshot loaded, golden run's checkpoints
    # taken) before experiments are dealt, all at once: setup, like the
    # golden run, and timed apart from the run phase.
    t_ready = 0.0
    if jobs and args.engine == "worker" and not args.scheduler:
        t_ready = time.monotonic()
        try:
            engine.prepare_workers(jobs[0], args.jobs)
        except RuntimeError as e:
            raise Failure("a worker could not be prepared: %s" % e)
        t_ready = time.monotonic() - t_ready
        say("%d worker%s ready in %.2f s (snapshot loaded, the golden run's checkpoints "
            "taken)" % (args.jobs, "s" if args.jobs > 1 else "", t_ready))
    t_runs, cpu0 = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF)
    try:
        run_all(jobs, args, done)
    finally:
        sink.close()
    t_runs, cpu1 = time.monotonic() - t_runs, resource.getrusage(resource.RUSAGE_SELF)
    driver_cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    for i, (lab, first, last, weight) in enumerate(benign):
        counts["masked"] += weight
        rows.append({"run": len(jobs) + i, "fault": lab, "icount": first, "outcome": "masked",
                     "exit_status": "", "log": "", "output_hash": "", "digest": "",
                     "final_icount": "", "injection": "not run: overwritten before any read",
                     "seconds": 0, "weight": weight, "span": "%d-%d" % (first, last)})
    rows.sort(key=lambda r: r["run"])
    elapsed = time.monotonic() - t0

    # 3. The results.
    with open(os.path.join(out, "campaign.csv.tmp"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    os.replace(os.path.join(out, "campaign.csv.tmp"), os.path.join(out, "campaign.csv"))
    plot(os.path.join(out, "outcomes.png"), rows, counts, args, lo_ic, hi_ic)
    summary = {
        "snapshot": snap, "workload": args.workload, "typed": open(inp).read().rstrip("\n"),
        "kind": args.kind, "seed": args.seed, "runs": args.runs, "jobs": args.jobs,
        "scheduler": args.scheduler, "mem_range": mem, "snapshot_icount": lo_ic,
        "golden": {"icount": hi_ic, "digest": golden["digest"], "status": golden["status"],
                   "output_hash": golden["output_hash"],
                   "workload_status": golden["shell_status"], "log": "golden.rlog"},
        "counts": counts, "seconds": round(elapsed, 1),
        "engine": engine_summary(args, rows, golden, lo_ic, hi_ic, workers, timing,
                                 len(jobs), t_runs, skipped, t_ready, driver_cpu),
    }
    if space:
        summary["fault_space"] = space
    symbols = args.symbols or info["kernel"]
    if symbols and not args.symbols and not is_elf(symbols):
        symbols = None
    for line in report.write(out, rows, summary, rv, symbols):
        say(line)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    say("%d runs in %.1f s (%s): %s" % (len(rows), elapsed, "Dask " + args.scheduler
                                        if args.scheduler else "%d jobs" % args.jobs,
                                        ", ".join("%s %d" % (o, counts[o]) for o in OUTCOMES)))
    say("wrote %s, %s, %s, %s" % (os.path.join(out, "campaign.csv"),
                                  os.path.join(out, "outcomes.png"),
                                  os.path.join(out, "summary.json"),
                                  os.path.join(out, "report.md")))
    es = summary["engine"]
    if es.get("early_stopped"):
        say("early stop: %d runs became the golden run and stopped, %d instructions "
            "(about %.1f s of guest execution) saved" % (
                es["early_stopped"], es["instructions_saved"], es["seconds_saved"]))
    if es.get("checkpoint_starts"):
        say("checkpoints: %d runs started from the golden run's checkpoints, %d instructions "
            "(about %.1f s of guest execution) not run again" % (
                es["checkpoint_starts"], es["instructions_skipped"], es["seconds_skipped"]))
    if args.check_replays and check_replays(rv, out, rows, args.check_replays):
        raise Failure("a kept run did not replay to its recorded digest")
    return 0


if __name__ == "__main__":
    sys.exit(main())
