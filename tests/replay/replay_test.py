#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Record and replay, end to end (issue "Deterministic record and replay"):
one case per Bazel target: replay_test.py RETROVISOR SMP_GUEST CASE.

SMP_GUEST is tests/determinism's bare-metal guest (harts racing for a lock:
its output depends on the interleaving). The Linux cases (linux10, hostfwd)
boot the Debian guest that tools/test names in RV_GUEST_KERNEL /
RV_GUEST_INITRAMFS.
"""
import hashlib
import http.server
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check, digest_lines, env_path, http_get, run_case  # noqa: E402

RV, SMP, CASE = sys.argv[1], sys.argv[2], sys.argv[3]


def rv(*args, stdin=None, timeout=900):
    return rvtest.run([RV, *args], input=stdin, timeout=timeout)


def record_smp(log, harts=2, extra=()):
    kernel = os.path.join(TMP, "smp.elf")
    shutil.copy(SMP, kernel)
    status, out, err = rv("record", "--log", log, "--digest-interval", "20000", "--bios",
                          "none", "--kernel", kernel, "--harts", str(harts),
                          "--print-digest", *extra)
    check(status == 0, f"recording exits 0 (got {status})", err)
    check(os.path.exists(log) and not os.path.exists(log + ".tmp"),
          "the finished log is renamed into place")
    return kernel, out, err


def case_smp():
    log = os.path.join(TMP, "smp.rlog")
    _, out, err = record_smp(log, harts=4)
    for i in range(3):
        status, rout, rerr = rv("replay", log, "--trust-stored-paths", "--print-digest")
        check(status == 0 and "replay matched the recording" in rerr,
              f"replay {i + 1} matches (status {status})", rerr)
        check(rout == out and digest_lines(rerr) == digest_lines(err),
              f"replay {i + 1} is bit-identical: same output, digest and count",
              f"{digest_lines(err)} vs {digest_lines(rerr)}")
    status, sout, _ = rv("log", "stats", log)
    check(status == 0 and "digest" in sout and "instructions" in sout, "log stats", sout)
    status, dout, _ = rv("log", "dump", log)
    check(status == 0 and dout.splitlines()[0].split()[6] == "config"
          and "end" in dout.splitlines()[-1], "log dump lists config first and end last", dout)
    status, _, verr = rv("log", "verify", log, "--trust-stored-paths")
    check(status == 0 and "verifies" in verr, "log verify replays it", verr)


def case_corrupt():
    log = os.path.join(TMP, "c.rlog")
    kernel, _, _ = record_smp(log)
    data = open(log, "rb").read()

    def variant(name, blob):
        path = os.path.join(TMP, name)
        with open(path, "wb") as f:
            f.write(blob)
        return path

    # One flipped byte anywhere past the file header: a clear error, no crash.
    for off in (40, len(data) // 2, len(data) - 5):
        b = bytearray(data)
        b[off] ^= 0x10
        path = variant(f"flip{off}.rlog", bytes(b))
        status, _, err = rv("replay", path, "--trust-stored-paths")
        lines = [l for l in err.splitlines() if l.strip()]
        check(status == 2 and len(lines) >= 1 and path in lines[-1] and
              ("corrupt" in lines[-1] or "offset" in lines[-1]),
              f"byte flipped at {off}: rejected naming the file and offset: {lines[-1:]}", err)
    # Another version of the format.
    b = bytearray(data)
    b[8] = 99
    path = variant("v99.rlog", bytes(b))
    status, _, err = rv("replay", path, "--trust-stored-paths")
    check(status == 2 and "version 99" in err, f"another log version is refused: {err.strip()}")
    # Truncated: an interrupted recording replays up to its last whole chunk.
    path = variant("cut.rlog.tmp", data[: len(data) - 200])
    status, _, err = rv("replay", path, "--trust-stored-paths")
    check(status in (0, 7) and ("interrupted" in err), f"a truncated log is reported as "
          f"interrupted and replayed as far as it goes (status {status})", err)
    # Not a log at all.
    path = variant("junk.rlog", b"hello, not a log\n" * 10)
    status, _, err = rv("replay", path, "--trust-stored-paths")
    check(status == 2 and path in err, f"a file that is not a log is refused: {err.strip()}")
    # An image that differs from the recorded one.
    with open(kernel, "r+b") as f:
        f.seek(0x200)
        byte = f.read(1)
        f.seek(0x200)
        f.write(bytes([byte[0] ^ 1]))
    status, _, err = rv("replay", log, "--trust-stored-paths")
    check(status == 2 and "differs from the one recorded" in err and kernel in err,
          f"a changed image is refused, naming it: {err.strip()}")


def case_bundle():
    log = os.path.join(TMP, "b.rlog")
    kernel, out, err = record_smp(log)
    bundle = os.path.join(TMP, "bug.rvb")
    status, _, berr = rv("bundle", "--log", log, "-o", bundle, "--trust-stored-paths")
    check(status == 0 and os.path.exists(bundle), "bundle written", berr)
    os.remove(kernel)  # another machine: the images are only in the bundle
    status, rout, rerr = rv("replay", bundle, "--print-digest")
    check(status == 0 and rout == out and digest_lines(rerr) == digest_lines(err),
          "the bundle replays bit-identically without the original images", rerr)
    # A bundle that unpacks but holds no log (made here by the layout of
    # replay/bundle.h): refused in one line, with nothing left unpacked.
    bad = os.path.join(TMP, "nolog.rvb")
    with open(bad, "wb") as f:
        f.write(bundle_of(b"this is not a record log\n"))
    tmpdir = os.path.join(TMP, "unpack")
    os.makedirs(tmpdir, exist_ok=True)
    p = subprocess.run([RV, "replay", bad], stdin=subprocess.DEVNULL, capture_output=True,
                       env=dict(os.environ, TMPDIR=tmpdir))
    perr = p.stderr.decode(errors="replace")
    check(p.returncode == 2 and len(perr.splitlines()) == 1 and "not a Retrovisor record log"
          in perr, "a bundle holding a bad log: status 2, one line", perr)
    check(os.listdir(tmpdir) == [], f"nothing left unpacked ({os.listdir(tmpdir)})", perr)


def bundle_of(log):
    """A bundle (replay/bundle.h's layout) holding LOG alone."""
    frame = subprocess.run(["zstd", "-q", "-c", "--check"], input=log, check=True,
                           stdout=subprocess.PIPE).stdout
    table_end = 24 + 96 + 32
    head = b"RVSRBNDL" + struct.pack("<IIQ", 1, 1, 0)
    entry = (b"log".ljust(32, b"\0") +
             struct.pack("<QQQII", len(log), table_end, len(frame), zlib.crc32(frame), 0) +
             hashlib.sha256(log).digest())
    table = head + entry
    return table + hashlib.sha256(table).digest() + frame


def case_go_live():
    log = os.path.join(TMP, "g.rlog")
    _, _, rec_err = record_smp(log)
    status, _, err = rv("replay", log, "--trust-stored-paths", "--go-live", "100000")
    check(status == 0 and "went live at instruction 100000" in err,
          f"--go-live continues as a normal run (status {status})", err)
    # Going live while recording: the new log holds the replayed prefix and
    # what followed, and replays the whole run.
    new = os.path.join(TMP, "g2.rlog")
    status, _, err = rv("replay", log, "--trust-stored-paths", "--go-live", "100000", "--log", new,
                        "--print-digest")
    check(status == 0 and os.path.exists(new), f"--go-live with --log records on ({status})", err)
    status, _, err2 = rv("replay", new, "--trust-stored-paths", "--print-digest")
    check(status == 0 and "replay matched" in err2 and
          digest_lines(err2) == digest_lines(rec_err),
          "the log recorded from the go-live point replays the whole run", err2)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def case_linux10():
    kernel = env_path("RV_GUEST_KERNEL")
    initramfs = env_path("RV_GUEST_INITRAMFS")
    www = os.path.join(TMP, "www")
    os.makedirs(www, exist_ok=True)
    with open(os.path.join(www, "f.txt"), "w") as f:
        f.write("downloaded-through-slirp-5521\n")
    srv = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a, **k: Quiet(*a, directory=www, **k))
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    session = (f"echo typed-$((6*7))\nwget -q -O - http://10.0.2.2:{port}/f.txt\n"
               "grep -c ^processor /proc/cpuinfo\npoweroff\n").encode()
    log = os.path.join(TMP, "linux.rlog")
    # The typed session goes to the shell's console; the guest has 4 harts
    # and user networking; --rtc is left to the host clock (recorded).
    status, out, err = rv("record", "--log", log, "--kernel", kernel, "--initrd", initramfs,
                          "--append", "console=ttyS0 quiet", "--memory", "512M",
                          "--harts", "4", "--net", "user", "--watchdog", "300",
                          "--print-digest", stdin=session)
    srv.shutdown()
    out = out.replace("\r", "")
    check(status == 0, f"the recorded session exits 0 (got {status})", err)
    check("downloaded-through-slirp-5521" in out, "the recorded guest downloaded a file", out)
    want = digest_lines(err)
    for i in range(10):
        status, rout, rerr = rv("replay", log, "--trust-stored-paths", "--print-digest")
        check(status == 0 and "replay matched the recording" in rerr and
              rout.replace("\r", "") == out and digest_lines(rerr) == want,
              f"replay {i + 1}/10 is bit-identical at every digest and at the end", rerr)


def case_hostfwd():
    """Inbound traffic: the host connects to the guest's web server through
    hostfwd during the recording and downloads a page and 128 KiB the
    guest generated. The replay reproduces the run bit for bit (same
    console output, every digest, the end) with no host connection at all:
    the forwarded port is held by another socket while it replays."""
    kernel = env_path("RV_GUEST_KERNEL")
    initramfs = env_path("RV_GUEST_INITRAMFS")
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    serve = ("mkdir -p /www && echo guest-page-4417 > /www/index.html && "
             "dd if=/dev/urandom of=/www/big bs=1k count=128 2>/dev/null && "
             "md5sum /www/big && (httpd -f -v -p 8080 -h /www > /tmp/httpd.log 2>&1 &) && "
             "echo rv-ready; i=0; while [ $(grep -c response: /tmp/httpd.log) -lt 2 ] && "
             "[ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; echo rv-served; "
             "grep -c response:200 /tmp/httpd.log")
    log = os.path.join(TMP, "hostfwd.rlog")
    p = subprocess.Popen([RV, "record", "--log", log, "--kernel", kernel, "--initrd", initramfs,
                          "--append", f'console=ttyS0 quiet rv.cmd="{serve}"',
                          "--memory", "512M", "--watchdog", "120", "--digest-interval", "20M",
                          "--net", f"user,hostfwd=tcp:127.0.0.1:{port}-:8080",
                          "--print-digest"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    raw_out, page, big = b"", b"", b""
    for raw in p.stdout:
        raw_out += raw
        if raw.replace(b"\r", b"").rstrip(b"\n") == b"rv-ready":
            page = http_get(port, "/index.html")
            big = http_get(port, "/big")
    status = p.wait(timeout=600)
    err = p.stderr.read().decode(errors="replace")
    out = raw_out.decode(errors="replace")
    check(status == 0, f"the recorded run exits 0 (got {status})", err + out)
    check(b"guest-page-4417" in page, "the host fetched the guest's page through hostfwd",
          out + page.decode(errors="replace"))
    body = big.split(b"\r\n\r\n", 1)[-1]
    md5 = hashlib.md5(body).hexdigest()
    check(len(body) == 128 << 10 and f"{md5}  /www/big" in out.replace("\r", ""),
          f"and 128 KiB the guest generated, intact ({len(body)} bytes, md5 {md5})", out)
    check("rv-served\n2\n" in out.replace("\r", ""), "the guest served both requests", out)
    want = digest_lines(err)
    status, sout, _ = rv("log", "stats", log)
    check(status == 0 and re.search(r"^\s*net\s+[1-9]", sout, re.M) is not None,
          "the log holds the network frames the host sent", sout)
    # Hold the forwarded port: a replay that tried to bind it or wait for
    # the host would fail; nobody connects.
    hold = socket.socket()
    # The forward's own end of the recorded connections may still be in
    # TIME_WAIT; a second listener cannot bind while this one listens.
    hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hold.bind(("127.0.0.1", port))
    hold.listen(1)
    try:
        status, rout, rerr = rv("replay", log, "--trust-stored-paths", "--print-digest")
        check(status == 0 and "replay matched the recording" in rerr,
              f"the replay matches the recording at every digest (status {status})", rerr)
        check(rout == out, "the replay prints the same console output", rout)
        check(want and digest_lines(rerr) == want,
              f"the replay ends in the same state ({digest_lines(rerr)} vs {want})")
    finally:
        hold.close()


def case_digest_versions():
    """Logs keep replaying when the digest changes: a log as the recorders
    before digest version 2 wrote it (no 'digest' line, pages hashed the
    first way) replays and matches; one with current digests but no line
    is caught at its first digest, so the version really decides how the
    replay hashes (config_test refuses versions this build does not
    know)."""
    hooks = os.path.join(os.path.dirname(RV), "tests", "replay", "retrovisor_testhooks")
    if not os.path.exists(hooks):
        hooks = os.path.join(os.path.dirname(os.path.abspath(__file__)), "retrovisor_testhooks")
    kernel = os.path.join(TMP, "smp.elf")
    shutil.copy(SMP, kernel)

    def record(log, old):
        env = dict(os.environ)
        if old:
            env["RETROVISOR_TEST_OLD_LOG"] = old
        p = subprocess.run([hooks, "record", "--log", log, "--digest-interval", "50000",
                            "--bios", "none", "--kernel", kernel, "--harts", "2",
                            "--print-digest"], capture_output=True, timeout=300, env=env)
        check(p.returncode == 0, f"recording ({old or 'current'}) exits 0",
              p.stderr.decode(errors="replace"))
        return p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    new_log, old_log, bad_log = (os.path.join(TMP, n) for n in ("v2.rlog", "v1.rlog", "lie.rlog"))
    _, new_err = record(new_log, None)
    _, old_err = record(old_log, "v1")
    record(bad_log, "mislabeled")
    check(digest_lines(new_err) != digest_lines(old_err),
          "the two versions give different final digests of the same run",
          f"{digest_lines(new_err)} vs {digest_lines(old_err)}")
    for log, what in ((new_log, "a current log"), (old_log, "a log as before version 2")):
        status, _, err = rv("replay", log, "--trust-stored-paths", "--print-digest")
        check(status == 0 and "replay matched the recording" in err,
              f"{what} replays and matches (status {status})", err)
    check(digest_lines(rv("replay", old_log, "--trust-stored-paths", "--print-digest")[2])
          == digest_lines(old_err),
          "the old log's replay prints the digest it was recorded with")
    status, _, err = rv("replay", bad_log, "--trust-stored-paths")
    check(status == 7 and "diverged" in err,
          f"current digests without the line are a divergence, status 7 (got {status})", err)


def case_nondet():
    """A test build injects a nondeterminism (a stray write into guest RAM)
    at instruction 150000 into every other execution: the replay is caught
    at the next digest, and re-running narrows it to that instruction."""
    hooks = os.path.join(os.path.dirname(RV), "tests", "replay", "retrovisor_testhooks")
    if not os.path.exists(hooks):
        hooks = os.path.join(os.path.dirname(os.path.abspath(__file__)), "retrovisor_testhooks")
    log = os.path.join(TMP, "n.rlog")
    kernel = os.path.join(TMP, "smp.elf")
    shutil.copy(SMP, kernel)
    p = subprocess.run([hooks, "record", "--log", log, "--digest-interval", "100000",
                        "--bios", "none", "--kernel", kernel, "--harts", "2"],
                       capture_output=True, timeout=300)
    check(p.returncode == 0, f"recording with the test build exits 0 ({p.returncode})",
          p.stderr.decode(errors="replace"))
    env = dict(os.environ, RETROVISOR_TEST_NONDET="150000")
    p = subprocess.run([hooks, "replay", log, "--trust-stored-paths"], capture_output=True,
                       timeout=600, env=env)
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 7, f"the perturbed replay is a divergence, status 7 (got {p.returncode})", err)
    check("diverged from the recording between instruction 100000" in err,
          "caught at the first digest after the injection", err)
    check("agree after 149999 instructions and differ after 150000" in err,
          "re-running locates it to the exact instruction", err)
    last_page = "page 0x%x differs" % (0x80000000 + (128 << 20) - 4096)
    check(last_page in err, "and names the page that differs", err)
    # Without the injection the test build replays its own log cleanly.
    p = subprocess.run([hooks, "replay", log, "--trust-stored-paths"], capture_output=True,
                       timeout=300)
    check(p.returncode == 0, "without the injection the replay matches",
          p.stderr.decode(errors="replace"))


CASES = {"nondet": case_nondet, "digest_versions": case_digest_versions, "smp": case_smp,
         "corrupt": case_corrupt, "bundle": case_bundle, "go_live": case_go_live, "linux10": case_linux10, "hostfwd": case_hostfwd}

if __name__ == "__main__":
    run_case(CASES, CASE)
