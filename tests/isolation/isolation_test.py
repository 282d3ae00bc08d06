#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Isolation between domains (issue 13, item 5; docs/domains.md,
"Isolation"): isolation_test.py RETROVISOR CASE VICTIM.elf ATTACKER.elf.

Two S-mode guests on one bridge, a disk each: the victim (victim.c, 64 MiB,
2 harts) keeps a pattern in its RAM and on its disk, checksums both every
round and broadcasts a frame; the attacker (attacker.c, 32 MiB, 1 hart)
aims virtio DMA, SBI calls and paravirtual requests at what is not its
own, then misbehaves one way per boot (its disk counts the boots). The
victim's console and its own digest (`up --print-digest` prints one per
domain) must be those of a run where it is alone.

  attack    the attacker's first boot makes every check of attacker.c and
            gets the architectural answer to each (no BAD line, the count
            of checks as expected); it receives the victim's broadcast (the
            one thing meant to cross); then it asks SRST for a reboot
            (on_reboot = restart: it boots again), panics (on_crash =
            restart: it boots a third time) and spins for ever with
            interrupts off, while the victim runs all its rounds with an
            unchanged checksum and powers off; the victim's console and
            digest equal its run alone, on 1 and 2 host threads, and the
            host's log of guest errors stays bounded
  policies  the attacker's reboot with on_reboot = destroy and preserve,
            its panic (its disk set to start at the second boot) with
            on_crash = destroy and preserve: each line on stderr names the
            policy applied, and the victim's console and digest are again
            those of its run alone
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from rvtest import TMP, check, need, run, run_case  # noqa: E402

RV = os.path.abspath(sys.argv[1])
CASE = sys.argv[2]
VICTIM = os.path.abspath(sys.argv[3])
ATTACKER = os.path.abspath(sys.argv[4])
# What attacker.c checks on its first boot ("attacker checks N ok 0 bad").
CHECKS = 90
ROUNDS = 12  # victim.c's ISO_ROUNDS
MARKER_SECTOR = 100  # attacker.c's boot counter on its disk
MAX_EPOCHS = "400"  # the victim needs about 185 epochs of 500 us
DOM_DIGEST = re.compile(r"^retrovisor: domain '(\w+)' digest ([0-9a-f]{16})$", re.M)

VICTIM_CFG = """
name = "victim"
kernel = "{victim}"
memory = 64
vcpus = 2
disk = [ 'file={dir}/victim.img' ]
vif = [ 'bridge=br0,mac=52:54:00:00:02:01' ]
on_poweroff = "preserve"
"""

ATTACKER_CFG = """
name = "attacker"
kernel = "{attacker}"
memory = 32
vcpus = 1
disk = [ 'file={dir}/attacker.img' ]
vif = [ 'bridge=br0,mac=52:54:00:00:02:02' ]
on_reboot = "{on_reboot}"
on_crash = "{on_crash}"
"""


def system(name, attacker=True, marker=0, on_reboot="restart", on_crash="restart"):
    """A fresh folder with the configuration NAME.cfg and blank disks (the
    attacker's boot counter set to MARKER); the path of the file."""
    d = os.path.join(TMP, name)
    os.makedirs(d, exist_ok=True)
    for img in ("victim.img", "attacker.img"):
        with open(os.path.join(d, img), "wb") as f:
            f.truncate(1 << 20)
    if marker:
        with open(os.path.join(d, "attacker.img"), "r+b") as f:
            f.seek(MARKER_SECTOR * 512)
            f.write(bytes([marker]))
    text = "bridge = [ 'br0' ]\nepoch_us = 500\n"
    if attacker:
        text += ATTACKER_CFG.format(attacker=ATTACKER, dir=d, on_reboot=on_reboot,
                                    on_crash=on_crash)
    text += VICTIM_CFG.format(victim=VICTIM, dir=d)
    path = os.path.join(d, name + ".cfg")
    with open(path, "w") as f:
        f.write(text)
    return path


def up(cfg, threads="1"):
    """Runs CFG until no domain runs or MAX_EPOCHS: (status, stderr, the
    domains' digests, their consoles)."""
    d = os.path.dirname(cfg)
    st, out, err = run([RV, "up", cfg, "--log-dir", d, "--rtc", "1767225600", "--control",
                        "none", "--threads", threads, "--max-epochs", MAX_EPOCHS,
                        "--print-digest"], timeout=300)
    consoles = {}
    for f in os.listdir(d):
        if f.endswith(".console"):
            with open(os.path.join(d, f), errors="replace") as c:
                consoles[f[:-len(".console")]] = c.read()
    return st, err, dict(DOM_DIGEST.findall(out)), consoles


def alone():
    """The victim's digest and console in a system of its own."""
    st, err, dig, con = up(system("alone", attacker=False))
    victim = con.get("victim", "")
    check(st == 0, f"the victim alone: up exits 0 (got {st})", err)
    rounds = re.findall(r"^victim round \d+ sum [0-9a-f]+ ok$", victim, re.M)
    check(len(rounds) == ROUNDS and "victim done" in victim,
          f"the victim alone runs its {ROUNDS} rounds with the pattern's checksum", victim)
    check("victim" in dig, "--print-digest prints the victim's own digest", err)
    return dig.get("victim"), victim


def same_as_alone(what, dig, con, want_digest, want_console):
    check(con.get("victim") == want_console,
          f"{what}: the victim's console is its console alone", con.get("victim", ""))
    check(dig.get("victim") == want_digest and want_digest is not None,
          f"{what}: the victim's digest is its digest alone ({dig.get('victim')} vs "
          f"{want_digest})")


def case_attack():
    need(VICTIM, "the victim guest")
    need(ATTACKER, "the attacker guest")
    want_digest, want_console = alone()
    digests = []
    for threads in ("1", "2"):
        st, err, dig, con = up(system("attack" + threads), threads)
        what = f"with the attacker, {threads} host thread(s)"
        attacker = con.get("attacker", "")
        check(st == 0, f"{what}: up exits 0 after --max-epochs (got {st})", err)
        lines = re.findall(r"^attacker .*: -?\d+ \(want -?\d+\) (ok|BAD)$", attacker, re.M)
        check(lines.count("BAD") == 0 and len(lines) == CHECKS and
              f"attacker checks {CHECKS} ok 0 bad" in attacker,
              f"{what}: all {CHECKS} checks of the attacker get the architectural answer",
              attacker, lines=None)
        check("net rx frame is the victim's broadcast: 1 (want 1) ok" in attacker,
              f"{what}: the victim's broadcast frame reaches the attacker", attacker)
        boots = re.findall(r"^attacker boot (\d)$", attacker, re.M)
        check(boots == ["1", "2", "3"] and attacker.rstrip().endswith("attacker spins"),
              f"{what}: the attacker booted three times and spins at the end", attacker)
        order = [err.find(s) for s in (
            "domain 'attacker' asked to reboot: restarted",
            "domain 'attacker' crashed: restarted",
            "domain 'victim' powered off (status 0): preserved")]
        check(-1 not in order and order == sorted(order),
              f"{what}: the attacker's reboot and panic were restarted before the victim "
              "ended", err)
        errors = [l for l in err.splitlines() if "guest error" in l]
        check(0 < len(errors) <= 40 and "further guest errors from this device are not shown"
              in err, f"{what}: the host's log of guest errors is bounded "
              f"({len(errors)} lines)", err)
        same_as_alone(what, dig, con, want_digest, want_console)
        digests.append(dig)
    check(digests[0] == digests[1], "1 and 2 host threads give the same digests",
          str(digests))


def case_policies():
    need(VICTIM, "the victim guest")
    need(ATTACKER, "the attacker guest")
    want_digest, want_console = alone()
    for marker, key, policy, line in (
            (0, "on_reboot", "destroy", "domain 'attacker' asked to reboot: destroyed"),
            (0, "on_reboot", "preserve", "domain 'attacker' asked to reboot: preserved"),
            (1, "on_crash", "destroy", "domain 'attacker' crashed: destroyed"),
            (1, "on_crash", "preserve", "domain 'attacker' crashed: preserved")):
        what = f"{key} = {policy}"
        cfg = system(f"{key}-{policy}", marker=marker, **{key: policy})
        st, err, dig, con = up(cfg)
        check(st == 0, f"{what}: up exits 0 (got {st})", err)
        check(line in err, f"{what}: stderr says '{line}'", err)
        check(err.count("domain 'attacker'") == 1,
              f"{what}: the attacker stopped once and stayed as its policy left it", err)
        check(("attacker" in dig) == (policy == "preserve"),
              f"{what}: the attacker's machine is {'kept' if policy == 'preserve' else 'gone'}",
              str(dig))
        same_as_alone(what, dig, con, want_digest, want_console)


run_case({"attack": case_attack, "policies": case_policies}, CASE)
