#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""QEMU command lines from course handouts, unchanged, on Retrovisor
(`retrovisor qemu-system-riscv64 ARGS...`, and the binary run through a link
named qemu-system-riscv64 as a Makefile's QEMU= would), with the real
qemu-system-riscv64 as the oracle (docs/qemu.md).

    qemu_test.py RETROVISOR CASE [FILES...]

xv6     xv6-riscv's Makefile lines (make qemu, make qemu-gdb), word for
        word, in a folder holding kernel/kernel and fs.img as xv6's build
        leaves them. FILES: the teaching guest (tests/legacyblk, a legacy
        driver that wants its disk in slot 0), run by Retrovisor (as a
        command, through a link, continued by gdb-multiarch) and by QEMU,
        whose consoles must match, slot map included; and the virtio-blk guest that writes its disk, whose
        writes must reach fs.img (QEMU's drives write through), but not
        with -snapshot.
linux   a Linux handout line (-m 512M -smp 2 -kernel -initrd -append
        -netdev user,hostfwd=tcp::PORT-:80 -device virtio-net-device): the
        Debian guest reaches its shell, a typed command runs, the host
        fetches a page from the guest through the forward, poweroff ends
        the run with status 0; the same on QEMU, with the same output.
cli     the binary's side of the command line: a refused option is one
        line on stderr naming it, status 2, nothing on stdout; -help and
        -version answer with status 0; every option -help names is in
        docs/qemu.md (FILES: docs/qemu.md).
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from rvtest import TMP, check, env_path, free_port, http_get, need, need_tool, run, run_case  # noqa: E402

RV = os.path.abspath(sys.argv[1])
CASE = sys.argv[2]
FILES = [os.path.abspath(f) for f in sys.argv[3:]]
QEMU = "qemu-system-riscv64"

# xv6-riscv's Makefile: $(QEMU) $(QEMUOPTS) with CPUS=3.
XV6_LINE = ["-machine", "virt", "-bios", "none", "-kernel", "kernel/kernel", "-m", "128M",
            "-smp", "3", "-nographic", "-global", "virtio-mmio.force-legacy=false",
            "-drive", "file=fs.img,if=none,format=raw,id=x0",
            "-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0"]


def clean(out):
    """A console without carriage returns, terminal escapes and QEMU's own
    status lines (as tests/diff/run_guest.sh cleans QEMU's)."""
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1bc", "", out.replace("\r", ""))
    return "\n".join(l for l in out.split("\n") if not l.startswith("QEMU: "))


def handout_dir(name, kernel, disk):
    """A folder laid out as xv6's build leaves it: kernel/kernel and fs.img;
    bin/qemu-system-riscv64 is a link to Retrovisor."""
    d = os.path.join(TMP, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "kernel"))
    os.makedirs(os.path.join(d, "bin"))
    shutil.copy(kernel, os.path.join(d, "kernel", "kernel"))
    with open(os.path.join(d, "fs.img"), "wb") as f:
        f.write(disk)
    os.symlink(RV, os.path.join(d, "bin", QEMU))
    return d


def in_dir(d, argv, timeout=120):
    """run() in folder d (the handout's paths are relative)."""
    cwd = os.getcwd()
    os.chdir(d)
    try:
        return run(argv, timeout=timeout, keep_timeout=True)
    finally:
        os.chdir(cwd)


def teaching_disk():
    """The teaching guest's disk: sector s holds (s * 7 + i * 3 + 1) & 0xff at
    byte i (tests/legacyblk/disk_guest.c)."""
    return b"".join(bytes((s * 7 + i * 3 + 1) & 0xFF for i in range(512)) for s in range(64))


def slot_lines(out):
    return [l for l in out.splitlines() if l.startswith("legacy-disk slot ")]


def case_xv6():
    teaching_guest, disk_guest = FILES
    need_tool(QEMU)
    d = handout_dir("xv6", teaching_guest, teaching_disk())
    link = os.path.join(d, "bin", QEMU)
    rs, rout, rerr = in_dir(d, [RV, QEMU, *XV6_LINE])
    ls, lout, lerr = in_dir(d, [link, *XV6_LINE])
    qs, qout, qerr = in_dir(d, [QEMU, *XV6_LINE])
    rout, lout, qout = clean(rout), clean(lout), clean(qout)
    check(rs == 0 and "legacy-disk done" in rout,
          f"'retrovisor {QEMU} <xv6 line>': the teaching guest reads its disk in slot 0, "
          f"status 0 (got {rs}; {rerr.strip()})", rout)
    check(ls == 0 and lout == rout, f"bin/{QEMU}, a link, runs the xv6 line alike (status "
          f"{ls}; {lerr.strip()})", lout)
    check(qs == 0, f"QEMU runs the xv6 line, status 0 (got {qs}; {qerr.strip()})", qout)
    # The slot map too: no entropy device unless asked, as on QEMU
    # (docs/qemu.md).
    rslots, qslots = slot_lines(rout), slot_lines(qout)
    check(len(rslots) == 8 and rslots == qslots,
          f"the slot maps are QEMU's ({rslots} vs QEMU {qslots})")
    check(len(rout.splitlines()) >= 12 and rout == qout,
          "everything the guest prints is QEMU's", f"--- retrovisor:\n{rout}\n--- qemu:"
          f"\n{qout}", lines=None)

    # make qemu-gdb: QEMUGDB is chosen by grepping -help for '^-gdb'.
    gdb = need_tool("gdb-multiarch")
    port = free_port()
    choose = subprocess.run(["sh", "-c", f"if {link} -help | grep -q '^-gdb'; then echo "
                             f"'-gdb tcp::{port}'; else echo '-s -p {port}'; fi"],
                            capture_output=True, text=True).stdout.split()
    check(choose == ["-gdb", f"tcp::{port}"], f"xv6's Makefile picks -gdb ({choose})")
    # The console goes to a file: a pipe nobody reads while gdb runs fills.
    out_path, err_path = os.path.join(d, "gdb.out"), os.path.join(d, "gdb.err")
    with open(out_path, "w") as o, open(err_path, "w") as e:
        p = subprocess.Popen([link, *XV6_LINE, "-S", *choose], cwd=d,
                             stdin=subprocess.DEVNULL, stdout=o, stderr=e)
    for _ in range(100):
        if "listening" in open(err_path).read() or p.poll() is not None:
            break
        time.sleep(0.1)
    listening = open(err_path).read()
    g = subprocess.run([gdb, "-batch", "-nx", "-ex", "set architecture riscv:rv64", "-ex",
                        f"target remote 127.0.0.1:{port}", "-ex", "continue"],
                       capture_output=True, text=True, timeout=120)
    try:
        p.wait(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    gout, gerr = clean(open(out_path).read()), open(err_path).read()
    check(f"listening on 127.0.0.1:{port}, waiting for gdb" in listening,
          f"-S -gdb tcp::{port} waits on loopback: {listening.strip()}")
    check(p.returncode == 0 and gout == rout,
          f"continued by gdb, the guest runs to the same end (status {p.returncode}; "
          f"{gerr.strip()[-300:]})", gout + g.stdout + g.stderr)

    # The guest that writes its disk: through to fs.img, as QEMU's drives.
    marker = b"RETROVISOR-VIRTIO-DISK"
    disk = marker + bytes((64 << 10) - len(marker))
    d = handout_dir("xv6-disk", disk_guest, disk)
    fs = os.path.join(d, "fs.img")
    s, out, err = in_dir(d, [os.path.join(d, "bin", QEMU), *XV6_LINE, "-snapshot"])
    check(s == 0 and re.search(r"^virtio-guest (\d+)/\1 passed", out, re.M),
          f"the writing guest passes with the xv6 line and -snapshot (status {s})", out)
    check(open(fs, "rb").read() == disk, "-snapshot keeps fs.img as it was")
    s, out, err = in_dir(d, [os.path.join(d, "bin", QEMU), *XV6_LINE])
    check(s == 0 and re.search(r"^virtio-guest (\d+)/\1 passed", out, re.M),
          f"the writing guest passes with the xv6 line (status {s})", out)
    check(open(fs, "rb").read() != disk,
          "without -snapshot the guest's writes reach fs.img, as on QEMU")


def other_address():
    """A non-loopback IPv4 address of this host, or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 9))
            a = s.getsockname()[0]
        except OSError:
            return None
    return None if a.startswith("127.") or a == "0.0.0.0" else a


def reachable(addr, port):
    try:
        with socket.create_connection((addr, port), timeout=5):
            return True
    except OSError:
        return False


def interact(argv, port, timeout=600):
    """Boot to the shell's prompt, type a command that serves a page and
    prints what it sees, fetch the page through the forward (and see
    whether the forward answers on another address of the host), power
    off. Returns (status, console, page, elsewhere, stderr)."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    buf, page, typed, elsewhere = b"", b"", 0, None
    deadline = time.time() + timeout
    while time.time() < deadline:
        chunk = os.read(p.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
        if typed == 0 and b"retrovisor:~# " in buf:
            p.stdin.write(b"mkdir -p /www; echo page-$((6*7)) > /www/index.html; "
                          b"httpd -p 80 -h /www; echo rv-$((1+1))-begin; nproc; "
                          b"ip -4 -o addr show dev eth0 | awk '{ print $4 }'; "
                          b"cat /sys/class/net/eth0/address /proc/cmdline; "
                          b"echo rv-$((1+1))-end\n")
            p.stdin.flush()
            typed = 1
        elif typed == 1 and b"rv-2-end" in buf:
            page = http_get(port, "/index.html")
            if other_address():
                elsewhere = reachable(other_address(), port)
            p.stdin.write(b"poweroff\n")
            p.stdin.close()
            typed = 2
    try:
        p.wait(timeout=max(1, deadline - time.time()))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    out = clean(buf.decode(errors="replace"))
    return (p.returncode, out, page.decode(errors="replace"), elsewhere,
            p.stderr.read().decode(errors="replace"))


def between(out):
    """The lines the typed command printed between its two markers."""
    lines = out.splitlines()
    try:
        return lines[lines.index("rv-2-begin") + 1:lines.index("rv-2-end")]
    except ValueError:
        return None


def case_linux():
    need_tool(QEMU)
    kernel = env_path("RV_GUEST_KERNEL")
    initramfs = env_path("RV_GUEST_INITRAMFS")
    results, elsewhere = {}, {}
    for who, prog in (("Retrovisor", [RV, QEMU]), ("QEMU", [QEMU])):
        port = free_port()
        line = ["-machine", "virt", "-m", "512M", "-smp", "2", "-nographic",
                "-kernel", kernel, "-initrd", initramfs, "-append", "console=ttyS0 quiet",
                "-netdev", f"user,id=n0,hostfwd=tcp::{port}-:80",
                "-device", "virtio-net-device,netdev=n0"]
        status, out, page, elsewhere[who], err = interact(prog + line, port)
        results[who] = between(out)
        check(status == 0, f"{who}: the Linux handout line powers off with status 0 (got "
              f"{status}; {err.strip()[-300:]})", out)
        check(results[who] is not None, f"{who}: the shell ran the typed command", out)
        check("page-42" in page, f"{who}: the host fetched the guest's page through "
              f"hostfwd=tcp::{port}-:80 on 127.0.0.1", page or out)
    r, q = results["Retrovisor"], results["QEMU"]
    check(r is not None and r[:3] == ["2", "10.0.2.15/24", "52:54:00:12:34:56"],
          f"Retrovisor: 2 harts, 10.0.2.15 by DHCP, QEMU's first MAC ({r})")
    check(r == q, f"the command printed the same on both ({r} vs QEMU {q})")
    # hostfwd=tcp::P-:80 listens on every interface on QEMU, on loopback here.
    if elsewhere["QEMU"] is None:
        print(f"note: no non-loopback address here ({other_address()}); where the forward "
              "listens was not compared")
    else:
        check(elsewhere["QEMU"] and not elsewhere["Retrovisor"],
              f"the forward answers on {other_address()} on QEMU only ({elsewhere})")


def case_cli():
    (doc,) = FILES
    refused = {
        "-cpu": ["-M", "virt", "-kernel", "k", "-cpu", "rv64"],
        "-machine 'sifive_u'": ["-M", "sifive_u", "-kernel", "k"],
        "-device 'e1000'": ["-M", "virt", "-kernel", "k", "-device", "e1000"],
        "-m=512M": ["-M", "virt", "-kernel", "k", "-m=512M"],
        "spike": ["-kernel", "k"],
    }
    for what, line in refused.items():
        s, out, err = run([RV, QEMU, *line])
        lines = err.splitlines()
        check(s == 2 and out == "" and len(lines) == 1 and lines[0].startswith("retrovisor: ")
              and what in lines[0], f"{' '.join(line)}: status 2, one line naming {what!r} "
              f"(got {s}: {err.strip()})")
    s, out, err = run([RV, QEMU, "-M", "virt", "-kernel", os.path.join(TMP, "missing")])
    check(s == 2 and "missing" in err and len(err.splitlines()) == 1,
          f"a missing kernel file: status 2, one line naming it ({err.strip()})")
    s, out, err = run([RV, QEMU, "-version"])
    check(s == 0 and "retrovisor" in out and QEMU in out, f"-version: {out.strip()}")
    s, help_text, err = run([RV, QEMU, "-help"])
    check(s == 0 and "-machine virt" in help_text, "-help prints the subset", help_text)
    check(re.search(r"^-gdb ", help_text, re.M) is not None,
          "-gdb starts a line of -help, as xv6's Makefile greps for", help_text)
    link = os.path.join(TMP, "bin", QEMU)
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.lexists(link):
        os.symlink(RV, link)
    s, out, err = run([link, "--help"])
    check(s == 0 and out == help_text, "the link answers --help with the same text", out)
    text = open(need(doc, "docs/qemu.md")).read()
    opts = sorted(set(re.findall(r"(?<![\w-])-[a-zA-Z][a-z-]*", help_text)))
    check(len(opts) >= 15, f"-help names the options ({len(opts)})", help_text)
    for o in opts:
        check(re.search(re.escape(o) + r"(?![\w-])", text) is not None,
              f"{o} (in -help) is in docs/qemu.md")


if __name__ == "__main__":
    run_case({"xv6": case_xv6, "linux": case_linux, "cli": case_cli}, CASE)
