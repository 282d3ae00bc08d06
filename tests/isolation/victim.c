// SPDX-License-Identifier: MIT
/*
 * The victim of isolation_test.py: a domain that writes a known pattern
 * into two regions of its RAM (iso.h: one at an address the attacker's
 * RAM also has, one where only the victim has RAM) and onto its disk,
 * then, in each of ISO_ROUNDS rounds, reads its disk back, checksums the
 * RAM regions and the disk (FNV-1a), prints
 *
 *   victim round R sum HEX ok        (or CHANGED: the sum is not the
 *                                     pattern's)
 *
 * broadcasts one frame "victim round R" on its network (the attacker
 * receives it: the one thing meant to cross between domains) and sleeps
 * a few guest milliseconds. It never receives: its receive queue has no
 * buffers, so a frame reaching it would change its state, which the test
 * compares with a run where it is alone. It ends with "victim done" and
 * powers off.
 */
#include "iso.h"
#include "pvrt.h"
#include "vio.h"

#define ISO_ROUNDS 12
#define ISO_ROUND_TICKS 50000ul /* 5 ms at the 10 MHz timebase */
#define NET_HDR_LEN 12          /* struct virtio_net_hdr with VERSION_1 */

const char pv_guest_name[] = "victim";

static struct vio_dev blk, net;
static uint8_t disk_buf[ISO_DISK_BYTES] __attribute__((aligned(16)));
static struct {
	uint32_t type, reserved;
	uint64_t sector;
} req;
static volatile uint8_t req_status;
static uint8_t frame[NET_HDR_LEN + 64] __attribute__((aligned(16)));

static void blk_rw(uint32_t type, uint64_t buf)
{
	struct vio_seg segs[3] = {
		{ (uint64_t)&req, sizeof(req), 0 },
		{ buf, ISO_DISK_BYTES, type == 0 ? VIO_DESC_F_WRITE : 0 },
		{ (uint64_t)&req_status, 1, VIO_DESC_F_WRITE },
	};
	uint32_t len;

	req.type = type;
	req.sector = 0;
	req_status = 0xff;
	vio_submit(&blk, 0, segs, 3);
	if (vio_wait(&blk, 0, 100000, &len) != 1 || req_status != 0)
		pv_fail("the disk did not serve the victim's request");
}

static void send_round(unsigned r)
{
	static const char text[] = "victim round ";
	uint8_t *e = frame + NET_HDR_LEN;
	unsigned n = 0;
	uint32_t len;

	for (unsigned i = 0; i < 6; i++)
		e[i] = 0xff; /* broadcast */
	for (unsigned i = 0; i < 6; i++)
		e[6 + i] = vio_config8(&net, i);
	e[12] = 0x88; /* 0x88b5: local experimental EtherType */
	e[13] = 0xb5;
	while (text[n]) {
		e[14 + n] = (uint8_t)text[n];
		n++;
	}
	e[14 + n++] = (uint8_t)('a' + r);
	struct vio_seg seg = { (uint64_t)frame, NET_HDR_LEN + 14 + n, 0 };
	vio_submit(&net, 1, &seg, 1);
	if (vio_wait(&net, 1, 100000, &len) != 1)
		pv_fail("the network did not send the victim's frame");
}

static void sleep_ticks(unsigned long ticks)
{
	unsigned long until = csr_read(time) + ticks;

	csr_write(sie, SIP_STIP);
	sbi_call(SBI_EXT_TIME, 0, until, 0, 0, 0, 0);
	while (csr_read(time) < until)
		__asm__ volatile("wfi");
	sbi_call(SBI_EXT_TIME, 0, ~0ul, 0, 0, 0, 0);
	csr_write(sie, 0);
}

void guest_main(unsigned long dtb)
{
	volatile uint8_t *low = (volatile uint8_t *)ISO_PATTERN_LOW;
	volatile uint8_t *high = (volatile uint8_t *)ISO_PATTERN_HIGH;
	uint64_t want = ISO_FNV_INIT;

	(void)dtb;
	csr_clear(sstatus, SSTATUS_SIE);
	for (unsigned long i = 0; i < ISO_PATTERN_LEN; i++) {
		uint8_t b = iso_pattern(i);
		low[i] = b;
		want = (want ^ b) * 0x100000001b3ull;
	}
	for (unsigned long i = 0; i < ISO_PATTERN_LEN; i++) {
		uint8_t b = iso_pattern(ISO_PATTERN_LEN + i);
		high[i] = b;
		want = (want ^ b) * 0x100000001b3ull;
	}
	for (unsigned long i = 0; i < ISO_DISK_BYTES; i++)
		want = (want ^ iso_pattern(i)) * 0x100000001b3ull;

	blk.base = vio_find(VIO_ID_BLK);
	net.base = vio_find(VIO_ID_NET);
	if (!blk.base || !net.base)
		pv_fail("the victim needs a disk and a network device");
	if (vio_setup(&blk, 0, 1, 0) & VIO_S_NEEDS_RESET ||
	    vio_setup(&net, 0, 2, 0) & VIO_S_NEEDS_RESET)
		pv_fail("a device of the victim did not come up");
	blk_rw(1, ISO_PATTERN_LOW); /* VIRTIO_BLK_T_OUT */

	for (unsigned r = 0; r < ISO_ROUNDS; r++) {
		for (unsigned i = 0; i < ISO_DISK_BYTES; i++)
			disk_buf[i] = 0;
		blk_rw(0, (uint64_t)disk_buf); /* VIRTIO_BLK_T_IN */
		uint64_t sum = iso_fnv(ISO_FNV_INIT, low, ISO_PATTERN_LEN);
		sum = iso_fnv(sum, high, ISO_PATTERN_LEN);
		sum = iso_fnv(sum, disk_buf, ISO_DISK_BYTES);
		pv_printf("victim round %d sum %lx %s\n", r, sum, sum == want ? "ok" : "CHANGED");
		send_round(r);
		sleep_ticks(ISO_ROUND_TICKS);
	}
	pv_printf("victim done\n");
}
