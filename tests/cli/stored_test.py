#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Options stored in a file never widen the host's exposure on their own
(docs/cli.md, "Options stored in files"): stored_test.py RETROVISOR
ITRACE_SO CASE.

snapshot_net: a snapshot saved with `hostfwd=tcp:0.0.0.0:P-:22` listens on
127.0.0.1:P only when restored (the kernel's socket table says so, and a
connection to a non-loopback address of this host is refused); a --net
on the restoring command line may still name 0.0.0.0.
snapshot_drive: a drive only the file names is refused (status 2, one
line naming the path, --drive and --trust-stored-paths); named again,
moved, or trusted, it is opened.
snapshot_reboot: the kernel a restored guest's reboot would load again is
refused unless --kernel names it or the file is trusted.
replay_paths: a log's recorded images are refused without --image
ROLE=PATH or --trust-stored-paths (replay and log verify); --image may
name a moved copy, whose SHA-256 is still checked; a path the options name
that is none of the log's images is refused too.
bundle: packing a log's images needs the same; the bundle then replays
with no flag, its images being its own copies.
plugin: a plugin a log or snapshot stored is never loaded, even trusted.
replay_writable: a log whose options say `--drive file=IMG,snapshot=off`
(crafted: record refuses it) replays, trusted, with IMG open read-only
(the kernel's fdinfo of the replaying process says so), where a command
line's snapshot=off opens it read-write.

The guests are raw binaries of a few instructions, booted paravirtually.
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check, free_port, run_case  # noqa: E402

RV, ITRACE, CASE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]

LOOP = [0x0000006F]  # j .
# lui a7,0x53525; addi a7,a7,0x354 (SRST); a6 = 0; a0 = TYPE; a1 = 0; ecall; j .
SRST = [0x535258B7, 0x35488893, 0x00000813, None, 0x00000593, 0x00000073, 0x0000006F]
SHUTDOWN = [0x00000513 if w is None else w for w in SRST]          # a0 = 0: shutdown
# t0 = 2000; count it down; then a0 = 1: cold reboot.
REBOOT = [0x7D000293, 0xFFF28293, 0xFE029EE3] + [0x00100513 if w is None else w for w in SRST]


def rv(*args, timeout=120):
    return rvtest.run([RV, *args], timeout=timeout)


def guest(name, words):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(struct.pack("<%dI" % len(words), *words))
    return path


def disk(name="disk.img"):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(b"\0" * 65536)
    return path


def refused(what, res, path, words):
    status, out, err = res
    lines = err.splitlines()
    check(status == 2 and len(lines) == 1 and lines[0].startswith("retrovisor: ") and
          f"'{path}'" in lines[0] and all(w in lines[0] for w in words),
          f"{what}: status 2, one line naming '{path}' and {words} (status {status}: {lines})",
          err)


def listening(port):
    """The local addresses (hex, as /proc/net/tcp writes them) listening on PORT."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            f = row.split()
            addr, hexport = f[1].split(":")
            if int(hexport, 16) == port and f[3] == "0A":
                found.append(addr)
    return found


def local_ipv4():
    """A non-loopback IPv4 address of this host, or None."""
    for row in open("/proc/net/fib_trie").read().split("/32 host LOCAL")[:-1]:
        addr = row.split()[-1]
        if not addr.startswith("127."):
            return addr
    return None


def while_running(args, probe):
    """Start retrovisor with ARGS, wait until it listens, call probe(), stop it."""
    p = subprocess.Popen([RV, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    try:
        time.sleep(1.5)
        alive = p.poll() is None
        check(alive, f"the restored guest runs ({' '.join(args[-4:])})")
        if alive:
            probe()
    finally:
        p.kill()
        err = p.communicate()[1].decode(errors="replace")
    return err


def case_snapshot_net():
    kernel = guest("loop.bin", LOOP)
    port = free_port("0.0.0.0")
    snap = os.path.join(TMP, "net.snap")
    status, _, err = rv("snapshot", "save", "--at", "1000", "-o", snap, "--kernel", kernel,
                        "--net", f"user,hostfwd=tcp:0.0.0.0:{port}-:22")
    check(status == 0, f"saved a snapshot whose --net forwards 0.0.0.0:{port}", err)
    status, out, _ = rv("snapshot", "info", snap)
    check(f"hostfwd=tcp:0.0.0.0:{port}" in out, "the file stores the 0.0.0.0 forward", out)
    other = local_ipv4()

    def on_loopback():
        addrs = listening(port)
        check(addrs == ["0100007F"], f"restored, it listens on 127.0.0.1:{port} only ({addrs})")
        with socket.create_connection(("127.0.0.1", port), timeout=10):
            pass
        check(True, "a connection through loopback is accepted")
        if other:
            try:
                socket.create_connection((other, port), timeout=5).close()
                reached = True
            except OSError:
                reached = False
            check(not reached, f"a connection to this host's {other}:{port} is refused")

    while_running(["run", "--restore", snap, "--max-instructions", "1T"], on_loopback)

    def everywhere():
        addrs = listening(port)
        check(addrs == ["00000000"], f"a command line's 0.0.0.0 forward listens on every "
              f"address ({addrs})")

    while_running(["run", "--restore", snap, "--max-instructions", "1T", "--net",
                   f"user,hostfwd=tcp:0.0.0.0:{port}-:22"], everywhere)
    check(listening(port) == [], "nothing listens once the runs ended")


def case_snapshot_drive():
    kernel = guest("loop.bin", LOOP)
    img = disk()
    snap = os.path.join(TMP, "drive.snap")
    status, _, err = rv("snapshot", "save", "--at", "1000", "-o", snap, "--kernel", kernel,
                        "--drive", f"file={img}")
    check(status == 0, "saved a snapshot with a drive", err)
    refused("restore without naming the drive", rv("run", "--restore", snap), img,
            ["snapshot file", "--drive file=", "--trust-stored-paths"])
    refused("snapshot load without naming the drive", rv("snapshot", "load", snap), img,
            ["--drive file=", "--trust-stored-paths"])
    refused("loop --restore without naming the drive",
            rv("loop", "--restore", snap, "--budget", "100"), img, ["--trust-stored-paths"])
    status, _, err = rv("run", "--restore", snap, "--max-instructions", "2000", "--drive",
                        f"file={img}")
    check(status == 3, f"with --drive naming it the restore runs (status {status})", err)
    moved = disk("moved.img")
    status, _, err = rv("run", "--restore", snap, "--max-instructions", "2000", "--drive",
                        f"file={moved}")
    check(status == 3, f"--drive may name a moved copy (status {status})", err)
    status, _, err = rv("run", "--restore", snap, "--max-instructions", "2000",
                        "--trust-stored-paths")
    check(status == 3, f"with --trust-stored-paths the stored path is opened (status {status})",
          err)
    # The flag is the command line's: a file saved by a trusting run does not store it.
    again = os.path.join(TMP, "again.snap")
    status, _, err = rv("run", "--restore", snap, "--trust-stored-paths", "--max-instructions",
                        "3000", "--snapshot-at", f"2000={again}")
    status, out, _ = rv("snapshot", "info", again)
    check(status == 0 and "trust" not in out, "a saved file never stores the trust", out)
    refused("its restore still needs the drive named", rv("run", "--restore", again), img,
            ["--drive file="])


def case_snapshot_reboot():
    kernel = guest("reboot.bin", REBOOT)
    snap = os.path.join(TMP, "reboot.snap")
    status, _, err = rv("snapshot", "save", "--at", "100", "-o", snap, "--kernel", kernel)
    check(status == 0, "saved a snapshot of a guest about to reboot", err)
    status, out, err = rv("run", "--restore", snap, "--max-instructions", "50000")
    lines = err.splitlines()
    check(status == 2 and len(lines) == 1 and f"'{kernel}'" in lines[0] and
          "reboot" in lines[0] and "--kernel" in lines[0] and
          "--trust-stored-paths" in lines[0],
          f"the guest's reboot would open the stored kernel: refused ({status}: {lines})", err)
    status, _, err = rv("run", "--restore", snap, "--max-instructions", "50000", "--on-reboot",
                        "exit")
    check(status == 9, f"--on-reboot exit needs no kernel (status {status})", err)
    copy = guest("copy.bin", REBOOT)
    status, _, err = rv("run", "--restore", snap, "--max-instructions", "50000", "--kernel", copy)
    check(status == 3, f"--kernel names the kernel a reboot loads (status {status})", err)
    status, _, err = rv("run", "--restore", snap, "--max-instructions", "50000",
                        "--trust-stored-paths")
    check(status == 3, f"trusted, the stored kernel is loaded again (status {status})", err)


def record(name, *extra):
    kernel = guest(name + ".bin", SHUTDOWN)
    img = disk(name + ".img")
    log = os.path.join(TMP, name + ".rlog")
    status, _, err = rv("record", "--log", log, "--kernel", kernel, "--drive", f"file={img}",
                        *extra)
    check(status == 0, f"recorded {name} (status {status})", err)
    return log, kernel, img


def case_replay_paths():
    log, kernel, img = record("rp")
    refused("replay of a log naming its images", rv("replay", log), kernel,
            ["log", "--image kernel=", "--trust-stored-paths"])
    status, _, err = rv("log", "verify", log)
    check(status == 2 and f"'{kernel}'" in err.splitlines()[0] and "does not verify" in err,
          f"log verify refuses it too: {err.strip()}")
    refused("replay naming only the kernel", rv("replay", log, "--image", f"kernel={kernel}"),
            img, ["--image drive0="])
    status, _, err = rv("replay", log, "--image", f"kernel={kernel}", "--image",
                        f"drive0={img}")
    check(status == 0 and "replay matched" in err, f"--image names every image (status {status})",
          err)
    kcopy = os.path.join(TMP, "moved.bin")
    shutil.copy(kernel, kcopy)
    status, _, err = rv("replay", log, "--image", f"kernel={kcopy}", "--image", f"drive0={img}")
    check(status == 0 and "replay matched" in err, f"--image may name a moved copy (status "
          f"{status})", err)
    status, _, err = rv("replay", log, "--image", f"kernel={img}", "--image", f"drive0={img}")
    check(status == 2 and "differs from the one recorded" in err,
          f"an --image is still checked against its SHA-256: {err.strip()}")
    status, _, err = rv("replay", log, "--image", f"initrd={kernel}", "--trust-stored-paths")
    check(status == 2 and "initrd" in err, f"an --image of a role the log lacks: {err.strip()}")
    status, _, err = rv("replay", log, "--trust-stored-paths")
    check(status == 0 and "replay matched" in err, f"--trust-stored-paths opens the recorded "
          f"paths (status {status})", err)
    status, _, err = rv("log", "verify", log, "--trust-stored-paths")
    check(status == 0 and "verifies" in err, f"log verify --trust-stored-paths ({status})", err)
    # Options naming a file the log records no image for (a crafted log).
    secret = os.path.join(TMP, "secret.txt")
    with open(secret, "w") as f:
        f.write("not for the guest\n")
    odd = os.path.join(TMP, "rp-odd.rlog")
    craft_log(log, odd, f"arg file={img}\n", f"arg file={secret}\n")
    refused("a log whose --drive is none of its images",
            rv("replay", odd, "--image", f"kernel={kernel}", "--image", f"drive0={img}"), secret,
            ["not one of its recorded images", "--trust-stored-paths"])
    # Nor is the flag taken from a log that stores it (a crafted one).
    trusting = os.path.join(TMP, "rp-trusting.rlog")
    craft_log(log, trusting, "arg --kernel\n", "arg --trust-stored-paths\narg --kernel\n")
    refused("a log that stores --trust-stored-paths", rv("replay", trusting), kernel,
            ["--image kernel=", "--trust-stored-paths"])
    # A run recorded with the flag does not pass it on to its replay.
    tlog, tkernel, _ = record("rpt", "--trust-stored-paths")
    refused("a log recorded with --trust-stored-paths", rv("replay", tlog), tkernel,
            ["--trust-stored-paths"])


def case_bundle():
    log, kernel, img = record("b")
    bundle = os.path.join(TMP, "b.rvb")
    refused("bundle of a log naming its images", rv("bundle", "--log", log, "-o", bundle),
            kernel, ["--image kernel=", "--trust-stored-paths"])
    check(not os.path.exists(bundle), "no bundle written")
    status, _, err = rv("bundle", "--log", log, "-o", bundle, "--trust-stored-paths")
    check(status == 0 and os.path.exists(bundle), f"bundle --trust-stored-paths ({status})", err)
    os.remove(kernel)
    os.remove(img)
    status, _, err = rv("replay", bundle)
    check(status == 0 and "replay matched" in err, f"the bundle replays without any flag, "
          f"from its own copies (status {status})", err)
    status, _, err = rv("log", "verify", bundle)
    check(status == 0, f"log verify of the bundle without a flag (status {status})", err)


def case_plugin():
    plugin = os.path.join(TMP, "itrace.so")
    shutil.copy(ITRACE, plugin)
    trace = os.path.join(TMP, "trace.txt")
    log, _, _ = record("pl", "--plugin", f"{plugin},out={trace},count=3")
    check(os.path.exists(trace), "the recording ran the plugin")
    snap = os.path.join(TMP, "pl.snap")
    status, _, err = rv("snapshot", "save", "--at", "3", "-o", snap, "--kernel",
                        guest("pls.bin", SHUTDOWN), "--plugin", f"{plugin},out={trace},count=3")
    check(status == 0, "saved a snapshot under the plugin", err)
    os.remove(trace)
    with open(plugin, "wb") as f:  # would fail loudly if anything tried to load it
        f.write(b"not a shared object\n")
    status, _, err = rv("replay", log, "--trust-stored-paths")
    check(status == 0 and "replay matched" in err and not os.path.exists(trace),
          f"a trusted replay never loads the log's plugin (status {status})", err)
    status, _, err = rv("run", "--restore", snap, "--trust-stored-paths")
    check(status == 0 and not os.path.exists(trace),
          f"a trusted restore never loads a plugin (status {status})", err)
    status, _, err = rv("replay", log, "--trust-stored-paths", "--plugin", plugin)
    check(status == 2 and plugin in err, "one the command line names is loaded "
          f"(here: refused as not a plugin): {err.strip()}")


def craft_log(src, dst, old, new):
    """DST: the log SRC with OLD replaced by NEW in its configuration
    record (the first event of the first chunk), the chunk recompressed
    and its checksums made again (replay/log.h has the layout)."""
    data = open(src, "rb").read()
    hdr = data[24:56]
    csize, rsize, count, rnd, _, _ = struct.unpack("<IIIQII", hdr[4:32])
    raw = subprocess.run(["zstd", "-d", "-c", "-q"], input=data[56:56 + csize],
                         capture_output=True, check=True).stdout
    check(len(raw) == rsize, "the recorded log's first chunk decompresses")
    typ, hart, r2, icount, length = struct.unpack("<IIQQI", raw[:28])
    text = raw[28:28 + length]
    check(old.encode() in text, f"the configuration record holds {old!r}", text)
    text = text.replace(old.encode(), new.encode())
    raw = struct.pack("<IIQQI", typ, hart, r2, icount, len(text)) + text + raw[28 + length:]
    comp = subprocess.run(["zstd", "-c", "-q"], input=raw, capture_output=True,
                          check=True).stdout
    head = b"CHNK" + struct.pack("<IIIQI", len(comp), len(raw), count, rnd, zlib.crc32(comp))
    with open(dst, "wb") as f:
        f.write(data[:24] + head + struct.pack("<I", zlib.crc32(head)) + comp +
                data[56 + csize:])


def open_mode(args, path):
    """Run retrovisor with ARGS; while it runs, the O_ACCMODE bits of its
    descriptor for PATH (0 read-only, 2 read-write), or None; and its
    exit status and stderr."""
    p = subprocess.Popen([RV, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    mode = None
    deadline = time.time() + 60
    while mode is None and p.poll() is None and time.time() < deadline:
        try:
            for fd in os.listdir(f"/proc/{p.pid}/fd"):
                if os.readlink(f"/proc/{p.pid}/fd/{fd}") == path:
                    for line in open(f"/proc/{p.pid}/fdinfo/{fd}"):
                        if line.startswith("flags:"):
                            mode = int(line.split()[1], 8) & 3
        except OSError:
            pass
        time.sleep(0.02)
    err = p.communicate(timeout=300)[1].decode(errors="replace")
    return mode, p.returncode, err


def case_replay_writable():
    kernel = guest("w.bin", LOOP)
    img = disk("w.img")
    log = os.path.join(TMP, "w.rlog")
    status, _, err = rv("record", "--log", log, "--kernel", kernel, "--drive", f"file={img}",
                        "--max-instructions", "400M")
    check(status == 3, f"recorded a run with a drive (status {status})", err)
    bad = os.path.join(TMP, "w-off.rlog")
    craft_log(log, bad, f"arg file={img}\n", f"arg file={img},snapshot=off\n")
    status, _, err = rv("log", "dump", bad)
    check(status == 0, f"the crafted log reads (status {status})", err)
    mode, status, err = open_mode(["run", "--kernel", kernel, "--drive",
                                   f"file={img},snapshot=off", "--max-instructions", "400M"], img)
    check(mode == 2, f"a command line's snapshot=off opens the image read-write ({mode})", err)
    mode, status, err = open_mode(["replay", bad, "--trust-stored-paths"], img)
    check(mode == 0, f"the log's snapshot=off is not obeyed: the image is open read-only "
          f"({mode})", err)
    check(status == 3 and "replay matched" in err, f"and the log replays (status {status})", err)


CASES = {"snapshot_net": case_snapshot_net, "snapshot_drive": case_snapshot_drive,
         "snapshot_reboot": case_snapshot_reboot, "replay_paths": case_replay_paths,
         "bundle": case_bundle, "plugin": case_plugin, "replay_writable": case_replay_writable}

if __name__ == "__main__":
    run_case(CASES, CASE)
