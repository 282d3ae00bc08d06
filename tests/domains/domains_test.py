#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Domains on one deterministic hypervisor (`retrovisor up FILE`,
docs/domains.md): one case per Bazel target (domains_test.py RETROVISOR
CASE). The domains are the Debian guest of tools/fetch-guest; each runs
its rv.cmd="..." and powers off.

  network   a server domain (busybox httpd on 10.0.0.1) and a client
            (wget and ping to it) on one bridge: the page arrives, the
            pings are answered, both power off and are destroyed; the same
            system on 1 and on 2 host threads ends with the same digest
  faults    the same two domains on a bridge that drops every frame
            (drop=1000000): the client's fetch and pings fail, and the
            server is still served its whole run
  policies  a domain that panics with on_crash="restart" comes back (its
            console shows a second boot) while another domain runs on and
            powers off on its own (on_poweroff="destroy")
  toolstack `retrovisor xl` on a running system of three domains (web
            server, client fetching in a loop, a third pinging both): list
            shows them; a partition of the client's port makes its
            fetches fail while the third still reaches the server but not
            the client, and healing it makes both succeed again; pause
            stops a domain's
            clock and unpause lets it go on; malformed and unknown
            requests get an error line (and a client that sends half a
            request and leaves changes nothing); destroying the server
            leaves the others running (the third's pings to it now fail);
            quit ends up
  record    the toolstack session of `toolstack` (partition, heal, pause,
            unpause, destroy, quit at whatever epochs the host's timing
            gives) recorded with --record; three replays (1, 2 and 1
            host threads) match every digest of the log, end where it
            ends and print each domain's console byte for byte as the
            recording did; a log with one byte changed is refused
            naming its line; a replay whose image changed is refused
  plugins   a counting plugin (tests/plugins:count_plugin.so) loaded into
            both domains of a system, one instance each: each reports its
            own domain's name (info->domain) and a count of its own, the
            two counts differ (different work), and 1 and 2 host threads
            give the same counts and the same system digest
  netfault  network faults from a plugin (plugins/examples/netfault.so):
            the client's instance partitions the server from it at 40 s
            of guest time and heals it at 50 s, the server's sets a
            bridge that drops every frame at 64 s; the client's fetches
            succeed, fail, succeed, fail in that order; the log holds the
            three requests as toolstack requests, and it replays with
            every digest and both consoles the same without the plugin
            (--no-plugins, 1 thread) and with it (2 threads)
  uplink    a bridge with a slirp uplink (uplink=user, hostfwd=): a
            domain fetches a page from a host HTTP server through
            10.0.2.2, and a host client fetches the domain's busybox
            httpd through the forwarded port; the log holds the frames
            slirp sent (net records), and it replays, with the host
            server gone, matching every digest and the console
  snapshots `xl snapshot` of the whole system and of one domain, `xl
            snapshot-list`, `xl save -c` to a file (which holds the
            domain's keys), `xl fork`, `xl snapshot-revert` of the whole
            system (a destroyed server comes back, a later fork goes) and
            of one domain (its loop goes back), `xl restore` of the saved
            file (refused under a live name, and for a file that is not
            a saved domain), `xl create` of a third domain that reaches
            the server, `xl snapshot-delete`; the session recorded and
            replayed with every digest and console the same; a replay
            whose restored file changed is refused saying so
  savesystem  `xl sched-credit` sets (a weight of 0 refused) and lists;
            `xl save-system DIR` of a server, a client fetching in a loop
            and a fork of the server: DIR holds system.cfg (the client's
            weight and cap as set), system.state
            (each domain's port, none for the fork) and a file per domain;
            `up --restore DIR` on 1 and 2 threads goes on where the system
            was (the client's fetch counter continues, nothing boots) with
            the same digest; recorded (the same digest) and replayed from
            the same files; a state file that does not match its domains
            is refused naming its line, a replay whose saved domain
            changed is refused
  example   docs/domains.md's worked example (three domains: a web
            server, a client fetching from it, a third pinging both), its
            file and command taken from the page, on 2 and 1 threads:
            stderr is what the page shows, digest included
  config    refusals before anything starts, each one line naming the
            file and line: an unknown key, a duplicate name, a missing
            kernel, a vif on an undefined bridge, a bad policy; and an
            unknown --console
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check, env_path, free_port, http_get, run, run_case  # noqa: E402

RV = os.path.abspath(sys.argv[1])
CASE = sys.argv[2]
COUNT_PLUGIN = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else None
NETFAULT = os.path.abspath(sys.argv[4]) if len(sys.argv) > 4 else None
DOC = os.path.abspath(sys.argv[5]) if len(sys.argv) > 5 else None
DIGEST = re.compile(r"system digest ([0-9a-f]{16}) after (\d+) epochs")


def domain(name, cmd, extra=""):
    append = f'console=ttyS0 quiet rv.net=off rv.cmd="{cmd}"'
    return (f'name = "{name}"\n'
            f'kernel = "{env_path("RV_GUEST_KERNEL")}"\n'
            f'initrd = "{env_path("RV_GUEST_INITRAMFS")}"\n'
            f"cmdline = '{append}'\n"
            f"memory = 256\n{extra}\n")


SERVER = ("ip addr add 10.0.0.1/24 dev eth0; ip link set eth0 up; mkdir -p /www; "
          "echo hello-from-server > /www/index.html; httpd -p 80 -h /www; sleep 20; "
          "echo server-done")
CLIENT = ("ip addr add 10.0.0.2/24 dev eth0; ip link set eth0 up; sleep 2; "
          "wget -q -T 5 -O - http://10.0.0.1/ || echo fetch-failed; "
          "ping -c 2 -W 2 10.0.0.1 || echo ping-failed")


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def up(cfg, *args, timeout=900):
    logs = os.path.join(TMP, os.path.basename(cfg) + "-" + "-".join(a.strip("-") for a in args))
    os.makedirs(logs, exist_ok=True)
    st, out, err = run([RV, "up", cfg, "--log-dir", logs, "--rtc", "1767225600",
                        "--control", "none", *args],
                       timeout=timeout)
    consoles = {}
    for f in os.listdir(logs):
        if f.endswith(".console"):
            with open(os.path.join(logs, f), errors="replace") as c:
                consoles[f[:-len(".console")]] = c.read()
    return st, out, err, consoles


def two_domains(bridge):
    return (f"bridge = [ '{bridge}' ]\n\n" +
            domain("server", SERVER, "vif = [ 'bridge=br0' ]") +
            domain("client", CLIENT, "vif = [ 'bridge=br0' ]"))


def case_network():
    cfg = write("two.cfg", two_domains("br0"))
    digests = []
    for threads in ("1", "2"):
        st, out, err, con = up(cfg, "--threads", threads, "--print-digest")
        what = f"{threads} thread(s)"
        check(st == 0, f"up exits 0 on {what} (got {st})", err)
        client = con.get("client", "")
        check("hello-from-server" in client, f"the client fetched the server's page ({what})",
              client)
        check("2 packets transmitted, 2 packets received" in client,
              f"the server answered both pings ({what})", client)
        rtts = [float(t) for t in re.findall(r"time=([\d.]+) ms", client)]
        check(rtts and max(rtts) < 10,
              f"a ping's round trip is a few epochs of guest time, also to an idle "
              f"server ({what}): {rtts} ms", client)
        check("server-done" in con.get("server", ""), f"the server ran to its end ({what})",
              con.get("server", ""))
        check("domain 'server' powered off (status 0): destroyed" in err and
              "domain 'client' powered off (status 0): destroyed" in err,
              f"both domains powered off and were destroyed ({what})", err)
        m = DIGEST.search(out)
        check(m is not None, f"--print-digest prints the system digest ({what})", out + err)
        digests.append(m.groups() if m else None)
    check(digests[0] is not None and digests[0] == digests[1],
          "1 and 2 host threads end in the same state after as many epochs", str(digests))


def case_faults():
    cfg = write("drop.cfg", two_domains("br0,drop=1000000,seed=3"))
    st, out, err, con = up(cfg)
    client = con.get("client", "")
    check(st == 0, f"up exits 0 (got {st})", err)
    check("fetch-failed" in client and "hello-from-server" not in client,
          "no page crosses a bridge that drops every frame", client)
    check("ping-failed" in client, "no ping is answered", client)
    check("server-done" in con.get("server", ""), "the server still runs to its end",
          con.get("server", ""))


def case_policies():
    cfg = write("policies.cfg",
                domain("crasher", "echo c > /proc/sysrq-trigger",
                       'on_crash = "restart"') +
                domain("steady", "sleep 10; echo steady-done", 'on_poweroff = "destroy"'))
    # The first boot panics at about 35 s of guest time, the second boot
    # starts its init about 30 s later: stop after 80 s (160,000 epochs).
    st, out, err, con = up(cfg, "--max-epochs", "160000")
    check(st == 0, f"up exits 0 (got {st})", err)
    crasher = con.get("crasher", "")
    check("domain 'crasher' crashed: restarted" in err, "the crash was reported and restarted",
          err)
    check(crasher.count("retrovisor-guest: init started") >= 2 and
          "sysrq triggered crash" in crasher,
          "the crashed domain boots again after its panic", crasher[-2000:])
    check("steady-done" in con.get("steady", "") and
          "domain 'steady' powered off (status 0): destroyed" in err,
          "the other domain runs on and is destroyed when it powers off", err)


LOOP = ("ip addr add 10.0.0.2/24 dev eth0; ip link set eth0 up; i=0; while [ $i -lt 2000 ]; do "
        "if wget -q -T 2 -O /dev/null http://10.0.0.1/; then echo fetch-ok-$i; "
        "else echo fetch-fail-$i; fi; i=$((i+1)); sleep 1; done")


PINGER = ("ip addr add 10.0.0.3/24 dev eth0; ip link set eth0 up; i=0; while [ $i -lt 2000 ]; do "
          "if ping -c 1 -W 1 10.0.0.1 >/dev/null; then echo to-server-ok-$i; "
          "else echo to-server-fail-$i; fi; "
          "if ping -c 1 -W 1 10.0.0.2 >/dev/null; then echo to-client-ok-$i; "
          "else echo to-client-fail-$i; fi; i=$((i+1)); sleep 1; done")


def case_toolstack():
    toolstack_session()


def toolstack_session(record=None):
    cfg = write("ts.cfg", "bridge = [ 'br0' ]\n\n" +
                domain("server", SERVER.replace("sleep 20", "sleep 3000"), "vif = [ 'bridge=br0' ]") +
                domain("client", LOOP, "vif = [ 'bridge=br0' ]") +
                domain("pinger", PINGER, "vif = [ 'bridge=br0' ]"))
    logs = os.path.join(TMP, "ts-logs")
    os.makedirs(logs, exist_ok=True)
    # A Unix socket's path has at most 107 bytes; Bazel's TMP is longer.
    sock = os.path.join(tempfile.mkdtemp(prefix="rv-ts-", dir="/tmp"), "ts.sock")
    err_path = os.path.join(TMP, "ts.err")
    with open(err_path, "w") as err_f:
        p = subprocess.Popen([RV, "up", cfg, "--log-dir", logs, "--control", sock, "--threads", "2",
                              "--rtc", "1767225600"] + (["--record", record] if record else []),
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=err_f)

    def console(name):
        try:
            with open(os.path.join(logs, name + ".console"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_for(pattern, start=0, limit=240, who="client"):
        end = time.monotonic() + limit
        while time.monotonic() < end and p.poll() is None:
            m = re.compile(pattern).search(console(who), start)
            if m:
                return m
            time.sleep(0.2)
        return None

    def xl(*args):
        return run([RV, "xl", "--control", sock, *args], timeout=60)

    try:
        m = wait_for(r"fetch-ok-\d+")
        check(m is not None, "the client fetches from the server", console("client")[-1500:])
        st, out, err = xl("list")
        check(st == 0 and re.search(r"server +0 running", out) and
              re.search(r"client +1 running", out) and re.search(r"pinger +2 running", out),
              "xl list shows the three domains running", out + err)
        both = wait_for(r"to-server-ok-\d+\nto-client-ok-\d+", who="pinger")
        check(both is not None, "the third domain reaches both", console("pinger")[-1500:])
        st, out, err = xl("partition", "br0", "client", "1")
        check(st == 0, "xl partition is accepted", err)
        fail = wait_for(r"fetch-fail-\d+", m.end() if m else 0)
        check(fail is not None, "partitioned, the client's fetches fail", console("client")[-1500:])
        cut = wait_for(r"to-server-ok-\d+\nto-client-fail-\d+", both.end() if both else 0,
                       who="pinger")
        check(cut is not None, "the third domain reaches the server, not the client",
              console("pinger")[-1500:])
        st, out, err = xl("heal", "br0", "client")
        check(st == 0, "xl heal is accepted", err)
        ok = wait_for(r"fetch-ok-\d+", fail.end() if fail else 0)
        check(ok is not None, "healed, the client's fetches succeed again",
              console("client")[-1500:])
        again = wait_for(r"to-client-ok-\d+", cut.end() if cut else 0, who="pinger")
        check(again is not None, "healed, the third domain reaches the client again",
              console("pinger")[-1500:])

        st, out, err = xl("pause", "server")
        before = re.search(r"server +0 paused +0 +(\d+)", xl("list")[1])
        time.sleep(2)
        after = re.search(r"server +0 paused +0 +(\d+)", xl("list")[1])
        check(st == 0 and before and after and before.group(1) == after.group(1),
              "a paused domain's clock stands still", err)
        st, out, err = xl("unpause", "server")
        time.sleep(2)
        moved = re.search(r"server +0 running +0 +(\d+)", xl("list")[1])
        check(st == 0 and moved and before and int(moved.group(1)) > int(before.group(1)),
              "unpaused, it goes on", err)

        for bad, want in (("not json", "one JSON object"),
                          ('{"cmd":"fly"}', "unknown command 'fly'"),
                          ('{"cmd":"pause","domain":"nobody"}', "no domain named 'nobody'"),
                          ('{"cmd":"partition","bridge":"br0","domain":"client","group":-4}',
                           "group")):
            c = socket.socket(socket.AF_UNIX)
            c.connect(sock)
            c.sendall(bad.encode() + b"\n")
            reply = c.recv(4096).decode(errors="replace")
            c.close()
            check('"ok":false' in reply and want in reply,
                  f"the request {bad!r} is answered with an error", reply)
        c = socket.socket(socket.AF_UNIX)
        c.connect(sock)
        c.sendall(b'{"cmd":"destroy","domain":"ser')
        c.close()
        time.sleep(1)
        check("server +0 running" in xl("list")[1] or re.search(r"server +0 running", xl("list")[1]),
              "a client that leaves mid-request changes nothing", xl("list")[1])

        st, out, err = xl("destroy", "server")
        time.sleep(2)
        lst = xl("list")[1]
        check(st == 0 and re.search(r"server +0 destroyed", lst) and
              re.search(r"client +1 running", lst) and re.search(r"pinger +2 running", lst),
              "destroying the server leaves the others running", lst)
        mark = len(console("pinger"))
        gone = wait_for(r"to-server-fail-\d+\nto-client-ok-\d+", mark, who="pinger")
        check(gone is not None, "the third domain still reaches the client, no longer the server",
              console("pinger")[-1500:])
        st, out, err = xl("quit")
        check(st == 0, "xl quit is accepted", err)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        with open(err_path) as f:
            up_err = f.read()
        check(p.returncode == 0 and "the toolstack asked to quit" in up_err and
              "domain 'server' destroyed by the toolstack" in up_err,
              "up ends when asked, having said what the toolstack did", up_err)
        check(not os.path.exists(sock), "the control socket is removed", sock)
        st, out, err = xl("list")
        check(st == 2 and "no hypervisor answers" in err, "xl says when nothing is up", err)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        if os.path.exists(sock):
            os.unlink(sock)
        os.rmdir(os.path.dirname(sock))
    return cfg, logs


def case_record():
    log = os.path.join(TMP, "system.log")
    cfg, logs = toolstack_session(record=log)
    check(os.path.exists(log), "the system log is written", log)
    recorded = {}
    for n in ("server", "client", "pinger"):
        with open(os.path.join(logs, n + ".console"), "rb") as f:
            recorded[n] = f.read()
    for i, threads in enumerate(("1", "2", "1")):
        rlogs = os.path.join(TMP, f"replay-{i}")
        os.makedirs(rlogs, exist_ok=True)
        st, out, err = run([RV, "up", "--replay", log, "--threads", threads, "--log-dir", rlogs],
                           timeout=900)
        check(st == 0 and "replay matched the log" in err,
              f"replay {i + 1} ({threads} thread(s)) matches every digest", err)
        for n in ("server", "client", "pinger"):
            with open(os.path.join(rlogs, n + ".console"), "rb") as f:
                got = f.read()
            check(got == recorded[n], f"replay {i + 1}: {n}'s console is the recording's",
                  got[-800:].decode(errors="replace"))
    with open(log, "rb") as f:
        lines = f.read().split(b"\n")
    bad = os.path.join(TMP, "bad.log")
    k = len(lines) // 2
    lines[k] = lines[k][:-12] + (b"0" if lines[k][-12:-11] != b"0" else b"1") + lines[k][-11:]
    with open(bad, "wb") as f:
        f.write(b"\n".join(lines))
    st, out, err = run([RV, "up", "--replay", bad], timeout=60)
    check(st == 2 and f"line {k + 1}: its checksum does not match" in err,
          "a damaged log is refused, naming the line", err)
    # An image that changed since the recording: refused before anything runs.
    img = os.path.join(TMP, "initrd-copy")
    with open(env_path("RV_GUEST_INITRAMFS"), "rb") as src, open(img, "wb") as dst:
        dst.write(src.read())
    small = write("small.cfg", f'name = "one"\nkernel = "{env_path("RV_GUEST_KERNEL")}"\n'
                  f'initrd = "{img}"\nmemory = 256\n')
    small_log = os.path.join(TMP, "small.log")
    st, out, err, con = up(small, "--max-epochs", "20", "--record", small_log)
    check(st == 0, "a short recording", err)
    st, out, err = run([RV, "up", "--replay", small_log, "--log-dir", TMP], timeout=120)
    check(st == 0 and "replay matched" in err, "it replays", err)
    # Logs of version 2 and older hash pages as digest version 1 did: this
    # one's digests, of version 2, differ when it claims version 2.
    with open(small_log, "rb") as f:
        first, rest = f.read().split(b"\n", 1)
    check(first.startswith(b"retrovisor-system-log 3 "), "a system log is of version 3",
          first.decode(errors="replace"))
    head = b"retrovisor-system-log 2"
    older = os.path.join(TMP, "small-v2.log")
    with open(older, "wb") as f:
        f.write(head + b" %08x\n" % zlib.crc32(head) + rest)
    st, out, err = run([RV, "up", "--replay", older, "--log-dir", TMP], timeout=120)
    check(st != 0 and "the recording's" in err,
          "a version 2 log's digests are compared as version 1 made them", err)
    with open(img, "ab") as f:
        f.write(b"\0" * 512)
    st, out, err = run([RV, "up", "--replay", small_log, "--log-dir", TMP], timeout=60)
    check(st == 2 and "is not the one the log was recorded with" in err,
          "a replay whose image changed is refused", err)


def case_plugins():
    results = []
    for threads in ("1", "2"):
        outs = {n: os.path.join(TMP, f"count-{n}-{threads}.txt") for n in ("a", "b")}
        cfg = write(f"plugins-{threads}.cfg",
                    domain("a", "true", f"plugin = [ '{COUNT_PLUGIN},out={outs['a']}' ]") +
                    domain("b", "sleep 1", f"plugin = [ '{COUNT_PLUGIN},out={outs['b']}' ]"))
        st, out, err, con = up(cfg, "--threads", threads, "--max-epochs", "4000",
                               "--print-digest")
        check(st == 0, f"up with plugins exits 0 on {threads} thread(s) (got {st})", err)
        got = {}
        for n, path in outs.items():
            text = open(path).read() if os.path.exists(path) else ""
            m = re.match(r"insns (\d+) hash ([0-9a-f]{16}) domain (\S+)$", text.strip())
            check(m is not None and m.group(3) == n,
                  f"domain {n}'s plugin instance names its own domain ({threads} thread(s))",
                  text)
            got[n] = m.groups()[:2] if m else None
        check(got["a"] and got["b"] and got["a"] != got["b"],
              f"each instance counts its own domain ({threads} thread(s))", str(got))
        d = DIGEST.search(out)
        results.append((got, d.groups() if d else None))
    check(results[0] == results[1] and results[0][1] is not None,
          "1 and 2 threads give the same counts and the same digest", str(results))


def case_netfault():
    loop = LOOP.replace("2000", "36")
    cfg = write("netfault.cfg", "bridge = [ 'br0' ]\n\n" +
                domain("server", SERVER.replace("sleep 20", "sleep 50"),
                       "vif = [ 'bridge=br0' ]\n"
                       f"plugin = [ '{NETFAULT},at=64000,drop=1000000,delay=1000000,"
                       "delay_epochs=3' ]") +
                domain("client", loop,
                       "vif = [ 'bridge=br0' ]\n"
                       f"plugin = [ '{NETFAULT},at=40000,domain=server,heal=50000' ]"))
    log = os.path.join(TMP, "netfault.log")
    st, out, err, con = up(cfg, "--threads", "2", "--record", log)
    check(st == 0, f"up with the fault plugin exits 0 (got {st})", err)
    check("netfault: client at 40" in err and "partition server into group 1" in err and
          "partition server into group 0" in err and "netfault: server at 64" in err,
          "the plugin's instances asked for the partition, the heal and the faults", err)
    client = con.get("client", "")
    runs = re.sub(r"(ok|fail)( \1)*", r"\1",
                  " ".join(re.findall(r"fetch-(ok|fail)-\d+", client)))
    check(runs == "ok fail ok fail", "the client's fetches succeed, fail when the server "
          "is cut off, succeed when healed, fail when every frame is dropped", client[-2000:])
    with open(log) as f:
        reqs = [bytes.fromhex(line.split()[3]).decode() for line in f
                if line.split()[2:3] == ["req"]]
    check(reqs == ['{"cmd":"partition","bridge":"br0","domain":"server","group":1}',
                   '{"cmd":"partition","bridge":"br0","domain":"server","group":0}',
                   '{"cmd":"faults","bridge":"br0","drop":1000000,"duplicate":0,"reorder":0,'
                   '"delay":1000000,"delay_epochs":3}'],
          "the log holds the plugin's requests as the toolstack's", str(reqs))
    recorded = {n: con.get(n, "") for n in ("server", "client")}
    for args, what in ((["--no-plugins", "--threads", "1"], "without the plugin"),
                       (["--threads", "2"], "with the plugin")):
        rlogs = os.path.join(TMP, "netfault-replay-" + args[0].strip("-"))
        os.makedirs(rlogs, exist_ok=True)
        st, out, err = run([RV, "up", "--replay", log, *args, "--log-dir", rlogs], timeout=900)
        check(st == 0 and "replay matched the log" in err,
              f"the recording replays {what}, every digest matching", err)
        check(("netfault:" in err) == (what == "with the plugin"),
              f"the plugin runs only when loaded ({what})", err)
        for n in ("server", "client"):
            with open(os.path.join(rlogs, n + ".console"), errors="replace") as f:
                got = f.read()
            check(got == recorded[n], f"replayed {what}, {n}'s console is the recording's",
                  got[-800:])


def case_uplink():
    www = tempfile.mkdtemp(prefix="rv-www-", dir=TMP)
    with open(os.path.join(www, "page.html"), "w") as f:
        f.write("hello-from-host\n")
    hport, fport = free_port(), free_port()
    srv = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                            str(hport)], cwd=www, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    cmd = ("ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; "
           "ip route add default via 10.0.2.2; mkdir -p /www; "
           "echo hello-from-domain > /www/index.html; httpd -p 80 -h /www; "
           f"wget -q -T 5 -O - http://10.0.2.2:{hport}/page.html || echo host-fetch-failed; "
           "i=0; while [ $i -lt 3000 ] && "
           f"! wget -q -T 2 -O /dev/null http://10.0.2.2:{hport}/done; do "
           "i=$((i+1)); sleep 1; done; echo uplink-done-$i")
    bridge = f"br0,uplink=user,hostfwd=tcp::{fport}-10.0.2.15:80"
    cfg = write("uplink.cfg", f"bridge = [ '{bridge}' ]\n\n" +
                domain("web", cmd, "vif = [ 'bridge=br0' ]"))
    logs = os.path.join(TMP, "uplink-logs")
    os.makedirs(logs, exist_ok=True)
    log = os.path.join(TMP, "uplink.log")
    err_path = os.path.join(TMP, "uplink.err")
    try:
        with open(err_path, "w") as err_f:
            p = subprocess.Popen([RV, "up", cfg, "--log-dir", logs, "--control", "none",
                                  "--threads", "2", "--rtc", "1767225600", "--record", log],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=err_f)

        def console():
            try:
                with open(os.path.join(logs, "web.console"), errors="replace") as f:
                    return f.read()
            except OSError:
                return ""

        end = time.monotonic() + 300
        while time.monotonic() < end and p.poll() is None and "hello-from-host" not in console():
            time.sleep(0.2)
        check("hello-from-host" in console(),
              "the domain fetches a page from the host's server through 10.0.2.2",
              console()[-1500:])
        got = http_get(fport, "/", tries=300).decode(errors="replace")
        check("hello-from-domain" in got, "a host client fetches the domain's httpd "
              "through hostfwd", got)
        with open(os.path.join(www, "done"), "w") as f:
            f.write("done\n")
        try:
            p.wait(timeout=300)
        except subprocess.TimeoutExpired:
            pass
        with open(err_path) as f:
            up_err = f.read()
        check(p.returncode == 0 and re.search(r"uplink-done-\d+", console()),
              "the domain sees the host's signal and up ends", up_err + console()[-800:])
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        srv.kill()
        srv.wait()
    with open(log) as f:
        nets = sum(1 for line in f if line.split()[2:3] == ["net"])
    check(nets > 10, "the log holds the frames slirp sent", str(nets))
    rlogs = os.path.join(TMP, "uplink-replay")
    os.makedirs(rlogs, exist_ok=True)
    st, out, err = run([RV, "up", "--replay", log, "--threads", "1", "--log-dir", rlogs],
                       timeout=900)
    check(st == 0 and "replay matched the log" in err,
          "the recording replays without the host network, every digest matching", err)
    with open(os.path.join(rlogs, "web.console"), errors="replace") as f:
        got = f.read()
    check(got == console(), "replayed, the domain's console is the recording's", got[-800:])


class Session:
    """`retrovisor up CFG` in the background with a control socket."""

    def __init__(self, cfg, name, *args):
        self.logs = os.path.join(TMP, name + "-logs")
        os.makedirs(self.logs, exist_ok=True)
        self.sock = os.path.join(tempfile.mkdtemp(prefix="rv-" + name + "-", dir="/tmp"),
                                 "up.sock")
        self.err_path = os.path.join(TMP, name + ".err")
        with open(self.err_path, "w") as err_f:
            self.p = subprocess.Popen([RV, "up", cfg, "--log-dir", self.logs, "--control",
                                       self.sock, "--rtc", "1767225600", *args],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=err_f)

    def console(self, name):
        try:
            with open(os.path.join(self.logs, name + ".console"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_for(self, who, pattern, start=0, limit=240):
        end = time.monotonic() + limit
        while time.monotonic() < end and self.p.poll() is None:
            m = re.compile(pattern).search(self.console(who), start)
            if m:
                return m
            time.sleep(0.2)
        return None

    def xl(self, *args):
        return run([RV, "xl", "--control", self.sock, *args], timeout=60)

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        os.rmdir(os.path.dirname(self.sock))
        with open(self.err_path) as f:
            return f.read()


def case_snapshots():
    log = os.path.join(TMP, "snapshots.log")
    cfg = write("snap.cfg", "bridge = [ 'br0' ]\n\n" +
                domain("server", SERVER.replace("sleep 20", "sleep 3000"),
                       "vif = [ 'bridge=br0' ]") +
                domain("client", LOOP, "vif = [ 'bridge=br0' ]"))
    extra = write("extra.cfg", "bridge = [ 'br0' ]\n\n" +
                  domain("pinger", PINGER, "vif = [ 'bridge=br0' ]"))
    saved = os.path.join(TMP, "client.snap")
    s = Session(cfg, "snap", "--record", log, "--threads", "2")
    try:
        m = s.wait_for("client", r"fetch-ok-\d+")
        check(m is not None, "the client fetches from the server", s.console("client")[-1500:])
        st, out, err = s.xl("snapshot", "all")
        check(st == 0, "xl snapshot of the whole system is accepted", err)
        st, out, err = s.xl("snapshot", "all")
        check(st == 2 and "already a snapshot 'all'" in err, "a tag is not taken twice", err)
        st, out, err = s.xl("snapshot", "c1", "client")
        check(st == 0, "xl snapshot of one domain is accepted", err)
        # The loop's count when c1 was taken (the next it prints is at most
        # one more).
        c1_at = int((re.findall(r"fetch-(?:ok|fail)-(\d+)", s.console("client")) or ["0"])[-1])
        st, out, err = s.xl("snapshot-list")
        check(st == 0 and re.search(r"all +\d+ \(whole system\)", out) and
              re.search(r"c1 +\d+ client", out), "xl snapshot-list shows both", out + err)

        # save -c: the file is written, the domain runs on.
        st, out, err = s.xl("save", "-c", "client", os.path.relpath(saved))
        check(st == 0 and os.path.getsize(saved) > 0, "xl save -c writes the domain's file", err)
        st, out, err = run([RV, "snapshot", "info", saved], timeout=60)
        check(st == 0 and "name = 'client'" in out, "the file holds the domain's keys", out + err)

        # fork: a copy of the server, off the network, with its own console.
        st, out, err = s.xl("fork", "server", "server2")
        lst = s.xl("list")[1]
        check(st == 0 and re.search(r"server2 +2 running", lst), "xl fork makes a running copy",
              lst + err)

        # Destroy the server: fetches fail; revert the whole system: it is back.
        st, out, err = s.xl("destroy", "server")
        fail = s.wait_for("client", r"fetch-fail-\d+", m.end())
        check(st == 0 and fail is not None, "without the server the fetches fail",
              s.console("client")[-1500:])
        st, out, err = s.xl("snapshot-revert", "all")
        lst = s.xl("list")[1]
        check(st == 0 and re.search(r"server +0 running", lst) and
              re.search(r"client +1 running", lst) and re.search(r"server2 +2 destroyed", lst),
              "reverting brings the destroyed server back and removes the later fork", lst + err)
        ok = s.wait_for("client", r"fetch-ok-\d+", fail.end() if fail else 0)
        check(ok is not None, "after the revert the client's fetches succeed again",
              s.console("client")[-1500:])

        # One domain back in time: its fetch counter goes back. (The
        # revert of the whole system took the counter back to about c1's:
        # first let it get past c1 by three, so that going back shows.)
        end = time.monotonic() + 120
        while time.monotonic() < end and \
                int((re.findall(r"fetch-ok-(\d+)", s.console("client")) or ["0"])[-1]) < c1_at + 3:
            time.sleep(0.2)
        before = int(re.findall(r"fetch-ok-(\d+)", s.console("client"))[-1])
        st, out, err = s.xl("snapshot-revert", "c1")
        check(st == 0, "reverting one domain is accepted", err)
        mark = len(s.console("client"))
        again = s.wait_for("client", r"fetch-ok-(\d+)", mark)
        check(again is not None and before >= c1_at + 3 and int(again.group(1)) <= c1_at + 2,
              "the client's loop goes on from where its snapshot was",
              f"snapshot at {c1_at}, {before} then {again.group(0) if again else None}")

        # Restore from the file, as a new domain, once the live client is gone.
        st, out, err = s.xl("restore", saved, "client")
        check(st == 2 and "already a domain named 'client'" in err,
              "a restore under a live domain's name is refused", err)
        s.xl("destroy", "client")
        mark = len(s.console("client"))
        st, out, err = s.xl("restore", saved)
        back = s.wait_for("client", r"fetch-ok-\d+", mark)
        check(st == 0 and back is not None, "the saved client comes back and fetches",
              s.console("client")[-1500:] + err)
        st, out, err = s.xl("restore", cfg)
        check(st == 2 and "snap.cfg" in err, "a file that is not a saved domain is refused", err)

        # create: a third domain joins the bridge and reaches the server.
        st, out, err = s.xl("create", extra)
        reach = s.wait_for("pinger", r"to-server-ok-\d+")
        check(st == 0 and reach is not None, "xl create starts the file's domain on the bridge",
              s.console("pinger")[-1500:] + err)
        st, out, err = s.xl("create", extra)
        check(st == 2 and "already a domain named 'pinger'" in err,
              "a name in use is refused by create", err)
        st, out, err = s.xl("snapshot-delete", "c1")
        st2, out2, err2 = s.xl("snapshot-revert", "c1")
        check(st == 0 and st2 == 2 and "no snapshot 'c1'" in err2,
              "a deleted snapshot is gone", err + err2)
        st, out, err = s.xl("quit")
        s.p.wait(timeout=120)
    finally:
        up_err = s.close()
    check(s.p.returncode == 0, "up ends when asked", up_err)
    consoles = {}
    for n in ("server", "client", "pinger", "server2"):
        with open(os.path.join(s.logs, n + ".console"), "rb") as f:
            consoles[n] = f.read()
    rlogs = os.path.join(TMP, "snap-replay")
    os.makedirs(rlogs, exist_ok=True)
    st, out, err = run([RV, "up", "--replay", log, "--log-dir", rlogs], timeout=900)
    check(st == 0 and "replay matched the log" in err,
          "the session with its snapshots, fork, restore and create replays", err)
    for n, text in consoles.items():
        with open(os.path.join(rlogs, n + ".console"), "rb") as f:
            check(f.read() == text, f"the replay prints {n}'s console byte for byte", n)
    with open(saved, "ab") as f:
        f.write(b"x")
    st, out, err = run([RV, "up", "--replay", log, "--log-dir", rlogs], timeout=900)
    check(st != 0 and "client.snap has changed since the recording" in err,
          "a replay whose restored file changed says so", err)


def case_savesystem():
    cfg = write("whole.cfg", "bridge = [ 'br0' ]\n\n" +
                domain("server", SERVER.replace("sleep 20", "sleep 3000"),
                       "vif = [ 'bridge=br0' ]") +
                domain("client", LOOP, "vif = [ 'bridge=br0' ]"))
    saved = os.path.join(TMP, "whole-saved")
    s = Session(cfg, "whole")
    try:
        m = s.wait_for("client", r"fetch-ok-\d+")
        check(m is not None, "the client fetches from the server", s.console("client")[-1500:])
        st, out, err = s.xl("fork", "server", "copy")
        check(st == 0, "a fork (off the network) is made", err)
        st, out, err = s.xl("sched-credit", "-d", "client", "-w", "512", "-c", "50")
        check(st == 0 and re.search(r"client +1 +512 +50", out), "xl sched-credit sets and shows",
              out + err)
        st, out, err = s.xl("sched-credit", "-d", "server", "-w", "0")
        check(st == 2 and "weight" in err, "a weight of 0 is refused", err)
        st, out, err = s.xl("sched-credit")
        check(st == 0 and re.search(r"server +0 +256 +0", out) and
              re.search(r"client +1 +512 +50", out) and re.search(r"copy +2 +256 +0", out),
              "xl sched-credit lists every domain's weight and cap", out + err)
        # The save happens somewhere between these two readings of the
        # client's count (a loaded host may let it fetch twice meanwhile).
        before = int(re.findall(r"fetch-ok-(\d+)", s.console("client"))[-1])
        st, out, err = s.xl("save-system", os.path.relpath(saved))
        at = int(re.findall(r"fetch-ok-(\d+)", s.console("client"))[-1])
        check(st == 0 and all(os.path.exists(os.path.join(saved, f)) for f in
                              ("system.cfg", "system.state", "server.snap", "client.snap",
                               "copy.snap")),
              "xl save-system writes the configuration, the state and a file per domain",
              err + " ".join(os.listdir(saved) if os.path.isdir(saved) else []))
        s.xl("quit")
        s.p.wait(timeout=120)
    finally:
        s.close()
    with open(os.path.join(saved, "system.state")) as f:
        state = f.read()
    with open(os.path.join(saved, "system.cfg")) as f:
        scfg = f.read()
    check(re.search(r"name = 'client'\n(.*\n)*?weight = 512\ncap = 50\n", scfg),
          "system.cfg keeps the client's scheduling as set", scfg[-1500:])
    check(re.search(r"^domain copy running 0 \d+ - -1 [0-9a-f]{16}$", state, re.M) and
          re.search(r"^domain client running 0 \d+ br0 1 ", state, re.M),
          "the state names each domain's port (none for the fork)", state[:600])
    digests = []
    for threads in ("1", "2"):
        logs = os.path.join(TMP, "whole-restored-" + threads)
        os.makedirs(logs, exist_ok=True)
        st, out, err = run([RV, "up", "--restore", saved, "--threads", threads, "--log-dir", logs,
                            "--control", "none", "--max-epochs", "20000", "--print-digest"],
                           timeout=900)
        d = DIGEST.search(out)
        digests.append(d.group(1) if d else None)
        with open(os.path.join(logs, "client.console"), errors="replace") as f:
            client = f.read()
        later = [int(n) for n in re.findall(r"fetch-ok-(\d+)", client)]
        check(st == 0 and d and later and before <= min(later) <= at + 3 and
              "init started" not in client,
              f"restored on {threads} thread(s), the client goes on fetching where it was "
              f"(from {before} to {at}), without booting", err + client[-800:])
    check(digests[0] and digests[0] == digests[1],
          "the restored system computes the same on 1 and 2 threads", str(digests))
    log = os.path.join(TMP, "whole.log")
    rec = os.path.join(TMP, "whole-rec")
    os.makedirs(rec, exist_ok=True)
    st, out, err = run([RV, "up", "--restore", saved, "--record", log, "--log-dir", rec,
                        "--control", "none", "--max-epochs", "20000", "--print-digest"],
                       timeout=900)
    d = DIGEST.search(out)
    check(st == 0 and d and d.group(1) == digests[0],
          "a restored system is recorded, computing what it computed unrecorded", err + out)
    st, out, err = run([RV, "up", "--replay", log, "--log-dir", rec, "--print-digest"],
                       timeout=900)
    check(st == 0 and "replay matched the log" in err,
          "its replay restores the system from the same files and matches", err)
    bad = os.path.join(TMP, "whole-bad")
    shutil.copytree(saved, bad)
    with open(os.path.join(bad, "system.state"), "w") as f:
        # The client's saved digest with its first digit changed (to
        # another digit: replacing it by a fixed one would change nothing
        # one time in sixteen).
        changed, n = re.subn(r"^(domain client running 0 \d+ br0 1 )([0-9a-f])",
                             lambda m: m.group(1) + ("0" if m.group(2) != "0" else "1"),
                             state, flags=re.M)
        assert n == 1 and changed != state, state
        f.write(changed)
    st, out, err = run([RV, "up", "--restore", bad, "--control", "none", "--log-dir", TMP,
                        "--max-epochs", "1"], timeout=300)
    check(st != 0 and "system.state, line" in err and len(err.strip().splitlines()) == 1,
          "a state file that does not match its domains is refused, naming its line", err)
    # A state file of version 1 has its digests checked as version 1 made
    # them (pages hashed the first way), so these, of version 2, differ.
    check(state.startswith("retrovisor-system-state 2\n"), "a saved state is of version 2",
          state[:80])
    old = os.path.join(TMP, "whole-v1")
    shutil.copytree(saved, old)
    with open(os.path.join(old, "system.state"), "w") as f:
        f.write(state.replace("retrovisor-system-state 2\n", "retrovisor-system-state 1\n", 1))
    st, out, err = run([RV, "up", "--restore", old, "--control", "none", "--log-dir", TMP,
                        "--max-epochs", "1"], timeout=300)
    check(st != 0 and "its digest differs" in err,
          "a version 1 state file is checked with version 1's digests", err)
    with open(os.path.join(saved, "copy.snap"), "ab") as f:
        f.write(b"x")
    st, out, err = run([RV, "up", "--replay", log, "--log-dir", rec], timeout=300)
    check(st != 0 and "copy.snap is not the one the log was recorded with" in err,
          "a replay whose saved domain changed is refused saying so", err)


def case_example():
    """docs/domains.md's worked example, its file and command as the page has them."""
    doc = open(DOC).read()
    cfg_text = re.search(r"Save this as `three\.cfg`.*?```\n(.*?)```", doc, re.S).group(1)
    cmd = re.search(r"and run\n\n```\n(retrovisor up three\.cfg[^\n]*)\n```", doc).group(1)
    quoted = re.search(r"```\n(retrovisor: 3 domains up.*?)```", doc, re.S).group(1).splitlines()
    folder = tempfile.mkdtemp(prefix="example-", dir=TMP)
    os.symlink(env_path("RV_GUEST_KERNEL"), os.path.join(folder, "Image"))
    os.symlink(env_path("RV_GUEST_INITRAMFS"), os.path.join(folder, "initramfs.cpio"))
    with open(os.path.join(folder, "three.cfg"), "w") as f:
        f.write(cfg_text)
    for threads in ("2", "1"):
        args = cmd.split()[1:]
        args[args.index("--threads") + 1] = threads
        args[args.index("three.cfg")] = os.path.join(folder, "three.cfg")
        st, out, err = run([RV, *args, "--control", "none", "--log-dir", folder], timeout=900)
        lines = [l for l in (err + out).splitlines() if l.startswith("retrovisor: ")]
        want = [l.replace("2 host threads", threads + " host thread" + ("s" if threads != "1" else ""))
                for l in quoted]
        check(st == 0 and lines == want,
              f"the page's example on {threads} thread(s) prints what the page shows",
              "\n".join(lines) + "\n--- the page:\n" + "\n".join(want))
        with open(os.path.join(folder, "pinger.console"), errors="replace") as f:
            pinger = f.read()
        check("hello" in out and "2 packets transmitted, 2 packets received" in out and
              pinger.count("2 packets transmitted, 2 packets received") == 2,
              f"the client fetched and pinged, the third reached both ({threads} thread(s))",
              out[-800:] + pinger[-800:])


def case_config():
    kernel = env_path("RV_GUEST_KERNEL")

    def refused(name, text, want, *args):
        cfg = write(name, text)
        st, out, err = run([RV, "up", cfg, "--log-dir", TMP, *args], timeout=60)
        line = err.strip().splitlines()[-1] if err.strip() else ""
        check(st == 2 and want in line and len(err.strip().splitlines()) == 1,
              f"{name}: refused with one line saying {want!r}", err)

    ok = f'name = "a"\nkernel = "{kernel}"\n'
    refused("unknown.cfg", ok + "colour = 3\n", "unknown.cfg:3: unknown domain key 'colour'")
    refused("dup.cfg", ok + ok, "dup.cfg:3: domain 'a' is defined twice (first on line 1)")
    refused("missing.cfg", 'name = "a"\nkernel = "no-such-image"\n',
            "missing.cfg:1: domain 'a': kernel")
    refused("vif.cfg", ok + "vif = [ 'bridge=nowhere' ]\n",
            "vif.cfg:1: domain 'a': its vif's bridge 'nowhere' is not defined")
    refused("policy.cfg", ok + 'on_crash = "reboot"\n',
            'policy.cfg:3: on_crash = "reboot": use destroy, restart or preserve')
    refused("system.cfg", "threads = 0\n" + ok, "system.cfg:1: threads = 0: 1 to 64")
    refused("console.cfg", ok, "--console b: ", "--console", "b")
    refused("none.cfg", "# nothing\n", "none.cfg:2: no domain is defined")


run_case({"network": case_network, "faults": case_faults, "policies": case_policies,
          "toolstack": case_toolstack, "record": case_record, "plugins": case_plugins,
          "netfault": case_netfault, "uplink": case_uplink, "config": case_config,
          "snapshots": case_snapshots, "savesystem": case_savesystem,
          "example": case_example}, CASE)
