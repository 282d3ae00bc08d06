# SPDX-License-Identifier: MIT
"""Helpers shared by the Python system tests (tests/*/*_test.py).

Each test is an sh_test whose wrapper execs python3 on a .py file listed in
its data; //tests/lib:rvtest is in that data too, so this file sits at
tests/lib/rvtest.py in the runfiles tree as it does in the source tree. A
test imports it with

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", "lib"))
    import rvtest

What it holds, each once:

* check(cond, what, out) prints "ok: WHAT" or "FAIL: WHAT" (then the last
  lines of OUT) and records a failure; finish() ends the test with the
  count; run_case(cases, name) runs one case and finishes.
* env_path(name) and need(path, what) fail the test with one line that
  says "run tools/setup" when a guest file or tool is missing: a missing
  tool is a failure, never a skip (tests/README.md).
* run(argv) runs a command with no stdin (and variables of env= added to
  the environment) and returns (status, stdout, stderr) as text.
* digest(err) and digest_lines(err) read --print-digest's lines.
* free_port(), http_get(), newc_entry() for tests that talk to a guest's
  network or build an initramfs.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

TMP = os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp()
FAILURES = []

SETUP = ("run tools/setup, then the tests through tools/test, which passes "
         "the guest's paths")


def check(cond, what, out=None, lines=40):
    """Prints "ok: WHAT" when COND holds; otherwise "FAIL: WHAT", then the
    last LINES lines of OUT (all of it when LINES is None) if OUT is given,
    and records WHAT for finish(). Returns COND."""
    if cond:
        print("ok: " + what)
        return cond
    print("FAIL: " + what)
    if out is not None:
        text = out.decode(errors="replace") if isinstance(out, bytes) else str(out)
        if lines is None:
            print("--- output:")
            print(text)
        else:
            print(f"--- output (last {lines} lines):")
            print("\n".join(text.splitlines()[-lines:]))
    FAILURES.append(what)
    return cond


def finish():
    """Ends the test: status 1 with the number of failed checks, else 0."""
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)


def run_case(cases, name):
    """Runs CASES[NAME]() and finishes; an unknown NAME fails with the list."""
    if name not in cases:
        print(f"FAIL: unknown case {name!r} (cases: {', '.join(sorted(cases))})")
        sys.exit(1)
    cases[name]()
    finish()


def fail_missing(what, path, setup="tools/setup"):
    print(f"FAIL: {what} ({path!r}): run {setup}, then the tests through "
          "tools/test, which passes the guest's paths")
    sys.exit(1)


def env_path(name, setup="tools/setup"):
    """The existing file named by environment variable NAME, or the test
    fails with one line saying to run SETUP."""
    path = os.environ.get(name, "")
    if not path or not os.path.exists(path):
        fail_missing(f"{name} is not set to an existing file", path, setup)
    return path


def need(path, what, setup="tools/setup"):
    """PATH if it exists, else the test fails with one line naming WHAT."""
    if not path or not os.path.exists(path):
        fail_missing(f"{what} is missing", path, setup)
    return path


def need_tool(name, what=None, setup="tools/setup"):
    """The full path of program NAME on PATH, else the test fails."""
    path = shutil.which(name)
    if not path:
        print(f"FAIL: {what or name} is not installed: run {setup}")
        sys.exit(1)
    return path


def run(argv, timeout=900, input=None, strip_cr=False, keep_timeout=False, env=None):
    """Runs ARGV with INPUT (bytes) or nothing on stdin and returns (status,
    stdout, stderr) decoded; STRIP_CR drops the console's carriage returns
    from stdout. With KEEP_TIMEOUT a run past TIMEOUT returns status None
    and what it printed instead of raising subprocess.TimeoutExpired. ENV's
    variables are set over the test's own environment."""
    try:
        p = subprocess.run([str(a) for a in argv],
                           stdin=subprocess.DEVNULL if input is None else None,
                           input=input, capture_output=True, timeout=timeout,
                           env=None if env is None else dict(os.environ, **env))
        status, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        if not keep_timeout:
            raise
        status, out, err = None, e.stdout or b"", e.stderr or b""
    out = out.decode(errors="replace")
    if strip_cr:
        out = out.replace("\r", "")
    return status, out, err.decode(errors="replace")


DIGEST = re.compile(r"^digest ([0-9a-f]{16})$", re.M)
ICOUNT = re.compile(r"^icount (\d+)$", re.M)


def digest(err):
    """(digest, icount) from the last --print-digest lines in ERR, the
    digest as 16 hex digits and the count as an int; None where absent."""
    d = DIGEST.findall(err)
    n = ICOUNT.findall(err)
    return (d[-1] if d else None, int(n[-1]) if n else None)


def digest_lines(err):
    """Every "digest ..." and "icount ..." line of ERR, in order."""
    return [l for l in err.splitlines() if l.startswith(("digest ", "icount "))]


def free_port(host="127.0.0.1"):
    """A TCP port nothing listens on at HOST right now."""
    s = socket.socket()
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_get(port, path="/index.html", tries=50):
    """The whole HTTP/1.0 response (bytes) for PATH from 127.0.0.1:PORT,
    retried while the forward does not answer yet; b"" if it never does."""
    for _ in range(tries):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
                chunks = []
                while True:
                    d = s.recv(65536)
                    if not d:
                        break
                    chunks.append(d)
            data = b"".join(chunks)
            if data:
                return data
        except OSError:
            pass
        time.sleep(0.2)
    return b""


def newc_entry(name, mode, data):
    """One cpio "newc" archive member, as the kernel's initramfs reads it."""
    name_b = name.encode() + b"\0"
    fields = [1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
    pad = lambda n: b"\0" * (-n % 4)
    return hdr + name_b + pad(len(hdr) + len(name_b)) + data + pad(len(data))
