#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of the mmio_program fuzz target
(fuzz_mmio_program.c has the encoding): programs that initialise each
virtio device as a driver does (virtio 1.2 section 3.1.1) and submit
requests, and one that programs the PLIC, UART, RTC and CLINT.

    tests/fuzz/machine/gen_mmio_seeds.py tests/fuzz/machine/corpus/mmio_program
"""
import os
import struct
import sys

DMA = 0x80001000  # FUZZ_DMA
SYSCON, RTC, CLINT, PLIC, UART = range(5)
BLK, NET, RNG = 5 + 7, 5 + 6, 5 + 5  # windows of virtio slots 7, 6, 5
QSIZE = 8

# Descriptor flags (2.7.5).
NEXT, WRITE, INDIRECT = 1, 2, 4


class Prog:
    def __init__(self):
        self.b = bytearray()

    def write(self, win, off, val, size=4):
        lg = {1: 0, 2: 1, 4: 2, 8: 3}[size]
        self.b += bytes([0 | lg << 3, win]) + off.to_bytes(3, "little")
        self.b += val.to_bytes(size, "little")

    def read(self, win, off, size=4):
        lg = {1: 0, 2: 1, 4: 2, 8: 3}[size]
        self.b += bytes([1 | lg << 3, win]) + off.to_bytes(3, "little")

    def mem(self, off, data):
        for i in range(0, len(data), 255):
            part = data[i:i + 255]
            self.b += bytes([2]) + (off + i).to_bytes(2, "little") + bytes([len(part)]) + part

    def desc(self, page, i, buf, length, flags, nxt=0):
        self.b += bytes([3, page, i]) + struct.pack("<HHBB", buf, length, flags, nxt)

    def avail(self, page, idx, head):
        self.b += bytes([4, page, QSIZE.bit_length() - 1]) + struct.pack("<HH", idx, head)

    def run(self, n):
        self.b += bytes([5, n])

    def input(self, what, data):
        self.b += bytes([6, what, len(data)]) + data

    def save(self):
        self.b += bytes([7])

    def virtio_init(self, win, queues, features=0):
        """queues: the ring page of each queue (descriptors at page,
        available ring at page + 1, used ring at page + 2); features: the
        low 32 feature bits the driver accepts."""
        for st in (0, 1, 3):
            self.write(win, 0x070, st)
        self.write(win, 0x024, 1)
        self.write(win, 0x020, 1)  # VIRTIO_F_VERSION_1
        self.write(win, 0x024, 0)
        self.write(win, 0x020, features)
        self.write(win, 0x070, 0xB)
        self.read(win, 0x070)
        for q, page in enumerate(queues):
            base = DMA + page * 256
            self.write(win, 0x030, q)
            self.read(win, 0x034)
            self.write(win, 0x038, QSIZE)
            for off, addr in ((0x080, base), (0x090, base + 256), (0x0A0, base + 512)):
                self.write(win, off, addr & 0xFFFFFFFF)
                self.write(win, off + 4, addr >> 32)
            self.write(win, 0x044, 1)
        self.write(win, 0x070, 0xF)


def blk_request(p, page, idx, head, typ, sector, data_len, buf):
    """A virtio-blk request (5.2.6) with header at buf, data after it."""
    p.mem(buf, struct.pack("<IIQ", typ, 0, sector))
    if data_len:
        p.desc(page, head, buf, 16, NEXT, head + 1)
        flags = NEXT | (WRITE if typ in (0, 8) else 0)
        if typ == 1:
            p.mem(buf + 16, bytes(range(256)) * (data_len // 256))
        p.desc(page, head + 1, buf + 16, data_len, flags, head + 2)
        p.desc(page, head + 2, buf + 16 + data_len, 1, WRITE)
    else:
        p.desc(page, head, buf, 16, NEXT, head + 1)
        p.desc(page, head + 1, buf + 16, 1, WRITE)
    p.avail(page + 1, idx, head)
    p.write(BLK, 0x050, 0)
    p.read(BLK, 0x060)
    p.write(BLK, 0x064, 1)


def seed_blk():
    p = Prog()
    p.virtio_init(BLK, [0x10])
    p.read(BLK, 0x100, 8)  # capacity
    blk_request(p, 0x10, 1, 0, 0, 1, 512, 0x4000)  # IN
    blk_request(p, 0x10, 2, 3, 1, 2, 512, 0x4400)  # OUT
    blk_request(p, 0x10, 3, 6, 4, 0, 0, 0x4800)  # FLUSH
    blk_request(p, 0x10, 4, 0, 8, 0, 20, 0x4900)  # GET_ID
    return p.b


def seed_blk_indirect():
    """One read whose three buffers sit in an indirect table (2.7.5.3)."""
    p = Prog()
    p.virtio_init(BLK, [0x10], features=1 << 28)  # VIRTIO_F_INDIRECT_DESC
    p.mem(0x4000, struct.pack("<IIQ", 0, 0, 3))
    # Indirect table at page 0x30: header, data, status.
    p.desc(0x30, 0, 0x4000, 16, NEXT, 1)
    p.desc(0x30, 1, 0x4010, 512, NEXT | WRITE, 2)
    p.desc(0x30, 2, 0x4210, 1, WRITE)
    p.desc(0x10, 0, 0x3000, 48, INDIRECT)  # table at DMA + 0x30 * 256
    p.avail(0x11, 1, 0)
    p.write(BLK, 0x050, 0)
    return p.b


def seed_net():
    p = Prog()
    p.virtio_init(NET, [0x20, 0x24])
    p.read(NET, 0x100, 4)  # MAC
    frame = bytes([0xFF] * 6 + [0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x08, 0x06]) + bytes(46)
    # Transmit: header and frame in one buffer.
    p.mem(0x5000, bytes(12) + frame)
    p.desc(0x24, 0, 0x5000, 12 + len(frame), 0)
    p.avail(0x25, 1, 0)
    p.write(NET, 0x050, 1)
    # Receive: two buffers, then a frame from the host.
    p.desc(0x20, 0, 0x6000, 1526, WRITE)
    p.desc(0x20, 1, 0x6800, 1526, WRITE)
    p.avail(0x21, 1, 0)
    p.avail(0x21, 2, 1)
    p.write(NET, 0x050, 0)
    p.input(1, frame)
    p.run(4)
    p.read(NET, 0x060)
    p.write(NET, 0x064, 3)
    return p.b


def seed_rng():
    p = Prog()
    p.virtio_init(RNG, [0x40])
    p.desc(0x40, 0, 0x7000, 64, WRITE)
    p.avail(0x41, 1, 0)
    p.write(RNG, 0x050, 0)
    p.desc(0x40, 1, 0x7100, 7, WRITE, 0)
    p.avail(0x41, 2, 1)
    p.write(RNG, 0x050, 0)
    p.save()
    return p.b


def seed_platform():
    p = Prog()
    for src in (1, 2, 3, 10, 11):
        p.write(PLIC, 4 * src, 1)
    p.write(PLIC, 0x2000, 0xFFE)  # hart 0 M-mode context enables
    p.write(PLIC, 0x2080, 0xFFE)  # S-mode
    p.write(PLIC, 0x200000, 0)
    p.write(UART, 3, 0x80, 1)  # DLAB
    p.write(UART, 0, 1, 1)
    p.write(UART, 3, 0x03, 1)
    p.write(UART, 2, 0xC7, 1)
    p.write(UART, 1, 0x0F, 1)
    p.write(UART, 0, ord("h"), 1)
    p.input(0, b"hello\n")
    p.run(2)
    p.read(UART, 2, 1)
    p.read(UART, 5, 1)
    p.read(UART, 0, 1)
    p.read(PLIC, 0x200004)
    p.write(PLIC, 0x200004, 10)
    p.write(RTC, 0x0C, 0)
    p.write(RTC, 0x08, 0x10)  # an alarm long past: fires at once
    p.write(RTC, 0x10, 1)
    p.read(RTC, 0x18)
    p.read(RTC, 0x00)
    p.read(RTC, 0x04)
    p.write(CLINT, 0x4000, 100)
    p.write(CLINT, 0x4004, 0)
    p.read(CLINT, 0xBFF8, 8)
    p.write(CLINT, 0x0000, 1)
    p.run(20)
    p.write(CLINT, 0x0000, 0)
    # An alarm about 3 s after boot (rtc_boot_ns of fuzz_machine.h is
    # 1.7e18 ns = 0x17979cfe_362a0000).
    p.write(RTC, 0x0C, 0x17979CFF)
    p.write(RTC, 0x08, 0)
    p.run(0x80 | 4)  # waits for it
    p.save()
    p.write(SYSCON, 0, 0x5555)
    return p.b


SEEDS = {
    "blk": seed_blk,
    "blk-indirect": seed_blk_indirect,
    "net": seed_net,
    "rng": seed_rng,
    "platform": seed_platform,
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, fn in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(fn())


if __name__ == "__main__":
    main()
