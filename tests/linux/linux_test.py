#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Debian Linux on Retrovisor: the acceptance tests of the "Boot real Linux"
issue, one case per Bazel target (linux_test.py RETROVISOR CASE).

The guest is Debian trixie's riscv64 kernel with a busybox initramfs, built
and cached by tools/fetch-guest; tools/test passes its paths in
RV_GUEST_KERNEL and RV_GUEST_INITRAMFS (the project-built kernel, when a
case needs it, in RV_BUILT_KERNEL). The initramfs's /init runs the kernel
command line's rv.cmd="..." and powers off, printing
"retrovisor-guest: exit status N" (tools/guest/README.md).
"""
import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check, digest_lines, env_path, free_port, http_get, run_case  # noqa: E402

RV = sys.argv[1]
CASE = sys.argv[2]


def guest_args(cmd, harts=1, extra=(), kernel=None, watchdog=120, append=""):
    kernel = kernel or env_path("RV_GUEST_KERNEL")
    initramfs = env_path("RV_GUEST_INITRAMFS")
    return [RV, "run", "--kernel", kernel, "--initrd", initramfs,
            "--append", f'console=ttyS0 quiet {append}rv.cmd="{cmd}"',
            "--memory", "512M", "--harts", str(harts), "--watchdog", str(watchdog),
            "--rtc", "1767225600", *extra]


def run(cmd, timeout=600, **kw):
    return rvtest.run(guest_args(cmd, **kw), timeout=timeout, strip_cr=True)


def booted(status, out, err, what):
    check(status == 0, f"{what}: exit status 0 (got {status}; stderr: {err.strip()})", out)
    check("retrovisor-guest: init ok" in out, f"{what}: reached init", out)
    check("retrovisor-guest: exit status 0" in out, f"{what}: the command succeeded", out)


def case_boot(harts):
    status, out, err = run("grep -c ^processor /proc/cpuinfo; uname -r", harts=harts)
    booted(status, out, err, f"{harts} hart(s)")
    lines = out.splitlines()
    check(str(harts) in lines, f"/proc/cpuinfo lists {harts} harts", out)
    check(any(l.endswith("-riscv64") and "6.12" in l for l in lines),
          "Debian's 6.12 kernel is running", out)


def make_ext4(path, size_mb=32):
    mkfs = shutil.which("mkfs.ext4") or "/sbin/mkfs.ext4"
    with open(path, "wb") as f:
        f.truncate(size_mb << 20)
    subprocess.run([mkfs, "-q", "-F", path], check=True)


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def case_blk():
    img = os.path.join(TMP, "disk.img")
    make_ext4(img)
    before = sha(img)
    write = ("mount -t ext4 /dev/vda /mnt && echo retro-data-42 > /mnt/f && sync && "
             "cat /mnt/f && umount /mnt")
    status, out, err = run(write, extra=["--drive", f"file={img}"])
    booted(status, out, err, "ext4 on virtio-blk (copy-on-write overlay)")
    check("retro-data-42" in out.splitlines(), "the file written on ext4 reads back", out)
    check(sha(img) == before, "the default overlay leaves the base image untouched")

    status, out, err = run(write, extra=["--drive", f"file={img},snapshot=off"])
    booted(status, out, err, "ext4 on virtio-blk, snapshot=off")
    check(sha(img) != before, "snapshot=off writes through to the image file")
    status, out, err = run("mount -t ext4 /dev/vda /mnt && cat /mnt/f && umount /mnt",
                           extra=["--drive", f"file={img},snapshot=off"])
    booted(status, out, err, "second boot")
    check("retro-data-42" in out.splitlines(), "the write survives a second boot", out)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def case_net_http():
    www = os.path.join(TMP, "www")
    os.makedirs(www, exist_ok=True)
    with open(os.path.join(www, "hello.txt"), "w") as f:
        f.write("served-by-the-host-7351\n")
    handler = lambda *a, **k: Quiet(*a, directory=www, **k)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        status, out, err = run(f"wget -q -O - http://10.0.2.2:{port}/hello.txt",
                               extra=["--net", "user"])
    finally:
        srv.shutdown()
    booted(status, out, err, "user networking")
    check("eth0 10.0.2.15/24" in out, "the guest got 10.0.2.15 by DHCP", out)
    check("served-by-the-host-7351" in out.splitlines(),
          "the guest fetched a file from the host's HTTP server on 127.0.0.1", out)


def case_hostfwd():
    """The guest serves a page with busybox httpd on port 8080; the host
    fetches it through the forward of a free host port; the guest sees the
    request answered in httpd's log (busybox httpd -v logs "response:200",
    not the URL) and powers off."""
    port = free_port()
    serve = ("mkdir -p /www && echo guest-page-9182 > /www/index.html && "
             "(httpd -f -v -p 8080 -h /www > /tmp/httpd.log 2>&1 &) && echo rv-ready; "
             "i=0; while ! grep -q response:200 /tmp/httpd.log && [ $i -lt 600 ]; "
             "do sleep 0.1; i=$((i+1)); done; sleep 1; "
             "if grep -q response:200 /tmp/httpd.log; then echo rv-served; "
             "else echo rv-not-served; fi")
    args = guest_args(serve, extra=["--net", f"user,hostfwd=tcp:127.0.0.1:{port}-:8080"])
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out_lines, body = [], ""
    for raw in p.stdout:
        line = raw.decode(errors="replace").replace("\r", "").rstrip("\n")
        out_lines.append(line)
        if line != "rv-ready":
            continue
        body = http_get(port, "/index.html").decode(errors="replace")
    p.wait(timeout=300)
    out = "\n".join(out_lines)
    err = p.stderr.read().decode(errors="replace").strip()
    check(p.returncode == 0, f"hostfwd run exits 0 (got {p.returncode}; stderr: {err})", out)
    check("guest-page-9182" in body, "the host reached the guest's web server through hostfwd",
          out + "\n--- response:\n" + body)
    check("rv-served" in out_lines, "the guest saw the request", out)


def case_panic():
    status, out, err = run("echo c > /proc/sysrq-trigger")
    check(status == 5, f"a kernel panic ends the run with status 5 (got {status})", out)
    lines = [l for l in err.splitlines() if l.strip()]
    check(len(lines) == 1 and "guest kernel panic" in lines[0] and
          "Kernel panic - not syncing" in lines[0],
          f"one line names the panic: {lines}", out)


def case_panic_reboot():
    """panic=-1 makes the kernel reboot at once after a panic (common in CI
    and fuzzing setups): the run still ends with the panic status."""
    status, out, err = run("echo c > /proc/sysrq-trigger", append="panic=-1 ")
    check("Kernel panic - not syncing" in out, "the kernel panicked", out)
    check(status == 5, f"a panic followed by a reboot request ends with status 5 "
          f"(got {status}; stderr: {err.strip()})", out)
    check(out.count("retrovisor-guest: init started") == 1, "the machine did not restart", out)
    lines = [l for l in err.splitlines() if l.strip()]
    check(len(lines) == 1 and "Kernel panic - not syncing" in lines[0],
          f"one line names the panic: {lines}", out)


# First boot: no mark on the raw disk, so write it and reboot; second
# boot: the mark is there (drives keep their contents across a restart).
REBOOT_CMD = ("if grep -q bootmark /dev/vda; then echo second-boot; else echo first-boot; "
              "echo bootmark > /dev/vda; sync; reboot; fi")


def reboot_disk():
    path = os.path.join(TMP, "reboot.img")
    with open(path, "wb") as f:
        f.truncate(1 << 20)
    return path


def case_reboot_restart():
    """A guest reboot restarts the machine by default, as QEMU does: the
    images boot again, the drives keep what was written, the clock goes
    on; the whole run records and replays bit for bit."""
    kernel = env_path("RV_BUILT_KERNEL")
    log = os.path.join(TMP, "reboot.rlog")
    args = guest_args(REBOOT_CMD, harts=2, kernel=kernel,
                      extra=["--drive", f"file={reboot_disk()}", "--print-digest"])
    status, out, err = rvtest.run([args[0], "record", "--log", log] + args[2:], timeout=600,
                                  strip_cr=True)
    lines = out.splitlines()
    check(status == 0, f"the rebooted guest powers off with status 0 (got {status}; "
          f"stderr: {err.strip()})", out)
    check("first-boot" in lines and "second-boot" in lines and
          lines.index("first-boot") < lines.index("second-boot"),
          "the machine booted twice and the second boot saw the first one's disk write", out)
    check(out.count("retrovisor-guest: init started") == 2, "init started twice", out)
    digest = digest_lines(err)
    rstatus, rout, rerr = rvtest.run([RV, "replay", log, "--trust-stored-paths",
                                      "--print-digest"], timeout=600, strip_cr=True)
    rdigest = digest_lines(rerr)
    check(rstatus == 0 and digest and rdigest == digest,
          f"the replay across the reboot is bit-identical ({rdigest} vs {digest}; status "
          f"{rstatus}: {rerr.strip()[-300:]})", rout)
    check(rout == out, "and prints the same console output", rout)


def case_reboot_exit():
    """--on-reboot exit (QEMU's -no-reboot): a reboot request ends the run
    with status 9 and one line, never with a clean poweroff's 0."""
    status, out, err = run(REBOOT_CMD, kernel=env_path("RV_BUILT_KERNEL"),
                           extra=["--drive", f"file={reboot_disk()}", "--on-reboot", "exit"])
    check("first-boot" in out.splitlines(), "the guest ran its command", out)
    check(status == 9, f"a reboot request with --on-reboot exit ends with status 9 "
          f"(got {status})", out)
    lines = [l for l in err.splitlines() if l.strip()]
    check(len(lines) == 1 and "asked to reboot" in lines[0], f"one line says why: {lines}", out)
    check("second-boot" not in out, "the machine did not restart", out)


def case_hang():
    # The project-built kernel has no modules to load, so its quiet boot has
    # no long silence that a short watchdog could mistake for a hang.
    status, out, err = run("echo going-quiet; while :; do :; done", watchdog=20,
                           kernel=env_path("RV_BUILT_KERNEL"))
    check("going-quiet" in out.splitlines(), "the guest got as far as the busy loop", out)
    check(status == 6, f"a guest that stops responding ends with status 6 (got {status})", out)
    lines = [l for l in err.splitlines() if l.strip()]
    check(len(lines) == 1 and "printed nothing for 20 seconds" in lines[0],
          f"one line says why: {lines}", out)


def case_determinism():
    runs = []
    for _ in range(2):
        status, out, err = run("echo det-ok", harts=2, extra=["--print-digest"])
        booted(status, out, err, "2-hart boot with --print-digest")
        runs.append((out, [l for l in err.splitlines() if l.startswith(("digest", "icount"))]))
    check(runs[0][1] and runs[0][1] == runs[1][1],
          f"two Linux boots are bit-identical: {runs[0][1]} vs {runs[1][1]}")
    check(runs[0][0] == runs[1][0], "and print the same console output")


def case_built_kernel():
    kernel = env_path("RV_BUILT_KERNEL")
    status, out, err = run("uname -a; grep -c ^processor /proc/cpuinfo", harts=2, kernel=kernel)
    check(status == 0, f"project-built kernel: exit status 0 (got {status}; {err.strip()})", out)
    check("retrovisor-guest: init ok" in out, "project-built kernel reaches init", out)
    check("2" in out.splitlines(), "and sees 2 harts", out)


def case_interactive():
    """No rv.cmd: init starts a shell on the console; what is typed at its
    prompt reaches it (a terminal user types after the prompt; input sent
    earlier may be flushed when the shell sets up the terminal, as on any
    machine), and `poweroff` ends the run with status 0."""
    kernel = env_path("RV_GUEST_KERNEL")
    initramfs = env_path("RV_GUEST_INITRAMFS")
    args = [RV, "run", "--kernel", kernel, "--initrd", initramfs,
            "--append", "console=ttyS0 quiet", "--memory", "512M", "--watchdog", "120",
            "--rtc", "1767225600"]
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    buf = b""
    typed = False
    deadline = time.time() + 300
    while time.time() < deadline:
        chunk = os.read(p.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
        if not typed and b"retrovisor:~# " in buf:
            p.stdin.write(b"echo typed-$((6*7))\npoweroff\n")
            p.stdin.close()
            typed = True
    p.wait(timeout=300)
    out = buf.decode(errors="replace").replace("\r", "")
    check(typed, "the shell's prompt appeared", out)
    check(p.returncode == 0, f"poweroff from the shell exits 0 (got {p.returncode}; "
          f"{p.stderr.read().decode(errors='replace').strip()})", out)
    check("typed-42" in out.splitlines(), "typed input reached the guest's shell", out)


CASES = {
    "interactive": case_interactive,
    "boot1": lambda: case_boot(1),
    "boot4": lambda: case_boot(4),
    "blk": case_blk,
    "net_http": case_net_http,
    "hostfwd": case_hostfwd,
    "panic": case_panic,
    "panic_reboot": case_panic_reboot,
    "reboot_restart": case_reboot_restart,
    "reboot_exit": case_reboot_exit,
    "hang": case_hang,
    "determinism": case_determinism,
    "built_kernel": case_built_kernel,
}

if __name__ == "__main__":
    run_case(CASES, CASE)
