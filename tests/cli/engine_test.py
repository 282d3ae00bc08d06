#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The engine options (docs/cli.md, "Engine"): engine_test.py RETROVISOR CASE.

bad: every unusable value of --engine, --jit-cache, --jit-log and of the
environment variables they override ends every command that runs machines
with status 2, nothing on stdout and one line on stderr naming the option
or variable; commands that run no machine ignore the environment.
same: a small guest (a loop of stores, loads and a branch, then an SBI
shutdown) gives the same --print-digest digest and instruction count under
--engine interp and --engine jit; --jit-log lists its blocks with their
RISC-V instructions and the x86-64 code (a bne on one side, a mov on the
other); the option wins over RETROVISOR_ENGINE both ways; a recording
made with the JIT replays under the interpreter and stores none of the
engine options (its replay writes no JIT log); a log that cannot be
written is reported once, at the end, with status 2.
linux: the Debian guest boots to its shutdown with --engine jit
--jit-cache 256K (the code buffer fills and is emptied many times) to the
interpreter's digest and instruction count.
"""
import os
import re
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check, digest, env_path, run_case  # noqa: E402

RV, CASE = os.path.abspath(sys.argv[1]), sys.argv[2]

# auipc t1,1; li t0,2000; loop: sd t0,0(t1); ld t2,0(t1); add a2,a2,t2;
# addi t0,t0,-1; bne t0,zero,loop; then SBI SRST shutdown: lui a7,0x53525;
# addi a7,a7,0x354; li a6,0; li a0,0; li a1,0; ecall; j .
LOOP = [0x00001317, 0x7D000293, 0x00533023, 0x00033383, 0x00760633, 0xFFF28293, 0xFE0298E3,
        0x535258B7, 0x35488893, 0x00000813, 0x00000513, 0x00000593, 0x00000073, 0x0000006F]


def rv(*args, env=None, timeout=300):
    """retrovisor ARGS with ENV's variables set (None: unset) over ours."""
    saved = {k: os.environ.get(k) for k in (env or {})}
    for k, v in (env or {}).items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    try:
        return rvtest.run([RV, *args], timeout=timeout)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def guest():
    path = os.path.join(TMP, "loop.bin")
    with open(path, "wb") as f:
        f.write(struct.pack("<%dI" % len(LOOP), *LOOP))
    return path


def one_line(what, res, names):
    status, out, err = res
    lines = err.splitlines()
    check(status == 2 and out == "" and len(lines) == 1 and lines[0].startswith("retrovisor: ")
          and all(n in lines[0] for n in names),
          f"{what}: status 2, one line naming {names} (status {status}: {lines})", err)


def case_bad():
    k = guest()
    run = ["run", "--kernel", k]
    for args, names in [
            (["--engine", "fast"], ["--engine", "'fast'", "jit or interp"]),
            (["--engine=JIT"], ["--engine", "'JIT'"]),
            (["--engine"], ["--engine", "needs a value"]),
            (["--engine", "jit", "--engine=interp"], ["--engine", "twice"]),
            (["--jit-cache", "128K"], ["--jit-cache", "'128K'", "256K to 4G"]),
            (["--jit-cache", "5G"], ["--jit-cache", "'5G'"]),
            (["--jit-cache", "64X"], ["--jit-cache", "'64X'"]),
            (["--jit-cache", "-1"], ["--jit-cache", "'-1'"]),
            (["--jit-log", ""], ["--jit-log", "file name"]),
            (["--jit-stats=yes"], ["--jit-stats", "no value"]),
            (["--jit-log", os.path.join(TMP, "no", "such", "dir")], ["--jit-log", "no/such/dir"]),
    ]:
        one_line("run " + " ".join(args), rv(*run, *args), names)
    # The environment's values, reported by the CLI; the option wins.
    for var, val in [("RETROVISOR_ENGINE", "fast"), ("RETROVISOR_JIT_CACHE", "1K"),
                     ("RETROVISOR_JIT_HOT", "many")]:
        one_line(f"{var}={val}", rv(*run, env={var: val}), [f"{var}={val}"])
    # Every command that runs machines takes the options, before its own.
    for cmd in (["record", "--log", os.path.join(TMP, "x.log")], ["replay", "x.log"],
                ["log", "verify", "x.log"], ["snapshot", "load", "x.snap"],
                ["snapshot", "save", "--at", "1", "-o", "x.snap"], ["loop"], ["worker"],
                ["up", "x.cfg"]):
        one_line(" ".join(cmd) + " --engine fast", rv(*cmd, "--engine", "fast"),
                 ["--engine 'fast'"])
    status, out, err = rv("--version", env={"RETROVISOR_ENGINE": "fast"})
    check(status == 0 and out.startswith("retrovisor "),
          "--version runs no machine and ignores RETROVISOR_ENGINE", err)


def blocks(path):
    """The JIT log at PATH as a list of (header, guest lines, host lines)."""
    text = open(path).read() if os.path.exists(path) else ""
    out = []
    for para in text.split("\n\n"):
        lines = para.splitlines()
        if lines:
            out.append((lines[0], [l for l in lines[1:] if l.startswith("  guest ")],
                        [l for l in lines[1:] if l.startswith("  host  ")]))
    return out


def case_same():
    k = guest()
    base = ["run", "--kernel", k, "--rtc", "1700000000", "--clock", "fast", "--print-digest"]
    want = None
    for engine in ("interp", "jit"):
        status, out, err = rv(*base, "--engine", engine)
        d = digest(err)
        check(status == 0 and None not in d, f"--engine {engine}: the guest shuts down", err)
        if want is None:
            want = d
        else:
            check(d == want, f"--engine jit gives the interpreter's digest and count {want} "
                  f"(got {d})", err)
    check(want[1] is not None and want[1] > 10000, f"the guest ran its loop ({want[1]})")

    log = os.path.join(TMP, "jit.log")
    status, out, err = rv(*base, "--engine", "jit", "--jit-log", log,
                          env={"RETROVISOR_ENGINE": "interp"})
    check(status == 0 and digest(err) == want,
          "--jit-log changes nothing the guest computes", err)
    bl = blocks(log)
    check(len(bl) >= 1, f"--engine jit over RETROVISOR_ENGINE=interp: the log has blocks "
          f"({len(bl)})")
    loop = [b for b in bl if b[0].startswith("block pc 0x80200008 ")]
    check(len(loop) == 1, "the loop's block (pc 0x80200008) is translated once", bl)
    if loop:
        head, g, h = loop[0]
        check(re.match(r"block pc 0x80200008 pa 0x80200008 guest 5 host \d+ bytes at 0x[0-9a-f]+$",
                       head) is not None, f"its header gives pc, pa, counts and the host "
              f"address ({head})")
        check(len(g) == 5 and re.search(r"^  guest 0+80200008  00533023  sd\s+t0,0\(t1\)$", g[0],
                                        re.M) is not None and "bne" in g[4] and "0x80200008" in g[4],
              "its guest lines: pc, encoding and the RISC-V instructions (sd ... bne)", "\n".join(g))
        at = int(head.rsplit(" ", 1)[1], 16)
        check(len(h) > 5 and int(h[0].split()[1], 16) == at and
              any(re.search(r"\bmov\s", l) for l in h),
              "its host lines: x86-64 instructions (a mov) from the address it runs at",
              "\n".join(h))

    # --jit-stats: one line of the translator's figures at the end.
    for engine, some in (("jit", True), ("interp", False)):
        status, out, err = rv(*base, "--engine", engine, "--jit-stats")
        m = re.search(r"^retrovisor: jit: (\d+) blocks translated \((\d+) guest instructions\) "
                      r"in [0-9.]+ s, [0-9.]+ us a block; \d+ KiB of host code, [0-9.]+ bytes a "
                      r"guest instruction; largest buffer in use \d+ KiB of \d+; \d+ flushes, "
                      r"\d+ links$", err, re.M)
        check(status == 0 and digest(err) == want and m is not None and
              (int(m.group(1)) > 0 and int(m.group(2)) >= int(m.group(1))) == some,
              f"--engine {engine} --jit-stats: one line, "
              f"{'blocks' if some else 'no block'} translated", err)

    os.unlink(log)
    status, out, err = rv(*base, "--engine", "interp", "--jit-log", log,
                          env={"RETROVISOR_ENGINE": "jit"})
    check(status == 0 and digest(err) == want and blocks(log) == [],
          "--engine interp over RETROVISOR_ENGINE=jit: nothing is translated", err)

    # Record with the JIT, replay with the interpreter: the log keeps no
    # engine option (its replay writes no JIT log).
    rec = os.path.join(TMP, "rec.log")
    os.unlink(log)
    status, out, err = rv("record", "--log", rec, "--engine", "jit", "--jit-log", log, *base[1:])
    check(status == 0 and digest(err) == want and blocks(log) != [],
          "record --engine jit --jit-log: the digest, and a JIT log", err)
    os.unlink(log)
    status, out, err = rv("replay", rec, "--print-digest", "--trust-stored-paths",
                          "--engine", "interp")
    check(status == 0 and digest(err) == want, "replay --engine interp of it matches", err)
    status, out, err = rv("replay", rec, "--print-digest", "--trust-stored-paths",
                          env={"RETROVISOR_ENGINE": "jit"})
    check(status == 0 and digest(err) == want and not os.path.exists(log),
          "its replay under the JIT matches, and writes no JIT log (none was stored)", err)

    status, out, err = rv(*base, "--engine", "jit", "--jit-log", "/dev/full")
    lines = [l for l in err.splitlines() if not l.startswith(("digest ", "icount "))]
    check(status == 2 and len(lines) == 1 and "--jit-log /dev/full" in lines[0] and
          "No space left" in lines[0],
          f"a JIT log that cannot be written: status 2, one line at the end ({status}: {lines})",
          err)


def case_linux():
    args = ["run", "--kernel", env_path("RV_GUEST_KERNEL"), "--initrd",
            env_path("RV_GUEST_INITRAMFS"), "--append", 'console=ttyS0 quiet rv.cmd="true"',
            "--rtc", "1700000000", "--clock", "fast", "--print-digest", "--watchdog", "120"]
    results = {}
    for name, extra in (("interp", ["--engine", "interp"]),
                        ("jit 256K", ["--engine", "jit", "--jit-cache", "256K"])):
        status, out, err = rv(*args, *extra, timeout=900)
        results[name] = digest(err)
        check(status == 0 and "retrovisor-guest: exit status 0" in out,
              f"Debian boots to its shutdown with {name}", out + err)
    check(results["interp"] == results["jit 256K"] and None not in results["interp"],
          f"--engine jit --jit-cache 256K: the interpreter's digest and count ({results})")


run_case({"bad": case_bad, "same": case_same, "linux": case_linux}, CASE)
