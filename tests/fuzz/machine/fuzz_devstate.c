// SPDX-License-Identifier: MIT
/*
 * Fuzz target: device-state records (hv/devstate.h), every device's
 * restore in its hv_dev_ops and, inside the virtio transport's record,
 * the device types' state hooks (virtio-net's receive FIFO, virtio-rng's
 * generator).
 *
 * Input: byte 0 selects the device (PLIC, UART, RTC, virtio-blk,
 * virtio-net, virtio-rng, an empty virtio slot; CLINT and syscon keep no
 * state), byte 1 the mode:
 *   bit 0  raw: the rest of the input is the record; else the rest is
 *          patches applied to a real record of that device (below)
 *   bit 1  the real record is the device's after some activity (a driver
 *          set up every virtio device and submitted requests, frames wait
 *          in the network FIFO, UART, PLIC and RTC programmed), else its
 *          power-on record
 *   bit 2  restore into a machine after that activity, else a fresh one
 * A patch is one byte (bits 0-1: width 1/2/4/8; bits 2-3: overwrite, add,
 * insert, truncate), a u16 offset (modulo the record's length) and a
 * little-endian value of that width.
 *
 * Checked, beyond the sanitizers:
 *   - a refused record leaves the device as it was (its record unchanged);
 *   - an accepted record saves back byte for byte (a restore that accepts
 *     what the device cannot represent, or normalises it, shows here);
 *   - the device then works: the hart runs, the harness accesses the
 *     device's registers, notifies every queue, delivers frames, and a
 *     virtio device's interrupt goes down when every bit is acknowledged;
 *   - whatever state it reaches from there saves into a record that its
 *     own restore accepts and that saves back unchanged.
 */
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/machine/fuzz_machine.h"

#include "hv/dev/plic.h"
#include "hv/dev/rtc.h"
#include "hv/dev/uart.h"
#include "hv/dev/virtio/virtio_net.h"

enum { DEV_PLIC, DEV_UART, DEV_RTC, DEV_BLK, DEV_NET, DEV_RNG, DEV_EMPTY, NDEV };

static const gpa_t dev_base[NDEV] = {
	HV_PLIC_BASE,
	HV_UART_BASE,
	HV_RTC_BASE,
	HV_VIRTIO_BASE + FUZZ_BLK_SLOT *HV_VIRTIO_STRIDE,
	HV_VIRTIO_BASE + FUZZ_NET_SLOT *HV_VIRTIO_STRIDE,
	HV_VIRTIO_BASE + FUZZ_RNG_SLOT *HV_VIRTIO_STRIDE,
	HV_VIRTIO_BASE,
};

#define RING(slot) (FUZZ_DMA + 0x10000u + (slot)*0x4000u)
#define BUF (FUZZ_DMA + 0x40000u)

static const uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52,
				   0x54, 0x00, 0x12, 0x34, 0x57, 0x08, 0x06 };

/* A driver and the world act on the machine: every record then holds
 * more than its power-on zeros. */
static void activity(struct machine *m)
{
	gpa_t r;

	/* UART: 8N1, FIFO on with trigger 14, all interrupts, input waiting. */
	bus_write(m, HV_UART_BASE + 3, 1, 0x03);
	bus_write(m, HV_UART_BASE + 2, 1, 0xc1);
	bus_write(m, HV_UART_BASE + 1, 1, 0x0f);
	bus_write(m, HV_UART_BASE + 7, 1, 0x5a);
	for (unsigned i = 0; i < 5; i++)
		uart_push_rx(m->uart, (uint8_t)('a' + i));
	/* PLIC: every source of ours enabled for hart 0's S-mode context. */
	for (unsigned s = 1; s <= 11; s++)
		fuzz_w32(m, HV_PLIC_BASE + 4 * s, 1 + s % 7);
	fuzz_w32(m, HV_PLIC_BASE + 0x2080, 0xffe);
	fuzz_w32(m, HV_PLIC_BASE + 0x201000, 1);
	/* RTC: an alarm in the future, interrupts on. */
	fuzz_w32(m, HV_RTC_BASE + 0x0c, 0x7fffffffu);
	fuzz_w32(m, HV_RTC_BASE + 0x08, 0x1234u);
	fuzz_w32(m, HV_RTC_BASE + 0x10, 1);

	/* virtio-blk: read sector 1. */
	r = RING(FUZZ_BLK_SLOT);
	fuzz_virtio_init(m, FUZZ_BLK_SLOT, 1, 8, r);
	{
		uint8_t hdr[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 };

		machine_write_phys(m, BUF, hdr, sizeof(hdr));
	}
	fuzz_desc(m, r, 0, BUF, 16, 1, 1);
	fuzz_desc(m, r, 1, BUF + 0x100, 512, 3, 2);
	fuzz_desc(m, r, 2, BUF + 0x400, 1, 2, 0);
	fuzz_avail(m, r + 0x100, 8, 1, 0);
	fuzz_w32(m, dev_base[DEV_BLK] + 0x050, 0);

	/* virtio-rng: 64 bytes. */
	r = RING(FUZZ_RNG_SLOT);
	fuzz_virtio_init(m, FUZZ_RNG_SLOT, 1, 8, r);
	fuzz_desc(m, r, 0, BUF + 0x1000, 61, 2, 0);
	fuzz_avail(m, r + 0x100, 8, 1, 0);
	fuzz_w32(m, dev_base[DEV_RNG] + 0x050, 0);

	/* virtio-net: one frame sent, three waiting for receive buffers. */
	r = RING(FUZZ_NET_SLOT);
	fuzz_virtio_init(m, FUZZ_NET_SLOT, 2, 8, r);
	machine_write_phys(m, BUF + 0x2000 + 12, frame, sizeof(frame));
	fuzz_desc(m, r + 0x1000, 0, BUF + 0x2000, 12 + sizeof(frame), 0, 0);
	fuzz_avail(m, r + 0x1100, 8, 1, 0);
	fuzz_w32(m, dev_base[DEV_NET] + 0x050, 1);
	for (unsigned i = 0; i < 3; i++)
		virtio_net_input(m->net, frame, sizeof(frame) - i);
	fuzz_run(m, 200);
}

static struct devstate_w saved[2][NDEV];

static void save(struct hv_dev *d, struct devstate_w *w)
{
	devstate_w_init(w);
	d->ops->save(d->opaque, w);
	if (w->error)
		abort();
}

/* FUZZ_DUMP_SEEDS=DIR: write the raw-mode inputs of every real record
 * there (how corpus/devstate/raw-* were made). */
static void dump_seeds(const char *dir)
{
	if (!dir)
		return;
	for (unsigned a = 0; a < 2; a++) {
		for (unsigned i = 0; i < NDEV; i++) {
			char path[512];
			uint8_t head[2] = { (uint8_t)i, (uint8_t)(1 | a << 1 | a << 2) };
			FILE *f;

			snprintf(path, sizeof(path), "%s/raw-%u-%s", dir, i,
				 a ? "active" : "poweron");
			f = fopen(path, "wb");
			if (!f || fwrite(head, 1, 2, f) != 2 ||
			    fwrite(saved[a][i].buf, 1, saved[a][i].len, f) != saved[a][i].len)
				abort();
			fclose(f);
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (unsigned a = 0; a < 2; a++) {
		struct machine *m = fuzz_machine_new();

		if (a)
			activity(m);
		for (unsigned i = 0; i < NDEV; i++)
			save(fuzz_dev_at(m, dev_base[i]), &saved[a][i]);
		machine_destroy(m);
	}
	dump_seeds(getenv("FUZZ_DUMP_SEEDS"));
	return 0;
}

/* The record: raw, or a real one with patches. Returns its length. */
static size_t build_record(uint8_t *out, size_t cap, const struct devstate_w *base, bool raw,
			   struct fuzz_in *in)
{
	size_t len;

	if (raw) {
		len = in->n < cap ? in->n : cap;
		memcpy(out, in->p, len);
		return len;
	}
	len = base->len;
	memcpy(out, base->buf, len);
	while (in->n) {
		unsigned op = (unsigned)fuzz_take(in, 1);
		unsigned width = 1u << (op & 3);
		size_t off = len ? (size_t)fuzz_take(in, 2) % len : 0;
		uint64_t v = fuzz_take(in, width);

		switch ((op >> 2) & 3) {
		case 0: /* overwrite */
			if (off + width > len)
				off = len > width ? len - width : 0;
			for (unsigned k = 0; k < width && off + k < len; k++)
				out[off + k] = (uint8_t)(v >> (8 * k));
			break;
		case 1: { /* add to a little-endian field */
			uint64_t f = 0;

			for (unsigned k = 0; k < width && off + k < len; k++)
				f |= (uint64_t)out[off + k] << (8 * k);
			f += v;
			for (unsigned k = 0; k < width && off + k < len; k++)
				out[off + k] = (uint8_t)(f >> (8 * k));
			break;
		}
		case 2: /* insert */
			if (len + width > cap)
				break;
			memmove(out + off + width, out + off, len - off);
			for (unsigned k = 0; k < width; k++)
				out[off + k] = (uint8_t)(v >> (8 * k));
			len += width;
			break;
		default: /* truncate */
			len = off;
			break;
		}
	}
	return len;
}

static bool same(const struct devstate_w *w, const uint8_t *p, size_t len)
{
	return w->len == len && (len == 0 || memcmp(w->buf, p, len) == 0);
}

/* Restore rec into d; on refusal the device must be as it was. */
static bool restore(struct hv_dev *d, const uint8_t *rec, size_t len)
{
	struct devstate_w before, after;
	struct devstate_r r;
	int ret;

	save(d, &before);
	devstate_r_init(&r, rec, len);
	ret = d->ops->restore(d->opaque, &r);
	if (ret != 0) {
		save(d, &after);
		if (!same(&after, before.buf, before.len)) {
			fuzz_fail("%s: a refused record (%s) changed the device", d->name, r.msg);
		}
		devstate_w_free(&after);
	}
	devstate_w_free(&before);
	return ret == 0;
}

/* An accepted record saves back unchanged. */
static void check_round_trip(struct hv_dev *d, const uint8_t *rec, size_t len)
{
	struct devstate_w w;

	save(d, &w);
	if (!same(&w, rec, len)) {
		fuzz_fail("%s: restored a %zu-byte record that saves back as %zu other bytes",
			  d->name, len, w.len);
	}
	devstate_w_free(&w);
}

/* Use the device after the restore. */
static void exercise(struct machine *m, unsigned dev, struct hv_dev *d)
{
	gpa_t b = d->base;

	if (!fuzz_run(m, 300))
		return;
	switch (dev) {
	case DEV_PLIC:
		for (unsigned c = 0; c < 2; c++) {
			gpa_t ctx = b + 0x200000 + 0x1000 * c;
			uint64_t src = fuzz_r(m, ctx + 4, 4);

			fuzz_w32(m, ctx + 4, (uint32_t)src);
			fuzz_r(m, b + 0x1000, 4);
		}
		break;
	case DEV_UART:
		for (unsigned off = 0; off < 8; off++)
			fuzz_r(m, b + off, 1);
		bus_write(m, b, 1, 'x');
		uart_push_rx(m->uart, 'y');
		fuzz_r(m, b + 2, 1);
		fuzz_r(m, b, 1);
		break;
	case DEV_RTC:
		for (unsigned off = 0; off <= 0x1c; off += 4)
			fuzz_r(m, b + off, 4);
		rtc_tick(m->rtc);
		fuzz_w32(m, b + 0x1c, 1);
		break;
	default:
		for (unsigned off = 0; off < 0x100; off += 4)
			fuzz_r(m, b + off, 4);
		for (unsigned q = 0; q < 2; q++)
			fuzz_w32(m, b + 0x050, q);
		if (dev == DEV_NET) {
			virtio_net_input(m->net, frame, sizeof(frame));
			virtio_net_deliver_queued(m->net);
		}
		/* Acknowledging every bit lowers the line (4.2.2), whatever
		 * state was restored. */
		fuzz_w32(m, b + 0x064, ~0u);
		unsigned src = HV_VIRTIO_IRQ0 + (unsigned)((b - HV_VIRTIO_BASE) / HV_VIRTIO_STRIDE);
		if ((fuzz_r(m, HV_PLIC_BASE + 0x1000, 4) >> src) & 1) {
			fuzz_fail("%s: its interrupt stays pending after InterruptACK of every bit",
				  d->name);
		}
		break;
	}
	fuzz_run(m, 300);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t rec[1u << 20];
	struct fuzz_in in = { data, size };
	unsigned dev, mode;
	struct machine *m;
	struct hv_dev *d;
	struct devstate_w w;
	size_t len;

	if (size < 2)
		return 0;
	dev = (unsigned)fuzz_take(&in, 1) % NDEV;
	mode = (unsigned)fuzz_take(&in, 1);
	len = build_record(rec, sizeof(rec), &saved[(mode >> 1) & 1][dev], mode & 1, &in);

	m = fuzz_machine_new();
	if (mode & 4)
		activity(m);
	d = fuzz_dev_at(m, dev_base[dev]);
	if (restore(d, rec, len)) {
		check_round_trip(d, rec, len);
		exercise(m, dev, d);
		/* Whatever the device did since, its own record restores. */
		save(d, &w);
		memcpy(rec, w.buf, w.len);
		len = w.len;
		devstate_w_free(&w);
		if (!restore(d, rec, len)) {
			fuzz_fail("%s: refuses the record it saved after running from a restored "
				  "state",
				  d->name);
		}
		check_round_trip(d, rec, len);
	}
	machine_destroy(m);
	return 0;
}
