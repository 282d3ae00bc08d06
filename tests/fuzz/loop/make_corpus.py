#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of the virtio_loop target (corpus/virtio_loop/):
programs for the vfuzz guest (vfuzz.c has the operation table) that set
each device up correctly and submit valid requests, which the fuzzer then
mutates into invalid ones. The machine the harness and loop_test.sh build
has, from the highest virtio-mmio slot down: two drives (slots 7 and 6),
the NIC (5) and the entropy device (4); slots 0-3 are empty.

    make_corpus.py [DIR]
"""
import os
import struct
import sys

BLK0, BLK1, NET, RNG, EMPTY = 7, 6, 5, 4, 0
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4


def w32(slot, reg, val):
    return struct.pack("<BBBI", 0, slot, reg, val)


def r32(slot, reg):
    return struct.pack("<BBB", 1, slot, reg)


def init(slot, q, num=16, feat=0xFFFFFFFF, both=False):
    return struct.pack("<BBBBI", 0x12 if both else 2, slot, q, num, feat)


def desc(slot, q, i, off, length, flags, nxt):
    return struct.pack("<BBBBHIBB", 3, slot, q, i, off, length, flags, nxt)


def kick(slot, q, head):
    return struct.pack("<BBBB", 4, slot, q, head)


def memw(off, data):
    out = b""
    for k in range(0, len(data), 255):
        part = data[k:k + 255]
        out += struct.pack("<BBHB", 6, 0, off + k, len(part)) + part
    return out


def cfgr(slot, off):
    return struct.pack("<BBB", 8, slot, off)


def cfgw(slot, off, val):
    return struct.pack("<BBBB", 7, slot, off, val)


def qreset(slot, q):
    return struct.pack("<BBB", 10, slot, q)


def indirect(slot, q, i, n):
    return struct.pack("<BBBBB", 11, slot, q, i, n)


def idesc(k, off, length, flags, nxt):
    return struct.pack("<BBBHIBB", 15, 0, k, off, length, flags, nxt)


def ack(slot):
    return struct.pack("<BB", 12, slot)


def status(slot, val):
    return struct.pack("<BBB", 14, slot, val)


def blk_req(slot, kind, sector, nbytes=512, data=b""):
    """A request in three descriptors: header, data, status."""
    hdr = struct.pack("<IIQ", kind, 0, sector)
    write = F_WRITE if kind in (0, 8) else 0
    return (init(slot, 0) + memw(0, hdr) + memw(0x1000, data) +
            desc(slot, 0, 0, 0, 16, F_NEXT, 1) +
            desc(slot, 0, 1, 0x1000, nbytes, F_NEXT | write, 2) +
            desc(slot, 0, 2, 0x3000, 1, F_WRITE, 0) + kick(slot, 0, 0) + ack(slot))


def programs():
    p = {}
    p["blk_read"] = blk_req(BLK0, 0, 0)
    p["blk_write"] = blk_req(BLK1, 1, 3, 512, b"W" * 512)
    p["blk_flush"] = (init(BLK0, 0) + memw(0, struct.pack("<IIQ", 4, 0, 0)) +
                      desc(BLK0, 0, 0, 0, 16, F_NEXT, 1) + desc(BLK0, 0, 1, 0x3000, 1, F_WRITE, 0) +
                      kick(BLK0, 0, 0))
    p["blk_get_id"] = blk_req(BLK0, 8, 0, 20)
    p["blk_indirect"] = (init(BLK0, 0) + memw(0, struct.pack("<IIQ", 0, 0, 1)) +
                         idesc(0, 0, 16, F_NEXT, 1) + idesc(1, 0x1000, 512, F_NEXT | F_WRITE, 2) +
                         idesc(2, 0x3000, 1, F_WRITE, 0) + indirect(BLK0, 0, 0, 3) +
                         kick(BLK0, 0, 0) + ack(BLK0))
    p["blk_config"] = init(BLK0, 0) + b"".join(cfgr(BLK0, o) for o in range(0, 64, 4)) + \
        cfgw(BLK0, 0, 1)
    p["blk_queue_reset"] = blk_req(BLK0, 0, 0) + qreset(BLK0, 0) + blk_req(BLK0, 0, 2)
    p["blk_two_requests"] = blk_req(BLK0, 0, 0) + blk_req(BLK0, 1, 9, 512, b"x" * 512) + \
        blk_req(BLK0, 0, 9)
    p["rng"] = (init(RNG, 0) + desc(RNG, 0, 0, 0x2000, 64, F_WRITE, 0) + kick(RNG, 0, 0) +
                desc(RNG, 0, 1, 0x2100, 4096, F_WRITE, 0) + kick(RNG, 0, 1) + ack(RNG))
    # virtio-net: rx buffers on queue 0; an ARP request for the gateway
    # (10.0.2.2) on queue 1 behind the 12-byte virtio_net_hdr.
    arp = (b"\xff" * 6 + bytes.fromhex("525400123456") + b"\x08\x06" +
           bytes.fromhex("0001080006040001") + bytes.fromhex("525400123456") +
           bytes([10, 0, 2, 15]) + b"\x00" * 6 + bytes([10, 0, 2, 2]))
    net = (init(NET, 0, both=True) +
           desc(NET, 0, 0, 0x4000, 1526, F_WRITE, 0) + desc(NET, 0, 1, 0x4800, 1526, F_WRITE, 0) +
           kick(NET, 0, 0) + kick(NET, 0, 1) +
           memw(0x5000, b"\x00" * 12 + arp) + desc(NET, 1, 0, 0x5000, 12 + len(arp), 0, 0) +
           kick(NET, 1, 0) + ack(NET))
    p["net_arp"] = net
    p["net_config"] = init(NET, 0) + b"".join(cfgr(NET, o) for o in range(0, 12))
    p["status_dance"] = b"".join(status(s, v) for s in (BLK0, NET, RNG, EMPTY)
                                 for v in (1, 3, 11, 15, 0x80, 0))
    p["registers"] = b"".join(r32(s, r) for s in range(8) for r in range(30))
    p["empty_slot"] = init(EMPTY, 0) + kick(EMPTY, 0, 0) + w32(EMPTY, 8, 7)
    return p


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "virtio_loop")
    os.makedirs(out, exist_ok=True)
    for name, data in programs().items():
        assert len(data) <= 4096, name
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
