#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Snapshots of a Debian guest: the acceptance tests of issue "Part 4", one
case per Bazel target (snaplinux_test.py RETROVISOR FORK_MEM CASE).

The guest is Debian trixie's riscv64 kernel with a busybox initramfs
(tools/fetch-guest; tools/test passes the paths in RV_GUEST_KERNEL and
RV_GUEST_INITRAMFS). Without rv.cmd the initramfs gives a shell on the
console, whose prompt ends in "# "; `retrovisor loop --start-on-output "# "`
starts its loop there.

Cases:
  reset1000   shell -> snapshot -> a workload that writes a file on an ext4
              disk and memory -> restore, 1,000 times: every restore's state
              digest equals the snapshot's, the workload never sees the
              previous iteration's file, every iteration is identical.
  save_load   snapshot files saved mid-run (full and incremental) and loaded
              in a new process continue with the same output and final
              digest as the uninterrupted run; `snapshot save|load|info`.
  bad_files   truncated, bit-flipped, wrong-version, junk, empty and
              wrong-machine files: one clear line, exit status 2, no crash.
  replay      a run recorded from a snapshot file replays; a replay's
              --snapshot-at file restores to the replay's final state, and
              the log replays from that snapshot on (replay --from).
  forks       16 machines forked from one snapshot, each running the
              workload, cost less memory than 2 full copies of the guest.
  net_restore a guest with user networking saved while it serves HTTP and
              holds a TCP connection to the host: restored in a new process
              (with a hostfwd the saving run did not have), it downloads a
              file from the host, the host fetches a page from it through
              hostfwd, and the connection held at saving time is reset
              when used (docs/snapshots.md: the host side is not saved;
              the guest's TCP EstabResets counter shows it).
  net_loop    the same snapshot in the reset loop: every iteration
              downloads the file again over a new TCP connection (the
              restored guest reuses the same port and sequence numbers).
"""
import hashlib
import http.server
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check, digest, env_path, free_port, http_get, newc_entry, run_case  # noqa: E402

RV = sys.argv[1]
FORK_MEM = sys.argv[2]
CASE = sys.argv[3]
PROMPT = "# "
# The marker is computed by the shell, so the echo of the typed command
# (which shows "$((6*7))") cannot end an iteration early.
# Likewise the workload reports a file left by an earlier iteration as
# "OLD-2", which its echo cannot show.
WORKLOAD = ("mount /dev/vda /mnt 2>/dev/null; test -e /mnt/f && echo OLD-$((1+1)); "
            "dd if=/dev/urandom of=/mnt/f bs=4k count=16 2>/dev/null; "
            "sync; echo $((6*7))-DONE")
MARKER = "42-DONE"


def sh(args, timeout=900):
    return rvtest.run(args, timeout=timeout, strip_cr=True)


def make_disk(name="disk.img", mib=32):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.truncate(mib << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", path], check=True)
    return path


def machine_args(disk=None, cmd=None, memory="128M"):
    append = "console=ttyS0 quiet"
    if cmd:
        append += f' rv.cmd="{cmd}"'
    args = ["--kernel", env_path("RV_GUEST_KERNEL"), "--initrd", env_path("RV_GUEST_INITRAMFS"),
            "--append", append, "--memory", memory, "--rtc", "1767225600"]
    if disk:
        args += ["--drive", f"file={disk}"]
    return args


def shell_snapshot(disk):
    """A snapshot file of the guest waiting at its shell prompt."""
    path = os.path.join(TMP, "shell.snap")
    status, out, err = sh([RV, "loop", "--iterations", "0", "--save-start", path,
                           "--start-on-output", PROMPT, *machine_args(disk)])
    check(status == 0 and os.path.exists(path), f"saved the shell's state (stderr: {err})")
    return path


def case_reset1000():
    disk = make_disk()
    snap = shell_snapshot(disk)
    status, out, err = sh([RV, "loop", "--restore", snap, "--drive", f"file={disk}",
                           "--iterations", "1000",
                           "--type", WORKLOAD + "\\n", "--until-output", MARKER,
                           "--check-digest", "--console"], timeout=1500)
    lines = [l for l in out.splitlines() if l.startswith("iteration ")]
    check(status == 0, f"the loop ran 1,000 iterations (exit {status}; {err[-300:]})")
    check("every restore matched the start's digest" in err,
          "every restore's digest equals the snapshot's", err[-2000:])
    check(len(lines) == 1000, f"1,000 iteration lines (got {len(lines)})", out)
    ends = {" ".join(l.split()[4:6]) for l in lines}
    check(ends == {"end output"}, f"every iteration ran the workload to its end ({ends})", out)
    counts = {l.split()[-1] for l in lines}
    check(len(counts) == 1, f"every iteration is the same execution ({len(counts)} "
          "different instruction counts)", out)
    check(err.count(MARKER) == 1000, f"the workload finished 1,000 times "
          f"({err.count(MARKER)} markers)")
    check("OLD-2" not in err, "no iteration saw the file an earlier one wrote (the "
          "disk overlay was restored)")


def case_save_load():
    disk = make_disk()
    cmd = ("mount /dev/vda /mnt; for i in 1 2 3 4 5 6; do echo line$i | tee -a /mnt/log; "
           "dd if=/dev/urandom of=/mnt/f$i bs=4k count=8 2>/dev/null; sync; done; "
           "md5sum /mnt/log; cat /proc/loadavg | cut -c1-4")
    base = machine_args(disk, cmd)
    status, full, err = sh([RV, "run", *base, "--print-digest"])
    check(status == 0 and "retrovisor-guest: exit status 0" in full,
          f"the uninterrupted run succeeds (exit {status})", full + err)
    want_digest, want_icount = digest(err)
    total = int(want_icount or 0)
    a = os.path.join(TMP, "a.snap")
    b = os.path.join(TMP, "b.snap")
    c = os.path.join(TMP, "c.snap")
    at1, at2, at3 = total // 2, total * 3 // 4, total - total // 20
    status, out, err = sh([RV, "run", *base, "--print-digest", "--snapshot-incremental",
                           "--snapshot-at", f"{at1}={a}", "--snapshot-at", f"{at2}={b}",
                           "--snapshot-at", f"{at3}={c}"])
    check(status == 0 and out == full, "saving snapshots does not change the run", out)
    check(digest(err) == (want_digest, want_icount),
          "saving snapshots does not change the final state", err)
    check("full snapshot" in err and err.count("incremental snapshot") == 2,
          "one full and two incremental files", err)
    check(os.path.getsize(b) < os.path.getsize(a) // 2,
          f"the incremental file is smaller ({os.path.getsize(b)} vs {os.path.getsize(a)})")
    for path, at in ((a, at1), (b, at2), (c, at3)):
        status, out, err = sh([RV, "run", "--restore", path, "--drive", f"file={disk}",
                                "--print-digest"])
        name = os.path.basename(path)
        check(status == 0, f"{name}: the restored run ends as the original (exit {status}; "
              f"{err.strip()[-300:]})")
        check(out and full.endswith(out),
              f"{name}: its console output is the rest of the original's", out)
        check(digest(err) == (want_digest, want_icount),
              f"{name}: final digest and instruction count equal the uninterrupted run's",
              err)
    # snapshot save / load / info
    s = os.path.join(TMP, "s.snap")
    status, out, err = sh([RV, "snapshot", "save", "--at", str(at1), "-o", s, *base])
    check(status == 0 and os.path.exists(s), f"snapshot save (exit {status}: {err.strip()})")
    with open(a, "rb") as f1, open(s, "rb") as f2:
        check(f1.read() == f2.read(), "the same state saved twice gives the same file")
    status, out, err = sh([RV, "snapshot", "load", s, "--drive", f"file={disk}",
                           "--print-digest"])
    check(status == 0 and digest(err) == (want_digest, want_icount),
          "snapshot load continues to the same end", err)
    status, out, err = sh([RV, "snapshot", "info", b])
    check(status == 0 and "incremental" in out and f"instructions retired: {at2}" in out
          and "parent" in out, "snapshot info describes the file and its parent", out + err)
    # A snapshot restored with a shape option that disagrees: wrong machine.
    status, out, err = sh([RV, "run", "--restore", a, "--harts", "2"])
    check(status == 2 and "another machine" in err and err.count("\n") == 1,
          "a restore into another shape is refused in one line", err)


def flip(data, off):
    b = bytearray(data)
    b[off] ^= 0x10
    return bytes(b)


def case_bad_files():
    disk = make_disk()
    good = os.path.join(TMP, "good.snap")
    status, out, err = sh([RV, "snapshot", "save", "--at", "200M", "-o", good,
                           *machine_args(disk, "true")])
    check(status == 0, f"saved a file to damage ({err.strip()})")
    data = open(good, "rb").read()
    bad = os.path.join(TMP, "bad.snap")

    def refused(content, what, words):
        with open(bad, "wb") as f:
            f.write(content)
        status, out, err = sh([RV, "run", "--restore", bad], timeout=120)
        lines = err.strip().splitlines()
        check(status == 2 and len(lines) == 1 and lines[0].startswith("retrovisor: ")
              and all(w in lines[0] for w in words),
              f"{what}: refused in one line naming the problem (exit {status}: {err.strip()})")

    refused(b"", "an empty file", ["not a Retrovisor snapshot"])
    refused(b"hello, world\n" * 10, "a text file", ["not a Retrovisor snapshot"])
    for n in (40, 64, 100, len(data) // 3, len(data) // 2, len(data) - 1):
        refused(data[:n], f"truncated to {n} bytes", [bad])
    for off in (8, 20, 61, 64, 70, 90, len(data) // 4, len(data) // 2, len(data) - 5):
        refused(flip(data, off), f"a bit flipped at byte {off}", [bad])
    hdr = bytearray(data[:64])
    struct.pack_into("<I", hdr, 8, 99)
    struct.pack_into("<I", hdr, 60, zlib.crc32(bytes(hdr[:60])))
    refused(bytes(hdr) + data[64:], "another format version", ["version 99", "reads version"])
    refused(data + b"x", "a byte after the end", [bad, "END"])
    # Wrong machine: the drive holds another image now.
    with open(disk, "r+b") as f:
        f.seek(4096)
        f.write(b"changed")
    status, out, err = sh([RV, "run", "--restore", good, "--drive", f"file={disk}"])
    check(status == 2 and "SHA-256" in err and err.count("\n") == 1,
          f"a drive image that changed since is refused ({err.strip()})")
    status, out, err = sh([RV, "run", "--restore", good, "--memory", "256M"])
    check(status == 2 and "another machine" in err, f"a restore asking for another "
          f"memory size is refused ({err.strip()})")
    status, out, err = sh([RV, "snapshot", "info", os.path.join(TMP, "none.snap")])
    check(status == 2 and "cannot open" in err, "a missing file is named")


def case_replay():
    disk = make_disk()
    snap = shell_snapshot(disk)
    log = os.path.join(TMP, "from-snap.rlog")
    # Typed input through a pipe: the shell runs the workload and powers off.
    p = subprocess.run([RV, "record", "--log", log, "--restore", snap, "--drive", f"file={disk}",
                        "--digest-interval",
                        "5M", "--print-digest"], input=(WORKLOAD + "; poweroff -f\n").encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    rec_out = p.stdout.decode(errors="replace")
    rec_err = p.stderr.decode(errors="replace")
    check(p.returncode == 0 and MARKER in rec_out,
          f"recorded a session that starts from a snapshot (exit {p.returncode}; "
          f"{rec_err.strip()[-300:]})", rec_out)
    rec = digest(rec_err)
    status, out, err = sh([RV, "replay", log, "--trust-stored-paths", "--print-digest"])
    check(status == 0 and "replay matched the recording" in err and digest(err) == rec,
          f"the log replays from the snapshot to the same end ({err.strip()[-300:]})")
    mid = os.path.join(TMP, "mid.snap")
    status, out, err = sh([RV, "replay", log, "--trust-stored-paths",
                           "--snapshot-at", f"{int(rec[1]) - 1000000}={mid}",
                           "--print-digest"])
    check(status == 0 and os.path.exists(mid), f"a replay saves a snapshot ({err.strip()})")
    status, out, err = sh([RV, "run", "--restore", mid, "--drive", f"file={disk}",
                           "--print-digest"])
    check(digest(err) == rec, "the replay's snapshot continues to the recorded end "
          f"({err.strip()[-300:]})")
    status, out, err = sh([RV, "replay", log, "--trust-stored-paths", "--from", mid,
                           "--print-digest"])
    check(status == 0 and "replay matched the recording" in err and digest(err) == rec,
          f"the log replays from that snapshot on (replay --from) ({err.strip()[-300:]})")


def case_forks():
    disk = make_disk()
    snap = shell_snapshot(disk)
    status, out, err = sh([FORK_MEM, snap, "16", WORKLOAD, MARKER], timeout=900)
    print(out.strip())
    check(status == 0, f"16 forks ran the workload to the same end and cost less than "
          f"two copies of the guest ({out.strip()}; {err.strip()})")
    fields = out.split()
    if len(fields) >= 10:
        check(float(fields[9]) < 2 * float(fields[5]),
              f"measured: {fields[9]} MiB for 16 forks < 2 x {fields[5]} MiB")


# ---- User networking across snapshots ----

NET_MARKER = "SNAP-2"
# /rv/script of the networking cases: a web server on port 8080, a TCP
# connection to the host's HOLD port held open (nc reading a FIFO that fd 3
# keeps open), then NET_MARKER (where the snapshot is taken), then it runs
# one line read from the console: after_restore or iteration.
NET_SCRIPT = """mkdir -p /www && echo guest-page-9182 > /www/index.html
httpd -f -v -p 8080 -h /www > /tmp/httpd.log 2>&1 &
mkfifo /tmp/f
(nc 10.0.2.2 @HOLD@ < /tmp/f > /tmp/held 2>&1; echo "held-ended-$?" >> /tmp/held) &
exec 3> /tmp/f
i=0; while ! grep -q hello-before /tmp/held && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
echo "held: $(cat /tmp/held)"
fetch() { echo "md5 $(wget -q -O - http://10.0.2.2:@HTTP@/blob | md5sum)"; }
resets() {
	awk '/^Tcp:/ && !c { for (i = 1; i <= NF; i++) if ($i == "EstabResets") c = i; next }
		/^Tcp:/ { print $c }' /proc/net/snmp
}
after_restore() {
	fetch
	echo "resets before: $(resets) $(grep -c held-ended /tmp/held)"
	echo ping >&3
	i=0; while ! grep -q held-ended /tmp/held && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
	echo "resets after: $(resets) $(grep -c held-ended /tmp/held)"
	echo "rv-ready-$((2+3))"
	i=0; while ! grep -q response: /tmp/httpd.log && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
	echo "rv-served-$((3+4)): $(cat /tmp/httpd.log)"
}
iteration() { fetch; echo "DONE-$((6*7))"; }
echo "SNAP-$((1+1))"
read -r line
eval "$line"
"""


def initramfs_with_script(script):
    """The guest's initramfs with SCRIPT appended as /rv/script (init runs
    it, then powers off)."""
    path = os.path.join(TMP, "script.cpio")
    with open(path, "wb") as f:
        with open(env_path("RV_GUEST_INITRAMFS"), "rb") as base:
            f.write(base.read())
        f.write(b"\0" * (-f.tell() % 4))
        f.write(newc_entry("rv", 0o40755, b""))
        f.write(newc_entry("rv/script", 0o100644, script.encode()))
        f.write(newc_entry("TRAILER!!!", 0, b""))
    return path


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Host:
    """The host side: an HTTP server with a 256 KiB file (counting the
    requests for it) and a server that greets each connection and records
    what it receives, both on 127.0.0.1."""

    def __init__(self):
        www = os.path.join(TMP, "www")
        os.makedirs(www, exist_ok=True)
        self.blob = os.urandom(256 << 10)
        with open(os.path.join(www, "blob"), "wb") as f:
            f.write(self.blob)
        self.md5 = hashlib.md5(self.blob).hexdigest()
        self.fetches = 0
        host = self

        class Counting(Quiet):
            def do_GET(self):
                host.fetches += 1
                super().do_GET()

        self.http = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), lambda *a, **k: Counting(*a, directory=www, **k))
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.hold = socket.socket()
        self.hold.bind(("127.0.0.1", 0))
        self.hold.listen(4)
        self.held = []  # per connection: the bytes received until it closed
        threading.Thread(target=self._hold_loop, daemon=True).start()

    def _hold_loop(self):
        while True:
            conn, _ = self.hold.accept()
            got = bytearray()
            self.held.append(got)
            threading.Thread(target=self._hold_one, args=(conn, got), daemon=True).start()

    @staticmethod
    def _hold_one(conn, got):
        with conn:
            conn.sendall(b"hello-before-snapshot\n")
            while True:
                try:
                    d = conn.recv(4096)
                except OSError:
                    return
                if not d:
                    return
                got += d

    def script(self):
        return (NET_SCRIPT.replace("@HOLD@", str(self.hold.getsockname()[1]))
                .replace("@HTTP@", str(self.http.server_address[1])))

    def close(self):
        self.http.shutdown()
        self.hold.close()


def net_snapshot(host):
    """A snapshot file of the networking guest at NET_MARKER."""
    path = os.path.join(TMP, "net.snap")
    args = ["--kernel", env_path("RV_GUEST_KERNEL"),
            "--initrd", initramfs_with_script(host.script()),
            "--append", "console=ttyS0 quiet", "--memory", "128M", "--rtc", "1767225600",
            "--net", "user"]
    status, out, err = sh([RV, "loop", "--iterations", "0", "--save-start", path,
                           "--start-on-output", NET_MARKER, "--console", *args], timeout=600)
    check(status == 0 and os.path.exists(path),
          f"saved the networking guest's state (exit {status}; {err.strip()[-500:]})")
    check("held: hello-before-snapshot" in err,
          "at saving time the guest held a TCP connection to the host", err)
    return path


def case_net_restore():
    host = Host()
    try:
        snap = net_snapshot(host)
        check(len(host.held) == 1, f"the host saw the held connection ({len(host.held)})")
        # Its process has exited: the host's end of that connection is closed.
        time.sleep(0.5)
        port = free_port()
        p = subprocess.Popen([RV, "run", "--restore", snap, "--watchdog", "60",
                              "--net", f"user,hostfwd=tcp:127.0.0.1:{port}-:8080"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        p.stdin.write(b"after_restore\n")
        p.stdin.close()
        lines, body = [], ""
        for raw in p.stdout:
            line = raw.decode(errors="replace").replace("\r", "").rstrip("\n")
            lines.append(line)
            if line == "rv-ready-5":
                body = http_get(port).decode(errors="replace")
        status = p.wait(timeout=300)
        err = p.stderr.read().decode(errors="replace")
        out = "\n".join(lines)
    finally:
        host.close()
    check(status == 0 and "retrovisor-guest: exit status 0" in lines,
          f"the restored guest ran to its end (exit {status}; {err.strip()[-300:]})", out)
    check(f"md5 {host.md5}  -" in lines,
          "after the restore the guest downloaded 256 KiB from the host intact", out)
    # "resets before/after: <the guest's TCP EstabResets> <nc ended>"
    check("resets before: 0 0" in lines and "resets after: 1 1" in lines,
          "the connection held at saving time was still open after the restore, and "
          "reset by the host side when used", out)
    check(len(host.held) == 1 and bytes(host.held[0]) == b"",
          f"and nothing reached the host through it ({[bytes(h) for h in host.held]})")
    check("guest-page-9182" in body,
          "the host fetched a page from the restored guest through a new hostfwd",
          out + "\n--- response:\n" + body)
    check(any(l.startswith("rv-served-7: ") and "response:200" in l for l in lines),
          "the guest served that request", out)
    check(host.fetches == 1, f"the host served the file once ({host.fetches})")


def case_net_loop():
    host = Host()
    n = 5
    try:
        snap = net_snapshot(host)
        status, out, err = sh([RV, "loop", "--restore", snap, "--iterations", str(n),
                               "--type", "iteration\\n", "--until-output", "DONE-42",
                               "--check-digest", "--console"], timeout=600)
    finally:
        host.close()
    lines = [l for l in out.splitlines() if l.startswith("iteration ")]
    check(status == 0, f"the loop ran {n} iterations (exit {status}; {err.strip()[-300:]})")
    check(len(lines) == n and all(" end output " in l for l in lines),
          f"every iteration reached its end marker ({lines})", err)
    got = err.count(f"md5 {host.md5}  -")
    check(got == n, f"every iteration downloaded the file intact ({got} of {n})", err)
    check(host.fetches == n, f"over a new connection each ({host.fetches} requests)")


CASES = {
    "reset1000": case_reset1000,
    "save_load": case_save_load,
    "bad_files": case_bad_files,
    "replay": case_replay,
    "forks": case_forks,
    "net_restore": case_net_restore,
    "net_loop": case_net_loop,
}

if __name__ == "__main__":
    run_case(CASES, CASE)
