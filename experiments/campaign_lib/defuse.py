# SPDX-License-Identifier: MIT
"""A smaller register fault space, proved equivalent: def/use pruning (issue
16, item 2), as FAIL* does it, for experiments/campaign --prune.

The fault space: a bit flip of register xr (r in --regs), bit b (in
--bits), injected just before instruction t of the workload's window
[lo, hi) (faultinj.so at=t: the hart's count t). --exhaustive runs every
one of them; --prune runs one per class:

  A golden run traced with defuse.so (plugins/examples/defuse.c) lists,
  for every instruction K from lo to the end of the run, the registers it
  reads (uses) and writes (defines). For a register xr, the accesses at
  K1 < K2 < ... cut the counts into intervals (lo-1, K1], (K1, K2], ...:
  a flip at any t in (K(i-1), Ki] leaves the machine in the same state
  when instruction Ki executes (nothing touched xr in between), so all
  of them have the outcome of the flip at t = Ki. If Ki reads xr the
  interval is one experiment (at=Ki), weighted by its length; if Ki only
  writes xr, the flip is overwritten unread: masked, without a run. The
  interval after the last access (never read again before the run ends)
  is masked as well: outcomes are judged on the workload's output and
  exit status. Intervals are clipped to the window; a class's
  experiment may lie past hi (the use that ends it).

The weighted outcome counts of a pruned campaign are then the exhaustive
campaign's counts, exactly (tests/campaign:defuse checks that); the
pruning factor is the space's size over the experiments run. The
tracer's masks are conservative (a doubtful use is a use, a doubtful
definition is none), which costs experiments, never correctness.

Memory (--kind mem, --mem-range LO:HI physical, each end a number or
SYMBOL[+OFF] of the guest's ELF, a lone SYMBOL its object's bytes): the
same classes per byte, FAIL* style, for each --bits bit (0-7) of each byte
of the range. The golden run is traced with defuse.so mem=LO:HI: loads,
stores, atomics and LR/SC (each byte they touch; a partial overwrite
defines only the bytes written, a store that traps none), the fetch of
instructions stored in the range (uses), and, as a use of every byte, every
point where something other than the instruction stream may read or write
guest memory: SBI and paravirtual calls (ecall), xRET, wfi, sfence and
unknown instructions, and every device register access (a virtio notify
makes the device walk its queue and copy buffers at that instruction).
What the tracer cannot see is run unpruned, one experiment per fault:
the bytes of page-table pages in the range (the MMU reads them and sets A/D
bits at any instruction), and every byte when the machine has a network
device (it copies received frames into guest memory on its own schedule).
The summary says how many bytes were run unpruned, and why.

One hart only: with several, a register's accesses by its own hart are
interleaved with the other harts' effects on memory, and at= counts one
hart's instructions while the classes would need the machine's order.
"""
import os
import re
import struct

import report


class SpaceError(Exception):
    """A one-line problem with the fault space's options."""


def parse_list(text, lo, hi, what):
    """'0-63' or '1,5,7-9' -> sorted distinct ints within [lo, hi]."""
    out = set()
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m:
            raise SpaceError("%s wants numbers and ranges like 0-3,7, not %r" % (what, text))
        a, b = int(m.group(1)), int(m.group(2) or m.group(1))
        if a > b or a < lo or b > hi:
            raise SpaceError("%s: %r is outside %d-%d" % (what, part.strip(), lo, hi))
        out.update(range(a, b + 1))
    return sorted(out)


def parse_window(text, span):
    """'LO:HI' offsets into the workload's span -> (lo, hi) offsets."""
    m = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", text or "")
    if not m:
        raise SpaceError("--window wants LO:HI, instruction offsets into the workload, not %r"
                         % text)
    lo, hi = int(m.group(1)), int(m.group(2))
    if lo >= hi or hi > span:
        raise SpaceError("--window %s: want LO < HI <= %d (the workload's instructions)"
                         % (text, span))
    return lo, hi


def space_size(lo, hi, regs, bits):
    return (hi - lo) * len(regs) * len(bits)


def label(reg, bit, kind="reg"):
    return ("mem=0x%x,bit=%d" if kind == "mem" else "reg=x%d,bit=%d") % (reg, bit)


def fault_args(t, reg, bit, kind="reg"):
    return ("at=%d,mem=0x%x,bit=%d" if kind == "mem" else "at=%d,reg=%d,bit=%d") % (t, reg, bit)


def exhaustive(lo, hi, regs, bits, kind="reg"):
    """Every fault of the space: (label, plugin arguments, at, weight);
    regs are byte addresses for kind mem."""
    return [(label(r, b, kind), fault_args(t, r, b, kind), t, 1)
            for t in range(lo, hi) for r in regs for b in bits]


def elf_objects(path):
    """{name: (value, size)} of an ELF64 little-endian file's symbols."""
    with open(path, "rb") as f:
        data = f.read()
    out = {}
    for name, _, value, size in report.elf_symtab(data):
        out.setdefault(name, (value, size))
    return out


def parse_mem_range(text, elf):
    """--mem-range: 'LO:HI' (numbers or SYMBOL[+OFF] of elf) or 'SYMBOL'
    -> (lo, hi) physical addresses."""
    syms = None

    def addr(part):
        nonlocal syms
        m = re.fullmatch(r"\s*(0x[0-9a-fA-F]+|\d+)\s*", part)
        if m:
            return int(m.group(1), 0), None
        m = re.fullmatch(r"\s*([A-Za-z_.$][\w.$]*)\s*(?:\+\s*(0x[0-9a-fA-F]+|\d+)\s*)?", part)
        if not m:
            raise SpaceError("--mem-range wants LO:HI (numbers or SYMBOL[+OFF]) or SYMBOL, "
                             "not %r" % text)
        if syms is None:
            if not elf:
                raise SpaceError("--mem-range %s names a symbol: give --symbols ELF" % text)
            try:
                syms = elf_objects(elf)
            except (OSError, ValueError, struct.error, IndexError) as e:
                raise SpaceError("--mem-range %s: %s has no symbols (%s); give --symbols ELF"
                                 % (text, elf, e))
        if m.group(1) not in syms:
            raise SpaceError("--mem-range: %s has no symbol %r" % (elf, m.group(1)))
        value, size = syms[m.group(1)]
        return value + int(m.group(2) or "0", 0), size

    if ":" in text:
        lo, hi = (addr(p)[0] for p in text.split(":", 1))
    else:
        lo, size = addr(text)
        hi = lo + (size or 0)
    if lo >= hi:
        raise SpaceError("--mem-range %s: want LO < HI (an object of some size)" % text)
    if hi > 1 << 56:
        raise SpaceError("--mem-range %s: 0x%x is not a physical address (give LO:HI)"
                         % (text, hi - 1))
    return lo, hi


def read_trace(path):
    """defuse.so's lines -> {reg: [(K, used)]} in order of K."""
    acc = {r: [] for r in range(1, 32)}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if parts and parts[0] in "rwop":
                continue  # memory lines
            try:
                k, use, d = int(parts[0]), int(parts[1], 16), int(parts[2], 16)
            except (IndexError, ValueError):
                raise SpaceError("%s:%d: not a defuse.so line: %r" % (path, n, line[:80]))
            for r in range(1, 32):
                bit = 1 << r
                if use & bit:
                    acc[r].append((k, True))
                elif d & bit:
                    acc[r].append((k, False))
    return acc


def intervals(events, lo, hi):
    """A register's classes within [lo, hi): (first, last, at or None)
    where at is the use that ends the class, None for a masked one."""
    out, prev = [], lo - 1
    for k, used in events:
        if k < lo:
            continue
        last = min(k, hi - 1)
        if last > prev:
            out.append((prev + 1, last, k if used else None))
        prev = k
        if k >= hi - 1:
            return out
    if prev < hi - 1:
        out.append((prev + 1, hi - 1, None))
    return out


def pruned(trace, lo, hi, regs, bits):
    """(experiments, benign): experiments as exhaustive's tuples with a
    weight; benign as (label, first, last, weight) for the CSV."""
    runs, benign = [], []
    for r in regs:
        for first, last, at in intervals(trace.get(r, []), lo, hi):
            for b in bits:
                if at is None:
                    benign.append((label(r, b), first, last, last - first + 1))
                else:
                    runs.append((label(r, b), "at=%d,reg=%d,bit=%d" % (at, r, b), at,
                                 last - first + 1, first, last))
    return runs, benign


def read_mem_trace(path, mem):
    """defuse.so's memory lines -> ({byte: {K: used}}, [opaque K], {table
    page})."""
    acc, opaque, pages = {}, [], set()
    with open(path) as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts or parts[0] not in ("r", "w", "o", "p"):
                continue
            try:
                if parts[0] == "p":
                    pages.add(int(parts[1], 16))
                    continue
                k = int(parts[1])
                if parts[0] == "o":
                    opaque.append(k)
                    continue
                pa, size = int(parts[2], 16), int(parts[3])
            except (IndexError, ValueError):
                raise SpaceError("%s:%d: not a defuse.so line: %r" % (path, n, line[:80]))
            for a in range(max(pa, mem[0]), min(pa + size, mem[1])):
                ev = acc.setdefault(a, {})
                ev[k] = ev.get(k, False) or parts[0] == "r"
    return acc, sorted(set(opaque)), pages


def mem_pruned(trace, lo, hi, mem, bits, unseen):
    """pruned() for memory: trace is read_mem_trace's; unseen(byte) says a
    byte's accesses may be invisible (its faults are run one by one)."""
    acc, opaque, _ = trace
    runs, benign = [], []
    for a in range(*mem):
        if unseen(a):
            runs += [f + (f[2], f[2]) for f in exhaustive(lo, hi, [a], bits, "mem")]
            continue
        ev = dict(acc.get(a, {}))
        for k in opaque:
            ev[k] = True
        for first, last, at in intervals(sorted(ev.items()), lo, hi):
            for b in bits:
                if at is None:
                    benign.append((label(a, b, "mem"), first, last, last - first + 1))
                else:
                    runs.append((label(a, b, "mem"), fault_args(at, a, b, "mem"), at,
                                 last - first + 1, first, last))
    return runs, benign


def has_net(args):
    """The snapshot's command line ('arg' lines) attaches a network device."""
    for i, a in enumerate(args):
        v = a.split("=", 1)[1] if a.startswith("--net=") else (
            args[i + 1] if a == "--net" and i + 1 < len(args) else None)
        if v is not None and v.strip() != "none":
            return True
    return False


def trace_golden(run_one, base_job, out, plugin, lo, mem=None):
    """Trace the golden run with defuse.so (beside faultinj.so); the same
    run as the golden one, so its digest must be the golden digest."""
    extra = ",mem=0x%x:0x%x" % mem if mem else ""
    job = dict(base_job, run=0, base=os.path.join(out, "defuse"), plugin=plugin,
               plugin_args="from=%d%s" % (lo, extra), max_insns=base_job["golden_max"])
    r = run_one(job)
    path = job["base"] + ".inj"
    if r["status"] != 0 or not os.path.exists(path):
        raise SpaceError("the def/use trace run failed (status %s: %s)" % (
            r["status"], r["stderr_last"]))
    return r, path


def plan(args, run_one, base_job, out, info, lo_ic, hi_ic, golden, mem=None):
    """The runs of an --exhaustive or --prune campaign: (faults as
    draw_faults gives them, their weights, their classes' spans, benign
    rows, a summary). Counts are the workload's absolute instruction
    counts (lo_ic is the snapshot's); mem the --kind mem range."""
    kind = args.kind
    if kind not in ("reg", "mem"):
        raise SpaceError("--exhaustive and --prune are for --kind reg and mem")
    if info["harts"] != 1:
        raise SpaceError("--exhaustive and --prune need a one-hart machine (this one has %d)"
                         % info["harts"])
    w_lo, w_hi = parse_window(args.window, hi_ic - lo_ic) if args.window else (0, hi_ic - lo_ic)
    lo, hi = lo_ic + w_lo, lo_ic + w_hi
    if kind == "mem":
        regs = list(range(*mem))
        bits = parse_list(args.bits or "0-7", 0, 7, "--bits")
        summary = {"window": [lo, hi], "mem_range": "0x%x:0x%x" % mem, "bits": args.bits or "0-7"}
    else:
        regs = parse_list(args.regs, 1, 31, "--regs")
        bits = parse_list(args.bits or "0-63", 0, 63, "--bits")
        summary = {"window": [lo, hi], "regs": args.regs, "bits": args.bits or "0-63"}
    size = space_size(lo, hi, regs, bits)
    summary["space"] = size
    if args.exhaustive:
        if size > 200000:
            raise SpaceError("--exhaustive: %d faults; narrow --window, --%s or --bits"
                             % (size, "mem-range" if kind == "mem" else "regs"))
        runs = exhaustive(lo, hi, regs, bits, kind)
        summary.update(experiments=len(runs), pruning_factor=1.0)
        return ([f[:3] for f in runs], [1] * len(runs), [""] * len(runs), [], summary)
    plugin = os.path.join(os.path.dirname(base_job["plugin"]), "defuse.so")
    if not os.path.isfile(plugin):
        raise SpaceError("%s does not exist (bazel build //plugins/examples:defuse.so)" % plugin)
    r, path = trace_golden(run_one, dict(base_job, golden_max=golden["max_insns"]), out,
                           plugin, lo, mem if kind == "mem" else None)
    if r["digest"] != golden["digest"]:
        raise SpaceError("the def/use trace run ended in another state than the golden run "
                         "(%s, not %s)" % (r["digest"], golden["digest"]))
    if kind == "mem":
        trace = read_mem_trace(path, mem)
        net = has_net(info.get("args", []))
        pages = trace[2]
        unseen = (lambda a: True) if net else (lambda a: (a & ~0xfff) in pages)
        runs, benign = mem_pruned(trace, lo, hi, mem, bits, unseen)
        n = sum(1 for a in regs if unseen(a))
        summary["unpruned_bytes"] = n
        summary["unpruned_why"] = (
            "the machine has a network device (it writes guest memory unseen)" if net else
            "%d page-table page(s) in the range (the MMU reads them unseen)" % len(
                [p for p in pages if p < mem[1] and p + 4096 > mem[0]]) if n else "")
    else:
        runs, benign = pruned(read_trace(path), lo, hi, regs, bits)
    benign_w = sum(b[3] for b in benign)
    summary.update(experiments=len(runs), benign_classes=len(benign), benign_weight=benign_w,
                   pruning_factor=round(size / max(1, len(runs)), 2))
    spans = ["%d-%d" % (f[4], f[5]) for f in runs]
    return [f[:3] for f in runs], [f[3] for f in runs], spans, benign, summary
