# SPDX-License-Identifier: MIT
"""What every benchmark script in experiments/ shares.

Building (`bazel build -c opt`, and the path of that configuration's
outputs, which the `bazel-bin` link only shows when the last build in the
workspace was also -c opt), the guest (tools/fetch-guest's paths, the
bare-metal CPU guest of experiments/guests), the peer's command line
(qemu-system-riscv64 with the same devices as Retrovisor: one virtio-rng,
no NIC), timing, statistics, and the rows a script reports: printed as a
table, and written as JSON (--json) for experiments/report, which turns
them into experiments/results.md.

A row is one figure measured on both sides (or on one, with the reason):
    {"label", "unit", "kind", "ours": STATS|None, "peer": STATS|None,
     "ours_cmd", "peer_cmd", "note"}
STATS is {"median", "min", "max", "n", "samples"}; kind says which way is
better and how two figures compare:
    time      smaller is better; ratio = ours / peer ("faster", "slower")
    rate      larger is better; ratio = ours / peer
    size      smaller is better; ratio = ours / peer ("smaller", "larger")
    overhead  a percentage, smaller is better; compared as a difference
    share     a percentage, larger is better; compared as a difference
Commands are shown with the paths named: $kernel, $initramfs (tools/
fetch-guest), $vmlinux, $TMP (the script's temporary directory), bazel-bin
(the -c opt outputs).
"""
import argparse
import ctypes
import json
import os
import resource
import shlex
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QEMU = "qemu-system-riscv64"
FW_DYNAMIC = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
RTC = "1767225600"  # a fixed wall clock (2026-01-01), so runs repeat exactly
PROG = os.path.basename(sys.argv[0])
# experiments/report builds every target once and names the -c opt bin
# directory here, so that the scripts it runs do not each wait for Bazel.
PREBUILT = "RETROVISOR_BENCH_BIN"
KINDS = ("time", "rate", "size", "overhead", "share")

# Path -> name, longest first when shown (see shown()).
_names = {}


def die(msg):
    print(f"{PROG}: {msg}", file=sys.stderr)
    sys.exit(1)


def note(msg):
    """Progress on stderr, so that stdout keeps the figures."""
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


def name_path(path, name):
    """Commands show path as name (e.g. $kernel)."""
    _names[os.path.abspath(path)] = name


def shown(cmd):
    """cmd (a list) as one shell line, with the known paths named."""
    text = " ".join(shlex.quote(str(a)) for a in cmd)
    for path in sorted(_names, key=len, reverse=True):
        text = text.replace(path, _names[path])
    return text


# Building and inputs.

_bin = None


def opt_build(*targets):
    """Builds targets with -c opt (every benchmark measures optimized
    code) and returns that configuration's bin directory (or the one
    experiments/report built, $RETROVISOR_BENCH_BIN)."""
    global _bin
    targets = targets or ("//:retrovisor",)
    if os.environ.get(PREBUILT):
        _bin = os.environ[PREBUILT]
        name_path(_bin, "bazel-bin")
        return _bin
    p = subprocess.run(["bazel", "build", "-c", "opt", *targets], cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        die(f"bazel build -c opt {' '.join(targets)} failed:\n{p.stderr[-2000:]}")
    if _bin is None:
        p = subprocess.run(["bazel", "info", "-c", "opt", "bazel-bin"], cwd=ROOT,
                           capture_output=True, text=True)
        if p.returncode != 0:
            die("bazel info -c opt bazel-bin failed: " + p.stderr.strip()[-500:])
        _bin = p.stdout.strip()
        name_path(_bin, "bazel-bin")
    return _bin


def retrovisor():
    return os.path.join(opt_build(), "retrovisor")


def fetch_guest():
    """tools/fetch-guest's paths: kernel, initramfs, release."""
    p = subprocess.run([os.path.join(ROOT, "tools", "fetch-guest")], capture_output=True,
                       text=True)
    if p.returncode != 0:
        die("tools/fetch-guest failed: " + " ".join(p.stderr.split())[-300:])
    g = {}
    for line in p.stdout.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            g[k.strip()] = " ".join(shlex.split(v))
    for k in ("kernel", "initramfs"):
        if k not in g:
            die(f"tools/fetch-guest printed no {k}=")
        name_path(g[k], "$" + k)
    return g


def project_kernel():
    """The project-built 6.1 kernel with DWARF (tools/build-kernel)."""
    d = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                     "retrovisor", "kernel")
    image, vmlinux = os.path.join(d, "Image"), os.path.join(d, "vmlinux")
    if not (os.path.exists(image) and os.path.exists(vmlinux)):
        die("no project-built kernel: run tools/setup (tools/build-kernel)")
    name_path(image, "$kernel61")
    name_path(vmlinux, "$vmlinux")
    return image, vmlinux


def cpu_guest(tmp, iters):
    """experiments/guests/cpu.c built for ITERS=iters, bare M-mode."""
    g = os.path.join(ROOT, "experiments", "guests")
    out = os.path.join(tmp, f"cpu-{iters}.elf")
    subprocess.run(["riscv64-unknown-elf-gcc", "-march=rv64gc", "-mabi=lp64d",
                    "-mcmodel=medany", "-O2", "-ffreestanding", "-nostdlib", "-nostartfiles",
                    "-Wl,--no-warn-rwx-segments", f"-DITERS={iters}",
                    "-T", os.path.join(g, "link.ld"), os.path.join(g, "start.S"),
                    os.path.join(g, "cpu.c"), "-o", out], check=True)
    return out


def tempdir(prefix):
    """A temporary directory, removed when the script exits."""
    import atexit
    import shutil
    import tempfile
    d = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    name_path(d, "$TMP")
    return d


def rv_linux(g, append, harts=1, memory="512M", bios=None, kernel=None):
    """Retrovisor's options for a Linux guest (after run/record)."""
    opts = ["--kernel", kernel or g["kernel"], "--initrd", g["initramfs"],
            "--append", append, "--memory", memory, "--harts", str(harts), "--rtc", RTC]
    return opts + (["--bios", bios] if bios else [])


def qemu_linux(g, append, harts=1, memory="512M", bios=None, kernel=None, extra=()):
    """QEMU's `virt` machine with Retrovisor's devices for a Linux guest:
    no NIC (QEMU would add one by default; Retrovisor has none without
    --net), one virtio-rng (Retrovisor always has one), the same CPU
    extensions (no H: Retrovisor does not implement it), and QEMU's own
    OpenSBI unless bios names another firmware."""
    cmd = [QEMU, "-M", "virt", "-cpu", "rv64,h=false", "-m", memory, "-smp", str(harts),
           "-nographic", "-nic", "none", "-device", "virtio-rng-device"]
    if bios:
        cmd += ["-bios", bios]
    return cmd + ["-kernel", kernel or g["kernel"], "-initrd", g["initramfs"],
                  "-append", append, *extra]


def need(*tools):
    import shutil
    for t in tools:
        if not shutil.which(t):
            die(f"{t} not found: run tools/setup")


def qemu_version():
    p = subprocess.run([QEMU, "--version"], capture_output=True, text=True)
    return p.stdout.split("\n", 1)[0].replace("QEMU emulator version", "QEMU").strip()


# Running and timing.

def die_with_parent():
    # Runs in the child between fork and exec: the kernel kills it if the
    # benchmark dies, even by SIGKILL, so no guest outlives a benchmark.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run(cmd, timeout=1800, ok=(0,), stdin=None):
    """Runs cmd to its end: (wall seconds, CPU seconds, stdout, stderr).
    An exit status not in ok ends the benchmark with its stderr."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, input=stdin, stdin=None if stdin else subprocess.DEVNULL,
                           capture_output=True, timeout=timeout, preexec_fn=die_with_parent)
    except subprocess.TimeoutExpired:
        die(f"ran longer than {timeout} s: {shown(cmd)}")
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    if p.returncode not in ok:
        die(f"exit status {p.returncode} from {shown(cmd)}\n{err.strip()[-800:]}")
    return wall, cpu, out, err


def icount_of(err):
    """The count `--print-digest` prints (`icount N`) or record's summary
    (`recorded N instructions`)."""
    import re
    m = re.search(r"^icount (\d+)|recorded (\d+) instructions", err, re.M)
    if not m:
        die("no instruction count in: " + err.strip()[-300:])
    return int(m.group(1) or m.group(2))


def rounds(repeat, *jobs):
    """Runs the jobs (callables) repeat times, interleaved, alternating
    which goes first, so that a change in the machine's load falls on
    both sides alike. Returns one list of results per job."""
    res = [[] for _ in jobs]
    for r in range(repeat):
        order = list(range(len(jobs)))
        if r % 2:
            order.reverse()
        for i in order:
            res[i].append(jobs[i]())
    return res


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listen(port, proc, timeout=60):
    """Waits until port is listening (read from /proc/net/tcp: connecting
    to probe it would be taken for a debugger)."""
    deadline = time.time() + timeout
    want = f":{port:04X} "
    while time.time() < deadline and proc.poll() is None:
        with open("/proc/net/tcp") as f:
            if any(want in l and l.split()[3] == "0A" for l in f.readlines()[1:]):
                return True
        time.sleep(0.1)
    return False


def qcow2_create(path, size):
    """An empty qcow2 (version 2) image of size bytes with 64 KiB clusters,
    as `qemu-img create` makes it (qemu-img is in no package tools/setup
    installs): header in cluster 0, refcount table in 1, its one refcount
    block in 2 (16-bit counts, clusters 0-3 used once), L1 table in 3; no
    data. QEMU keeps its savevm snapshots in such an image. Layout per
    QEMU's docs/interop/qcow2.txt."""
    cl = 1 << 16
    l1_entries = -(-size // (cl * (cl // 8)))
    if l1_entries * 8 > cl:
        die(f"disk of {size} bytes is too big for a one-cluster L1 table")
    img = bytearray(4 * cl)
    struct.pack_into(">IIQIIQIIQQIIQ", img, 0, 0x514649FB, 2, 0, 0, 16, size, 0,
                     l1_entries, 3 * cl, 1 * cl, 1, 0, 0)
    struct.pack_into(">Q", img, cl, 2 * cl)
    for i in range(4):
        struct.pack_into(">H", img, 2 * cl + 2 * i, 1)
    with open(path, "wb") as f:
        f.write(img)


# Figures.

def stats(samples):
    samples = [float(s) for s in samples]
    if not samples:
        return None
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "n": len(samples), "samples": samples}


def row(label, unit, kind, ours=None, peer=None, ours_cmd=None, peer_cmd=None, note=""):
    """One figure: ours and peer are lists of samples (or None when that
    side has no such figure; note then says why)."""
    assert kind in KINDS, kind
    return {"label": label, "unit": unit, "kind": kind,
            "ours": stats(ours) if ours is not None else None,
            "peer": stats(peer) if peer is not None else None,
            "ours_cmd": shown(ours_cmd) if isinstance(ours_cmd, list) else ours_cmd,
            "peer_cmd": shown(peer_cmd) if isinstance(peer_cmd, list) else peer_cmd,
            "note": note}


def fmt(v, unit=""):
    if v is None or v != v:
        return "-"
    a = abs(v)
    s = f"{v:.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2f}" if a >= 1 \
        else f"{v:.3f}" if a >= 0.01 else f"{v:.2g}"
    return f"{s} {unit}".strip() if unit not in ("%",) else s + "%"


def cell(st, unit):
    if st is None:
        return "-"
    if st["n"] == 1:
        return fmt(st["median"], unit)
    return f"{fmt(st['median'], unit)} ({fmt(st['min'])}-{fmt(st['max'])})"


def compare(r):
    """(ratio text, verdict) of a row, from the medians."""
    o, p = r["ours"], r["peer"]
    if not o or not p:
        return "-", r["note"] or ("no QEMU counterpart" if not p else "QEMU only")
    a, b = o["median"], p["median"]
    kind = r["kind"]
    if kind in ("overhead", "share"):
        lower_better = kind == "overhead"
        if abs(a - b) < 1e-12:
            return "-", "the same"
        better = (a < b) == lower_better
        return "-", f"Retrovisor's is {abs(a - b):.1f} points {'lower' if a < b else 'higher'}" \
            f" ({'better' if better else 'worse'})"
    if b == 0 or a == 0:
        return "-", ""
    ratio = a / b
    lower_better = kind in ("time", "size")
    better = ratio < 1 if lower_better else ratio > 1
    factor = max(ratio, 1 / ratio)
    if kind == "size":
        word = "smaller" if better else "larger"
    else:
        word = "faster" if better else "slower"
    return f"{ratio:.3g}x", f"Retrovisor {factor:.3g}x {word}"


def print_rows(rows):
    w = max([len(r["label"]) for r in rows] + [10])
    print(f"{'':<{w}}  {'Retrovisor':>24}  {'QEMU':>24}  {'ratio':>7}  verdict")
    for r in rows:
        ratio, verdict = compare(r)
        print(f"{r['label']:<{w}}  {cell(r['ours'], r['unit']):>24}  "
              f"{cell(r['peer'], r['unit']):>24}  {ratio:>7}  {verdict}")
    print("(median (min-max) of the runs; ratio = Retrovisor / QEMU)")


def arguments(doc, repeat=5):
    """The options every benchmark takes: --repeat and --json."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(doc.splitlines()[1:]))
    ap.add_argument("--repeat", type=int, default=repeat,
                    help=f"runs per figure (default {repeat}); the figure is their median")
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON (for "
                    "experiments/report)")
    return ap


def finish(args, bench, title, method, rows, notes=(), t0=None):
    """Prints the rows and writes --json."""
    print(f"\n{title}")
    print_rows(rows)
    for n in notes:
        print("note: " + n)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"bench": bench, "title": title, "method": method, "rows": rows,
                       "notes": list(notes), "repeat": args.repeat,
                       "seconds": time.time() - t0 if t0 else None}, f, indent=1)


def run_main(main):
    # SIGTERM and SIGHUP unwind like Ctrl-C, so temporary files go and
    # the guests (die_with_parent) with them.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, f: sys.exit(128 + s))
    try:
        main()
    except KeyboardInterrupt:
        die("interrupted")
