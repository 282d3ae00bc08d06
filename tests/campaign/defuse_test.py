#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Def/use pruning and the campaign report (issue 16, items 2 and 6):
defuse_test.py RETROVISOR FAULTINJ CAMPAIGN GUEST_ELF PAGING_ELF AMO_ELF
PVGUESTS... (defuse.so beside FAULTINJ, defuse.py and report.py beside
CAMPAIGN; tests/guests' paging and amo guests, tests/pvguests' guests of
which the test runs timer.elf).

The guest is the course's lab 6 workload (a paravirtual sort and CRC that
speaks the campaign's console protocol, about 50,000 instructions). Steps:
  1. save it at its prompt (retrovisor loop --iterations 0 --save-start);
  2. an --exhaustive campaign over a small register fault space (WINDOW
     of the workload's instructions, x1..x31, BITS): every fault run;
  3. the same space --prune'd: one run per def/use class, the flips
     overwritten before a read classified masked without a run;
  4. the pruned campaign's weighted outcome counts equal the exhaustive
     campaign's, class by class (every fault of a class has the outcome
     of the class's experiment), with fewer runs (pruning factor > 3);
  5. the report: report.md's table with the counts, census intervals
     (points), locations named by the guest's ELF symbols, by_location.png
     and by_time.png, summary.json's intervals; every SDC, crash and hang
     has a replay line, and the first of them, run as written, replays
     without the plugin to its digest;
  6. a sampled campaign's intervals are Wilson's (the textbook values for
     its counts), and the statistics functions on known numbers;
  7. the further fault classes as campaign kinds (fault_kinds.py):
     multi-bit register and memory flips, stuck-at bits, instruction
     skip: each run says its fault happened, and interesting runs replay
     without the plugin (--check-replays); the interrupt and block kinds
     draw their arguments (this guest takes no interrupts and has no disk:
     tests/plugins:faultinj_irq and :faultinj_blk_modes cover them).
  8. memory pruning (--kind mem): pruned weighted counts equal the
     exhaustive campaign's, fault by fault, over 8 bytes x 2 bits x a
     window, twice: in the sort (loads and stores of lab6_a: classes
     ended by a load run, flips overwritten by a store masked unrun), and
     around a paravirtual console write (the guest fills a stack buffer
     that only the hypervisor reads, in the ecall: without the tracer's
     rule that an ecall uses all memory those SDCs would be called
     masked, which the test shows from the trace); the MMU's page tables
     (the paging guest's six table pages found by the tracer's walks, run
     unpruned); AMOs and LR/SC are uses, never definitions (the amo
     guest); an SBI call is a use of all memory only when its extension
     passes memory (the timer guest's TIME calls are not, its console
     writes are); UART writes, xRET and sfence are not; a machine with a
     network device is run unpruned.
"""
import csv
import importlib.util
import re
import json
import os
import shlex
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from rvtest import TMP, check, digest, finish  # noqa: E402

RV, FAULTINJ, CAMPAIGN, GUEST, PAGING, AMO = (os.path.abspath(a) for a in sys.argv[1:7])
TIMER = [os.path.abspath(a) for a in sys.argv[7:] if a.endswith("/timer.elf")][0]
DEFUSE = os.path.join(os.path.dirname(FAULTINJ), "defuse.so")
sys.path.insert(0, os.path.dirname(CAMPAIGN))  # defuse.py imports report.py
WINDOW = "30000:30016"  # inside the checksum phase: SDCs, crashes and masked flips
BITS = "3,62"
OUTCOMES = ("masked", "detected", "crash", "hang", "sdc")


def load(name):
    sys.dont_write_bytecode = True
    path = os.path.join(os.path.dirname(CAMPAIGN), name + ".py")
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def campaign(out, *extra):
    p = subprocess.run([sys.executable, CAMPAIGN, "--snapshot", os.path.join(TMP, "prompt.snap"),
                        "--out", out, "--retrovisor", RV, "--plugin", FAULTINJ,
                        "--workload", "sort-crc", "--timeout", "60", "--jobs", "2", *extra],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1500)
    check(p.returncode == 0, "campaign %s completes" % " ".join(extra), p.stdout + p.stderr)
    with open(os.path.join(out, "campaign.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(out, "summary.json")) as f:
        return rows, json.load(f), p.stdout


def fault_key(fault, t):
    reg, bit = fault.split(",")
    return int(reg[len("reg=x"):]), int(bit[len("bit="):]), int(t)


def main():
    snap = os.path.join(TMP, "prompt.snap")
    p = subprocess.run([RV, "loop", "--iterations", "0", "--save-start", snap,
                        "--start-on-output", "# ", "--kernel", GUEST, "--memory", "16M"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    check(p.returncode == 0 and os.path.exists(snap), "the workload is saved at its prompt",
          p.stderr.decode(errors="replace"))

    space = ["--window", WINDOW, "--bits", BITS]
    ex_rows, ex_sum, _ = campaign(os.path.join(TMP, "ex"), "--exhaustive", *space)
    pr_rows, pr_sum, pr_out = campaign(os.path.join(TMP, "pr"), "--prune", *space)
    lo, hi = (int(x) for x in WINDOW.split(":"))
    size = (hi - lo) * 31 * 2
    check(len(ex_rows) == size and ex_sum["fault_space"]["space"] == size,
          "the exhaustive campaign ran all %d faults (%d rows)" % (size, len(ex_rows)))
    fs = pr_sum["fault_space"]
    ran = [r for r in pr_rows if r["exit_status"] != ""]
    benign = [r for r in pr_rows if r["exit_status"] == ""]
    check(fs["space"] == size and fs["experiments"] == len(ran) and
          fs["pruning_factor"] > 3 and len(ran) * 3 < size,
          "the pruned campaign ran %d experiments for %d faults (factor %s)" % (
              len(ran), size, fs["pruning_factor"]))
    check(benign and all(r["outcome"] == "masked" and "not run" in r["injection"]
                         for r in benign) and fs["benign_weight"] == sum(
                             int(r["weight"]) for r in benign),
          "%d classes (%s faults) were masked without a run" % (len(benign),
                                                                fs.get("benign_weight")))
    check(sum(int(r["weight"]) for r in pr_rows) == size,
          "the classes' weights add up to the space")
    check(pr_sum["counts"] == ex_sum["counts"],
          "pruned weighted counts %s equal the exhaustive counts %s" % (
              pr_sum["counts"], ex_sum["counts"]))
    check(sum(ex_sum["counts"][o] > 0 for o in OUTCOMES) >= 2,
          "the space has more than one outcome class (%s)" % ex_sum["counts"])
    exhaustive = {fault_key(r["fault"], r["icount"]): r["outcome"] for r in ex_rows}
    wrong = []
    for r in pr_rows:
        first, last = (int(x) for x in r["span"].split("-"))
        for t in range(first, last + 1):
            got = exhaustive.get(fault_key(r["fault"], t))
            if got != r["outcome"]:
                wrong.append((r["fault"], t, got, r["outcome"]))
    check(not wrong, "every fault has its class's outcome (%d differ: %s)" % (
        len(wrong), wrong[:5]))

    # 5. The report.
    out = os.path.join(TMP, "pr")
    with open(os.path.join(out, "report.md")) as f:
        md = f.read()
    for o in OUTCOMES:
        c = pr_sum["counts"][o]
        share = 100.0 * c / size
        want = "| %s | %d | %.2f%% | %.2f%% .. %.2f%% |" % (o, c, share, share, share)
        check(want in md and want in pr_out, "report.md and the campaign show %r" % want, md)
    check("pruning factor %s" % fs["pruning_factor"] in md, "report.md gives the pruning factor")
    check("| guest_main |" in md or "| pv_" in md, "fault locations are the guest's symbols", md)
    for png in ("by_location.png", "by_time.png", "outcomes.png"):
        path = os.path.join(out, png)
        check(os.path.exists(path) and open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n",
              "%s is a PNG" % png)
    iv = pr_sum["intervals"]
    check(all(iv[o]["count"] == pr_sum["counts"][o] and iv[o]["lo"] == iv[o]["hi"]
              for o in OUTCOMES), "summary.json's intervals of a census are points", iv)
    with open(os.path.join(out, "replay.sh")) as f:
        replays = [l for l in f.read().splitlines() if l]
    bad = [r for r in pr_rows if r["outcome"] in ("sdc", "crash", "hang")]
    check(len(replays) == len(bad) and bad, "one replay line for each of the %d SDCs, crashes "
          "and hangs" % len(bad))
    cmd, _, comment = replays[0].partition("  # ")
    p = subprocess.run(shlex.split(cmd), stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=300)
    want = comment.rsplit("digest ", 1)[-1]
    check("replay matched the recording" in p.stderr and digest(p.stderr)[0] == want,
          "the first replay line replays its run to digest %s" % want, p.stderr)

    # 6. A sampled campaign and the statistics.
    report = load("report")
    sa_rows, sa_sum, _ = campaign(os.path.join(TMP, "sa"), "--runs", "30", "--seed", "3")
    for o in OUTCOMES:
        lo_, hi_ = report.wilson(sa_sum["counts"][o], 30)
        got = sa_sum["intervals"][o]
        check(abs(got["lo"] - lo_) < 1e-5 and abs(got["hi"] - hi_) < 1e-5 and
              got["lo"] <= got["share"] <= got["hi"],
              "sampled %s: Wilson interval %s" % (o, got))
    lo_, hi_ = report.wilson(21, 30)
    check(abs(lo_ - 0.5212) < 1e-4 and abs(hi_ - 0.8334) < 1e-4,
          "Wilson(21 of 30) is 0.5212..0.8334 (%f..%f)" % (lo_, hi_))
    lo_, hi_ = report.wilson(0, 50)
    check(lo_ == 0 and abs(hi_ - 0.0713) < 1e-4, "Wilson(0 of 50) is 0..0.0713 (%f)" % hi_)
    rows = [{"outcome": "sdc", "weight": 3}, {"outcome": "masked", "weight": 1}]
    w = report.intervals(rows, census=False)["sdc"]
    n_eff = 16 / 10
    lo_, hi_ = report.wilson(0.75 * n_eff, n_eff)
    check(w["share"] == 0.75 and abs(w["lo"] - lo_) < 1e-5,
          "weighted rows use Kish's effective sample size (%s)" % w)
    defuse = load("defuse")
    check(defuse.intervals([(5, False), (9, True), (12, True), (30, True)], 3, 20) ==
          [(3, 5, None), (6, 9, 9), (10, 12, 12), (13, 19, 30)],
          "classes: def ends a masked one, uses end experiments, the last is clipped")
    check(defuse.intervals([(4, True)], 3, 10) == [(3, 4, 4), (5, 9, None)],
          "flips never read again are masked")
    check(defuse.parse_list("1-3,7", 0, 63, "--bits") == [1, 2, 3, 7], "bit lists parse")
    for bad_args, why in ((["--prune", "--kind", "skip"], "--kind reg and mem"),
                          (["--prune", "--bits", "64"], "outside"),
                          (["--exhaustive", "--window", "9:3"], "LO < HI"),
                          (["--prune", "--kind", "mem", "--mem-range", "no_such_thing"],
                           "no symbol 'no_such_thing'"),
                          (["--prune", "--kind", "mem", "--mem-range", "lab6_a+8:lab6_a"],
                           "LO < HI"),
                          (["--prune", "--kind", "mem", "--mem-range", "lab6_a", "--bits", "8"],
                           "outside 0-7")):
        p = subprocess.run([sys.executable, CAMPAIGN, "--snapshot", snap, "--out",
                            os.path.join(TMP, "bad"), "--retrovisor", RV, "--plugin", FAULTINJ,
                            *bad_args], stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=300)
        check(p.returncode == 1 and why in p.stderr and "Traceback" not in p.stderr,
              "%s is refused with one line" % " ".join(bad_args), p.stderr)

    # 7. The further fault classes as campaign kinds.
    kinds = {"regmulti": r"flipped mask 0x[0-9a-f]+ of register ",
             "memmulti": r"flipped mask 0x[0-9a-f]+ of the byte at physical ",
             "stuck": r"stuck at [01] bit \d+ of register ",
             "skip": r"skipped the [24]-byte instruction at pc "}
    for kind, says in kinds.items():
        extra = ["--mem-range", "0x80200000:0x80204000"] if kind == "memmulti" else []
        rows, summary, out = campaign(os.path.join(TMP, kind), "--kind", kind, "--runs", "12",
                                      "--seed", "2", "--check-replays", "2", *extra)
        check(len(rows) == 12 and all(re.search(says, r["injection"]) for r in rows),
              "--kind %s: every run's fault happened (%s)" % (kind, rows[0]["injection"]))
        check("DIFFERS" not in out and ("replay of run" in out) == (
            summary["counts"]["masked"] < 12), "--kind %s: its interesting runs replay" % kind,
              out)
    rows, _, _ = campaign(os.path.join(TMP, "irq"), "--kind", "irqdelay", "--runs", "3",
                          "--irq-delay", "777")
    check(all(r["fault"] == "irq=5,delay=777" for r in rows), "--kind irqdelay draws its faults")
    for kind, form in (("blklost", r"blk=\d+,lost"), ("blktorn", r"blk=\d+,torn=[0-3]"),
                       ("blkmisdirect", r"blk=\d+,misdirect=\d+"), ("blkrot", r"blk=\d+,rot=\d+")):
        rows, _, _ = campaign(os.path.join(TMP, kind), "--kind", kind, "--runs", "3")
        check(all(re.fullmatch(form, r["fault"]) for r in rows),
              "--kind %s draws its faults (%s; no disk here: tests/plugins:faultinj_blk_modes "
              "has their effects)" % (kind, [r["fault"] for r in rows]))
    memory(snap)
    finish()


def mem_campaigns(tag, mem_range, window, bits):
    """An exhaustive and a pruned --kind mem campaign over one space; they
    must agree in weighted counts and fault by fault."""
    space = ["--kind", "mem", "--mem-range", mem_range, "--window", window, "--bits", bits]
    ex_rows, ex_sum, _ = campaign(os.path.join(TMP, tag + "-ex"), "--exhaustive", *space)
    pr_rows, pr_sum, _ = campaign(os.path.join(TMP, tag + "-pr"), "--prune", *space)
    fs, size = pr_sum["fault_space"], ex_sum["fault_space"]["space"]
    check(len(ex_rows) == size == fs["space"] and fs["experiments"] * 5 < size,
          "%s: %d experiments for %d memory faults (factor %s)" % (
              tag, fs["experiments"], size, fs["pruning_factor"]))
    check(sum(int(r["weight"]) for r in pr_rows) == size and fs["unpruned_bytes"] == 0,
          "%s: the classes' weights add up to the space, no byte unpruned" % tag)
    check(pr_sum["counts"] == ex_sum["counts"], "%s: pruned weighted counts %s equal the "
          "exhaustive counts %s" % (tag, pr_sum["counts"], ex_sum["counts"]))
    exhaustive = {(r["fault"], int(r["icount"])): r["outcome"] for r in ex_rows}
    wrong = [(r["fault"], t, r["outcome"]) for r in pr_rows
             for t in range(*(int(x) + i for i, x in enumerate(r["span"].split("-"))))
             if exhaustive.get((r["fault"], t)) != r["outcome"]]
    check(not wrong, "%s: every fault has its class's outcome (%d differ: %s)" % (
        tag, len(wrong), wrong[:5]))
    return ex_rows, pr_sum, exhaustive


def elf_word(path, addr):
    """The 32-bit little-endian word at virtual address addr of an ELF64
    file's PT_LOAD segments (None outside them)."""
    data = open(path, "rb").read()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        typ, _, off, vaddr, _, filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if typ == 1 and vaddr <= addr and addr + 4 <= vaddr + filesz:
            return struct.unpack_from("<I", data, off + addr - vaddr)[0]
    return None


def trace_guest(elf, out, pv=False):
    plugin = "%s,out=%s,mem=0x80000000:0x80100000" % (DEFUSE, out)
    p = subprocess.run([RV, "run", *([] if pv else ["--bios", "none"]), "--kernel", elf,
                        "--plugin", plugin],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    check(p.returncode == 0 and os.path.exists(out), "%s runs traced by defuse.so mem="
          % os.path.basename(elf), p.stderr)
    with open(out) as f:
        return [line.split() for line in f]


def memory(snap):
    defuse = load("defuse")
    # The sort: lab6_a's bytes 0xa0..0xa7 while insertion sort shifts them.
    ex_rows, pr_sum, _ = mem_campaigns("sort", "lab6_a+0xa0:lab6_a+0xa8", "4928:4944", "3,6")
    fs = pr_sum["fault_space"]
    check(fs["benign_weight"] > 0 and sum(v > 0 for v in pr_sum["counts"].values()) >= 2,
          "sort: flips overwritten by a store are masked without a run (%d), and the space "
          "has more than one outcome (%s)" % (fs["benign_weight"], pr_sum["counts"]))
    # A console write: a stack buffer the guest stores and the hypervisor reads.
    ex_rows, pr_sum, exhaustive = mem_campaigns("console", "0x8020293c:0x80202944",
                                                "48974:48998", "0,5")
    fs = pr_sum["fault_space"]
    lo, hi = fs["window"]
    mem = (0x8020293C, 0x80202944)
    acc, opaque, pages = defuse.read_mem_trace(os.path.join(TMP, "console-pr", "defuse.inj"), mem)
    check(any(lo <= k < hi for k in opaque), "console: the window holds an ecall (%s)" % [
        k for k in opaque if lo - 50 <= k < hi + 50])
    runs, benign = defuse.mem_pruned((acc, [], pages), lo, hi, mem, [0, 5], lambda a: False)
    blind = [(lab, t) for lab, first, last, _ in benign for t in range(first, last + 1)
             if exhaustive[(lab, t)] != "masked"]
    check(pr_sum["counts"]["sdc"] > 0 and blind, "console: without the ecall rule %d SDC "
          "faults would be called masked unrun (the hypervisor reads the buffer)" % len(blind))

    # The MMU's tables: found by walks, run one experiment per fault.
    lines = trace_guest(PAGING, os.path.join(TMP, "paging.inj"))
    objs = defuse.elf_objects(PAGING)
    want = {objs[n][0] for n in ("root", "root_b", "root48", "l1", "l0", "l0_empty")}
    got = {int(p[1], 16) for p in lines if p[0] == "p"}
    check(got == want, "the paging guest's table pages %s are reported (%s)" % (
        sorted(map(hex, want)), sorted(map(hex, got))))
    system = {int(p[0]) for p in lines if p[0][0].isdigit() and p[1] == "fffffffe"}
    opaque = [p for p in lines if p[0] == "o"]
    check(len(system) > 50 and not opaque, "the paging guest's UART writes and %d xRET, "
          "sfence and ecalls to its own handler are no uses of all memory (%d are)" % (
              len(system), len(opaque)))
    ks = {int(p[0]) for p in lines if p[0][0].isdigit()}
    fetched = {int(p[1]) for p in lines if p[0] == "r"}
    check(len(ks) > 10000 and not ks - fetched, "every instruction the paging guest runs "
          "(M, S and U mode, code in the range) reads its bytes (%d of %d not)" % (
              len(ks - fetched), len(ks)))
    t0 = min(objs["l0"][0], objs["l1"][0])
    trace = ({t0 + 1: {5: False}}, [], {t0})
    runs, benign = defuse.mem_pruned(trace, 3, 9, (t0, t0 + 2), [0], lambda a: a & ~0xfff == t0)
    check(not benign and len(runs) == 12 and all(r[3] == 1 for r in runs),
          "bytes of a table page are run fault by fault (%d runs)" % len(runs))
    runs, benign = defuse.mem_pruned(trace, 3, 9, (t0, t0 + 2), [0], lambda a: False)
    check(len(benign) == 3 and len(runs) == 0,
          "the same bytes, seen, are masked without a run (%s)" % (benign,))
    check(defuse.has_net(["--net", "user"]) and defuse.has_net(["--net=user,hostfwd=x"]) and
          not defuse.has_net(["--net", "none", "--kernel", "k"]),
          "a network device (not --net none) makes memory unprunable")

    # AMOs, LR and SC: uses, never definitions.
    lines = trace_guest(AMO, os.path.join(TMP, "amo.inj"))
    pcs = {int(p[0]): int(p[3], 16) for p in lines if p[0][0].isdigit()}
    reads = {int(p[1]) for p in lines if p[0] == "r"}
    writes = {int(p[1]) for p in lines if p[0] == "w"}
    atomics = [k for k, pc in pcs.items() if ((elf_word(AMO, pc) or 0) & 0x7f) == 0x2f]
    check(len(atomics) >= 10 and all(k in reads and k not in writes for k in atomics),
          "%d AMO/LR/SC instructions: each a read, none a definition" % len(atomics))
    check(len(writes) > 50, "the amo guest's stores are definitions (%d)" % len(writes))

    # SBI calls: a use of all memory when the extension passes memory.
    lines = trace_guest(TIMER, os.path.join(TMP, "timer.inj"), pv=True)
    ecalls = {int(p[0]) for p in lines
              if p[0][0].isdigit() and elf_word(TIMER, int(p[3], 16)) == 0x73}
    opaque = {int(p[1]) for p in lines if p[0] == "o"}
    check(opaque and opaque < ecalls, "the timer guest's %d console calls are uses of all "
          "memory, its %d TIME and other register-only SBI calls not" % (
              len(opaque), len(ecalls - opaque)))


if __name__ == "__main__":
    main()
