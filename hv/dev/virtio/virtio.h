/* SPDX-License-Identifier: MIT */
/*
 * virtio-mmio transport (version 2) and split virtqueues, shared by the
 * virtio device types (virtio_blk.c, virtio_rng.c).
 *
 * A struct virtio_dev is one virtio-mmio slot of the virt platform: the
 * register file of virtio spec 1.2 section 4.2.2 at HV_VIRTIO_BASE +
 * slot * HV_VIRTIO_STRIDE, its PLIC line HV_VIRTIO_IRQ0 + slot, the
 * feature and status handshake, and up to VIRTIO_MAX_QUEUES split
 * virtqueues (section 2.7). A device type supplies a struct virtio_ops:
 * its device id, queue count and size, feature bits, a read-only config
 * space, and a notify callback that consumes the queue with virtq_pop /
 * virtq_chain_read / virtq_chain_write / virtq_push.
 *
 * Everything the guest writes is untrusted. Requests run synchronously in
 * the notifying store (QueueNotify), so a request completes at a fixed
 * icount and its interrupt is seen at the next instruction boundary. A
 * guest that breaks the virtqueue rules (loops, chains longer than the
 * queue, buffers or rings outside RAM, bad indirect tables, bad queue
 * sizes) gets DEVICE_NEEDS_RESET and a configuration-change interrupt
 * (section 2.1.2), and the device processes nothing until the driver
 * resets it; the hypervisor only ever touches guest RAM through
 * machine_read_phys/machine_write_phys.
 */
#ifndef HV_VIRTIO_H
#define HV_VIRTIO_H

#include "hv/dev.h"
#include "hv/types.h"

/* Same vendor id as QEMU ("QEMU" little-endian) so a guest sees the same
 * device identities on Retrovisor and on QEMU's virt machine. */
#define VIRTIO_MMIO_MAGIC 0x74726976u /* "virt" */
#define VIRTIO_MMIO_VERSION 2u
#define VIRTIO_VENDOR_ID 0x554d4551u

/* Device ids (spec section 5). */
#define VIRTIO_ID_NONE 0u
#define VIRTIO_ID_BLOCK 2u
#define VIRTIO_ID_ENTROPY 4u

/* Device status bits (section 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* Transport feature bits (section 6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_VERSION_1 32

/* InterruptStatus bits (section 4.2.2). */
#define VIRTIO_INT_USED 1u
#define VIRTIO_INT_CONFIG 2u

/* Register offsets (section 4.2.2, table "MMIO Device Register Layout"). */
enum {
	VIRTIO_MMIO_MAGIC_VALUE = 0x000,
	VIRTIO_MMIO_VERSION_REG = 0x004,
	VIRTIO_MMIO_DEVICE_ID = 0x008,
	VIRTIO_MMIO_VENDOR_ID = 0x00c,
	VIRTIO_MMIO_DEVICE_FEATURES = 0x010,
	VIRTIO_MMIO_DEVICE_FEATURES_SEL = 0x014,
	VIRTIO_MMIO_DRIVER_FEATURES = 0x020,
	VIRTIO_MMIO_DRIVER_FEATURES_SEL = 0x024,
	VIRTIO_MMIO_QUEUE_SEL = 0x030,
	VIRTIO_MMIO_QUEUE_NUM_MAX = 0x034,
	VIRTIO_MMIO_QUEUE_NUM = 0x038,
	VIRTIO_MMIO_QUEUE_READY = 0x044,
	VIRTIO_MMIO_QUEUE_NOTIFY = 0x050,
	VIRTIO_MMIO_INTERRUPT_STATUS = 0x060,
	VIRTIO_MMIO_INTERRUPT_ACK = 0x064,
	VIRTIO_MMIO_STATUS = 0x070,
	VIRTIO_MMIO_QUEUE_DESC_LOW = 0x080,
	VIRTIO_MMIO_QUEUE_DESC_HIGH = 0x084,
	VIRTIO_MMIO_QUEUE_DRIVER_LOW = 0x090,
	VIRTIO_MMIO_QUEUE_DRIVER_HIGH = 0x094,
	VIRTIO_MMIO_QUEUE_DEVICE_LOW = 0x0a0,
	VIRTIO_MMIO_QUEUE_DEVICE_HIGH = 0x0a4,
	VIRTIO_MMIO_SHM_SEL = 0x0ac,
	VIRTIO_MMIO_SHM_LEN_LOW = 0x0b0,
	VIRTIO_MMIO_SHM_LEN_HIGH = 0x0b4,
	VIRTIO_MMIO_SHM_BASE_LOW = 0x0b8,
	VIRTIO_MMIO_SHM_BASE_HIGH = 0x0bc,
	VIRTIO_MMIO_QUEUE_RESET = 0x0c0,
	VIRTIO_MMIO_CONFIG_GENERATION = 0x0fc,
	VIRTIO_MMIO_CONFIG = 0x100,
};

/* Split-ring descriptor flags (section 2.7.5). */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

#define VIRTIO_MAX_QUEUES 4
/* Largest QueueNumMax a device type may offer (QEMU's VIRTQUEUE_MAX_SIZE). */
#define VIRTQ_SIZE_LIMIT 1024u
/* Largest indirect table accepted, in descriptors (16 KiB). */
#define VIRTQ_INDIRECT_MAX 1024u
/* A chain is direct descriptors, then at most one indirect table. */
#define VIRTQ_MAX_SEGS (VIRTQ_SIZE_LIMIT + VIRTQ_INDIRECT_MAX)
/* Guest errors logged per device before the log goes quiet. */
#define VIRTIO_LOG_LIMIT 16u

struct machine;
struct virtio_dev;

/* One buffer of a chain; all of [addr, addr + len) is guest RAM. */
struct virtq_seg {
	gpa_t addr;
	uint32_t len;
	bool write; /* device-writable */
};

/* A descriptor chain popped from the available ring. The device-readable
 * segments come first (seg[0 .. nread-1]), then the device-writable ones
 * (section 2.7.4.2 requires that order; virtq_pop enforces it). */
struct virtq_chain {
	uint16_t head;
	unsigned nseg;
	unsigned nread;
	uint64_t read_len;  /* bytes in the device-readable part */
	uint64_t write_len; /* bytes in the device-writable part */
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
};

struct virtio_ops {
	const char *name; /* "virtio-blk", for log lines */
	uint32_t device_id;
	unsigned nqueues;   /* <= VIRTIO_MAX_QUEUES */
	uint16_t queue_max; /* QueueNumMax: a power of 2, <= VIRTQ_SIZE_LIMIT */
	/* Device-type feature bits; the transport adds VERSION_1 and
	 * INDIRECT_DESC. */
	uint64_t features;
	/* Consume available buffers of ready queue q; called only when the
	 * driver set DRIVER_OK and the device does not need a reset. */
	void (*notify)(struct virtio_dev *vd, unsigned q);
	/* Device-type state back to power-on (status 0 written); optional. */
	void (*reset)(struct virtio_dev *vd);
	/* Free the device-type state passed to virtio_dev_attach. */
	void (*destroy)(void *priv);
};

/* Create the transport for virtio-mmio slot (0..HV_VIRTIO_SLOTS-1) and
 * register it on the machine's bus; if a device already covers exactly
 * that slot's window (a placeholder from virtio_empty_attach), the new
 * one replaces it on the bus and the old one stays the caller's to
 * destroy. config/config_len is the device's read-only configuration
 * space (read little-endian at offset 0x100; bytes past config_len read
 * as zero), owned by priv. On failure returns NULL, fills err and leaves
 * priv to the caller; on success the device owns priv and frees it with
 * ops->destroy. ops must outlive the device. */
struct virtio_dev *virtio_dev_attach(struct machine *m, unsigned slot, const struct virtio_ops *ops,
				     void *priv, const void *config, size_t config_len,
				     struct hv_err *err);

/* A placeholder slot: DeviceID 0 with magic and version 2, as QEMU shows
 * unused virtio-mmio slots; a driver must skip it (section 4.2.3.1.1). */
struct virtio_dev *virtio_empty_attach(struct machine *m, unsigned slot, struct hv_err *err);

/* Free a device. The bus keeps pointing at it, so call this only when the
 * machine is destroyed or will never run again. NULL is a no-op. */
void virtio_dev_destroy(struct virtio_dev *vd);

void *virtio_dev_priv(struct virtio_dev *vd);
struct machine *virtio_dev_machine(struct virtio_dev *vd);
struct hv_dev *virtio_dev_mmio(struct virtio_dev *vd);
uint8_t virtio_dev_status(const struct virtio_dev *vd);
/* Whether the driver accepted feature bit. */
bool virtio_dev_has_feature(const struct virtio_dev *vd, unsigned bit);
/* The driver uses the device through the legacy interface: it did not
 * accept VIRTIO_F_VERSION_1 (virtio 1.2, 2.2.3, "Legacy Interface: A Note
 * on Feature Bits"), as QEMU lets a driver do on its version 2 transport.
 * Device types follow the legacy rules where they differ (virtio-net's
 * header without num_buffers, virtio-blk's FLUSH_OUT). */
bool virtio_dev_legacy(const struct virtio_dev *vd);

/* The guest broke the rules: set DEVICE_NEEDS_RESET, raise the
 * configuration-change interrupt if DRIVER_OK is set (section 2.1.2), log
 * one rate-limited line, and process nothing until reset. */
void virtio_dev_fail(struct virtio_dev *vd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A rate-limited guest log line without changing the device state. */
void virtio_dev_log(struct virtio_dev *vd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Next available chain of queue q into the device's scratch chain, or
 * NULL when the ring is empty or the device failed (bad chain). The chain
 * stays valid until the next virtq_pop on this device. */
struct virtq_chain *virtq_pop(struct virtio_dev *vd, unsigned q);

/* Copy up to len bytes of the chain's device-readable data starting at
 * byte off of that part into buf; returns the bytes copied. */
size_t virtq_chain_read(struct virtio_dev *vd, const struct virtq_chain *c, uint64_t off, void *buf,
			size_t len);
/* Copy up to len bytes into the device-writable part at byte off;
 * returns the bytes copied. */
size_t virtq_chain_write(struct virtio_dev *vd, const struct virtq_chain *c, uint64_t off,
			 const void *buf, size_t len);

/* Put chain c into the used ring with written bytes. The used-buffer
 * interrupt is raised by virtq_pop's caller through virtq_flush. */
void virtq_push(struct virtio_dev *vd, unsigned q, const struct virtq_chain *c, uint32_t written);
/* After pushing: raise the used-buffer interrupt unless the driver
 * suppressed it (VIRTQ_AVAIL_F_NO_INTERRUPT, section 2.7.7). */
void virtq_flush(struct virtio_dev *vd, unsigned q);

#endif
