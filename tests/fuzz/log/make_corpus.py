#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Makes the seed corpus of the log fuzz targets (tests/fuzz/log) from real
recordings of paravirtual test guests (tests/pvguests):

    make_corpus.py RETROVISOR PVGUEST_DIR OUT_DIR

e.g. after `bazel build //:retrovisor //tests/pvguests:guests`,
    tests/fuzz/log/make_corpus.py bazel-bin/retrovisor \
        bazel-bin/tests/pvguests tests/fuzz/log/corpus

It records the guests (with console input and frequent digests, so the
logs hold config, digest and end events over several chunks; a copy
gets one event of every input kind),
bundles one, and writes into OUT_DIR/record_log and OUT_DIR/bundle
  raw-*      0x00 then the file as is (the targets' raw mode)
  struct-*   0x01 then the input that makes the target build the same
             events (its structured mode, build.h), also once per kind of
             damage build.h can do
Every file is under 64 KiB. Inputs the fuzzers found stay in the corpus
beside these (named by their hash); this script overwrites only its own.
"""

import os
import struct
import subprocess
import sys
import tempfile

MAX_FILE = 64 << 10
LOG_MAX_DATA = 8 << 10


def run(argv, stdin=b""):
    p = subprocess.run(argv, input=stdin, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=120)
    if p.returncode not in (0,):
        sys.exit(f"make_corpus: {' '.join(argv)} exited {p.returncode}: "
                 f"{p.stderr.decode(errors='replace')}")


def zstd_decompress(data):
    return subprocess.run(["zstd", "-d", "-c", "-q"], input=data, check=True,
                          stdout=subprocess.PIPE).stdout


def log_events(path):
    """The events of a record log (replay/log.h's layout)."""
    data = open(path, "rb").read()
    assert data[:8] == b"RVSRLOG\0", path
    pos, events = 24, []
    while pos + 32 <= len(data):
        csize, raw, count = struct.unpack_from("<III", data, pos + 4)
        body = zstd_decompress(data[pos + 32:pos + 32 + csize])
        assert len(body) == raw
        p = 0
        for _ in range(count):
            t, hart, rnd, icount, n = struct.unpack_from("<IIQQI", body, p)
            events.append((t, hart, rnd, icount, body[p + 28:p + 28 + n]))
            p += 28 + n
        pos += 32 + csize
    return events


def structured_log(events, damage=None):
    """build.h's structured log input for EVENTS, 8 to a chunk; DAMAGE
    (chunk, ctl low bits, extra field bytes) gets one field wrong."""
    out = b""
    chunks = [events[i:i + 8] for i in range(0, len(events), 8)]
    for ci, chunk in enumerate(chunks):
        ctl, extra = 0, b""
        if damage and damage[0] == ci:
            ctl, extra = damage[1], damage[2]
        if ci == len(chunks) - 1:
            ctl |= 16
        out += bytes([ctl, len(chunk) - 1])
        for t, hart, rnd, icount, payload in chunk:
            payload = payload[:LOG_MAX_DATA - 1]
            out += struct.pack("<BBHIH", t - 1, 0xff if hart == 0xffffffff else hart & 0xff,
                               rnd & 0xffff, icount & 0xffffffff, len(payload))
            out += payload
        # build.h takes the damage's fields after the events.
        out += extra
        if ctl & 16:
            out += struct.pack("<H", 0)  # cut no bytes
    return out


def write(out_dir, name, data):
    if len(data) >= MAX_FILE:
        return
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, name), "wb") as f:
        f.write(data)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    rv, guests, out = sys.argv[1:]
    logs_dir, bundles_dir = os.path.join(out, "record_log"), os.path.join(out, "bundle")
    tmp = tempfile.mkdtemp()
    logs = {}
    for name in ("base", "timer", "ipi"):
        elf = os.path.join(guests, name + ".elf")
        log = os.path.join(tmp, name + ".rlog")
        run([rv, "record", "--log", log, "--digest-interval", "20000", "--harts", "2",
             "--kernel", elf], stdin=b"console input\n")
        logs[name] = log
        write(logs_dir, f"raw-{name}", b"\0" + open(log, "rb").read())
        events = log_events(log)
        write(logs_dir, f"struct-{name}", b"\1" + structured_log(events))
    events = log_events(logs["base"])
    # The guests take no input, so one event of each input kind, stamped
    # like the digest before them, joins a copy of the base log.
    _, _, rnd, icount, _ = events[-2]
    inputs = [(2, 0xffffffff, rnd, icount, b"typed\n"),
              (3, 0xffffffff, rnd, icount, bytes(range(60))),
              (4, 0xffffffff, rnd, icount, b""),
              (8, 0, rnd, icount, bytes(21) + b"\x13\0\0\0"),
              (5, 0xffffffff, rnd, icount, b"")]
    write(logs_dir, "struct-base-inputs",
          b"\1" + structured_log(events[:-1] + inputs + events[-1:]))
    # One of each kind of damage build.h does, in the first chunk.
    for ctl, extra in ((10, b"\x81"), (11, b"\x01"), (12, b""), (13, b"\x05\x00\x40"),
                       (14, b""), (15, b""), (32, b"")):
        write(logs_dir, f"struct-base-damage{ctl}", b"\1" + structured_log(events, (0, ctl, extra)))
    data = open(logs["base"], "rb").read()
    write(logs_dir, "raw-base-cut", b"\0" + data[:len(data) - 100])

    bundle = os.path.join(tmp, "base.rvb")
    run([rv, "bundle", "--log", logs["base"], "-o", bundle])
    write(bundles_dir, "raw-base", b"\0" + open(bundle, "rb").read())
    image = open(os.path.join(guests, "base.elf"), "rb").read()[:4096]
    slog = structured_log(events)
    for kind in range(13):
        # ctl: one image, the log structured, damage KIND to entry 0.
        body = bytes([4 | kind << 4, 0]) + slog + struct.pack("<H", len(image)) + image
        write(bundles_dir, f"struct-base-damage{kind}", b"\1" + body)


if __name__ == "__main__":
    main()
