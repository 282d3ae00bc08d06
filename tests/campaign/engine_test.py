#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The campaign's execution engine (issue 16, items 1, 3 and 5) on the
Debian guest (tools/test passes its paths):

  1. the worker engine (runs restored in memory, early stop on) and the
     per-process engine give every run the same fault, outcome, exit
     status, output, final instruction count, digest and injection line;
  2. early stop: some runs stop early, each of them masked, the summary
     counts the instructions and seconds saved, --digest-interval 0 gives
     the same CSV, and the run that stops earliest takes less time (its
     machine's, the fastest of three) than the same run without early
     stop;
  3. --resume: a campaign stopped after 10 rows (the 11th half written)
     runs only the other runs and ends with the same CSV; another --seed
     is refused;
  4. a worker survives: a run whose plugin crashes the worker is a crash
     (status 1), one past the host-side --timeout a hang, and the next run
     on the same engine restarts the worker and gives the golden result;
     bad request lines are answered with an error line each;
  5. checkpoints: runs started from the golden run's in-memory checkpoints
     (the default) give the same CSV as runs from the snapshot
     (--checkpoint-interval 0), and with --keep-all every run's log is
     byte for byte the same and kept runs replay; a golden file that the
     worker's own run of the golden run does not reproduce gets none.

engine_test.py RETROVISOR FAULTINJ CAMPAIGN PLUGIN_H
"""
import csv
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from rvtest import TMP, check, env_path, finish, run  # noqa: E402

RV, FAULTINJ, CAMPAIGN, PLUGIN_H = (os.path.abspath(a) for a in sys.argv[1:5])
PY = "/usr/bin/python3"  # Debian's Python (matplotlib)
RUNS = 24
WORKLOAD = "seq 1 200 | md5sum"
SAME = ("fault", "icount", "outcome", "exit_status", "output_hash", "digest", "final_icount",
        "injection")
CRASHER = r"""#include <retrovisor/plugin.h>
RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION };
static void on_block(void *ud, rv_block *b)
{
	(void)ud; (void)b;
	*(volatile int *)0 = 1;
}
RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	(void)info; (void)argc; (void)argv;
	rv_on_block(self, on_block, NULL);
	return 0;
}
"""


def campaign(out, *extra):
    p = subprocess.run([PY, CAMPAIGN, "--snapshot", SNAP, "--workload", WORKLOAD, "--runs",
                        str(RUNS), "--seed", "5", "--jobs", "2", "--out", out, "--retrovisor",
                        RV, "--plugin", FAULTINJ, "--timeout", "120", *extra],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    return p.returncode, p.stdout + p.stderr


def rows_of(out):
    with open(os.path.join(out, "campaign.csv"), newline="") as f:
        return list(csv.DictReader(f))


def summary_of(out):
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


def load(path, name):
    sys.dont_write_bytecode = True
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


kernel, initramfs = env_path("RV_GUEST_KERNEL"), env_path("RV_GUEST_INITRAMFS")
SNAP = os.path.join(TMP, "shell.snap")
status, _, err = run([RV, "loop", "--iterations", "0", "--save-start", SNAP,
                      "--start-on-output", "# ", "--kernel", kernel, "--initrd", initramfs,
                      "--append", "console=ttyS0 quiet", "--memory", "128M",
                      "--rtc", "1767225600"], timeout=600)
if not check(status == 0, f"saved the guest at its shell prompt: {err.strip()[-300:]}"):
    finish()

# 1. Worker and per-process runs agree.
W, P = os.path.join(TMP, "worker"), os.path.join(TMP, "process")
rc, log = campaign(W)
wlog = log
check(rc == 0, f"the worker campaign completes (exit {rc})", log)
rc, plog = campaign(P, "--engine", "process")
check(rc == 0, f"the per-process campaign completes (exit {rc})", plog)
w_rows, p_rows = rows_of(W), rows_of(P)
check(len(w_rows) == RUNS and len(p_rows) == RUNS, f"{RUNS} rows each")
differ = [(a["run"], {k: (a[k], b[k]) for k in SAME if a[k] != b[k]})
          for a, b in zip(w_rows, p_rows) if any(a[k] != b[k] for k in SAME)]
check(not differ, "every run has the same fault, outcome, status, output, icount, digest and "
      f"injection in memory as in its own process (differ: {differ[:3]})")
outcomes = {r["outcome"] for r in w_rows}
check(len(outcomes) >= 2, f"the runs have more than one outcome ({sorted(outcomes)})")
ws = summary_of(W)
eng = ws.get("engine", {})
check(eng.get("engine") == "worker" and summary_of(P)["engine"]["engine"] == "process",
      "the summaries name their engines")
check(eng.get("worker_processes", 0) >= 1 and max(eng.get("runs_per_worker", [0])) > 1,
      f"a worker process runs many experiments ({eng.get('runs_per_worker')})")
check(eng.get("checkpoint_starts", 0) > RUNS // 2 and eng.get("instructions_skipped", 0) > 0 and
      "checkpoints:" in log, f"most runs started from the golden run's checkpoints ({eng})")

# 2. Early stop.
early = [r for r in w_rows if r["early_stop"]]
check(early, f"some runs stopped early ({len(early)} of {RUNS})")
check(all(r["outcome"] == "masked" for r in early), "every run stopped early is masked")
check(all(int(r["icount"]) < int(r["early_stop"]) < int(r["final_icount"]) for r in early),
      "each stopped after its fault and before the golden run's end")
check(eng.get("early_stopped") == len(early) and eng.get("instructions_saved", 0) > 0 and
      eng.get("seconds_saved", 0) > 0, f"the summary reports what early stop saved ({eng})")
check("early stop:" in log and "saved" in log, "the campaign says what early stop saved")
N = os.path.join(TMP, "noearly")
rc, nlog = campaign(N, "--digest-interval", "0")
n_rows = rows_of(N)
check(rc == 0 and [[r[k] for k in SAME] for r in n_rows] == [[r[k] for k in SAME]
                                                             for r in w_rows],
      "--digest-interval 0 gives the same CSV", nlog)
check(not any(r["early_stop"] for r in n_rows) and
      summary_of(N)["engine"]["early_stopped"] == 0, "--digest-interval 0 stops nothing early")

# 3. Resume.
R = os.path.join(TMP, "resume")
shutil.copytree(W, R)
with open(os.path.join(R, "campaign.csv")) as f:
    lines = f.readlines()
with open(os.path.join(R, "campaign.csv"), "w") as f:
    f.writelines(lines[:11])
    f.write(lines[11][:len(lines[11]) // 2])
rc, rlog = campaign(R, "--resume")
check(rc == 0 and f"resuming: 10 runs are in campaign.csv already, {RUNS - 10} to run" in rlog,
      "--resume keeps the 10 whole rows and runs the rest", rlog)
ran = [l for l in rlog.splitlines() if re.match(r"campaign: \d+/\d+ run \d+ ", l)]
check(len(ran) == RUNS - 10, f"{RUNS - 10} runs ran (got {len(ran)})", rlog)
check([[r[k] for k in SAME] for r in rows_of(R)] == [[r[k] for k in SAME] for r in w_rows],
      "the resumed campaign's CSV equals the campaign run at once")
rc, olog = campaign(R, "--resume", "--seed", "6")
check(rc == 1 and "--seed" in olog, "--resume with another --seed is refused", olog)

# 4. A worker survives a crash and a hang.
inc = os.path.join(TMP, "include", "retrovisor")
os.makedirs(inc, exist_ok=True)
shutil.copy(PLUGIN_H, os.path.join(inc, "plugin.h"))
with open(os.path.join(TMP, "crasher.c"), "w") as f:
    f.write(CRASHER)
crasher = os.path.join(TMP, "crasher.so")
subprocess.run(["cc", "-std=c11", "-shared", "-fPIC", "-I", os.path.dirname(inc),
                os.path.join(TMP, "crasher.c"), "-o", crasher], check=True)
camp = load(CAMPAIGN, "campaign_runner")
eng_mod = camp.engine
S = os.path.join(TMP, "survive")
os.makedirs(S, exist_ok=True)
job = {"rv": RV, "snapshot": SNAP, "input": os.path.join(W, "input.txt"), "watchdog": 5,
       "timeout": 120, "drives": [], "engine": "worker", "scratch": S, "interval": 0,
       "plugin": crasher, "plugin_args": None, "max_insns": ws["golden"]["icount"] + 10 ** 8}
results = []
for i, (plugin_args, timeout) in enumerate([(None, 120), ("x=1", 120), (None, 120),
                                            (None, 0.05), (None, 120)]):
    results.append(eng_mod.run_one(dict(job, run=i, base=os.path.join(S, "%d" % i),
                                        plugin_args=plugin_args, timeout=timeout)))
golden = results[0]
check(golden["digest"] == ws["golden"]["digest"], "the worker's golden run has the campaign's "
      f"golden digest ({golden['digest']})")
crash, after_crash, hang, after_hang = results[1:]
check(crash["status"] == 1 and camp.classify(crash, golden) == "crash",
      f"a plugin that crashes the worker makes a crash (status {crash['status']}, "
      f"{crash['stderr_last']})")
check(hang["timed_out"] and camp.classify(hang, golden) == "hang",
      "a run past the host-side timeout is a hang")
for name, r in (("crash", after_crash), ("hang", after_hang)):
    check(r["status"] == 0 and r["digest"] == golden["digest"] and
          r["output_hash"] == golden["output_hash"],
          f"after the {name} the next run gives the golden result")
check((after_crash["worker_starts"], after_hang["worker_starts"]) == (2, 3),
      "the worker was restarted after each (starts %s, %s)" % (
          after_crash.get("worker_starts"), after_hang.get("worker_starts")))

# Requests that cannot be run are answered "error ..." and the worker goes
# on; a worker's command line takes no --plugin (given per run).
bad = ["bogus", "run log=x", "run log=%s/b.rlog out=%s/b.out input=%s/none max=5" % (S, S, S),
       "run " + "k=v " * 3000, "run log=a out=b input=c max=5 colour=red",
       "prepare log=a input=b max=5", "prepare log=a input=b max=5 golden=c out=d",
       "prepare log=%s/p.rlog input=%s max=5 golden=%s/none" % (S, job["input"], S)]
p = subprocess.run([RV, "worker", "--restore", SNAP], input="\n".join(bad) + "\n",
                   capture_output=True, text=True, timeout=120)
lines = p.stdout.splitlines()
check(p.returncode == 0 and lines[:1] and lines[0].startswith("ready ") and
      len(lines) == 1 + len(bad) and all(l.startswith("error ") for l in lines[1:]),
      "a worker answers each bad request with one error line and goes on", p.stdout)
# prepare: the golden run's file loaded and its checkpoints taken before
# any run (a campaign prepares its workers so).
prep = "prepare log=%s/p.rlog input=%s max=%d golden=%s\n" % (
    S, job["input"], job["max_insns"], os.path.join(W, "golden.chk"))
p = subprocess.run([RV, "worker", "--checkpoint-interval", "1000000", "--restore", SNAP],
                   input=prep, capture_output=True, text=True, timeout=120)
lines = p.stdout.splitlines()
m = re.fullmatch(r"prepared (\d+) (\d+)", lines[1]) if len(lines) == 2 else None
check(p.returncode == 0 and m and int(m.group(1)) > 0,
      "a worker prepares: the golden run's checkpoints are taken before any run", p.stdout)
es = summary_of(W)["engine"]
check(es.get("workers_ready_seconds", 0) > 0 and re.search(r"workers? ready in", wlog),
      "the campaign prepares its worker before the run phase and times it apart (%s s)" %
      es.get("workers_ready_seconds"), wlog[-2000:])
p = subprocess.run([RV, "worker", "--plugin", FAULTINJ, "--restore", SNAP],
                   stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
check(p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and
      "per run" in p.stderr, "a worker refuses --plugin on its command line", p.stderr)

# Early stop saves time: one early-stopped run, three times with early stop
# and three without (the fastest of each, as the host is shared).
pick = min(early, key=lambda r: int(r["early_stop"]) - int(r["final_icount"]))
reg, bit = re.fullmatch(r"reg=x(\d+),bit=(\d+)", pick["fault"]).groups()
fjob = dict(job, plugin=FAULTINJ, timeout=120, golden=os.path.join(W, "golden.chk"),
            plugin_args="at=%s,reg=%s,bit=%s" % (pick["icount"], reg, bit),
            attach_at=int(pick["icount"]))
times = {}
for after in (int(pick["icount"]), None):
    rs = [eng_mod.run_one(dict(fjob, run=9, base=os.path.join(S, "t"), after=after))
          for _ in range(3)]
    check(all(r["digest"] == pick["digest"] and r["early"] == (int(pick["early_stop"]) if
                                                               after else 0) for r in rs),
          f"run {pick['run']} again gives its row (early stop {'on' if after else 'off'})")
    times[bool(after)] = min(r["guest_us"] for r in rs) / 1e3
check(times[True] < times[False], f"run {pick['run']} stopped at {pick['early_stop']} of "
      f"{pick['final_icount']} takes {times[True]:.1f} ms, to the end {times[False]:.1f} ms")

# 5. Checkpoints.
C = os.path.join(TMP, "nocheckpoints")
rc, clog = campaign(C, "--checkpoint-interval", "0")
check(rc == 0 and [[r[k] for k in SAME + ("early_stop",)] for r in rows_of(C)] ==
      [[r[k] for k in SAME + ("early_stop",)] for r in w_rows] and
      summary_of(C)["engine"]["checkpoint_starts"] == 0,
      "--checkpoint-interval 0 starts every run from the snapshot and gives the same CSV", clog)
K = os.path.join(TMP, "keep")
logs = {}
for interval in ("0", "1000000"):
    shutil.rmtree(K, ignore_errors=True)
    rc, klog = campaign(K, "--keep-all", "--checkpoint-interval", interval, "--check-replays", "3")
    check(rc == 0, f"--keep-all --checkpoint-interval {interval} completes and replays", klog)
    runs = os.path.join(K, "runs")
    logs[interval] = {n: open(os.path.join(runs, n), "rb").read()
                      for n in sorted(os.listdir(runs)) if n.endswith(".rlog")}
    starts = summary_of(K)["engine"]["checkpoint_starts"]
check(starts > 0 and len(logs["0"]) == RUNS and logs["0"] == logs["1000000"],
      f"every run's log is byte for byte the same from a checkpoint ({starts} runs) as from "
      "the snapshot")
cjob = dict(fjob, run=10, base=os.path.join(S, "c"), after=None, checkpoints=1000000)
r = eng_mod.run_one(cjob)
check(r["started_at"] > ws["snapshot_icount"] and r["digest"] == pick["digest"],
      f"run {pick['run']} starts from a checkpoint ({r['started_at']}) and gives its digest")
bad = os.path.join(S, "bad.chk")
with open(os.path.join(W, "golden.chk")) as f:
    text = f.read()
with open(bad, "w") as f:
    f.write(re.sub(r"^(end \d+ \d+ )[0-9a-f]{16}", r"\g<1>0123456789abcdef", text))
r = eng_mod.run_one(dict(cjob, golden=bad))
check(r["started_at"] == ws["snapshot_icount"] and r["digest"] == pick["digest"],
      "a golden file whose end the worker's run of it does not reproduce gets no checkpoints "
      f"(the run starts at {r['started_at']})")
eng_mod.close_workers()
finish()
