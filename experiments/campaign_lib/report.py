#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Results people can use (issue 16, item 6): the report of a campaign.

    report.py DIR [--symbols ELF] [--retrovisor FILE]

experiments/campaign calls write() at the end of every campaign; this file
also runs alone on a finished campaign's DIR (campaign.csv, summary.json).
It writes

  DIR/report.md        per outcome class: the (weighted) count, the share
                       and its 95% Wilson score interval; the fault space
                       and pruning factor; the outcomes by fault location
                       (symbol) and by time; and for every SDC, crash and
                       hang a one-line command that replays its run
                       without the plugin (the digest it must print);
  DIR/replay.sh        those commands, one a line;
  DIR/by_location.png  outcomes by the function the fault hit;
  DIR/by_time.png      outcomes by injection time (share of the window);

and adds "intervals" (and "by_symbol") to DIR/summary.json.

Statistics. A campaign of N faults drawn at random from a fault space
estimates each class's share p of the space; fault-injection papers give
p with a binomial confidence interval, here Wilson's score interval (it
stays inside [0, 1] and is sound for p near 0 or 1, where SDC shares
live). Weighted rows (a pruned campaign's classes) enter through Kish's
effective sample size n = (sum w)^2 / sum w^2. A campaign that accounts
for every fault of its space (--exhaustive, --prune) is a census: its
shares are exact within that space and the interval is the point.

Fault location: the pc of the instruction before which the fault was
injected, from faultinj.so's line (a class masked without a run has
none), named by the nearest function symbol of --symbols (a vmlinux for
Linux, the guest's ELF for a bare guest; default: the snapshot's kernel
when it is an ELF file). Untrusted input: the CSV, the ELF file (read
defensively: a malformed file gives no symbols, with one line).
"""
import argparse
import bisect
import csv
import json
import math
import os
import re
import shlex
import struct
import sys

OUTCOMES = ("masked", "detected", "crash", "hang", "sdc")
REPLAYED = ("sdc", "crash", "hang")
COLORS = {"masked": "#7f9f7f", "detected": "#4a7fbf", "crash": "#c04040",
          "hang": "#d09030", "sdc": "#8040a0"}
PC_RE = re.compile(r"\(pc (0x[0-9a-f]+)\)")


def wilson(k, n, z=1.96):
    """Wilson score interval for k successes of n (k, n may be real)."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(max(0.0, p * (1 - p) / n + z * z / (4 * n * n))) / d
    return max(0.0, c - h), min(1.0, c + h)


def intervals(rows, census):
    """{outcome: {count, share, lo, hi}} over rows with weights."""
    total = sum(r["weight"] for r in rows)
    n_eff = total * total / max(1e-12, sum(r["weight"] ** 2 for r in rows))
    out = {}
    for o in OUTCOMES:
        w = sum(r["weight"] for r in rows if r["outcome"] == o)
        p = w / total if total else 0.0
        lo, hi = (p, p) if census else wilson(p * n_eff, n_eff)
        out[o] = {"count": w, "share": round(p, 6), "lo": round(lo, 6), "hi": round(hi, 6)}
    return out


def elf_symtab(data):
    """(name, type, value, size) of the named, defined, non-zero symbols
    of an ELF64 little-endian file's .symtab (its bytes)."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    for i in range(shnum):
        sh = shoff + i * shentsize
        if struct.unpack_from("<I", data, sh + 4)[0] != 2:  # SHT_SYMTAB
            continue
        off, size, link = struct.unpack_from("<QQI", data, sh + 0x18)
        stroff, = struct.unpack_from("<Q", data, shoff + link * shentsize + 0x18)
        for j in range(off, off + size - 23, 24):
            name, info, _, shndx, value, sz = struct.unpack_from("<IBBHQQ", data, j)
            if name and shndx and value:
                end = data.index(b"\0", stroff + name)
                s = data[stroff + name:end].decode(errors="replace")
                if s:
                    yield s, info & 0xf, value, sz


class Symbols:
    """Function symbols of an ELF64 little-endian file (its .symtab)."""

    def __init__(self, path):
        self.addrs, self.names, self.problem = [], [], None
        if not path:
            return
        try:
            with open(path, "rb") as f:
                data = f.read()
            self._read(data)
        except (OSError, struct.error, IndexError, ValueError) as e:
            self.problem = "%s: no symbols (%s)" % (path, e)

    def _read(self, data):
        syms = sorted((value, s) for s, typ, value, _ in elf_symtab(data)
                      if typ in (0, 2) and not s.startswith((".L", "$")))
        self.addrs = [a for a, _ in syms]
        self.names = [s for _, s in syms]

    def name(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        return self.names[i] if i >= 0 else "0x%x" % pc


def location(row, syms):
    m = PC_RE.search(row.get("injection", ""))
    if not m:
        return "(not run)" if row.get("injection", "").startswith("not run") else "(unknown)"
    return syms.name(int(m.group(1), 16))


def by_symbol(rows, syms, top=15):
    table = {}
    for r in rows:
        t = table.setdefault(location(r, syms), {o: 0 for o in OUTCOMES})
        t[r["outcome"]] += r["weight"]
    order = sorted(table, key=lambda s: (-sum(table[s][o] for o in OUTCOMES if o != "masked"),
                                         -sum(table[s].values()), s))
    return [(s, table[s]) for s in order[:top]]


def time_of(row):
    """The middle of a row's class (its span), or its injection count."""
    span = row.get("span") or ""
    if "-" in span:
        a, b = span.split("-")
        return (int(a) + int(b)) / 2
    return float(row["icount"])


def plots(out, rows, table, window):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 0.4 * len(table) + 1.6))
    names = [s for s, _ in table][::-1]
    left = [0] * len(names)
    for o in OUTCOMES:
        v = [t[o] for _, t in table][::-1]
        ax.barh(names, v, left=left, color=COLORS[o], label=o)
        left = [a + b for a, b in zip(left, v)]
    ax.set_xlabel("faults (weighted)")
    ax.set_title("outcomes by fault location (function of the faulted instruction)")
    save(plt, fig, ax, os.path.join(out, "by_location.png"))

    lo, hi = window
    nbins, width = 20, max(1, hi - lo)
    fig, ax = plt.subplots(figsize=(9, 3.6))
    bottom = [0] * nbins
    for o in OUTCOMES:
        h = [0] * nbins
        for r in rows:
            if r["outcome"] == o:
                h[max(0, min(nbins - 1, int((time_of(r) - lo) * nbins // width)))] += r["weight"]
        ax.bar([(i + 0.5) * 100 / nbins for i in range(nbins)], h, width=90 / nbins,
               bottom=bottom, color=COLORS[o], label=o)
        bottom = [a + b for a, b in zip(bottom, h)]
    ax.set_xlabel("injection time (%% of instructions %d..%d)" % (lo, hi))
    ax.set_ylabel("faults (weighted)")
    ax.set_title("outcomes by injection time")
    save(plt, fig, ax, os.path.join(out, "by_time.png"))


def save(plt, fig, ax, path):
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def replay_command(rv, out, row):
    return "%s replay %s --trust-stored-paths --print-digest  # %s %s, digest %s" % (
        shlex.quote(rv), shlex.quote(os.path.join(out, row["log"])), row["outcome"],
        row["fault"], row["digest"])


def load_rows(out):
    with open(os.path.join(out, "campaign.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["weight"] = float(r.get("weight") or 1)
        if r["weight"].is_integer():
            r["weight"] = int(r["weight"])
        if r.get("outcome") not in OUTCOMES:
            raise ValueError("campaign.csv: run %s has no outcome class" % r.get("run"))
    return rows


def outcome_table(iv, unit):
    """The lines of the outcome table, from intervals(); unit names the
    count column."""
    lines = ["| outcome | %s | share | 95%% interval |" % unit, "|---|---:|---:|---|"]
    for o in OUTCOMES:
        v = iv[o]
        lines.append("| %s | %s | %.2f%% | %.2f%% .. %.2f%% |" % (
            o, v["count"], 100 * v["share"], 100 * v["lo"], 100 * v["hi"]))
    return lines


def write_files(out, md, which, without, replays):
    """report.md (md's lines, then the replay lines of which runs, that
    replay without what) and replay.sh in out."""
    md = md + ["", "## Replaying %s" % which, "",
               "Each recording replays without %s and must print the digest shown "
               "(replay.sh holds these lines):" % without, "", "```"] + \
        (replays or ["(none)"]) + ["```", ""]
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(md))
    with open(os.path.join(out, "replay.sh"), "w") as f:
        f.write("".join(c + "\n" for c in replays))


def write(out, rows, summary, rv, symbols=None):
    """Write the report files of a campaign in out; returns the lines of
    the outcome table (the campaign prints them)."""
    space = summary.get("fault_space")
    census = bool(space)
    syms = Symbols(symbols)
    iv = intervals(rows, census)
    table = by_symbol(rows, syms)
    window = tuple(space["window"]) if space else (summary["snapshot_icount"],
                                                  summary["golden"]["icount"])
    total = sum(r["weight"] for r in rows)
    lines = outcome_table(iv, "faults")
    replays = [replay_command(rv, out, r) for r in rows
               if r["outcome"] in REPLAYED and r.get("log")]
    md = ["# Fault-injection campaign: %s" % summary.get("workload", ""), "",
          "%s faults of kind %s, seed %s; %s." % (
              total, summary.get("kind"), summary.get("seed"),
              "a census of the fault space (every fault accounted for: the shares are exact, "
              "the intervals points)" if census else
              "faults drawn at random: 95% Wilson score intervals of each share of the space"),
          ""]
    if space:
        where = ("registers %s" % space["regs"] if "regs" in space else
                 "bytes %s" % space.get("mem_range"))
        md += ["Fault space: %d faults (instructions %d..%d, %s, bits %s); %d "
               "experiments run, pruning factor %s%s%s." % (
                   space["space"], space["window"][0], space["window"][1], where,
                   space["bits"], space["experiments"], space["pruning_factor"],
                   ", %d faults masked without a run (overwritten before any read)" %
                   space["benign_weight"] if "benign_weight" in space else "",
                   "; %d bytes run unpruned: %s" % (space["unpruned_bytes"],
                                                   space["unpruned_why"])
                   if space.get("unpruned_bytes") else ""), ""]
    md += lines + ["", "## By fault location", "",
                   "| function | " + " | ".join(OUTCOMES) + " |",
                   "|---|" + "---:|" * len(OUTCOMES)]
    md += ["| %s | %s |" % (s, " | ".join(str(t[o]) for o in OUTCOMES)) for s, t in table]
    if syms.problem or not symbols:
        md += ["", syms.problem or "(no --symbols ELF: locations are pcs)"]
    md += ["", "by_location.png and by_time.png draw these."]
    write_files(out, md, "every SDC, crash and hang", "the plugin", replays)
    plots(out, rows, table, window)
    summary["intervals"] = iv
    summary["by_symbol"] = {s: t for s, t in table}
    return lines


def main():
    ap = argparse.ArgumentParser(prog="report.py", description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--symbols", metavar="ELF")
    ap.add_argument("--retrovisor", default="retrovisor", metavar="FILE",
                    help="the binary named in the replay commands")
    args = ap.parse_args()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        # Debian's python3 has it (tools/setup); a pyenv shim first in PATH may not.
        if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and \
                os.path.exists("/usr/bin/python3"):
            os.execv("/usr/bin/python3", ["/usr/bin/python3", os.path.abspath(__file__)] +
                     sys.argv[1:])
        sys.exit("report.py: the plots need matplotlib: install the Debian package "
                 "python3-matplotlib (tools/setup does)")
    try:
        rows = load_rows(args.dir)
        path = os.path.join(args.dir, "summary.json")
        with open(path) as f:
            summary = json.load(f)
        lines = write(os.path.abspath(args.dir), rows, summary, args.retrovisor, args.symbols)
        with open(path, "w") as f:
            json.dump(summary, f, indent=1)
            f.write("\n")
    except (OSError, ValueError, KeyError) as e:
        sys.exit("report.py: %s: %s (a campaign's DIR holds campaign.csv and summary.json)" % (
            args.dir, e))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
