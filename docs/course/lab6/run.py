#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lab 6: run a fault-injection campaign on the workload guest as a config
file says.

    run.py CONFIG.json OUT [--retrovisor FILE] [--plugin FILE] [--campaign FILE]
           [--guest FILE]

CONFIG is JSON: {"kind": "reg" or "mem", "runs": N, "seed": S, "jobs": J,
"workload": "a label"} and, for "mem", "mem_range": "LO:HI". Steps:

  1. boot the guest (workload.elf, 16 MiB) to its prompt "# " and save
     that state to OUT/prompt.snap (`retrovisor loop --iterations 0
     --save-start ... --start-on-output '# '`);
  2. run the project's campaign runner, experiments/campaign (its
     implementation, experiments/campaign_lib/campaign.py), from that
     snapshot with the fault injector plugins/examples/faultinj.so:
     a golden run, then CONFIG's runs with one fault each, classified as
     masked, detected, crash, hang or sdc into OUT/campaign.csv,
     OUT/summary.json and OUT/outcomes.png, the recording of every run
     that is not masked kept in OUT/runs/.

Defaults are the files `bazel build //:retrovisor //plugins/examples:faultinj.so
//docs/course/lab6:workload` leaves in bazel-bin. Exits with the
campaign's status (0 when it completed).
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
BIN = os.path.join(ROOT, "bazel-bin")
KEYS = {"kind", "runs", "seed", "jobs", "workload", "mem_range"}


def main():
    ap = argparse.ArgumentParser(prog="run.py", description=__doc__.split("\n")[0])
    ap.add_argument("config")
    ap.add_argument("out")
    ap.add_argument("--retrovisor", default=os.path.join(BIN, "retrovisor"))
    ap.add_argument("--plugin", default=os.path.join(BIN, "plugins", "examples", "faultinj.so"))
    ap.add_argument("--campaign", default=os.path.join(ROOT, "experiments", "campaign"))
    ap.add_argument("--guest", default=os.path.join(BIN, "docs", "course", "lab6",
                                                    "workload.elf"))
    args = ap.parse_args()
    try:
        with open(args.config) as f:
            cfg = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit("run.py: cannot read the config %s: %s" % (args.config, e))
    if not isinstance(cfg, dict) or set(cfg) - KEYS:
        sys.exit("run.py: %s: a config is a JSON object with the keys %s" % (
            args.config, ", ".join(sorted(KEYS))))
    os.makedirs(args.out, exist_ok=True)
    snap = os.path.join(args.out, "prompt.snap")
    p = subprocess.run([args.retrovisor, "loop", "--iterations", "0", "--save-start", snap,
                        "--start-on-output", "# ", "--kernel", args.guest, "--memory", "16M"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        sys.exit("run.py: could not save the guest at its prompt: " +
                 p.stderr.decode(errors="replace").strip()[-300:])
    cmd = [sys.executable, args.campaign, "--snapshot", snap, "--out", args.out,
           "--retrovisor", args.retrovisor, "--plugin", args.plugin,
           "--kind", str(cfg.get("kind", "reg")), "--runs", str(cfg.get("runs", 20)),
           "--seed", str(cfg.get("seed", 1)), "--jobs", str(cfg.get("jobs", 2)),
           "--workload", str(cfg.get("workload", "sort-crc")), "--timeout", "60"]
    if "mem_range" in cfg:
        cmd += ["--mem-range", str(cfg["mem_range"])]
    return subprocess.call(cmd, stdin=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
