#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Perfetto trace plugin and experiments/trace-plot, one case per
Bazel target:

    trace_test.py RETROVISOR TRACE_SO DRCOV_SO TRACE_PLOT CASE PVGUEST_ELF...

The guest is timer.elf among the PVGUEST_ELFs, tests/pvguests/timer.c (SBI set_timer, timer interrupts,
WFI), run here with 2 harts (hart 1 stays stopped). The Debian case uses
the project-built kernel (RV_BUILT_KERNEL, its vmlinux beside it) with the
initramfs in RV_GUEST_INITRAMFS; tools/test passes both.

Every trace is read back by `decode` below, with nothing but Python's json
module: the schema of each event (Chrome JSON trace event format, as
Perfetto's importer reads it), one named track per hart, time that never
goes back on a track, B and E balanced on every track, and one-instruction
X slices inside the slice around them.
"""
import json
import os
import resource
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check, digest, env_path, run_case  # noqa: E402

RV, TRACE_SO, DRCOV_SO, PLOT, CASE = sys.argv[1:6]
TIMER = ([p for p in sys.argv[6:] if os.path.basename(p) == "timer.elf"] or [None])[0]
if TIMER is None:
    raise SystemExit("FAIL: no timer.elf among the guests given")
RTC = "1767225600"


def run(args, **kw):
    return rvtest.run([RV] + args, **kw)


def run_bare(plugin_args, extra=()):
    """The timer guest on 2 harts with trace.so (PLUGIN_ARGS; None: without
    it), then EXTRA options."""
    args = ["run", "--kernel", TIMER, "--harts", "2", "--rtc", RTC, "--print-digest"]
    if plugin_args is not None:
        args += ["--plugin", f"{TRACE_SO},{plugin_args}" if plugin_args else TRACE_SO]
    return run(args + list(extra))


class Bad(Exception):
    pass


def decode(path, nharts):
    """Read a trace; returns {"slices": [...], "x": [...], "other": {...}}
    (slices: dicts tid, name, cat, start, end, args, end_args, depth) or
    raises Bad saying what is wrong."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise Bad(f"not JSON: {e}")
    if not isinstance(data, dict) or not isinstance(data.get("traceEvents"), list):
        raise Bad("no traceEvents list")
    if data.get("displayTimeUnit") not in ("ns", "ms"):
        raise Bad("displayTimeUnit is not ns or ms")
    names, stacks, last, slices, xs = {}, {}, {}, [], []
    for i, e in enumerate(data["traceEvents"]):
        where = f"event {i} ({e})"
        if not isinstance(e, dict) or e.get("ph") not in ("M", "B", "E", "X"):
            raise Bad(f"{where}: ph is not M, B, E or X")
        if e.get("pid") != 1:
            raise Bad(f"{where}: pid is not 1")
        if e["ph"] == "M":
            if e.get("name") == "thread_name":
                names[e["tid"]] = e["args"]["name"]
            elif e.get("name") not in ("process_name", "thread_sort_index"):
                raise Bad(f"{where}: unknown metadata")
            continue
        tid, ts = e.get("tid"), e.get("ts")
        if not isinstance(tid, int) or tid not in names:
            raise Bad(f"{where}: on a track with no thread_name")
        if not isinstance(ts, (int, float)) or ts < 0:
            raise Bad(f"{where}: ts is not a non-negative number")
        if ts < last.get(tid, 0):
            raise Bad(f"{where}: time goes back on track {tid} (from {last[tid]})")
        last[tid] = ts
        stack = stacks.setdefault(tid, [])
        if e["ph"] in ("B", "X"):
            if not (isinstance(e.get("name"), str) and e["name"] and
                    isinstance(e.get("cat"), str) and isinstance(e.get("args"), dict)):
                raise Bad(f"{where}: a {e['ph']} event needs name, cat and args")
        if e["ph"] == "B":
            stack.append({"tid": tid, "name": e["name"], "cat": e["cat"], "start": ts,
                          "args": e["args"], "depth": len(stack), "inner_end": ts})
        elif e["ph"] == "E":
            if not stack:
                raise Bad(f"{where}: E with no open slice on track {tid}")
            s = stack.pop()
            if s["inner_end"] > ts + 1e-6:
                raise Bad(f"{where}: a slice inside {s['name']} ends after it")
            s["end"], s["end_args"] = ts, e.get("args", {})
            slices.append(s)
            if stack:
                stack[-1]["inner_end"] = max(stack[-1]["inner_end"], ts)
        else:
            dur = e.get("dur")
            if not isinstance(dur, (int, float)) or dur < 0:
                raise Bad(f"{where}: X without a non-negative dur")
            xs.append({"tid": tid, "name": e["name"], "cat": e["cat"], "start": ts,
                       "args": e["args"], "depth": len(stack)})
            if stack:
                stack[-1]["inner_end"] = max(stack[-1]["inner_end"], ts + dur)
    open_left = {t: len(s) for t, s in stacks.items() if s}
    if open_left:
        raise Bad(f"slices left open: {open_left}")
    want = {h + 1: f"hart {h}" for h in range(nharts)}
    if names != want:
        raise Bad(f"tracks {names}, not one per hart {want}")
    return {"slices": slices, "x": xs, "other": data.get("otherData", {}),
            "events": sum(1 for e in data["traceEvents"] if e["ph"] != "M")}


def decoded(path, nharts, what):
    try:
        t = decode(path, nharts)
    except Bad as e:
        check(False, f"{what}: the trace decodes ({e})")
        return None
    check(True, f"{what}: the trace decodes: {nharts} tracks, monotonic time, B/E balanced "
          f"({len(t['slices'])} slices, {len(t['x'])} one-instruction slices)")
    return t


def leftovers(directory, name):
    return sorted(f for f in os.listdir(directory) if f.startswith(name) and f != name)


# ---- Cases ----

def case_bare():
    """The pv timer guest on 2 harts, no vmlinux: SBI calls named, the
    timer interrupts as slices, no task slices; observing changes nothing."""
    out = os.path.join(TMP, "bare.json")
    status, o, err = run_bare(f"out={out}")
    check(status == 0 and "timer interrupts taken after wfi: 2" in o,
          f"the guest runs under the plugin (status {status})", o + err)
    check(leftovers(TMP, "bare.json") == [], "no temporary file is left beside the trace")
    t = decoded(out, 2, "bare guest")
    if not t:
        return
    xnames = [x["name"] for x in t["x"]]
    check(xnames.count("sbi set_timer") >= 4, f"the set_timer calls are there: {xnames}")
    sbi = [x for x in t["x"] if x["name"] == "sbi set_timer"][0]
    check(sbi["cat"] == "sbi" and sbi["args"]["ext"] == "TIME" and sbi["args"]["fid"] == 0,
          f"an SBI slice has its extension and function: {sbi}")
    check("sbi system_reset" in xnames and "sbi console_write" in xnames,
          "system_reset and DBCN console_write are named")
    irqs = [s for s in t["slices"] if s["cat"] == "interrupt"]
    check(len(irqs) == 2 and all(s["name"] == "supervisor timer" and s["args"]["cause"] == 5
                                 and s["end"] > s["start"] for s in irqs),
          f"two supervisor timer interrupts with a duration: {irqs}")
    inside = [x for x in t["x"] if x["depth"] == 1 and x["name"] == "sbi set_timer"]
    check(len(inside) == 2, "the handler's set_timer calls are inside the interrupt slices")
    check(not [s for s in t["slices"] if s["cat"] == "task"], "no task slice without vmlinux")
    check(all(s["tid"] == 1 for s in t["slices"] + t["x"]), "everything is on hart 0's track")
    _, _, e0 = run_bare(None)
    check(digest(e0)[0] is not None and digest(e0) == digest(err),
          f"same digest and icount as without the plugin ({digest(e0)}, {digest(err)})")


def case_bounds():
    """until= and from= select a window of machine-wide instructions;
    max-events= truncates with every slice closed."""
    full = os.path.join(TMP, "full.json")
    run_bare(f"out={full}")
    whole = decode(full, 2)
    times = sorted(x["start"] for x in whole["x"] if x["name"] == "sbi set_timer")
    # Instructions at 10 ns each, hart 1 stopped: icount = ts * 100.
    cut = int(times[2] * 100)
    part = os.path.join(TMP, "until.json")
    status, _, err = run_bare(f"out={part},until={cut}")
    t = decoded(part, 2, f"until={cut}")
    if t:
        got = sorted(x["start"] for x in t["x"] if x["name"] == "sbi set_timer")
        check(status == 0 and got == times[:2], f"until= keeps the calls before it: {got}")
        check(t["other"].get("until") == cut and t["other"].get("truncated") is False,
              f"otherData says the window: {t['other']}")
    part = os.path.join(TMP, "from.json")
    status, _, err = run_bare(f"out={part},from={cut}")
    t = decoded(part, 2, f"from={cut}")
    if t:
        got = sorted(x["start"] for x in t["x"] if x["name"] == "sbi set_timer")
        check(status == 0 and got == times[2:], f"from= keeps the calls from it: {got}")
    part = os.path.join(TMP, "max.json")
    status, _, err = run_bare(f"out={part},max-events=11")
    t = decoded(part, 2, "max-events=11")
    if t:
        check(status == 0 and t["events"] <= 11 and t["other"].get("truncated") is True,
              f"max-events=11 writes {t['events']} events and says it truncated")
        check("max-events" in err, "a line on stderr says the trace was cut", err)
        # The 11th event would be the set_timer inside the first interrupt:
        # the interrupt's slice is closed there instead.
        check([x["name"] for x in t["slices"]] == ["supervisor timer"],
              f"the interrupt open at the cut is closed: {t['slices']}")


def case_refusal():
    """Bad arguments: status 2, one line naming the problem, no file."""
    target = os.path.join(TMP, "refused.json")
    for bad, why in [("", "out=FILE"), (f"out={target},bogus=1", "bogus"),
                     (f"out={target},from=x", "from=x"), (f"out={target},max-events=-1", "max"),
                     (f"out={target},from=100,until=50", "until"),
                     (f"out={target},vmlinux={TIMER}", "DWARF"),
                     (f"out={TMP}/no/such/dir/t.json", "cannot create")]:
        status, o, err = run_bare(bad)
        lines = [l for l in err.splitlines() if l.strip()]
        check(status == 2 and len(lines) == 1 and why in lines[0] and "=== pvguest" not in o,
              f"{bad or 'no arguments'}: refused with one line ({lines})", err)
    check(not os.path.exists(target) and leftovers(TMP, "refused.json") == [],
          "no trace and no temporary file")
    # trace.so started (its temporary file exists), then a later plugin
    # refuses: the run never starts, and the temporary file goes.
    status, _, err = run_bare(f"out={target}", extra=["--plugin", DRCOV_SO])
    check(status == 2 and "drcov needs out=FILE" in err, "a later plugin refuses", err)
    check(not os.path.exists(target) and leftovers(TMP, "refused.json") == [],
          f"trace.so leaves no file behind ({leftovers(TMP, 'refused.json')})")


def case_write_fail():
    """A trace that cannot be written whole (ulimit -f) leaves the file
    already under the name as it was, no temporary file, and one line."""
    out = os.path.join(TMP, "kept.json")
    with open(out, "w") as f:
        f.write("the old file\n")

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    p = subprocess.run([RV, "run", "--kernel", TIMER, "--harts", "2", "--plugin",
                        f"{TRACE_SO},out={out}"], capture_output=True, text=True,
                       preexec_fn=limit, timeout=300)
    check("trace: writing" in p.stderr and "no trace was written" in p.stderr,
          "one line says the trace was not written", p.stderr)
    check(open(out).read() == "the old file\n", "the file under the name is untouched")
    check(leftovers(TMP, "kept.json") == [], f"no temporary file: {leftovers(TMP, 'kept.json')}")


def debian_args(cmd):
    """The Debian boot on 2 harts with the project-built kernel, and its
    vmlinux."""
    kernel = env_path("RV_BUILT_KERNEL")
    vml = os.path.join(os.path.dirname(kernel), "vmlinux")
    rvtest.need(vml, "the project-built kernel's vmlinux")
    return ["--kernel", kernel, "--initrd", env_path("RV_GUEST_INITRAMFS"),
            "--append", f'console=ttyS0 quiet rv.cmd="{cmd}"', "--memory", "512M",
            "--harts", "2", "--watchdog", "120", "--rtc", RTC, "--print-digest"], vml


def case_debian():
    """A Debian boot on 2 harts with the project-built kernel and its
    vmlinux: tasks (swapper, init, sh), system calls with names and
    results, SBI calls, interrupts and device interrupts by device name."""
    out = os.path.join(TMP, "debian.json")
    # An explicit /bin/sh: busybox runs its applets through /proc/self/exe,
    # whose tasks are named "exe".
    args, vml = debian_args("/bin/sh -c 'echo trace-ok'")
    args = ["run"] + args
    status, o, err = run(args + ["--plugin", f"{TRACE_SO},out={out},vmlinux={vml}"])
    check(status == 0 and "trace-ok" in o, f"Debian boots under the plugin ({status})", o + err)
    t = decoded(out, 2, "Debian")
    if not t:
        return
    s = t["slices"]
    tasks = {x["name"] for x in s if x["cat"] == "task"}
    check({"swapper/0", "swapper/1", "init", "sh"} <= tasks, f"task names: {sorted(tasks)}")
    check(all(isinstance(x["args"].get("pid"), int) for x in s if x["cat"] == "task"),
          "task slices carry the pid")
    check({x["tid"] for x in s if x["cat"] == "task"} == {1, 2}, "tasks run on both harts")
    calls = [x for x in s if x["cat"] == "syscall"]
    check(all(x["depth"] >= 1 for x in calls), "system calls nest inside task slices")
    execs = [x for x in calls if x["name"] == "execve"]
    check(any(x["end_args"].get("ret") == 0 for x in execs) and
          any(x["end_args"].get("ret") == -2 for x in execs),
          f"execve calls end with their results ({[x['end_args'] for x in execs]})")
    names = {x["name"] for x in calls}
    check({"openat", "read", "write", "clone", "wait4"} <= names, f"call names: {sorted(names)}")
    after = [x for x in s if x["cat"] == "task" and x["name"] == "sh"]
    check(after and after[0]["args"]["pid"] > 1, "the task renamed by its execve is sh")
    sbi = {x["name"] for x in t["x"] if x["cat"] == "sbi"}
    check("sbi set_timer" in sbi, f"SBI calls: {sorted(sbi)}")
    irqs = {x["name"] for x in s if x["cat"] == "interrupt"}
    check({"supervisor timer", "supervisor external"} <= irqs, f"interrupts: {sorted(irqs)}")
    devs = [x for x in s if x["cat"] == "device"]
    check(devs and all(x["name"] in ("uart", "rtc") or x["name"].startswith("virtio")
                       for x in devs), f"device interrupts by name: "
          f"{sorted({(x['name'], x['args']['source']) for x in devs})}")
    check(any(x["name"] == "uart" and x["args"]["source"] == 10 for x in devs),
          "the console's interrupts are the uart's (PLIC source 10)")
    status, o, e0 = run(args)
    check(digest(e0)[0] is not None and digest(e0) == digest(err),
          f"same digest and icount as without the plugin ({digest(e0)}, {digest(err)})")


def case_replay():
    """A replay traced gives the file its recording gave, byte for byte:
    on the bare guest and on a Debian boot on 2 harts."""
    log = os.path.join(TMP, "run.rlog")
    args, vml = debian_args("true")
    for what, run_args, extra in [("bare guest", ["--kernel", TIMER, "--harts", "2"], ""),
                                  ("Debian", args, f",vmlinux={vml}")]:
        rec, rep = os.path.join(TMP, "rec.json"), os.path.join(TMP, "rep.json")
        s1, _, e1 = run(["record", "--log", log] + run_args +
                        ["--plugin", f"{TRACE_SO},out={rec}{extra}"])
        s2, _, e2 = run(["replay", log, "--trust-stored-paths", "--plugin",
                         f"{TRACE_SO},out={rep}{extra}"])
        check(s1 == 0 and s2 == 0 and "replay matched the recording" in e2,
              f"{what}: recorded and replayed with the plugin ({s1}, {s2})", e1 + e2)
        a = open(rec, "rb").read() if os.path.exists(rec) else b""
        b = open(rep, "rb").read() if os.path.exists(rep) else None
        check(len(a) > 1000 and a == b, f"{what}: the same trace ({len(a)} bytes)")


def case_plot():
    """trace-plot draws a trace and a drcov file into non-empty images and
    refuses a file that is neither, with one line."""
    trace = os.path.join(TMP, "plot.json")
    run_bare(f"out={trace}")
    drcov = os.path.join(TMP, "plot.drcov")
    status, _, err = run(["run", "--kernel", TIMER, "--plugin",
                          f"{DRCOV_SO},out={drcov},base=0x80200000,end=0x80210000"])
    check(status == 0, "the drcov file is written", err)
    for src, img, magic in [(trace, "trace.png", b"\x89PNG"), (drcov, "drcov.png", b"\x89PNG"),
                            (trace, "trace.svg", b"<?xml")]:
        path = os.path.join(TMP, img)
        status, o, err = rvtest.run([PLOT, src, "-o", path])
        data = open(path, "rb").read() if os.path.exists(path) else b""
        check(status == 0 and len(data) > 2000 and data.startswith(magic),
              f"{os.path.basename(src)} -> {img}: {len(data)} bytes ({status})", o + err)
    bad = os.path.join(TMP, "bad.json")
    with open(bad, "w") as f:
        f.write('{"traceEvents":[{"ph":"B","pid":1,"tid":1,"ts":1,"name":"x"}]}')
    status, o, err = rvtest.run([PLOT, bad, "-o", os.path.join(TMP, "b.png")])
    lines = [l for l in err.splitlines() if l.strip()]
    check(status == 2 and len(lines) == 1 and "left open" in lines[0],
          f"an unbalanced trace is refused with one line ({lines})", err)


CASES = {
    "bare": case_bare,
    "bounds": case_bounds,
    "refusal": case_refusal,
    "write_fail": case_write_fail,
    "debian": case_debian,
    "replay": case_replay,
    "plot": case_plot,
}

if __name__ == "__main__":
    run_case(CASES, CASE)
