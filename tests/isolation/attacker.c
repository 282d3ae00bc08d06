// SPDX-License-Identifier: MIT
/*
 * The attacker of isolation_test.py: a one-hart domain that tries to
 * reach the victim's memory and state (victim.c, iso.h) by every path a
 * guest has, and checks each answer is the architectural one:
 *
 *   dma   virtio-blk, virtio-net and virtio-rng requests, rings and indirect tables
 *         at addresses outside its own RAM (below it, above it, wrapping
 *         the address space, straddling either end, and the victim's
 *         pattern addresses, one of them RAM only the victim has): the
 *         device sets DEVICE_NEEDS_RESET (virtio 1.2, 2.1.2) and uses
 *         nothing; a write request from a bad address leaves the disk
 *         unchanged; the same addresses in RAM both have hold the
 *         attacker's own bytes, not the victim's; a plain load or store
 *         past its RAM faults (access fault, scause 5 or 7).
 *   sbi   HSM hart_start / hart_get_status / hart_suspend naming harts it
 *         does not have (the victim has hart 1) or bad addresses, IPI and
 *         RFENCE hart masks and bases naming other harts or wrapping,
 *         SRST with reserved values, DBCN and the legacy calls with
 *         addresses outside its RAM: the error codes of SBI v2.0.
 *   pv    the paravirtual extension (<retrovisor/pv.h>): SNAPSHOT,
 *         RESTORE, END_ITERATION and GET_INPUT (with the victim's
 *         addresses) are not served in a system of domains: NOT_SUPPORTED.
 *
 * Each check prints "attacker CHECK: GOT (want WANT) ok|BAD", and the
 * first boot ends with "attacker checks N ok M bad". Then it misbehaves,
 * one way per boot (a marker on its own disk counts the boots, which a
 * restart keeps): boot 1 asks SRST for a cold reboot, boot 2 panics (the
 * console lines Linux prints), boot 3 spins for ever with interrupts off.
 */
#include "iso.h"
#include "pvrt.h"
#include "vio.h"

#define NET_HDR_LEN 12
#define MARKER_SECTOR 100
#define SENTINEL_SECTOR 50
#define SPINS 100000ul
#define RX_SPINS 4000000ul

#define SBI_HSM_HART_STOP_FID 1
#define SBI_HSM_HART_GET_STATUS 2
#define SBI_HSM_HART_SUSPEND 3
#define SBI_ERR_ALREADY_AVAILABLE (-6)

const char pv_guest_name[] = "attacker";

static struct vio_dev blk, net, rng;
static unsigned nok, nbad;

static struct {
	uint32_t type, reserved;
	uint64_t sector;
} req;
static volatile uint8_t req_status;
static uint8_t buf[ISO_DISK_BYTES] __attribute__((aligned(4096)));
static uint8_t rxbuf[2048] __attribute__((aligned(16)));
static struct vio_desc indirect[4] __attribute__((aligned(16)));

/* One check, "attacker PREFIXWHAT: GOT (want WANT) ok|BAD". */
static void check(const char *prefix, const char *what, long got, long want)
{
	if (got == want)
		nok++;
	else
		nbad++;
	pv_printf("attacker %s%s: %ld (want %ld) %s\n", prefix, what, got, want,
		  got == want ? "ok" : "BAD");
}

static void expect(const char *what, long got, long want)
{
	check("", what, got, want);
}

/* ---- traps: a load or store past its RAM ---- */

static volatile unsigned long last_trap;
static volatile bool probing;

void pv_trap(unsigned long scause, unsigned long sepc, unsigned long stval)
{
	if (!probing) {
		pv_printf("attacker: unexpected trap scause=%lx sepc=%lx stval=%lx\n", scause, sepc,
			  stval);
		pv_shutdown(1);
	}
	last_trap = scause;
	csr_write(sepc, sepc + 4); /* the probes below are 4-byte instructions */
}

static long probe_load(uint64_t pa)
{
	unsigned long v = 0;

	last_trap = 0;
	probing = true;
	__asm__ volatile(".option push\n.option norvc\nld %0, 0(%1)\n.option pop"
			 : "+r"(v)
			 : "r"(pa)
			 : "memory");
	probing = false;
	return (long)last_trap;
}

static long probe_store(uint64_t pa)
{
	last_trap = 0;
	probing = true;
	__asm__ volatile(".option push\n.option norvc\nsd zero, 0(%0)\n.option pop" ::"r"(pa)
			 : "memory");
	probing = false;
	return (long)last_trap;
}

/* ---- the disk ---- */

static void blk_up(void)
{
	if (vio_setup(&blk, VIO_F_INDIRECT_DESC, 1, 0) & VIO_S_NEEDS_RESET)
		pv_fail("the attacker's disk did not come up");
}

/* A request with its parts at the given addresses: 1 served (status in
 * req_status), -1 the device needs a reset, 0 no answer. */
static int blk_at(uint32_t type, uint64_t sector, uint64_t hdr, uint64_t data, uint32_t len,
		  uint64_t status)
{
	struct vio_seg segs[3] = {
		{ hdr, 16, 0 },
		{ data, len, type == 0 ? VIO_DESC_F_WRITE : 0 },
		{ status, 1, VIO_DESC_F_WRITE },
	};
	uint32_t used;

	req.type = type;
	req.sector = sector;
	req_status = 0xff;
	vio_submit(&blk, 0, segs, 3);
	return vio_wait(&blk, 0, SPINS, &used);
}

/* A request of the attacker's own, all in its RAM: its status byte. */
static long blk_rw(uint32_t type, uint64_t sector, void *data, uint32_t len)
{
	if (blk_at(type, sector, (uint64_t)&req, (uint64_t)data, len, (uint64_t)&req_status) != 1)
		return -1;
	return req_status;
}

static void fill(uint8_t v)
{
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = v;
}

static long count(uint8_t v)
{
	long n = 0;

	for (unsigned i = 0; i < sizeof(buf); i++)
		n += buf[i] == v;
	return n;
}

/* One request with a bad address: the device must fail and use nothing;
 * then it is reset and brought up again. */
static void blk_bad(const char *what, uint32_t type, uint64_t hdr, uint64_t data, uint32_t len,
		    uint64_t status)
{
	int r = blk_at(type, SENTINEL_SECTOR, hdr, data, len, status);

	check(type == 0 ? "blk read, " : "blk write, ", what, r, -1);
	blk_up();
}

static void dma_blk(void)
{
	uint64_t hdr = (uint64_t)&req, st = (uint64_t)&req_status, b = (uint64_t)buf;
	const uint64_t end = ISO_ATTACKER_RAM_END;
	static const struct {
		const char *what;
		uint64_t addr;
		uint32_t len;
	} bad[] = {
		{ "data at 0 (below RAM)", 0, 512 },
		{ "data straddling RAM's start", ISO_RAM_BASE - 256, 512 },
		{ "data straddling RAM's end", ISO_ATTACKER_RAM_END - 256, 512 },
		{ "data at RAM's end", ISO_ATTACKER_RAM_END, 512 },
		{ "data at the victim's high pattern", ISO_PATTERN_HIGH, 512 },
		{ "data at the victim's pattern + 4 GiB", ISO_PATTERN_LOW + (1ul << 32), 512 },
		{ "data wrapping the address space", ~0ul - 255, 512 },
		{ "data of 4 GiB - 1 bytes from RAM's start", ISO_RAM_BASE, 0xffffffffu },
	};

	blk_up();
	/* The sentinel sector, which no bad request may change. */
	fill(0x5a);
	expect("blk write sentinel (own RAM)", blk_rw(1, SENTINEL_SECTOR, buf, 512), 0);

	/* Each address as the destination of a read and the source of a
	 * write (VIRTIO_BLK_T_IN, T_OUT). */
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		blk_bad(bad[i].what, 0, hdr, bad[i].addr, bad[i].len, st);
		blk_bad(bad[i].what, 1, hdr, bad[i].addr, bad[i].len, st);
	}
	blk_bad("header at the victim's high pattern", 0, ISO_PATTERN_HIGH, b, 512, st);
	blk_bad("header wrapping", 0, ~0ul - 7, b, 512, st);
	blk_bad("status at RAM's end", 0, hdr, b, 512, end);
	blk_bad("status at the victim's high pattern", 0, hdr, b, 512, ISO_PATTERN_HIGH);

	/* An indirect table outside RAM, and one in RAM naming a buffer
	 * outside it. */
	struct vio_seg seg = { ISO_PATTERN_HIGH, 48, VIO_DESC_F_INDIRECT };
	req.type = 0;
	vio_submit(&blk, 0, &seg, 1);
	uint32_t used;
	expect("blk indirect table at the victim's high pattern", vio_wait(&blk, 0, SPINS, &used),
	       -1);
	blk_up();
	indirect[0] = (struct vio_desc){ hdr, 16, VIO_DESC_F_NEXT, 1 };
	indirect[1] = (struct vio_desc){ ISO_PATTERN_HIGH, 512, VIO_DESC_F_NEXT | VIO_DESC_F_WRITE,
					 2 };
	indirect[2] = (struct vio_desc){ st, 1, VIO_DESC_F_WRITE, 0 };
	seg = (struct vio_seg){ (uint64_t)indirect, sizeof(indirect) - 16, VIO_DESC_F_INDIRECT };
	vio_submit(&blk, 0, &seg, 1);
	expect("blk indirect buffer at the victim's high pattern", vio_wait(&blk, 0, SPINS, &used),
	       -1);
	blk_up();

	/* Rings outside RAM: refused when the queue is made ready. */
	struct vio_rings rings[] = {
		{ 0, (uint64_t)&blk.q[0].avail, (uint64_t)&blk.q[0].used },
		{ (uint64_t)blk.q[0].desc, ISO_PATTERN_HIGH, (uint64_t)&blk.q[0].used },
		{ (uint64_t)blk.q[0].desc, (uint64_t)&blk.q[0].avail, ISO_ATTACKER_RAM_END - 64 },
		{ ~0ul & ~0xffful, (uint64_t)&blk.q[0].avail, (uint64_t)&blk.q[0].used },
	};
	static const char *const ring_what[] = {
		"blk descriptor table at 0",
		"blk available ring at the victim's high pattern",
		"blk used ring straddling RAM's end",
		"blk descriptor table wrapping",
	};
	for (unsigned i = 0; i < 4; i++) {
		uint32_t s = vio_setup(&blk, 0, 1, &rings[i]);
		expect(ring_what[i], (s & VIO_S_NEEDS_RESET) != 0, 1);
	}
	blk_up();

	/* Sectors past its own disk: an I/O error, not another disk. */
	expect("blk read past its disk's end", blk_rw(0, 1ul << 40, buf, 512), 1);
	expect("blk read at sector 2^64 - 1", blk_rw(0, ~0ul, buf, 512), 1);

	/* Nothing above reached the sentinel. */
	fill(0);
	expect("blk read sentinel", blk_rw(0, SENTINEL_SECTOR, buf, 512), 0);
	expect("blk sentinel bytes intact", count(0x5a), 512);

	/* Its own disk holds its own bytes, not the victim's pattern. */
	fill(0x11);
	blk_rw(0, 0, buf, ISO_DISK_BYTES);
	expect("blk own sectors 0-15 are zero", count(0), ISO_DISK_BYTES);
}

/* ---- the network ---- */

static void net_up(void)
{
	if (vio_setup(&net, 0, 2, 0) & VIO_S_NEEDS_RESET)
		pv_fail("the attacker's network did not come up");
}

static void net_bad_tx(const char *what, uint64_t addr, uint32_t len)
{
	struct vio_seg seg = { addr, len, 0 };
	uint32_t used;

	vio_submit(&net, 1, &seg, 1);
	expect(what, vio_wait(&net, 1, SPINS, &used), -1);
	net_up();
}

static long net_rx(uint64_t addr, uint32_t len)
{
	struct vio_seg seg = { addr, len, VIO_DESC_F_WRITE };
	uint32_t used;

	vio_submit(&net, 0, &seg, 1);
	return vio_wait(&net, 0, RX_SPINS, &used);
}

static void dma_net(void)
{
	net_up();
	net_bad_tx("net tx frame at the victim's high pattern", ISO_PATTERN_HIGH, 64);
	net_bad_tx("net tx frame straddling RAM's end", ISO_ATTACKER_RAM_END - 32, 64);
	net_bad_tx("net tx frame wrapping", ~0ul - 31, 64);
	net_bad_tx("net tx frame at 0x1000 (below RAM)", 0x1000, 64);

	/* Receive buffers are checked when a frame (the victim's broadcast)
	 * arrives. */
	expect("net rx buffer at the victim's high pattern", net_rx(ISO_PATTERN_HIGH, 2048), -1);
	net_up();
	expect("net rx buffer straddling RAM's end", net_rx(ISO_ATTACKER_RAM_END - 1024, 2048), -1);
	net_up();
	/* A buffer in its own RAM gets the victim's frame: frames cross. */
	for (unsigned i = 0; i < sizeof(rxbuf); i++)
		rxbuf[i] = 0;
	expect("net rx buffer in own RAM gets a frame", net_rx((uint64_t)rxbuf, 2048), 1);
	static const char want[] = "victim round ";
	long same = 1;
	for (unsigned i = 0; want[i]; i++)
		same &= rxbuf[NET_HDR_LEN + 14 + i] == (uint8_t)want[i];
	expect("net rx frame is the victim's broadcast", same, 1);
}

/* ---- the entropy device ---- */

static void dma_rng(void)
{
	static const struct {
		const char *what;
		uint64_t addr;
	} bad[] = {
		{ "rng buffer at the victim's high pattern", ISO_PATTERN_HIGH },
		{ "rng buffer wrapping", ~0ul - 15 },
	};
	struct vio_seg seg = { 0, 64, VIO_DESC_F_WRITE };
	uint32_t used = 0;

	rng.base = vio_find(VIO_ID_RNG);
	if (!rng.base)
		pv_fail("the attacker needs an entropy device");
	for (unsigned i = 0; i < 2; i++) {
		if (vio_setup(&rng, 0, 1, 0) & VIO_S_NEEDS_RESET)
			pv_fail("the attacker's entropy device did not come up");
		seg.addr = bad[i].addr;
		vio_submit(&rng, 0, &seg, 1);
		expect(bad[i].what, vio_wait(&rng, 0, SPINS, &used), -1);
	}
	vio_setup(&rng, 0, 1, 0);
	seg.addr = (uint64_t)rxbuf;
	vio_submit(&rng, 0, &seg, 1);
	expect("rng buffer in own RAM is filled",
	       vio_wait(&rng, 0, SPINS, &used) == 1 && used == 64, 1);
}

/* ---- memory ---- */

static void mem(void)
{
	volatile uint8_t *low = (volatile uint8_t *)ISO_PATTERN_LOW;
	long same = 0;

	for (unsigned long i = 0; i < ISO_PATTERN_LEN; i++)
		same += low[i] == iso_pattern(i);
	expect("own RAM at the victim's pattern holds the pattern", same == ISO_PATTERN_LEN, 0);
	expect("load at the victim's high pattern faults", probe_load(ISO_PATTERN_HIGH), 5);
	expect("store at the victim's high pattern faults", probe_store(ISO_PATTERN_HIGH), 7);
	expect("load at RAM's end faults", probe_load(ISO_ATTACKER_RAM_END), 5);
	expect("store at RAM's end faults", probe_store(ISO_ATTACKER_RAM_END), 7);
}

/* ---- SBI ---- */

static long sbi_err(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
		    unsigned long a2, unsigned long a3, unsigned long a4)
{
	return sbi_call(eid, fid, a0, a1, a2, a3, a4).error;
}

static void sbi(void)
{
	const unsigned long entry = (unsigned long)pv_secondary_entry;
	static unsigned long mask_other = 2;

	/* HSM: the victim has hart 1; this domain has hart 0 only. */
	expect("hsm hart_start(1)", sbi_err(SBI_EXT_HSM, 0, 1, entry, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("hsm hart_start(63)", sbi_err(SBI_EXT_HSM, 0, 63, entry, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("hsm hart_start(64)", sbi_err(SBI_EXT_HSM, 0, 64, entry, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("hsm hart_start(2^63)", sbi_err(SBI_EXT_HSM, 0, 1ul << 63, entry, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("hsm hart_start(-1)", sbi_err(SBI_EXT_HSM, 0, ~0ul, entry, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("hsm hart_start(0) at the victim's high pattern",
	       sbi_err(SBI_EXT_HSM, 0, 0, ISO_PATTERN_HIGH, 0, 0, 0), SBI_ERR_INVALID_ADDRESS);
	expect("hsm hart_start(0), itself", sbi_err(SBI_EXT_HSM, 0, 0, entry, 0, 0, 0),
	       SBI_ERR_ALREADY_AVAILABLE);
	expect("hsm hart_get_status(1)",
	       sbi_err(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 1, 0, 0, 0, 0), SBI_ERR_INVALID_PARAM);
	expect("hsm hart_get_status(2^63)",
	       sbi_err(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 1ul << 63, 0, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("hsm hart_get_status(0)",
	       sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 0, 0, 0, 0, 0).value,
	       SBI_HSM_STARTED);
	expect("hsm hart_suspend(reserved type)",
	       sbi_err(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0x1000, 0, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("hsm hart_suspend(non-retentive) resuming at the victim's high pattern",
	       sbi_err(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0x80000000, ISO_PATTERN_HIGH, 0, 0, 0),
	       SBI_ERR_INVALID_ADDRESS);

	/* IPI and RFENCE hart lists naming harts it does not have. */
	expect("ipi mask 0b10 base 0", sbi_err(SBI_EXT_IPI, 0, 2, 0, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("ipi mask 1 base 1", sbi_err(SBI_EXT_IPI, 0, 1, 1, 0, 0, 0), SBI_ERR_INVALID_PARAM);
	expect("ipi mask 1 base 2^63", sbi_err(SBI_EXT_IPI, 0, 1, 1ul << 63, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("ipi mask 0b11 base -2 (wraps)", sbi_err(SBI_EXT_IPI, 0, 3, ~0ul - 1, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("ipi mask 2^63 base 0", sbi_err(SBI_EXT_IPI, 0, 1ul << 63, 0, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("ipi base -1 (all its harts)", sbi_err(SBI_EXT_IPI, 0, 0, ~0ul, 0, 0, 0),
	       SBI_SUCCESS);
	csr_clear(sip, SIP_SSIP);
	expect("rfence fence_i mask 0b10", sbi_err(SBI_EXT_RFENCE, 0, 2, 0, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("rfence sfence_vma base 2^63", sbi_err(SBI_EXT_RFENCE, 1, 1, 1ul << 63, 0, ~0ul, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("rfence sfence_vma_asid mask 0b11", sbi_err(SBI_EXT_RFENCE, 2, 3, 0, 0, ~0ul, 1),
	       SBI_ERR_INVALID_PARAM);
	expect("rfence sfence_vma_asid asid 2^16",
	       sbi_err(SBI_EXT_RFENCE, 2, 1, 0, 0, ~0ul, 1ul << 16), SBI_ERR_INVALID_PARAM);
	expect("rfence hfence_gvma", sbi_err(SBI_EXT_RFENCE, 3, 1, 0, 0, ~0ul, 0),
	       SBI_ERR_NOT_SUPPORTED);

	/* Legacy calls take the hart mask by pointer; an error is a negative
	 * a0 (the spec leaves the code to the implementation: Retrovisor
	 * answers INVALID_PARAM for a hart it lacks, INVALID_ADDRESS for a
	 * pointer outside its memory). */
	expect("legacy send_ipi of hart 1", sbi_legacy(0x04, (unsigned long)&mask_other, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("legacy send_ipi, mask at the victim's high pattern",
	       sbi_legacy(0x04, ISO_PATTERN_HIGH, 0, 0, 0), SBI_ERR_INVALID_ADDRESS);
	expect("legacy remote_fence_i, mask at 0", sbi_legacy(0x05, 0, 0, 0, 0),
	       SBI_ERR_INVALID_ADDRESS);

	/* SRST: reserved types and reasons change nothing. */
	expect("srst reserved type 3", sbi_err(SBI_EXT_SRST, 0, 3, 0, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("srst vendor type", sbi_err(SBI_EXT_SRST, 0, 0xf0000000u, 0, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("srst reserved reason", sbi_err(SBI_EXT_SRST, 0, 0, 2, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);

	/* DBCN: console bytes from or to memory outside its RAM. */
	expect("dbcn write from the victim's high pattern",
	       sbi_err(SBI_EXT_DBCN, 0, 16, ISO_PATTERN_HIGH, 0, 0, 0), SBI_ERR_INVALID_PARAM);
	expect("dbcn write straddling RAM's end",
	       sbi_err(SBI_EXT_DBCN, 0, 64, ISO_ATTACKER_RAM_END - 32, 0, 0, 0),
	       SBI_ERR_INVALID_PARAM);
	expect("dbcn write with base_addr_hi 1",
	       sbi_err(SBI_EXT_DBCN, 0, 16, ISO_PATTERN_LOW, 1, 0, 0), SBI_ERR_INVALID_PARAM);
	expect("dbcn write of 2^64 - 1 bytes",
	       sbi_err(SBI_EXT_DBCN, 0, ~0ul, ISO_RAM_BASE, 0, 0, 0), SBI_ERR_INVALID_PARAM);
	expect("dbcn read into the victim's high pattern",
	       sbi_err(SBI_EXT_DBCN, 1, 16, ISO_PATTERN_HIGH, 0, 0, 0), SBI_ERR_INVALID_PARAM);
}

/* ---- the paravirtual extension ---- */

static void pv(void)
{
	struct sbiret r = sbi_call(RV_PV_EXT, RV_PV_GET_VERSION, 0, 0, 0, 0, 0);

	expect("pv get_version error", r.error, RV_PV_SUCCESS);
	expect("pv get_version", r.value, RV_PV_VERSION);
	expect("pv snapshot(0)", sbi_err(RV_PV_EXT, RV_PV_SNAPSHOT, 0, 0, 0, 0, 0),
	       RV_PV_ERR_NOT_SUPPORTED);
	expect("pv restore(0)", sbi_err(RV_PV_EXT, RV_PV_RESTORE, 0, 0, 0, 0, 0),
	       RV_PV_ERR_NOT_SUPPORTED);
	expect("pv snapshot(2^63)", sbi_err(RV_PV_EXT, RV_PV_SNAPSHOT, 1ul << 63, 0, 0, 0, 0),
	       RV_PV_ERR_NOT_SUPPORTED);
	expect("pv end_iteration", sbi_err(RV_PV_EXT, RV_PV_END_ITERATION, 0, 0, 0, 0, 0),
	       RV_PV_ERR_NOT_SUPPORTED);
	expect("pv get_input into the victim's high pattern",
	       sbi_err(RV_PV_EXT, RV_PV_GET_INPUT, ISO_PATTERN_HIGH, 4096, 0, 0, 0),
	       RV_PV_ERR_NOT_SUPPORTED);
	expect("pv function 99", sbi_err(RV_PV_EXT, 99, 0, 0, 0, 0, 0), RV_PV_ERR_NOT_SUPPORTED);
}

void guest_main(unsigned long dtb)
{
	long marker;

	(void)dtb;
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, 0);
	blk.base = vio_find(VIO_ID_BLK);
	net.base = vio_find(VIO_ID_NET);
	if (!blk.base || !net.base)
		pv_fail("the attacker needs a disk and a network device");
	blk_up();
	fill(0);
	if (blk_rw(0, MARKER_SECTOR, buf, 512) != 0)
		pv_fail("the attacker could not read its marker");
	marker = buf[0];
	buf[0] = (uint8_t)(marker + 1);
	if (blk_rw(1, MARKER_SECTOR, buf, 512) != 0)
		pv_fail("the attacker could not write its marker");
	pv_printf("attacker boot %ld\n", marker + 1);

	if (marker == 0) {
		mem();
		dma_blk();
		dma_net();
		dma_rng();
		sbi();
		pv();
		pv_printf("attacker checks %d ok %d bad\n", nok, nbad);
		pv_printf("attacker asks for a cold reboot\n");
		sbi_call(SBI_EXT_SRST, 0, 1, 0, 0, 0, 0);
		pv_fail("SRST cold reboot returned");
	}
	if (marker == 1) {
		pv_printf("Kernel panic - not syncing: attacker gives up\n");
		pv_printf("---[ end Kernel panic - not syncing: attacker gives up ]---\n");
		for (;;)
			__asm__ volatile("wfi");
	}
	pv_printf("attacker spins\n");
	for (;;)
		__asm__ volatile("");
}
