# SPDX-License-Identifier: MIT
"""How a campaign's runs execute (experiments/campaign_lib/campaign.py):
run_one(job) runs one golden or faulty recording and returns what the
driver needs, the same whichever way it ran:

  worker   (the default) a long-lived `retrovisor worker` per run at once
           in the calling process (docs/campaigns.md): it loads the snapshot once
           and runs each experiment by in-memory restore, the fault (the
           plugin's arguments) given per run, every run recorded to its
           log. Workers are cached in the process (sys), so a Dask worker
           keeps its loaded snapshot between tasks. A run that hangs (no
           answer within --timeout) or crashes the worker (a plugin's
           crash, a signal) gets the status a per-process run would (-1
           and timed_out, or the worker's exit status), and the next run
           starts a fresh worker.
  process  one `retrovisor record --restore S.snap --plugin ...` process a
           run, as campaigns ran before the worker (kept to compare: the
           benchmark runs both, tests/campaign checks they agree).

Early stop (worker only): the golden run's job has write_golden (a file);
a faulty job with golden (that file) and after (the instruction count
from which its fault is in) stops where its state and output equal the
golden run's at the same instruction count (result "early"). attach_at
(with golden): the plugin is loaded at that instruction count, not at
the start (faultinj.so's at= with one hart: it acts only from there);
with checkpoints (a number of instructions), the worker starts such a
run from the golden run's last checkpoint before attach_at.

Self-contained on purpose: Dask ships this module to its workers by value
(campaign.py registers it with cloudpickle), and a shared file system
gives them the same paths. Untrusted input: the guest's console output
(decoded with replacement, capped when carried back) and the worker's
answers (parsed with bounds; anything else is not an answer).
"""
import concurrent.futures
import hashlib
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time

KEEP_OUTPUT = 256 * 1024  # bytes of a run's output carried back to the driver
# The workload's output lies between the lines "S@42" and "E@N" (see
# campaign.py, which types the line that prints them).
START_RE = re.compile(r"^S@42\s*$", re.M)
MARK_RE = re.compile(r"^E@(\d+)\s*$", re.M)
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Words by which the guest reports a problem (kernel, busybox, shell).
ERROR_RES = [re.compile(p) for p in (
    r"(?i)\berror\b", r"\bOops\b", r"\bBUG\b", r"(?i)segmentation fault",
    r"(?i)illegal instruction", r"(?i)bus error", r"Unable to handle",
    r"(?i)\bkilled\b", r"(?i)\baborted\b", r"(?i)core dumped", r"\bWARNING\b",
    r"(?i)not found", r"(?i)can't", r"(?i)\bfault\b")]
RESULT_RE = re.compile(rb"^result (-?\d+) (\d+) ([0-9a-f]{16}) (\d+) (\d+) (\d+) (\d+)$")
CACHE = "_retrovisor_campaign_workers"  # sys attribute: this process's workers


WORKER_NICE = 5


def stderr_values(err):
    """The last `digest` and `icount` lines of --print-digest."""
    digest = icount = None
    for line in err.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "digest":
            digest = parts[1]
        elif len(parts) == 2 and parts[0] == "icount" and parts[1].isdigit():
            icount = int(parts[1])
    return digest, icount


def workload_output(raw):
    """The console text the workload printed: after the start line, up to
    and including the status line; and CMD's shell status (None when the
    status line is missing: then everything after the start line)."""
    text = ANSI_RE.sub("", raw.decode("utf-8", "replace").replace("\r", ""))
    s = START_RE.search(text)
    start = s.end() + 1 if s else 0
    m = MARK_RE.search(text, start) if s else None
    if m:
        return text[start:m.end()], int(m.group(1))
    return text[start:], None


def error_words(text):
    return [len(r.findall(text)) for r in ERROR_RES]


def last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1] if lines else ""


def unlink(*paths):
    for path in paths:
        if os.path.exists(path):
            os.unlink(path)


def result(job, t0, status, timed_out, err, digest, icount, files=None, **extra):
    """The driver's view of a finished run, from its files (files: where
    its .out and .inj are, if not beside job["base"])."""
    base = files or job["base"]
    raw = b""
    if os.path.exists(base + ".out"):
        with open(base + ".out", "rb") as f:
            raw = f.read()
    text, shell_status = workload_output(raw)
    injection = ""
    if os.path.exists(base + ".inj"):
        with open(base + ".inj", errors="replace") as f:
            injection = f.read().strip().replace("\n", " ")[:300]
    r = {
        "run": job["run"], "status": status, "timed_out": timed_out,
        "output": text[:KEEP_OUTPUT],
        "output_hash": hashlib.sha256(text.encode()).hexdigest()[:16],
        "errors": error_words(text), "shell_status": shell_status,
        "digest": digest or "", "icount": icount,
        "injection": injection, "stderr_last": last_line(err)[:300],
        "seconds": round(time.monotonic() - t0, 3), "early": 0,
    }
    r.update(extra)
    return r


def plugin_spec(job, base=None):
    if not job.get("plugin_args"):
        return None
    return "%s,%s,out=%s" % (job["plugin"], job["plugin_args"], (base or job["base"]) + ".inj")


def run_process(job):
    """One `retrovisor record` process."""
    t0 = time.monotonic()
    base = job["base"]
    cmd = [job["rv"], "record", "--log", base + ".rlog", "--restore", job["snapshot"],
           "--print-digest", "--watchdog", str(job["watchdog"]), "--max-instructions",
           str(job["max_insns"])]
    # The snapshot's drives are opened only where the command line names
    # them (docs/cli.md, "Options stored in files").
    for d in job.get("drives", ()):
        cmd += ["--drive", "file=" + d]
    if plugin_spec(job):
        cmd += ["--plugin", plugin_spec(job)]
    unlink(base + ".rlog", base + ".inj")
    timed_out = False
    with open(job["input"], "rb") as stdin, open(base + ".out", "wb") as out, \
            open(base + ".err", "wb") as errf:
        p = subprocess.Popen(cmd, stdin=stdin, stdout=out, stderr=errf)
        try:
            status = p.wait(timeout=job["timeout"])
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            status, timed_out = -1, True
    with open(base + ".err", "rb") as f:
        err = f.read().decode("utf-8", "replace")
    digest, icount = stderr_values(err)
    return result(job, t0, status, timed_out, err, digest, icount)


class Worker:
    """One `retrovisor worker` process, started when first needed and
    again after a run killed it."""

    def __init__(self, job):
        self.cmd = [job["rv"], "worker", "--restore", job["snapshot"],
                    "--watchdog", str(job["watchdog"])]
        if job.get("interval"):
            self.cmd += ["--golden-interval", str(job["interval"])]
        if job.get("checkpoints"):
            self.cmd += ["--checkpoint-interval", str(job["checkpoints"])]
        for d in job.get("drives", ()):
            self.cmd += ["--drive", "file=" + d]
        self.errpath = os.path.join(job["scratch"], "worker-%d-%d.err" % (
            os.getpid(), id(self)))
        # Logs are written to memory (tmpfs, where the recorder's fsync costs
        # nothing) and moved beside the run's files unless surely masked.
        shm = "/dev/shm"
        self.logdir = tempfile.mkdtemp(prefix="retrovisor-worker-", dir=shm if os.access(
            shm, os.W_OK) else job["scratch"])
        self.p = None
        self.buf = b""
        self.starts = 0
        self.served = 0

    def _readline(self, deadline):
        """A line from the worker; None at the deadline, b"" at its end."""
        fd = self.p.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if not select.select([fd], [], [], min(left, 1.0))[0]:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return b""
            self.buf += chunk
            if len(self.buf) > 1 << 20:
                self.buf = self.buf[-4096:]  # no answer is this long
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def _stderr(self, offset):
        with open(self.errpath, "rb") as f:
            f.seek(offset)
            return f.read(1 << 20).decode("utf-8", "replace")

    def _kill(self):
        if self.p:
            if self.p.poll() is None:
                self.p.kill()
            self.p.wait()
            self.p.stdin.close()
            self.p.stdout.close()
        status, self.p, self.buf = (self.p.returncode if self.p else 1), None, b""
        return status

    def _start(self, deadline):
        """Start the worker; None, or the status and stderr of its failure."""
        with open(self.errpath, "wb") as errf:
            # Workers run niced: the driver, which hands them their next
            # experiment, gets a CPU as soon as it has work (on a host with
            # as many workers as CPUs it would otherwise wait its turn).
            self.p = subprocess.Popen(self.cmd, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=errf,
                                      preexec_fn=lambda: os.nice(WORKER_NICE))
        self.starts += 1
        while True:
            line = self._readline(deadline)
            if line is None or line == b"":
                status = self._kill()
                return (status if line == b"" else -1), self._stderr(0)
            if line.startswith(b"ready "):
                return None

    def run(self, job):
        t0 = time.monotonic()
        deadline = t0 + job["timeout"]
        base = job["base"]
        unlink(base + ".rlog", base + ".inj", base + ".out")
        if self.p is None:
            failed = self._start(deadline)
            if failed:
                return result(job, t0, failed[0], failed[0] == -1, failed[1], None, None)
        # The log, and the output and injection line of a run that may be
        # dropped as masked, go to the worker's directory in memory first,
        # and beside job["base"] only if the run is kept (_keep_log): most
        # runs are masked, and creating and deleting three files a run on
        # a disk's filesystem costs more than the run's own overhead. (The
        # golden run's output stays where its golden file names it.)
        log = os.path.join(self.logdir, "run.rlog")
        scratch = os.path.join(self.logdir, "run") if job.get("drop_masked") else None
        unlink(log, log + ".tmp")
        if scratch:
            unlink(scratch + ".out", scratch + ".inj")
        words = ["run", "log=" + log, "out=" + (scratch or base) + ".out",
                 "input=" + job["input"], "max=%d" % job["max_insns"]]
        if plugin_spec(job):
            words.append("plugin=" + plugin_spec(job, scratch))
        if job.get("write_golden"):
            words.append("write-golden=" + job["write_golden"])
        elif job.get("golden"):
            words.append("golden=" + job["golden"])
            if job.get("after") is not None:
                words.append("after=%d" % job["after"])
            if job.get("attach_at") and plugin_spec(job):
                words.append("attach-at=%d" % job["attach_at"])
        offset = os.path.getsize(self.errpath)
        self._request(words)
        while True:
            line = self._readline(deadline)
            if line is None or line == b"":
                # A hang (the host-side timeout) or a crash: the worker goes.
                status = self._kill()
                err = self._stderr(offset)
                r = result(job, t0, -1 if line is None else status, line is None, err,
                           None, None, files=scratch, worker_pid=0, worker_starts=self.starts)
                self._keep_log(job, None)
                return r
            if line.startswith(b"error "):
                err = self._stderr(offset) + "retrovisor: " + line[6:].decode(errors="replace")
                r = result(job, t0, 2, False, err, None, None, files=scratch)
                self._keep_log(job, None)
                return r
            m = RESULT_RE.match(line)
            if m:
                break
        self.served += 1
        err = self._stderr(offset)
        r = result(job, t0, int(m.group(1)), False, err, m.group(3).decode(),
                   int(m.group(2)), files=scratch, early=int(m.group(4)),
                   guest_us=int(m.group(5)),
                   worker_us=int(m.group(6)), started_at=int(m.group(7)),
                   worker_pid=self.p.pid,
                   worker_starts=self.starts)
        self._keep_log(job, r)
        return r

    def _request(self, words):
        """Send one request line (a worker that died answers nothing: the
        caller's read sees its end)."""
        if any(re.search(r"\s", w) for w in words):
            raise ValueError("a worker's paths and plugin arguments must not contain blanks")
        try:
            self.p.stdin.write((" ".join(words) + "\n").encode())
            self.p.stdin.flush()
        except BrokenPipeError:
            pass

    def prepare(self, job):
        """Start the worker and have it load job's golden run and take
        its checkpoints (the `prepare` request), as its first experiment
        would; None, or why it failed."""
        deadline = time.monotonic() + job["timeout"]
        if self.p is None:
            failed = self._start(deadline)
            if failed:
                return "the worker did not start (status %s): %s" % (failed[0],
                                                                      last_line(failed[1]))
        if not job.get("golden"):
            return None
        log = os.path.join(self.logdir, "prepare.rlog")
        words = ["prepare", "log=" + log, "input=" + job["input"],
                 "max=%d" % job["max_insns"], "golden=" + job["golden"]]
        self._request(words)
        while True:
            line = self._readline(deadline)
            if line is None or line == b"":
                self._kill()
                return "the worker ended while preparing"
            if line.startswith(b"error "):
                return line[6:].decode(errors="replace")
            if line.startswith(b"prepared "):
                return None

    def _keep_log(self, job, r):
        """The run's log (and its output and injection line, with
        job["drop_masked"]) beside job["base"], unless job["drop_masked"]
        (the golden run's output hash and shell status) says it is
        masked."""
        scratch = os.path.join(self.logdir, "run")
        exts = (".rlog", ".rlog.tmp") + ((".out", ".inj") if job.get("drop_masked") else ())
        if r and job.get("drop_masked") == [r["output_hash"], r["shell_status"]] and \
                r["status"] == 0:
            unlink(*(scratch + ext for ext in exts))
            return
        for ext in exts:
            if os.path.exists(scratch + ext):
                shutil.move(scratch + ext, job["base"] + ext)

    def close(self):
        if self.p:
            self.p.stdin.close()
            try:
                self.p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
            self.p.stdout.close()
            self.p = None
        unlink(self.errpath)
        shutil.rmtree(self.logdir, ignore_errors=True)


def cache_key(job):
    """What a worker loaded: a job runs on an idle worker of its key."""
    # A file rewritten in place is another file: its stat is in the key.
    stamp = tuple((os.stat(f).st_mtime_ns, os.stat(f).st_size)
                  for f in [job["rv"], job["snapshot"]] + list(job.get("drives", ())))
    return (job["rv"], job["snapshot"], tuple(job.get("drives", ())), job["watchdog"],
            job.get("interval"), job.get("checkpoints"), job["scratch"], stamp)


def prepare_workers(job, n):
    """Start n workers for jobs like job, in parallel, each with job's
    golden run loaded and its checkpoints taken, and leave them idle for
    run_one: the campaign's setup, before experiments are dealt. Raises
    RuntimeError if one cannot be prepared."""
    if job.get("engine") == "process":
        return
    lock, idle = sys.__dict__.setdefault(CACHE, (threading.Lock(), {}))
    key = cache_key(job)
    with lock:
        have = len(idle.get(key, []))
    new = [Worker(job) for _ in range(max(0, n - have))]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(new))) as pool:
        errors = [e for e in pool.map(lambda w: w.prepare(job), new) if e]
    with lock:
        idle.setdefault(key, []).extend(new)
    if errors:
        raise RuntimeError(errors[0])


def run_one(job):
    """Run one (golden or faulty) recording; module-level, for pools and
    Dask."""
    if job.get("engine") == "process":
        return run_process(job)
    # This process's idle workers by what they loaded: a thread takes one
    # (or starts one) and gives it back, so there are as many as runs at
    # once, and they live as long as the process (a Dask worker's too).
    lock, idle = sys.__dict__.setdefault(CACHE, (threading.Lock(), {}))
    key = cache_key(job)
    with lock:
        free = idle.setdefault(key, [])
        w = free.pop() if free else Worker(job)
    try:
        return w.run(job)
    finally:
        with lock:
            free.append(w)


def close_workers():
    """End this process's idle workers (their snapshot is freed)."""
    lock, idle = sys.__dict__.get(CACHE, (threading.Lock(), {}))
    with lock:
        for free in idle.values():
            for w in free:
                w.close()
        idle.clear()
