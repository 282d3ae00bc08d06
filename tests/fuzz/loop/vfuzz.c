// SPDX-License-Identifier: MIT
/*
 * vfuzz: the guest half of the project fuzzing itself with its own reset
 * loop (tests/fuzz/loop/README.md). It drives every virtio-mmio device
 * from inside, as a buggy or hostile driver would, from a program it is
 * given each iteration:
 *
 *   boot -> SNAPSHOT(0) -> [every iteration starts here]
 *        -> GET_INPUT(program) -> run the program -> END_ITERATION(0)
 *
 * The host restores the snapshot between iterations (`retrovisor loop`,
 * or the libFuzzer harness fuzz_virtio_loop.c with coverage of the host's
 * device code). A program is a byte string of operations; every operand is
 * read with bounds (a short program just ends) and every operation touches
 * only the eight virtio-mmio windows and this guest's own arena, so the
 * guest never traps on its own: what it breaks is the devices' business.
 *
 *   op (low 4 bits)       operands (little-endian)     effect
 *   0  W32                slot reg val32               register write
 *   1  R32                slot reg                     register read
 *   2  INIT               slot q num feat32            reset, handshake,
 *                                                      queue q (op bit 4:
 *                                                      both queues) set up
 *                                                      in the arena,
 *                                                      DRIVER_OK
 *   3  DESC               slot q i addr16 len32 fl nx  descriptor i of q
 *   4  KICK               slot q head                  avail ring push +
 *                                                      notify
 *   5  NOTIFY             slot val16                   raw notify value
 *   6  MEMW               - off16 n bytes[n]           write the buffer
 *                                                      area (requests)
 *   7  CFGW               slot off val8                config space write
 *   8  CFGR               slot off                     config space read
 *   9  RESET              slot                         status = 0
 *   10 QRESET             slot q                       QueueReady = 0 then
 *                                                      QueueReset = 1
 *   11 INDIRECT           slot q i n                   descriptor i -> an
 *                                                      indirect table of n
 *                                                      entries in the buffer
 *                                                      area (contents by MEMW)
 *   12 ACK                slot                         read and acknowledge
 *                                                      InterruptStatus
 *   13 RAWDESC            slot q i addr64 len32 fl nx  descriptor with any
 *                                                      address
 *   14 STATUS             slot val8                    Status write
 *   15 IDESC              - k addr16 len32 fl nx       entry k of the
 *                                                      indirect table
 *
 * "slot" is taken mod 8, "q" mod 2, "reg" is an index into the
 * virtio-mmio register table (reg >= 0x80 addresses offset
 * (reg & 0x7f) * 4 raw), addr16 an offset into the buffer area.
 *
 * Built with the S-mode paravirtual runtime (tests/rt/pv).
 */
#include "pvrt.h"

#define VF_VIRTIO_BASE 0x10001000ul
#define VF_VIRTIO_STRIDE 0x1000ul
#define VF_SLOTS 8u
#define VF_QUEUES 2u
#define VF_QSIZE 16u /* entries the arena holds per queue */

#define R_DEV_FEATURES 0x010
#define R_DEV_FEATURES_SEL 0x014
#define R_DRV_FEATURES 0x020
#define R_DRV_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
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
#define R_QUEUE_RESET 0x0c0
#define R_CONFIG 0x100

#define S_ACK 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u

#define VF_BUF_SIZE 0x10000ul

const char pv_guest_name[] = "vfuzz";

/* The registers a driver touches (virtio 1.2 section 4.2.2). */
static const unsigned short vf_regs[] = {
	0x000, 0x004, 0x008, 0x00c, 0x010, 0x014, 0x020, 0x024, 0x030, 0x034,
	0x038, 0x044, 0x050, 0x060, 0x064, 0x070, 0x080, 0x084, 0x090, 0x094,
	0x0a0, 0x0a4, 0x0ac, 0x0b0, 0x0b4, 0x0c0, 0x0fc, 0x100, 0x104, 0x108,
};

struct vf_desc {
	unsigned long addr;
	unsigned int len;
	unsigned short flags, next;
};

/* One queue's rings: descriptor table, driver (avail) and device (used)
 * areas, each in its own 1 KiB, in one 4 KiB page per queue. */
struct vf_queue {
	struct vf_desc desc[VF_QSIZE];
	unsigned char pad0[1024 - VF_QSIZE * sizeof(struct vf_desc)];
	volatile unsigned short avail[2 + VF_QSIZE + 1];
	unsigned char pad1[1024 - (3 + VF_QSIZE) * 2];
	volatile unsigned int used[1 + 2 * VF_QSIZE + 1];
	unsigned char pad2[2048 - (2 + 2 * VF_QSIZE) * 4];
};

static struct vf_queue vf_q[VF_SLOTS][VF_QUEUES] __attribute__((aligned(4096)));
static unsigned char vf_buf[VF_BUF_SIZE] __attribute__((aligned(4096)));
static unsigned char vf_prog[4096];
static unsigned short vf_avail_idx[VF_SLOTS][VF_QUEUES];

static volatile unsigned int *vf_reg(unsigned slot, unsigned off)
{
	return (volatile unsigned int *)(VF_VIRTIO_BASE + slot * VF_VIRTIO_STRIDE + off);
}

static void vf_w32(unsigned slot, unsigned off, unsigned int v)
{
	*vf_reg(slot, off) = v;
}

static unsigned int vf_r32(unsigned slot, unsigned off)
{
	return *vf_reg(slot, off);
}

/* The program cursor: operands past the end read as 0 and end the run. */
struct vf_in {
	const unsigned char *p;
	unsigned long n;
	bool short_read;
};

static unsigned long vf_take(struct vf_in *in, unsigned bytes)
{
	unsigned long v = 0;

	for (unsigned i = 0; i < bytes; i++) {
		if (!in->n) {
			in->short_read = true;
			return v;
		}
		v |= (unsigned long)in->p[0] << (8 * i);
		in->p++;
		in->n--;
	}
	return v;
}

static unsigned vf_reg_off(unsigned r)
{
	if (r & 0x80)
		return (r & 0x7f) * 4;
	return vf_regs[r % (sizeof(vf_regs) / sizeof(vf_regs[0]))];
}

static void vf_queue_setup(unsigned slot, unsigned q, unsigned num)
{
	struct vf_queue *vq = &vf_q[slot][q];
	unsigned long d = (unsigned long)vq->desc, a = (unsigned long)vq->avail,
		      u = (unsigned long)vq->used;

	vf_w32(slot, R_QUEUE_SEL, q);
	vf_w32(slot, R_QUEUE_NUM, num);
	vf_w32(slot, R_DESC_LO, (unsigned int)d);
	vf_w32(slot, R_DESC_HI, (unsigned int)(d >> 32));
	vf_w32(slot, R_DRIVER_LO, (unsigned int)a);
	vf_w32(slot, R_DRIVER_HI, (unsigned int)(a >> 32));
	vf_w32(slot, R_DEVICE_LO, (unsigned int)u);
	vf_w32(slot, R_DEVICE_HI, (unsigned int)(u >> 32));
	vf_w32(slot, R_QUEUE_READY, 1);
}

static void vf_init(unsigned slot, unsigned q, unsigned num, unsigned int feat, bool both)
{
	vf_w32(slot, R_STATUS, 0);
	vf_w32(slot, R_STATUS, S_ACK);
	vf_w32(slot, R_STATUS, S_ACK | S_DRIVER);
	vf_w32(slot, R_DEV_FEATURES_SEL, 0);
	unsigned int lo = vf_r32(slot, R_DEV_FEATURES);
	vf_w32(slot, R_DRV_FEATURES_SEL, 0);
	vf_w32(slot, R_DRV_FEATURES, lo & feat);
	vf_w32(slot, R_DRV_FEATURES_SEL, 1);
	vf_w32(slot, R_DRV_FEATURES, 1); /* VIRTIO_F_VERSION_1 */
	vf_w32(slot, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	for (unsigned k = 0; k < VF_QUEUES; k++) {
		if (k != q && !both)
			continue;
		vf_avail_idx[slot][k] = 0;
		vf_q[slot][k].avail[0] = 0;
		vf_q[slot][k].avail[1] = 0;
		vf_queue_setup(slot, k, num);
	}
	vf_w32(slot, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

static void vf_desc_set(unsigned slot, unsigned q, unsigned i, unsigned long addr, unsigned int len,
			unsigned fl, unsigned nx)
{
	struct vf_desc *d = &vf_q[slot][q].desc[i % VF_QSIZE];

	d->addr = addr;
	d->len = len;
	d->flags = (unsigned short)fl;
	d->next = (unsigned short)nx;
}

static void vf_kick(unsigned slot, unsigned q, unsigned head)
{
	struct vf_queue *vq = &vf_q[slot][q];
	unsigned short idx = vf_avail_idx[slot][q];

	vq->avail[2 + idx % VF_QSIZE] = (unsigned short)head;
	__asm__ volatile("fence w, w" ::: "memory");
	vf_avail_idx[slot][q] = (unsigned short)(idx + 1);
	vq->avail[1] = vf_avail_idx[slot][q];
	__asm__ volatile("fence w, o" ::: "memory");
	vf_w32(slot, R_QUEUE_NOTIFY, q);
}

static void vf_run(struct vf_in *in)
{
	while (in->n && !in->short_read) {
		unsigned op = (unsigned)vf_take(in, 1);
		unsigned slot = (unsigned)vf_take(in, 1) % VF_SLOTS;
		unsigned q, i, off;

		switch (op & 15) {
		case 0:
			off = vf_reg_off((unsigned)vf_take(in, 1));
			vf_w32(slot, off, (unsigned int)vf_take(in, 4));
			break;
		case 1:
			(void)vf_r32(slot, vf_reg_off((unsigned)vf_take(in, 1)));
			break;
		case 2: {
			q = (unsigned)vf_take(in, 1) % VF_QUEUES;
			unsigned num = (unsigned)vf_take(in, 1);
			unsigned int feat = (unsigned int)vf_take(in, 4);
			vf_init(slot, q, num, feat, (op & 0x10) != 0);
			break;
		}
		case 3: {
			q = (unsigned)vf_take(in, 1) % VF_QUEUES;
			i = (unsigned)vf_take(in, 1);
			unsigned long a = (unsigned long)vf_buf + vf_take(in, 2);
			unsigned int len = (unsigned int)vf_take(in, 4);
			unsigned fl = (unsigned)vf_take(in, 1), nx = (unsigned)vf_take(in, 1);
			vf_desc_set(slot, q, i, a, len, fl, nx);
			break;
		}
		case 4:
			q = (unsigned)vf_take(in, 1) % VF_QUEUES;
			vf_kick(slot, q, (unsigned)vf_take(in, 1));
			break;
		case 5:
			vf_w32(slot, R_QUEUE_NOTIFY, (unsigned int)vf_take(in, 2));
			break;
		case 6: {
			unsigned long o = vf_take(in, 2); /* the slot byte is unused */
			unsigned long n = vf_take(in, 1);
			for (unsigned long k = 0; k < n && in->n; k++)
				vf_buf[(o + k) % VF_BUF_SIZE] = (unsigned char)vf_take(in, 1);
			break;
		}
		case 7:
			off = (unsigned)vf_take(in, 1);
			*(volatile unsigned char *)(VF_VIRTIO_BASE + slot * VF_VIRTIO_STRIDE +
						    R_CONFIG + off) = (unsigned char)vf_take(in, 1);
			break;
		case 8:
			off = (unsigned)vf_take(in, 1);
			(void)*(volatile unsigned char *)(VF_VIRTIO_BASE + slot * VF_VIRTIO_STRIDE +
							  R_CONFIG + off);
			break;
		case 9:
			vf_w32(slot, R_STATUS, 0);
			break;
		case 10:
			q = (unsigned)vf_take(in, 1) % VF_QUEUES;
			vf_w32(slot, R_QUEUE_SEL, q);
			vf_w32(slot, R_QUEUE_READY, 0);
			vf_w32(slot, R_QUEUE_RESET, 1);
			break;
		case 11: {
			q = (unsigned)vf_take(in, 1) % VF_QUEUES;
			i = (unsigned)vf_take(in, 1);
			unsigned n = (unsigned)vf_take(in, 1);
			/* The table sits in the buffer area's last 4 KiB. */
			vf_desc_set(slot, q, i, (unsigned long)vf_buf + VF_BUF_SIZE - 4096, n * 16u,
				    4 /* VIRTQ_DESC_F_INDIRECT */, 0);
			break;
		}
		case 12: {
			unsigned int s = vf_r32(slot, R_INT_STATUS);
			vf_w32(slot, R_INT_ACK, s);
			break;
		}
		case 13: {
			q = (unsigned)vf_take(in, 1) % VF_QUEUES;
			i = (unsigned)vf_take(in, 1);
			unsigned long a = vf_take(in, 8);
			unsigned int len = (unsigned int)vf_take(in, 4);
			unsigned fl = (unsigned)vf_take(in, 1), nx = (unsigned)vf_take(in, 1);
			vf_desc_set(slot, q, i, a, len, fl, nx);
			break;
		}
		case 14:
			vf_w32(slot, R_STATUS, (unsigned int)vf_take(in, 1));
			break;
		case 15: {
			/* Entries of the table op 11 points at (the slot byte is
			 * unused). */
			struct vf_desc *t = (struct vf_desc *)(vf_buf + VF_BUF_SIZE - 4096);
			i = (unsigned)vf_take(in, 1) % (4096 / sizeof(*t));
			t[i].addr = (unsigned long)vf_buf + vf_take(in, 2);
			t[i].len = (unsigned int)vf_take(in, 4);
			t[i].flags = (unsigned short)vf_take(in, 1);
			t[i].next = (unsigned short)vf_take(in, 1);
			break;
		}
		}
	}
}

void guest_main(unsigned long dtb)
{
	struct sbiret r;

	(void)dtb;
	r = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, RV_PV_EXT, 0, 0, 0, 0);
	if (r.error != SBI_SUCCESS || r.value == 0)
		pv_fail("the paravirtual extension is missing");
	sbi_call(RV_PV_EXT, RV_PV_SNAPSHOT, 0, 0, 0, 0, 0);
	/* Every iteration starts here. */
	r = sbi_call(RV_PV_EXT, RV_PV_GET_INPUT, (unsigned long)vf_prog, sizeof(vf_prog), 0, 0, 0);
	if (r.error == SBI_SUCCESS) {
		struct vf_in in = { vf_prog, (unsigned long)r.value, false };
		if (in.n > sizeof(vf_prog))
			in.n = sizeof(vf_prog);
		vf_run(&in);
	}
	sbi_call(RV_PV_EXT, RV_PV_END_ITERATION, 0, 0, 0, 0, 0);
	/* Outside a reset loop END_ITERATION returns: one pass, then off. */
	pv_printf("vfuzz: program of %ld bytes ran\n", r.error == SBI_SUCCESS ? r.value : -1l);
}
