// SPDX-License-Identifier: MIT
/*
 * Bare-metal M-mode guest that misprograms virtio-blk on purpose (issue 3,
 * "Bad input"): for each way a driver can break the virtio-mmio transport
 * or a split virtqueue (virtio 1.2 sections 4.2 and 2.7) it sets the
 * device up, commits the error, checks the device's answer, resets the
 * device and proves it works again with a valid read of sector 0.
 *
 * Expected answers: DEVICE_NEEDS_RESET (status bit 64), plus a
 * configuration-change interrupt (InterruptStatus bit 1 and the PLIC
 * source pending) when the error happens after DRIVER_OK; notifications
 * on a queue that is not ready are ignored (nothing used, no NEEDS_RESET).
 * Nothing in the guest may trap.
 *
 * The disk (given by run_virtio_guest.sh) starts with the ASCII marker
 * DISK_MARKER in sector 0. The guest finds the device by scanning the 8
 * virtio-mmio slots for DeviceID 2, prints one line per case
 * ("virtio-guest <case> ok" or "... FAIL <what>"), and powers off through
 * the syscon test device: 0x5555 when all passed, else 0x3333 | failures
 * << 16. It assumes 128 MiB of RAM (the RAM-end case).
 *
 * Built on the M-mode bare runtime (tests/rt/bare: console, power-off, an
 * unexpected trap fails the guest with its cause) with RT_GUEST_NAME
 * "virtio-guest".
 */
#include "rt.h"

#define PLIC_PENDING 0x0c001000ul
#define VIRTIO_BASE 0x10001000ul
#define VIRTIO_STRIDE 0x1000ul
#define VIRTIO_SLOTS 8
#define VIRTIO_IRQ0 1
#define RAM_END (0x80000000ul + (128ul << 20))

#define DISK_MARKER "RETROVISOR-VIRTIO-DISK"

/* virtio-mmio registers (4.2.2). */
#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEV_FEATURES 0x010
#define R_DEV_FEATURES_SEL 0x014
#define R_DRV_FEATURES 0x020
#define R_DRV_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INT_STATUS 0x060
#define R_INT_ACK 0x064
#define R_STATUS 0x070
#define R_DESC_LO 0x080
#define R_DESC_HI 0x084
#define R_DRIVER_LO 0x090
#define R_DRIVER_HI 0x094
#define R_DEVICE_LO 0x0a0
#define R_DEVICE_HI 0x0a4

#define S_ACK 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u
#define S_NEEDS_RESET 64u

#define F_INDIRECT (1ul << 28)
#define F_VERSION_1 (1ul << 32)

#define D_NEXT 1
#define D_WRITE 2
#define D_INDIRECT 4

#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_T_FLUSH 4
#define BLK_T_GET_ID 8

/* Guest memory used for the queues and buffers (above the image). */
#define Q_DESC 0x80100000ul
#define Q_AVAIL 0x80101000ul
#define Q_USED 0x80102000ul
#define B_HDR 0x80103000ul
#define B_DATA 0x80104000ul
#define B_STATUS 0x80106000ul
#define B_TABLE 0x80107000ul
#define B_TABLE2 0x80108000ul
#define QSIZE 8

static u64 dev_base;
static unsigned dev_slot;
static u16 avail_idx;
static unsigned failures, cases;

/* ---- memory helpers ---- */

static void w8(u64 a, u8 v)
{
	*(volatile u8 *)a = v;
}
static void w16(u64 a, u16 v)
{
	*(volatile u16 *)a = v;
}
static void w32(u64 a, u32 v)
{
	*(volatile u32 *)a = v;
}
static void w64(u64 a, u64 v)
{
	*(volatile u64 *)a = v;
}
static u8 r8(u64 a)
{
	return *(volatile u8 *)a;
}
static u16 r16(u64 a)
{
	return *(volatile u16 *)a;
}
static u32 r32(u64 a)
{
	return *(volatile u32 *)a;
}

static void fill(u64 a, u8 v, u64 n)
{
	for (u64 i = 0; i < n; i++)
		w8(a + i, v);
}

static u32 reg(u64 off)
{
	return r32(dev_base + off);
}
static void set_reg(u64 off, u32 v)
{
	w32(dev_base + off, v);
}

static int irq_pending(void)
{
	unsigned src = VIRTIO_IRQ0 + dev_slot;

	return (r32(PLIC_PENDING + 4 * (src / 32)) >> (src % 32)) & 1;
}

/* ---- checks ---- */

static const char *cur_case;
static int case_ok;

static void check(u64 cond, const char *what)
{
	if (cond || !case_ok)
		return;
	case_ok = 0;
	rt_puts("virtio-guest ");
	rt_puts(cur_case);
	rt_puts(" FAIL ");
	rt_puts(what);
	rt_putc('\n');
}

static void begin(const char *name)
{
	cur_case = name;
	case_ok = 1;
	cases++;
}

static void end(void)
{
	if (case_ok) {
		rt_puts("virtio-guest ");
		rt_puts(cur_case);
		rt_puts(" ok\n");
	} else {
		failures++;
	}
}

/* ---- driver ---- */

static void desc(u64 table, unsigned i, u64 addr, u32 len, u16 flags, u16 next)
{
	u64 d = table + 16ul * i;

	w64(d, addr);
	w32(d + 8, len);
	w16(d + 12, flags);
	w16(d + 14, next);
}

/* Reset, negotiate VERSION_1 | INDIRECT_DESC (3.1.1 steps 1-6). */
static void negotiate(void)
{
	u64 offer;

	set_reg(R_STATUS, 0);
	check(reg(R_STATUS) == 0, "status after reset is not 0");
	check(reg(R_INT_STATUS) == 0, "interrupt status after reset is not 0");
	set_reg(R_STATUS, S_ACK);
	set_reg(R_STATUS, S_ACK | S_DRIVER);
	set_reg(R_DEV_FEATURES_SEL, 0);
	offer = reg(R_DEV_FEATURES);
	set_reg(R_DEV_FEATURES_SEL, 1);
	offer |= (u64)reg(R_DEV_FEATURES) << 32;
	check(offer & F_VERSION_1, "VERSION_1 not offered");
	offer &= F_VERSION_1 | F_INDIRECT;
	set_reg(R_DRV_FEATURES_SEL, 0);
	set_reg(R_DRV_FEATURES, (u32)offer);
	set_reg(R_DRV_FEATURES_SEL, 1);
	set_reg(R_DRV_FEATURES, (u32)(offer >> 32));
	set_reg(R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	check(reg(R_STATUS) & S_FEATURES_OK, "FEATURES_OK refused");
}

/* Queue 0 with qsize entries at the standard place; zeroed first. */
static void setup_queue(u32 qsize, int ready)
{
	fill(Q_DESC, 0, 3 * 0x1000);
	avail_idx = 0;
	set_reg(R_QUEUE_SEL, 0);
	check(reg(R_QUEUE_READY) == 0, "queue ready before setup");
	check(reg(R_QUEUE_NUM_MAX) >= QSIZE, "QueueNumMax too small");
	set_reg(R_QUEUE_NUM, qsize);
	set_reg(R_DESC_LO, (u32)Q_DESC);
	set_reg(R_DESC_HI, (u32)(Q_DESC >> 32));
	set_reg(R_DRIVER_LO, (u32)Q_AVAIL);
	set_reg(R_DRIVER_HI, (u32)(Q_AVAIL >> 32));
	set_reg(R_DEVICE_LO, (u32)Q_USED);
	set_reg(R_DEVICE_HI, (u32)(Q_USED >> 32));
	if (ready)
		set_reg(R_QUEUE_READY, 1);
}

static void driver_ok(void)
{
	set_reg(R_STATUS, reg(R_STATUS) | S_DRIVER_OK);
}

static void init_device(u32 qsize)
{
	negotiate();
	setup_queue(qsize, 1);
	check(reg(R_QUEUE_READY) == 1, "valid queue not ready");
	driver_ok();
}

static void submit(u16 head, u32 qsize)
{
	w16(Q_AVAIL + 4 + 2ul * (avail_idx % qsize), head);
	avail_idx++;
	__asm__ volatile("fence rw, rw" ::: "memory");
	w16(Q_AVAIL + 2, avail_idx);
	__asm__ volatile("fence rw, rw" ::: "memory");
	set_reg(R_QUEUE_NOTIFY, 0);
}

static void blk_header(u32 type, u64 sector)
{
	w32(B_HDR, type);
	w32(B_HDR + 4, 0);
	w64(B_HDR + 8, sector);
	w8(B_STATUS, 0xee);
}

/* A three-descriptor request {header, data, status} as descriptors 0-2. */
static void blk_request(u32 type, u64 sector, u32 len, int data_in)
{
	blk_header(type, sector);
	desc(Q_DESC, 0, B_HDR, 16, D_NEXT, 1);
	desc(Q_DESC, 1, B_DATA, len, D_NEXT | (data_in ? D_WRITE : 0), 2);
	desc(Q_DESC, 2, B_STATUS, 1, D_WRITE, 0);
	submit(0, QSIZE);
}

/* The device failed as it must: NEEDS_RESET, config interrupt (after
 * DRIVER_OK), nothing used. */
static void expect_needs_reset(int after_driver_ok)
{
	check(reg(R_STATUS) & S_NEEDS_RESET, "no DEVICE_NEEDS_RESET");
	check(r16(Q_USED + 2) == 0, "a buffer was used");
	check(r8(B_STATUS) == 0xee, "the status byte was written");
	if (after_driver_ok) {
		check(reg(R_INT_STATUS) & 2, "no configuration-change interrupt status");
		check(irq_pending(), "PLIC source not pending");
	}
}

/* Reset the device and read sector 0 with a valid request. */
static void expect_recovers(void)
{
	const char *m = DISK_MARKER;

	set_reg(R_STATUS, 0);
	check(!irq_pending(), "PLIC source still pending after reset");
	init_device(QSIZE);
	fill(B_DATA, 0, 512);
	blk_request(BLK_T_IN, 0, 512, 1);
	check(r16(Q_USED + 2) == 1, "valid request after reset not used");
	check(r8(B_STATUS) == 0, "valid request after reset failed");
	check(r32(Q_USED + 8) == 513, "used length of the read is not 513");
	for (unsigned i = 0; m[i]; i++)
		check(r8(B_DATA + i) == (u8)m[i], "sector 0 does not hold the marker");
	check(reg(R_INT_STATUS) & 1, "no used-buffer interrupt status");
	check(irq_pending(), "PLIC source not pending for the used buffer");
	set_reg(R_INT_ACK, reg(R_INT_STATUS));
	check(!irq_pending(), "PLIC source still pending after InterruptACK");
}

/* ---- the cases ---- */

static void case_loop(void)
{
	begin("chain-loop");
	init_device(QSIZE);
	blk_header(BLK_T_IN, 0);
	desc(Q_DESC, 0, B_HDR, 16, D_NEXT, 1);
	desc(Q_DESC, 1, B_DATA, 512, D_NEXT | D_WRITE, 2);
	desc(Q_DESC, 2, B_STATUS, 1, D_NEXT | D_WRITE, 0);
	submit(0, QSIZE);
	expect_needs_reset(1);
	expect_recovers();
	end();
}

static void case_outside_ram(void)
{
	begin("buffer-outside-ram");
	init_device(QSIZE);
	blk_header(BLK_T_IN, 0);
	desc(Q_DESC, 0, 0x1000, 16, D_NEXT, 1);
	desc(Q_DESC, 1, B_DATA, 512, D_NEXT | D_WRITE, 2);
	desc(Q_DESC, 2, B_STATUS, 1, D_WRITE, 0);
	submit(0, QSIZE);
	expect_needs_reset(1);
	expect_recovers();
	end();
}

static void case_past_ram_end(void)
{
	begin("buffer-past-ram-end");
	init_device(QSIZE);
	blk_header(BLK_T_IN, 0);
	desc(Q_DESC, 0, B_HDR, 16, D_NEXT, 1);
	desc(Q_DESC, 1, RAM_END - 256, 512, D_NEXT | D_WRITE, 2);
	desc(Q_DESC, 2, B_STATUS, 1, D_WRITE, 0);
	submit(0, QSIZE);
	expect_needs_reset(1);
	expect_recovers();
	end();
}

static void case_too_long(void)
{
	begin("chain-longer-than-queue");
	init_device(4);
	blk_header(BLK_T_IN, 0);
	desc(Q_DESC, 0, B_HDR, 16, D_NEXT, 1);
	for (unsigned i = 1; i < 5; i++)
		desc(Q_DESC, i, B_DATA + 512 * (i - 1), 512, D_NEXT | D_WRITE, (u16)(i + 1));
	desc(Q_DESC, 5, B_STATUS, 1, D_WRITE, 0);
	submit(0, 4);
	expect_needs_reset(1);
	expect_recovers();
	end();
}

static void case_avail_ahead(void)
{
	begin("avail-index-ahead");
	init_device(QSIZE);
	blk_header(BLK_T_IN, 0);
	desc(Q_DESC, 0, B_HDR, 16, D_NEXT, 1);
	desc(Q_DESC, 1, B_STATUS, 1, D_WRITE, 0);
	w16(Q_AVAIL + 2, 1000);
	set_reg(R_QUEUE_NOTIFY, 0);
	expect_needs_reset(1);
	expect_recovers();
	end();
}

/* Chain: descriptor 0 -> indirect table at B_TABLE of len bytes. */
static void indirect_request(u32 len)
{
	blk_header(BLK_T_IN, 0);
	desc(Q_DESC, 0, B_TABLE, len, D_INDIRECT, 0);
	submit(0, QSIZE);
}

static void case_indirect_len(void)
{
	begin("indirect-length");
	init_device(QSIZE);
	desc(B_TABLE, 0, B_HDR, 16, D_NEXT, 1);
	desc(B_TABLE, 1, B_STATUS, 1, D_WRITE, 0);
	indirect_request(40);
	expect_needs_reset(1);
	expect_recovers();
	end();
}

static void case_indirect_nested(void)
{
	begin("indirect-nested");
	init_device(QSIZE);
	desc(B_TABLE, 0, B_HDR, 16, D_NEXT, 1);
	desc(B_TABLE, 1, B_TABLE2, 32, D_INDIRECT, 0);
	desc(B_TABLE2, 0, B_DATA, 512, D_NEXT | D_WRITE, 1);
	desc(B_TABLE2, 1, B_STATUS, 1, D_WRITE, 0);
	indirect_request(32);
	expect_needs_reset(1);
	expect_recovers();
	end();
}

static void case_indirect_outside(void)
{
	begin("indirect-outside-ram");
	init_device(QSIZE);
	blk_header(BLK_T_IN, 0);
	desc(Q_DESC, 0, 0x2000, 48, D_INDIRECT, 0);
	submit(0, QSIZE);
	expect_needs_reset(1);
	expect_recovers();
	end();
}

static void case_indirect_valid(void)
{
	begin("indirect-valid");
	init_device(QSIZE);
	desc(B_TABLE, 0, B_HDR, 16, D_NEXT, 1);
	desc(B_TABLE, 1, B_DATA, 512, D_NEXT | D_WRITE, 2);
	desc(B_TABLE, 2, B_STATUS, 1, D_WRITE, 0);
	fill(B_DATA, 0, 512);
	indirect_request(48);
	check(!(reg(R_STATUS) & S_NEEDS_RESET), "valid indirect request broke the device");
	check(r8(B_STATUS) == 0, "valid indirect request failed");
	check(r8(B_DATA) == (u8)DISK_MARKER[0], "indirect read returned wrong data");
	end();
}

static void case_queue_size(void)
{
	begin("queue-size-not-power-of-2");
	negotiate();
	setup_queue(6, 1);
	check(reg(R_QUEUE_READY) == 0, "queue of size 6 became ready");
	check(reg(R_STATUS) & S_NEEDS_RESET, "no DEVICE_NEEDS_RESET");
	expect_recovers();
	end();
}

static void case_unready_notify(void)
{
	begin("notify-unready-queue");
	negotiate();
	setup_queue(QSIZE, 0);
	driver_ok();
	blk_request(BLK_T_IN, 0, 512, 1);
	check(!(reg(R_STATUS) & S_NEEDS_RESET), "NEEDS_RESET for an ignored notification");
	check(r16(Q_USED + 2) == 0, "unready queue was processed");
	check(r8(B_STATUS) == 0xee, "unready queue's status byte written");
	check(reg(R_INT_STATUS) == 0, "interrupt for an ignored notification");
	expect_recovers();
	end();
}

static void case_write_read(void)
{
	static const char id_want[] = "retrovisor-blk";

	begin("write-read-flush-id");
	init_device(QSIZE);
	for (unsigned i = 0; i < 1024; i++)
		w8(B_DATA + i, (u8)(i * 7 + 1));
	blk_request(BLK_T_OUT, 4, 1024, 0);
	check(r8(B_STATUS) == 0, "write failed");
	fill(B_DATA, 0, 1024);
	blk_request(BLK_T_IN, 4, 1024, 1);
	check(r8(B_STATUS) == 0, "read back failed");
	for (unsigned i = 0; i < 1024; i++)
		check(r8(B_DATA + i) == (u8)(i * 7 + 1), "read back differs from the write");
	blk_request(BLK_T_IN, 1ul << 40, 512, 1);
	check(r8(B_STATUS) == 1, "read past the end is not IOERR");
	blk_header(BLK_T_FLUSH, 0);
	desc(Q_DESC, 0, B_HDR, 16, D_NEXT, 2);
	desc(Q_DESC, 2, B_STATUS, 1, D_WRITE, 0);
	submit(0, QSIZE);
	check(r8(B_STATUS) == 0, "flush failed");
	fill(B_DATA, 0, 20);
	blk_request(BLK_T_GET_ID, 0, 20, 1);
	check(r8(B_STATUS) == 0, "GET_ID failed");
	for (unsigned i = 0; id_want[i]; i++)
		check(r8(B_DATA + i) == (u8)id_want[i], "GET_ID returned another serial");
	check(!(reg(R_STATUS) & S_NEEDS_RESET), "valid requests broke the device");
	end();
}

static int find_blk(void)
{
	for (unsigned i = 0; i < VIRTIO_SLOTS; i++) {
		u64 b = VIRTIO_BASE + i * VIRTIO_STRIDE;

		if (r32(b + R_MAGIC) == 0x74726976 && r32(b + R_VERSION) == 2 &&
		    r32(b + R_DEVICE_ID) == 2) {
			dev_base = b;
			dev_slot = i;
			return 1;
		}
	}
	return 0;
}

int main(void)
{
	rt_puts("virtio-guest start\n");
	if (!find_blk()) {
		rt_puts("virtio-guest FAIL no virtio-blk device in any slot\n");
		rt_fail(201);
	}
	rt_puts("virtio-guest virtio-blk in slot ");
	rt_put_dec(dev_slot);
	rt_putc('\n');

	case_loop();
	case_outside_ram();
	case_past_ram_end();
	case_too_long();
	case_avail_ahead();
	case_indirect_len();
	case_indirect_nested();
	case_indirect_outside();
	case_indirect_valid();
	case_queue_size();
	case_unready_notify();
	case_write_read();

	rt_puts("virtio-guest ");
	rt_put_dec(cases - failures);
	rt_putc('/');
	rt_put_dec(cases);
	rt_puts(failures ? " FAILED\n" : " passed\n");
	set_reg(R_STATUS, 0);
	if (failures)
		rt_fail(failures);
	rt_poweroff();
}
