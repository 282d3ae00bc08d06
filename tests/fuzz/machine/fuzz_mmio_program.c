// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the devices as a guest drives them (the idea of QEMU's
 * generic virtual-device fuzzer). The input is a program run on the
 * machine of fuzz_machine.h (bare boot, one hart, every device, virtio-blk
 * on a small disk, virtio-net without a host network, virtio-rng): MMIO
 * accesses to every device window, writes of guest memory (descriptor
 * tables, rings, indirect tables, buffers), host input, and steps of the
 * machine, so that the round-boundary work runs (the RTC's alarm, console
 * input to the UART, frames into receive buffers).
 *
 * Encoding, one operation after another; the first byte of each is
 * op = kind | size << 3 | reg << 5, size selecting 1/2/4/8 bytes and reg
 * whether the offset is an index into the device's table of interesting
 * registers (queue setup, notify, status, config ...) or a raw offset:
 *
 *   0 write  dev u8 (mod window count), offset (reg: u8 index; else u24
 *            mod window size), value of the access size
 *   1 read   dev, offset
 *   2 memory u16 offset into the guest area at FUZZ_DMA, u8 length, bytes
 *   3 desc   u8 table page, u8 index, u16 buffer offset, u16 length,
 *            u8 flags, u8 next: one split-ring descriptor whose address
 *            is FUZZ_DMA + buffer offset, in the table at FUZZ_DMA +
 *            page * 256
 *   4 avail  u8 ring page, u8 queue size (log2), u16 new index, u16 head:
 *            head into the ring entry before the new index, then the index
 *   5 run    u8 n: about 16 * (n % 128 + 1) instructions, with the boundary
 *            work, of a counting loop or, if n & 128, a WFI loop (the
 *            clock then jumps to the next timer or RTC alarm)
 *   6 input  u8 what (even: console bytes, odd: a network frame), u8
 *            length, bytes; then the queued frames are delivered
 *   7 save   every device saves its state and restores it: the machine
 *            must go on as before (and the records save back the same)
 *
 * Windows: syscon, RTC, CLINT, PLIC, UART, then the 8 virtio slots (blk
 * in 7, net in 6, rng in 5, placeholders). A syscon poweroff or reboot
 * ends the program. Every guest-driven loop in a device must be bounded:
 * libFuzzer's timeout catches one that is not. Every program runs on two
 * machines, which must end in the same state (determinism).
 */
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/machine/fuzz_machine.h"

#include "hv/dev/virtio/virtio_net.h"

struct window {
	gpa_t base;
	uint64_t size;
	const uint16_t *regs; /* interesting offsets */
	unsigned nregs;
};

static const uint16_t syscon_regs[] = { 0 };
static const uint16_t rtc_regs[] = { 0x00, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c };
/* CLINT: msip, mtimecmp halves, mtime halves. */
static const uint16_t clint_regs[] = { 0x0000, 0x4000, 0x4004, 0xbff8, 0xbffc };
/* PLIC offsets / 16 would lose the context registers: the table keeps
 * them whole, below as 32-bit numbers. */
static const uint32_t plic_regs32[] = {
	0x04, 0x08,   0x0c,   0x10,   0x14,     0x18,     0x1c,     0x20,     0x28,
	0x2c, 0x1000, 0x2000, 0x2080, 0x200000, 0x200004, 0x201000, 0x201004,
};
static const uint16_t uart_regs[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
static const uint16_t virtio_regs[] = {
	0x000, 0x008, 0x010, 0x014, 0x020, 0x024, 0x030, 0x034, 0x038, 0x044, 0x050,
	0x060, 0x064, 0x070, 0x080, 0x084, 0x090, 0x094, 0x0a0, 0x0a4, 0x0ac, 0x0b0,
	0x0c0, 0x0fc, 0x100, 0x104, 0x108, 0x10c, 0x110, 0x114, 0x120,
};

#define NWIN (5 + HV_VIRTIO_SLOTS)
#define PLIC_WIN 3

static struct window win[NWIN];

static void windows_init(void)
{
	static const struct window fixed[5] = {
		{ HV_SYSCON_BASE, 0x1000, syscon_regs, HV_ARRAY_LEN(syscon_regs) },
		{ HV_RTC_BASE, 0x1000, rtc_regs, HV_ARRAY_LEN(rtc_regs) },
		{ HV_CLINT_BASE, HV_CLINT_SIZE, clint_regs, HV_ARRAY_LEN(clint_regs) },
		{ HV_PLIC_BASE, HV_PLIC_SIZE, NULL, HV_ARRAY_LEN(plic_regs32) },
		{ HV_UART_BASE, 0x100, uart_regs, HV_ARRAY_LEN(uart_regs) },
	};

	for (unsigned i = 0; i < 5; i++)
		win[i] = fixed[i];
	for (unsigned s = 0; s < HV_VIRTIO_SLOTS; s++)
		win[5 + s] = (struct window){ HV_VIRTIO_BASE + s * HV_VIRTIO_STRIDE,
					      HV_VIRTIO_STRIDE, virtio_regs,
					      HV_ARRAY_LEN(virtio_regs) };
}

static gpa_t pick_addr(struct fuzz_in *in, bool reg)
{
	const struct window *w = &win[fuzz_take(in, 1) % NWIN];
	uint64_t off;

	if (reg) {
		unsigned i = (unsigned)fuzz_take(in, 1) % w->nregs;

		off = w->regs ? w->regs[i] : plic_regs32[i];
	} else {
		off = fuzz_take(in, 3) % w->size;
	}
	return w->base + off;
}

/* Save every device and restore the records into the same devices: a
 * snapshot taken and loaded between two instructions changes nothing. */
static void save_restore_all(struct machine *m)
{
	uint64_t before = machine_devices_digest(m);

	for (unsigned i = 0; i < m->ndev; i++) {
		struct hv_dev *d = m->dev[i];
		struct devstate_w w, again;
		struct devstate_r r;

		if (!d->ops->save)
			continue;
		devstate_w_init(&w);
		d->ops->save(d->opaque, &w);
		devstate_r_init(&r, w.buf, w.len);
		if (w.error || d->ops->restore(d->opaque, &r) != 0)
			fuzz_fail("%s: refuses the record it just saved: %s", d->name, r.msg);
		devstate_w_init(&again);
		d->ops->save(d->opaque, &again);
		if (again.len != w.len || memcmp(again.buf, w.buf, w.len) != 0)
			fuzz_fail("%s: saves another record after restoring its own", d->name);
		devstate_w_free(&w);
		devstate_w_free(&again);
	}
	if (machine_devices_digest(m) != before)
		fuzz_fail("the devices' digest changed across a save and restore");
}

static void run_program(struct machine *m, const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };

	while (in.n && m->stop == STOP_NONE) {
		unsigned op = (unsigned)fuzz_take(&in, 1);
		unsigned size = 1u << ((op >> 3) & 3);
		bool reg = (op >> 5) & 1;

		switch (op & 7) {
		case 0: {
			gpa_t pa = pick_addr(&in, reg);

			bus_write(m, pa, size, fuzz_take(&in, size));
			break;
		}
		case 1: {
			uint64_t v = 0;

			bus_read(m, pick_addr(&in, reg), size, &v);
			if (size < 8 && (v >> (8 * size)))
				fuzz_fail("a %u-byte read returned 0x%llx", size,
					  (unsigned long long)v);
			break;
		}
		case 2: {
			gpa_t pa = FUZZ_DMA + fuzz_take(&in, 2);
			size_t len = (size_t)fuzz_take(&in, 1);

			if (len > in.n)
				len = in.n;
			machine_write_phys(m, pa, in.p, len);
			in.p += len;
			in.n -= len;
			break;
		}
		case 3: {
			gpa_t table = FUZZ_DMA + fuzz_take(&in, 1) * 256;
			unsigned i = (unsigned)fuzz_take(&in, 1);
			gpa_t addr = FUZZ_DMA + fuzz_take(&in, 2);
			uint32_t len = (uint32_t)fuzz_take(&in, 2);
			uint16_t flags = (uint16_t)fuzz_take(&in, 1);
			uint16_t next = (uint16_t)fuzz_take(&in, 1);

			fuzz_desc(m, table, i, addr, len, flags, next);
			break;
		}
		case 4: {
			gpa_t ring = FUZZ_DMA + fuzz_take(&in, 1) * 256;
			unsigned qsize = 1u << (fuzz_take(&in, 1) % 11);
			uint16_t idx = (uint16_t)fuzz_take(&in, 2);
			uint16_t head = (uint16_t)fuzz_take(&in, 2);

			fuzz_avail(m, ring, qsize, idx, head);
			break;
		}
		case 5: {
			unsigned n = (unsigned)fuzz_take(&in, 1);

			m->hart[0]->pc = n & 0x80 ? FUZZ_CODE_WFI : FUZZ_CODE;
			m->hart[0]->wfi = false;
			fuzz_run(m, 16 * ((n & 0x7f) + 1));
			break;
		}
		case 6: {
			unsigned what = (unsigned)fuzz_take(&in, 1);
			size_t len = (size_t)fuzz_take(&in, 1);

			if (len > in.n)
				len = in.n;
			if (what & 1)
				virtio_net_input(m->net, in.p, len);
			else
				machine_console_input(m, in.p, len);
			in.p += len;
			in.n -= len;
			virtio_net_deliver_queued(m->net);
			break;
		}
		default:
			save_restore_all(m);
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct machine *a, *b;

	if (!win[0].size)
		windows_init();
	a = fuzz_machine_new();
	b = fuzz_machine_new();
	run_program(a, data, size);
	run_program(b, data, size);
	/* Determinism (ARCHITECTURE.md section 1): the same inputs, the same
	 * machine. */
	if (a->stop != b->stop || a->total_insns != b->total_insns ||
	    machine_digest(a) != machine_digest(b))
		fuzz_fail("two runs of the program end in different states");
	machine_destroy(a);
	machine_destroy(b);
	return 0;
}
