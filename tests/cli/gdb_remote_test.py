#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The gdb stub listens beyond loopback only when told to (docs/gdb.md):
gdb_remote_test.py RETROVISOR.

`--gdb tcp:0.0.0.0:N` (and the IPv6 wildcard) without --gdb-allow-remote
is bad input on run, record and replay: exit status 2, nothing on stdout,
one line naming the address and the option, and the port never bound.
With --gdb-allow-remote the same command listens on every address (the
kernel's socket table shows 0.0.0.0:N in LISTEN), says so, and a client
that connects (here through 127.0.0.1) controls the guest: it continues
the paused machine, which powers off with status 0.

The guest is a raw binary of six instructions that asks SBI to shut down.
"""
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check, finish, free_port  # noqa: E402

RV = os.path.abspath(sys.argv[1])

# lui a7,0x53525; addi a7,a7,0x354 (SRST); a6 = 0 (system_reset);
# a0 = 0 (shutdown); a1 = 0 (no reason); ecall; j .
SHUTDOWN = [0x535258B7, 0x35488893, 0x00000813, 0x00000513, 0x00000593, 0x00000073,
            0x0000006F]


def rv(*args, timeout=60):
    return rvtest.run([RV, *args], timeout=timeout)


def listening(port):
    """The local addresses (hex, as /proc/net/tcp{,6} write them) on which
    a socket listens on PORT."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            addr, hexport = f[1].split(":")
            if int(hexport, 16) == port and f[3] == "0A":
                found.append(addr)
    return found


def refused(what, args, addr):
    status, out, err = rv(*args)
    lines = err.splitlines()
    check(status == 2, f"{what}: exit status 2 (got {status})", err)
    check(out == "", f"{what}: nothing on stdout", out)
    check(len(lines) == 1 and lines[0].startswith("retrovisor: ") and addr in lines[0] and
          "not a loopback address" in lines[0] and "--gdb-allow-remote" in lines[0],
          f"{what}: one line naming the address and --gdb-allow-remote: {lines}", err)


def rsp(payload):
    return b"$%s#%02x" % (payload, sum(payload) & 0xFF)


def main():
    guest = os.path.join(TMP, "shutdown.bin")
    with open(guest, "wb") as f:
        f.write(struct.pack("<%dI" % len(SHUTDOWN), *SHUTDOWN))
    status, out, err = rv("run", "--kernel", guest)
    if not check(status == 0, f"the guest powers off with status 0 (got {status})", err):
        return

    port = free_port("0.0.0.0")
    for spec, addr in ((f"tcp:0.0.0.0:{port}", "0.0.0.0"), (f"tcp:[::]:{port}", "::")):
        refused(f"run --gdb {spec}", ["run", "--kernel", guest, "--gdb", spec], addr)
        refused(f"run --gdb {spec} --paused",
                ["run", "--kernel", guest, "--gdb", spec, "--paused"], addr)
        log = os.path.join(TMP, "refused.rlog")
        refused(f"record --gdb {spec}",
                ["record", "--log", log, "--kernel", guest, "--gdb", spec], addr)
        check(not os.path.exists(log), "a refused record writes no log")
    log = os.path.join(TMP, "ok.rlog")
    status, _, err = rv("record", "--log", log, "--kernel", guest)
    check(status == 0, f"a plain recording exits 0 (got {status})", err)
    refused("replay --gdb tcp:0.0.0.0", ["replay", log, "--trust-stored-paths", "--gdb", f"tcp:0.0.0.0:{port}"],
            "0.0.0.0")
    check(listening(port) == [], "the refused runs never listened on the port")

    # Accepted: listens on every IPv4 address; a client continues the guest.
    p = subprocess.Popen([RV, "run", "--kernel", guest, "--gdb", "tcp:0.0.0.0:0",
                          "--gdb-allow-remote", "--paused"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = p.stderr.readline().decode(errors="replace").strip()
        check(line.startswith("retrovisor: gdb stub listening on 0.0.0.0:") and
              "waiting for gdb" in line, f"with --gdb-allow-remote it listens: {line!r}")
        try:
            got = int(line.split("listening on 0.0.0.0:")[1].split()[0].rstrip(","))
        except (IndexError, ValueError):
            got = 0
        addrs = listening(got) if got else []
        check(addrs == ["00000000"], f"on every IPv4 address, port {got} ({addrs})")
        with socket.create_connection(("127.0.0.1", got), timeout=30) as s:
            s.sendall(b"+" + rsp(b"?"))
            reply = b""
            deadline = time.time() + 30
            while b"#" not in reply.lstrip(b"+") and time.time() < deadline:
                reply += s.recv(4096)
            check(b"$S05#" in reply or b"$T05" in reply,
                  f"the paused guest reports a stop to the client ({reply!r})")
            s.sendall(b"+" + rsp(b"c"))
            rest = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                rest += chunk
                if b"$W" in rest and b"#" in rest.split(b"$W", 1)[1]:
                    s.sendall(b"+")
                    break
            check(b"$W00#" in rest, f"continued, the guest exits with status 0 ({rest!r})")
        status = p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    err = p.stderr.read().decode(errors="replace")
    check(status == 0, f"the accepted run exits 0 (got {status})", err)


if __name__ == "__main__":
    main()
    finish()
