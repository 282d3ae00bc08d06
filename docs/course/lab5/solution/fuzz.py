#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lab 5, solution: a small mutation fuzzer around `retrovisor loop`.

    fuzz.py --driver DRIVER.elf --seeds DIR --out DIR [--rounds N] [--batch N]
            [--seed S] [--budget N] [--retrovisor FILE]

Each round writes --batch inputs to OUT/round-NNN/ (each a seed frame from
--seeds with 1 to 4 random mutations), runs them all in one reset loop,

    retrovisor loop --kernel DRIVER.elf --input-dir OUT/round-NNN --budget N

(the guest snapshots itself before it asks for its input; the loop
restores that snapshot for every input: docs/snapshots.md, "The fast
reset loop"), and reads the loop's line per iteration,

    iteration I input NAME end KIND status S instructions N

An iteration that did not end with the guest's own END_ITERATION and
status 0 is a finding: a crash (the runtime's trap handler powers off:
`end shutdown status 1`), a hang (`end budget`), a deadlock, or the
guest's own non-zero verdict. Findings are copied to OUT/crashes/ (the
input, and NAME.txt with its line); the fuzzer stops after the first
round that has any. The same --seed gives the same inputs, and the loop
is deterministic, so the same findings: any one reproduces alone with
`retrovisor loop --kernel DRIVER.elf --input OUT/crashes/NAME`.

Prints one line per round and one per finding; exits 0 when the rounds
ran (found or not), 1 when the loop could not run.
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                    "..", ".."))  # the repository
LINE_RE = re.compile(r"^iteration (\d+) input (\S+) end (\S+) status (\d+) instructions (\d+)$")
INTERESTING = (0, 1, 2, 15, 16, 17, 24, 31, 32, 64, 0x7f, 0x80, 0xfe, 0xff)
MAX_LEN = 256  # the driver's frame buffer


def mutate(data, rng):
    """One mutation of data (bytes): a bit flip, a random or interesting
    byte, a small add or subtract, an inserted, deleted or duplicated
    run of bytes."""
    d = bytearray(data)
    op = rng.randrange(7)
    if not d:
        op = 4
    i = rng.randrange(len(d)) if d else 0
    if op == 0:
        d[i] ^= 1 << rng.randrange(8)
    elif op == 1:
        d[i] = rng.randrange(256)
    elif op == 2:
        d[i] = rng.choice(INTERESTING)
    elif op == 3:
        d[i] = (d[i] + rng.choice((1, -1)) * rng.randint(1, 16)) & 0xff
    elif op == 4:
        d.insert(i, rng.randrange(256))
    elif op == 5:
        del d[i]
    else:
        n = rng.randint(1, 8)
        chunk = d[i:i + n]
        j = rng.randrange(len(d) + 1)
        d[j:j] = chunk
    return bytes(d[:MAX_LEN])


def is_finding(kind, status):
    """True when an iteration did not end by END_ITERATION with status 0."""
    return not (kind == "guest" and status == 0)


def run_loop(rv, driver, folder, budget):
    """[(name, kind, status, line)] for every input of folder."""
    p = subprocess.run([rv, "loop", "--kernel", driver, "--input-dir", folder,
                        "--budget", str(budget)],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=600)
    if p.returncode != 0:
        sys.exit("fuzz: retrovisor loop failed (exit %d): %s" % (
            p.returncode, p.stderr.decode(errors="replace").strip()[-300:]))
    out = []
    for line in p.stdout.decode(errors="replace").splitlines():
        m = LINE_RE.match(line)
        if m:
            out.append((m.group(2), m.group(3), int(m.group(4)), line))
    return out


def main():
    ap = argparse.ArgumentParser(prog="fuzz.py", description=__doc__.split("\n")[0])
    ap.add_argument("--driver", required=True)
    ap.add_argument("--seeds", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", type=int, default=100000,
                    help="instructions an iteration may run (a hang ends there)")
    ap.add_argument("--retrovisor", default=os.path.join(ROOT, "bazel-bin", "retrovisor"))
    args = ap.parse_args()
    seeds = [open(os.path.join(args.seeds, n), "rb").read()
             for n in sorted(os.listdir(args.seeds)) if not n.startswith(".")]
    if not seeds:
        sys.exit("fuzz: %s holds no seed inputs" % args.seeds)
    rng = random.Random(args.seed)
    crashes = os.path.join(args.out, "crashes")
    os.makedirs(crashes, exist_ok=True)
    total = 0
    for r in range(args.rounds):
        folder = os.path.join(args.out, "round-%03d" % r)
        os.makedirs(folder, exist_ok=True)
        for i in range(args.batch):
            data = rng.choice(seeds)
            for _ in range(rng.randint(1, 4)):
                data = mutate(data, rng)
            with open(os.path.join(folder, "%04d" % i), "wb") as f:
                f.write(data)
        total += args.batch
        found = [(n, k, s, l) for n, k, s, l in run_loop(args.retrovisor, args.driver, folder,
                                                          args.budget) if is_finding(k, s)]
        print("fuzz: round %d: %d inputs, %d findings" % (r, args.batch, len(found)), flush=True)
        for name, kind, status, line in found:
            dest = os.path.join(crashes, "round-%03d-%s" % (r, os.path.basename(name)))
            shutil.copyfile(name, dest)
            with open(dest + ".txt", "w") as f:
                f.write(line + "\n")
            print("fuzz: finding: %s (end %s status %d)" % (dest, kind, status))
        if found:
            print("fuzz: %d findings after %d inputs" % (len(found), total))
            return 0
    print("fuzz: no finding in %d rounds (%d inputs)" % (args.rounds, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
