#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lab 1's check (//docs/course/lab1:check): runs solution/trace.sh on the
project-built kernel, checks that each trace is what the task asked for,
recomputes every answer from those fresh traces and compares it with
solution/answers.txt. Then the starter: its trace.sh must stop at its
first TODO, and its answers (all "?") must fail the same comparison, so a
check that accepted anything would be caught here.

    check.py RETROVISOR ITRACE_SO [ANSWERS]

With ANSWERS (a student's file) only the comparison of that file is made,
against traces of the solution script. tools/test passes the kernel's
path in RV_BUILT_KERNEL; its vmlinux lies next to it.
"""
import collections
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check, env_path, finish, need, run  # noqa: E402

SETUP = "tools/setup and tools/build-kernel"
RV, ITRACE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
KERNEL = env_path("RV_BUILT_KERNEL", SETUP)
need(os.path.join(os.path.dirname(KERNEL), "vmlinux"), "the built kernel's vmlinux", SETUP)
FW = need("/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin",
          "OpenSBI fw_dynamic (package opensbi)")
os.environ.update(RETROVISOR=RV, ITRACE=ITRACE, KERNEL_DIR=os.path.dirname(KERNEL),
                  FIRMWARE=FW)
LINE = re.compile(r"(\d+) (\d+) ([0-9a-f]{16}) ([0-9a-f]+) (\S+)\s*(.*)$")
SYM = re.compile(r"<([^+>]+)\+0x[0-9a-f]+>$")
KERNEL_BASE = 0x80200000


class Insn:
    def __init__(self, text):
        m = LINE.match(text)
        if not m:
            raise ValueError(f"not an itrace line: {text!r}")
        self.hart, self.icount = int(m.group(1)), int(m.group(2))
        self.pc, self.raw = int(m.group(3), 16), int(m.group(4), 16)
        self.mnemonic, rest = m.group(5), m.group(6)
        s = SYM.search(rest)
        self.symbol = s.group(1) if s else None
        self.operands = SYM.sub("", rest).strip()


def trace(out, name, lines=None):
    """The instructions of OUT/NAME; fails the check if it is missing,
    malformed or (with LINES) of another length."""
    path = os.path.join(out, name)
    try:
        insns = [Insn(l) for l in open(path).read().splitlines()]
    except (OSError, ValueError) as e:
        check(False, f"{name} is an itrace trace ({e})")
        return None
    if lines is not None and not check(len(insns) == lines,
                                       f"{name} has {lines} lines (has {len(insns)})"):
        return None
    return insns


def ecall_facts(insns, name):
    """(the ecall, the instruction after it, the caller, the EID) from the
    25 lines of an *-ecall.txt file."""
    if not insns or not check(len(insns) == 25 and insns[-2].mnemonic == "ecall",
                              f"{name}: 23 lines, the ecall, the next instruction"):
        return None
    ecall, after = insns[-2], insns[-1]
    caller = next((i.symbol for i in reversed(insns[:-2])
                   if i.symbol and i.symbol != ecall.symbol), None)
    a7 = [i for i in insns[:-2] if i.operands.startswith("a7,")]
    eid = int(a7[-1].operands.split(",")[-1], 0) if a7 else None
    return ecall, after, caller, eid


def facts(out):
    """Every answer, recomputed from the traces in OUT (None where a
    trace was wrong, which the checks above have reported)."""
    f = {}
    pv = trace(out, "pv.txt", 1000)
    if pv and check([i.icount for i in pv] == list(range(1000)),
                    "pv.txt is instructions 0..999 of the paravirtual boot"):
        f["pv_start_pc"] = pv[0].pc
        f["pv_first_raw"] = pv[0].raw
        csr = next((i for i in pv if i.mnemonic.startswith("csrr")), None)
        f["pv_first_csr"] = csr.operands.split(",")[1] if csr else None
        f["pv_hottest_count"] = max(collections.Counter(i.pc for i in pv).values())
    full = trace(out, "full.txt", 1000)
    if full and check(full[0].icount == 0, "full.txt starts at the first instruction"):
        f["full_start_pc"] = full[0].pc
    entry = trace(out, "full-entry.txt", 2)
    if entry and check(entry[1].pc == KERNEL_BASE,
                       "full-entry.txt ends with the kernel's first instruction"):
        f["full_kernel_entry_icount"] = entry[1].icount
        f["full_kernel_entry_insn"] = entry[0].mnemonic
    pv_e = ecall_facts(trace(out, "pv-ecall.txt"), "pv-ecall.txt")
    if pv_e:
        ecall, after, caller, eid = pv_e
        f["first_ecall_icount"] = ecall.icount
        f["first_ecall_function"] = ecall.symbol
        f["first_ecall_caller"] = caller
        f["first_ecall_eid"] = eid
        f["pv_after_ecall_pc"] = after.pc
        check(after.pc == ecall.pc + 4, "paravirtual boot: the ecall returns to the next "
              "instruction, with no guest instruction in between")
    full_e = ecall_facts(trace(out, "full-ecall.txt"), "full-ecall.txt")
    if full_e:
        ecall, after, _, _ = full_e
        f["full_after_ecall_pc"] = after.pc
        check(after.pc < KERNEL_BASE and after.symbol is None and
              ecall.symbol == f.get("first_ecall_function"),
              "full boot: the same first ecall traps into OpenSBI, below the kernel")
    return f


def answers(path):
    out = {}
    for n, line in enumerate(open(path), 1):
        line = line.split("#", 1)[0].strip()
        if line:
            key, sep, value = line.partition(":")
            if not sep:
                check(False, f"{path}:{n}: 'key: value' expected, not {line!r}")
                continue
            out[key.strip()] = value.strip()
    return out


def same(given, truth):
    if isinstance(truth, int):
        try:
            return int(given, 0) == truth
        except ValueError:
            return False
    return given == truth


def compare(path, f):
    """The keys of answers file PATH that are wrong (missing or unknown
    keys included)."""
    given = answers(path)
    wrong = [k for k in f if k not in given or not same(given[k], f[k])]
    return wrong + [k for k in given if k not in f]


def traces(script, name):
    out = os.path.join(TMP, name)
    status, o, err = run(["sh", os.path.join(HERE, script), out], timeout=600)
    return status, out, o + err


status, out, log = traces("solution/trace.sh", "solution")
if not check(status == 0, f"solution/trace.sh runs (status {status})", log):
    finish()
truth = facts(out)
check(len(truth) == 13, f"every answer could be recomputed ({len(truth)} of 13)")
if len(sys.argv) > 3:
    wrong = compare(sys.argv[3], truth)
    check(not wrong, f"{sys.argv[3]}: every answer right (wrong: {wrong})")
    finish()
wrong = compare(os.path.join(HERE, "solution", "answers.txt"), truth)
check(not wrong, f"solution/answers.txt agrees with the fresh traces (wrong: "
      f"{', '.join(f'{k} (trace says {truth.get(k)!r})' for k in wrong)})")

status, _, log = traces("starter/trace.sh", "starter")
check(status == 1 and "TODO 2 is not done yet" in log,
      f"starter/trace.sh stops at its first TODO (status {status})", log)
wrong = compare(os.path.join(HERE, "starter", "answers.txt"), truth)
check(len(wrong) == len(truth), f"the starter's answers fail the check "
      f"({len(wrong)} of {len(truth)} wrong)")
finish()
