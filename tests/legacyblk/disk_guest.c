// SPDX-License-Identifier: MIT
/*
 * A teaching-style virtio disk driver, as an operating-systems course
 * writes one (the shape of xv6-riscv's virtio_disk.c, written here from
 * the virtio 1.2 specification): a bare-metal M-mode program that expects
 * its disk in the first virtio-mmio slot (0x1000_1000, QEMU's
 * virtio-mmio-bus.0), negotiates only the low 32 feature bits (so never
 * VIRTIO_F_VERSION_1: a legacy driver on a version 2 transport, which
 * QEMU serves), sets up one split virtqueue of 8 entries, reads sectors
 * by polling the used ring and checks what they hold.
 *
 * The disk image holds, in every 512-byte sector s, the bytes
 * (s * 7 + i * 3 + 1) & 0xff (i the byte's offset in the sector), so a
 * sector read from the wrong place or only partly shows.
 *
 * What it prints is the same on QEMU and on Retrovisor, so the test runs
 * it on both and compares:
 *
 *   legacy-disk slot N id D        DeviceID of every slot (0: empty)
 *   legacy-disk features-ok 1      FEATURES_OK stuck without VERSION_1
 *   legacy-disk read S+N ok XX..   N sectors from S, their first bytes
 *   legacy-disk done               (the runtime's last line)
 *
 * It powers off through the virt machine's test finisher: status 0, or 1
 * (after a line "legacy-disk FAIL ...") when its disk is not in slot 0,
 * the device refuses it or a read goes wrong. Everything the device does
 * is waited for with a bound, so a broken device ends the guest instead
 * of hanging it.
 */
#include "rt.h"

/* virtio-mmio registers (4.2.2). */
#define VIRTIO0 0x10001000UL
#define VIRTIO_STRIDE 0x1000UL
#define VIRTIO_SLOTS 8
#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEVICE_FEATURES 0x010
#define R_DRIVER_FEATURES 0x020
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INTERRUPT_STATUS 0x060
#define R_INTERRUPT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC_LOW 0x080
#define R_QUEUE_DESC_HIGH 0x084
#define R_QUEUE_DRIVER_LOW 0x090
#define R_QUEUE_DRIVER_HIGH 0x094
#define R_QUEUE_DEVICE_LOW 0x0a0
#define R_QUEUE_DEVICE_HIGH 0x0a4

/* Device status bits (2.1). */
#define S_ACKNOWLEDGE 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u

/* Feature bits this driver turns down (5.2.3 and 6), as xv6's does. */
#define F_BLK_RO (1u << 5)
#define F_BLK_SCSI (1u << 7)
#define F_BLK_CONFIG_WCE (1u << 11)
#define F_BLK_MQ (1u << 12)
#define F_ANY_LAYOUT (1u << 27)
#define F_INDIRECT_DESC (1u << 28)
#define F_EVENT_IDX (1u << 29)

#define NUM 8 /* queue entries */
#define SECTOR 512
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTIO_BLK_T_IN 0
#define POLL_LIMIT 10000000UL

static inline u32 reg(u64 base, u64 off)
{
	return *(volatile u32 *)(base + off);
}

static inline void set_reg(u64 base, u64 off, u32 v)
{
	*(volatile u32 *)(base + off) = v;
}

/* The split virtqueue (2.7): descriptor table, available and used rings,
 * each in its own page so every alignment rule holds. */
struct virtq_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

struct virtq_avail {
	u16 flags;
	u16 idx;
	u16 ring[NUM];
};

struct virtq_used_elem {
	u32 id;
	u32 len;
};

struct virtq_used {
	u16 flags;
	u16 idx;
	struct virtq_used_elem ring[NUM];
};

/* struct virtio_blk_req's header (5.2.6). */
struct blk_req {
	u32 type;
	u32 reserved;
	u64 sector;
};

static struct virtq_desc desc[NUM] __attribute__((aligned(4096)));
static struct virtq_avail avail __attribute__((aligned(4096)));
static struct virtq_used used __attribute__((aligned(4096)));
static struct blk_req req;
static u8 data[2 * SECTOR] __attribute__((aligned(16)));
static volatile u8 status;
static u16 used_seen;

static void fail(const char *why)
{
	rt_puts(RT_GUEST_NAME " FAIL ");
	rt_puts(why);
	rt_puts("\n");
	rt_fail(1);
}

static void slot_map(void)
{
	for (u64 i = 0; i < VIRTIO_SLOTS; i++) {
		u64 base = VIRTIO0 + i * VIRTIO_STRIDE;

		rt_puts(RT_GUEST_NAME " slot ");
		rt_put_dec(i);
		rt_puts(" id ");
		rt_put_dec(reg(base, R_MAGIC) == 0x74726976 ? reg(base, R_DEVICE_ID) : 0);
		rt_puts("\n");
	}
}

/* Device initialization (3.1.1), as a driver that knows only the low 32
 * feature bits does it. */
static void disk_init(void)
{
	u64 b = VIRTIO0;

	if (reg(b, R_MAGIC) != 0x74726976 || reg(b, R_VERSION) != 2 || reg(b, R_DEVICE_ID) != 2)
		fail("no virtio disk in slot 0 (0x10001000)");
	set_reg(b, R_STATUS, 0);
	u32 st = S_ACKNOWLEDGE;
	set_reg(b, R_STATUS, st);
	st |= S_DRIVER;
	set_reg(b, R_STATUS, st);

	/* DeviceFeaturesSel and DriverFeaturesSel are 0 after reset: the
	 * low halves. VERSION_1 (bit 32) is never seen, never accepted. */
	u32 f = reg(b, R_DEVICE_FEATURES);
	f &= ~(F_BLK_RO | F_BLK_SCSI | F_BLK_CONFIG_WCE | F_BLK_MQ | F_ANY_LAYOUT |
	       F_INDIRECT_DESC | F_EVENT_IDX);
	set_reg(b, R_DRIVER_FEATURES, f);
	st |= S_FEATURES_OK;
	set_reg(b, R_STATUS, st);
	if (!(reg(b, R_STATUS) & S_FEATURES_OK))
		fail("the device refused FEATURES_OK without VIRTIO_F_VERSION_1");
	rt_puts(RT_GUEST_NAME " features-ok 1\n");

	set_reg(b, R_QUEUE_SEL, 0);
	if (reg(b, R_QUEUE_READY))
		fail("queue 0 is ready before the driver set it up");
	if (reg(b, R_QUEUE_NUM_MAX) < NUM)
		fail("queue 0 is shorter than 8 entries");
	set_reg(b, R_QUEUE_NUM, NUM);
	set_reg(b, R_QUEUE_DESC_LOW, (u32)(u64)desc);
	set_reg(b, R_QUEUE_DESC_HIGH, (u32)((u64)desc >> 32));
	set_reg(b, R_QUEUE_DRIVER_LOW, (u32)(u64)&avail);
	set_reg(b, R_QUEUE_DRIVER_HIGH, (u32)((u64)&avail >> 32));
	set_reg(b, R_QUEUE_DEVICE_LOW, (u32)(u64)&used);
	set_reg(b, R_QUEUE_DEVICE_HIGH, (u32)((u64)&used >> 32));
	set_reg(b, R_QUEUE_READY, 1);

	st |= S_DRIVER_OK;
	set_reg(b, R_STATUS, st);
}

/* Read n sectors (1 or 2) from sector s into data: one three-descriptor
 * chain (header, data, status byte), offered, notified, and waited for
 * on the used ring. */
static void disk_read(u64 s, u32 n)
{
	u64 b = VIRTIO0;

	req.type = VIRTIO_BLK_T_IN;
	req.reserved = 0;
	req.sector = s;
	status = 0xff;
	desc[0] = (struct virtq_desc){ (u64)&req, sizeof(req), VIRTQ_DESC_F_NEXT, 1 };
	desc[1] = (struct virtq_desc){ (u64)data, n * SECTOR,
				       VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 };
	desc[2] = (struct virtq_desc){ (u64)&status, 1, VIRTQ_DESC_F_WRITE, 0 };
	avail.ring[avail.idx % NUM] = 0;
	__sync_synchronize(); /* the chain before the index (2.7.13) */
	avail.idx++;
	__sync_synchronize();
	set_reg(b, R_QUEUE_NOTIFY, 0);

	for (u64 i = 0; *(volatile u16 *)&used.idx == used_seen; i++)
		if (i == POLL_LIMIT)
			fail("the device never used the request");
	__sync_synchronize();
	used_seen++;
	set_reg(b, R_INTERRUPT_ACK, reg(b, R_INTERRUPT_STATUS) & 3);
	if (used.ring[(used_seen - 1) % NUM].id != 0)
		fail("the used ring names another chain");
	if (status != 0)
		fail("the device answered the read with an error status");
}

static void check_read(u64 s, u32 n)
{
	disk_read(s, n);
	for (u32 k = 0; k < n; k++)
		for (u32 i = 0; i < SECTOR; i++)
			if (data[k * SECTOR + i] != (u8)((s + k) * 7 + i * 3 + 1))
				fail("a sector does not hold its pattern");
	rt_puts(RT_GUEST_NAME " read ");
	rt_put_dec(s);
	rt_puts("+");
	rt_put_dec(n);
	rt_puts(" ok");
	for (u32 i = 0; i < 4; i++) {
		rt_puts(" ");
		rt_put_hex(data[i], 2);
	}
	rt_puts("\n");
}

int main(void)
{
	slot_map();
	disk_init();
	check_read(0, 2);
	check_read(5, 1);
	check_read(9, 2);
	return 0;
}
