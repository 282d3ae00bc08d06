// SPDX-License-Identifier: MIT
/*
 * virtio-blk device (interface in virtio_blk.h; virtio 1.2 section 5.2).
 *
 * A request is struct virtio_blk_req (5.2.6): a 16-byte device-readable
 * header {le32 type, le32 reserved, le64 sector}, data, and a final
 * device-writable status byte. With VIRTIO_F_VERSION_1 the device may not
 * assume any split of these into descriptors (2.7.4.3), so the header,
 * data and status are addressed as byte offsets into the readable and
 * writable parts of the chain: data of an OUT request is readable bytes
 * 16.., data of IN and GET_ID requests is writable bytes 0..len-2, and the
 * status is the last writable byte.
 *
 * Data moves through a bounce buffer of VIRTIO_BLK_BOUNCE bytes, so host
 * memory per request is fixed whatever the guest asks for; the request
 * size itself is bounded by SEG_MAX * SIZE_MAX, the largest request a
 * driver that honours the offered limits can build. Requests complete in
 * the notifying store, in ring order.
 *
 * Untrusted: everything in the request. The sector is checked against the
 * capacity without overflow before the disk sees it (disk.c checks again).
 */
#include "hv/dev/virtio/virtio_blk.h"

#include "hv/hooks.h"
#include "hv/cpu/hart.h"
#include "hv/mem/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/dev/backend/disk.h"
#include "hv/dev/virtio/virtio.h"

#define VIRTIO_BLK_HDR_SIZE 16u
#define VIRTIO_BLK_BOUNCE 65536u
#define VIRTIO_BLK_HOST_LOG_LIMIT 8u

/* struct virtio_blk_config (5.2.4) up to num_queues; later fields belong to
 * features we do not offer and read as zero. */
enum {
	VIRTIO_BLK_CFG_CAPACITY = 0,
	VIRTIO_BLK_CFG_SIZE_MAX = 8,
	VIRTIO_BLK_CFG_SEG_MAX = 12,
	VIRTIO_BLK_CFG_BLK_SIZE = 20,
	VIRTIO_BLK_CFG_LEN = 36,
};

struct virtio_blk {
	struct disk *disk;
	char serial[VIRTIO_BLK_ID_BYTES];
	uint8_t config[VIRTIO_BLK_CFG_LEN];
	struct virtio_ops ops;
	unsigned host_errors;
	uint8_t bounce[VIRTIO_BLK_BOUNCE];
};

static void virtio_blk_put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t virtio_blk_get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void virtio_blk_host_error(struct virtio_blk *b, const struct hv_err *err)
{
	if (b->host_errors >= VIRTIO_BLK_HOST_LOG_LIMIT)
		return;
	b->host_errors++;
	fprintf(stderr, "retrovisor: virtio-blk: %s; the guest gets an I/O error%s\n", err->msg,
		b->host_errors == VIRTIO_BLK_HOST_LOG_LIMIT ? " (further host errors are not "
							      "shown)" :
							      "");
}

/* Sector range of an IN or OUT request; logs and returns false if the
 * request must fail with IOERR. */
static bool virtio_blk_range_ok(struct virtio_dev *vd, struct virtio_blk *b, uint64_t sector,
				uint64_t len)
{
	uint64_t size = disk_size(b->disk);

	if (len % DISK_SECTOR_SIZE) {
		virtio_dev_log(vd, "request of %llu bytes is not whole sectors; I/O error",
			       (unsigned long long)len);
		return false;
	}
	if (len > VIRTIO_BLK_MAX_DATA) {
		virtio_dev_log(vd, "request of %llu bytes exceeds %llu; I/O error",
			       (unsigned long long)len, (unsigned long long)VIRTIO_BLK_MAX_DATA);
		return false;
	}
	if (sector > size / DISK_SECTOR_SIZE || len > size - sector * DISK_SECTOR_SIZE) {
		virtio_dev_log(vd,
			       "request of %llu bytes at sector %llu is past the capacity of "
			       "%llu sectors; I/O error",
			       (unsigned long long)len, (unsigned long long)sector,
			       (unsigned long long)(size / DISK_SECTOR_SIZE));
		return false;
	}
	return true;
}

/* rot: a bit of the data to flip on its way to the guest (a fault), or
 * ~0 for none. */
static uint8_t virtio_blk_in(struct virtio_dev *vd, struct virtio_blk *b,
			     const struct virtq_chain *c, uint64_t sector, uint64_t len,
			     uint64_t rot)
{
	uint64_t off = sector * DISK_SECTOR_SIZE;
	struct hv_err err;

	if (!virtio_blk_range_ok(vd, b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < VIRTIO_BLK_BOUNCE ? (size_t)(len - done) :
							    VIRTIO_BLK_BOUNCE;

		if (disk_read(b->disk, off + done, b->bounce, n, &err) != 0) {
			virtio_blk_host_error(b, &err);
			return VIRTIO_BLK_S_IOERR;
		}
		if (rot / 8 >= done && rot / 8 < done + n)
			b->bounce[rot / 8 - done] ^= (uint8_t)(1u << (rot % 8));
		virtq_chain_write(vd, c, done, b->bounce, n);
		done += n;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t virtio_blk_out(struct virtio_dev *vd, struct virtio_blk *b,
			      const struct virtq_chain *c, uint64_t sector, uint64_t len)
{
	uint64_t off = sector * DISK_SECTOR_SIZE;
	struct hv_err err;

	/* 5.2.6.2: with RO offered, fail writes and write nothing. */
	if (disk_read_only(b->disk)) {
		virtio_dev_log(vd, "write request to a read-only disk; I/O error");
		return VIRTIO_BLK_S_IOERR;
	}
	if (!virtio_blk_range_ok(vd, b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < VIRTIO_BLK_BOUNCE ? (size_t)(len - done) :
							    VIRTIO_BLK_BOUNCE;

		virtq_chain_read(vd, c, VIRTIO_BLK_HDR_SIZE + done, b->bounce, n);
		if (disk_write(b->disk, off + done, b->bounce, n, &err) != 0) {
			virtio_blk_host_error(b, &err);
			return VIRTIO_BLK_S_IOERR;
		}
		done += n;
	}
	return VIRTIO_BLK_S_OK;
}

/* Serve one request; returns false if the device had to fail. */
static bool virtio_blk_request(struct virtio_dev *vd, struct virtio_blk *b, unsigned q,
			       const struct virtq_chain *c)
{
	uint8_t hdr[VIRTIO_BLK_HDR_SIZE];
	uint32_t type;
	uint64_t sector, in_len;
	uint32_t written = 1;
	uint8_t status;
	struct hv_err err;
	uint32_t fault = HV_BLK_OK; /* enum hv_blk_fault */
	uint64_t fault_arg = 0, len;

	if (c->read_len < VIRTIO_BLK_HDR_SIZE || c->write_len < 1) {
		virtio_dev_fail(vd,
				"request %u has %llu readable and %llu writable bytes; it "
				"needs a 16-byte header and a status byte",
				c->head, (unsigned long long)c->read_len,
				(unsigned long long)c->write_len);
		return false;
	}
	virtq_chain_read(vd, c, 0, hdr, sizeof(hdr));
	type = (uint32_t)virtio_blk_get_le(hdr, 4);
	/* 5.2.6, "Legacy Interface: Device Operation": FLUSH_OUT was a
	 * synonym for FLUSH. */
	if (type == VIRTIO_BLK_T_FLUSH_OUT && virtio_dev_legacy(vd))
		type = VIRTIO_BLK_T_FLUSH;
	sector = virtio_blk_get_le(hdr + 8, 8);
	in_len = c->write_len - 1;

	if (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT || type == VIRTIO_BLK_T_FLUSH) {
		/* Fault injection (hv/hooks.h): a plugin's verdict, or in a
		 * replay the recorded one. */
		struct machine *m = virtio_dev_machine(vd);
		unsigned dev = 0;
		while (dev < HV_VIRTIO_SLOTS && m->disk[dev] != b->disk)
			dev++;
		if (dev < HV_VIRTIO_SLOTS) {
			uint64_t nth = m->blk_nreq[dev]++;
			if (m->blk_fault_set && m->blk_fault_dev == dev &&
			    m->blk_fault_nth == nth) {
				m->blk_fault_set = false;
				fault = m->blk_fault_mode;
				fault_arg = m->blk_fault_arg;
			} else if (HV_UNLIKELY(m->hooks) && m->hooks->blk_request) {
				uint64_t len = type == VIRTIO_BLK_T_OUT ?
						       c->read_len - VIRTIO_BLK_HDR_SIZE :
						       in_len;
				fault = m->hooks->blk_request(m->hooks->opaque, m, dev, nth,
							      type == VIRTIO_BLK_T_OUT, sector,
							      (uint32_t)(len / DISK_SECTOR_SIZE),
							      &fault_arg);
			}
			if (fault == HV_BLK_FAIL) {
				status = VIRTIO_BLK_S_IOERR;
				virtq_chain_write(vd, c, in_len, &status, 1);
				virtq_push(vd, q, c, written);
				return true;
			}
		}
	}

	switch (type) {
	case VIRTIO_BLK_T_IN:
		status = virtio_blk_in(vd, b, c, sector, in_len,
				       fault == HV_BLK_ROT ? fault_arg : ~0ull);
		if (status == VIRTIO_BLK_S_OK)
			written += (uint32_t)in_len;
		break;
	case VIRTIO_BLK_T_OUT:
		/* A lost, torn or misdirected write still reports success
		 * (the host layer checks the faults' arguments). */
		len = c->read_len - VIRTIO_BLK_HDR_SIZE;
		if (fault == HV_BLK_LOST)
			status = virtio_blk_range_ok(vd, b, sector, len) ? VIRTIO_BLK_S_OK :
									   VIRTIO_BLK_S_IOERR;
		else if (fault == HV_BLK_TORN && fault_arg * DISK_SECTOR_SIZE < len)
			status = virtio_blk_out(vd, b, c, sector, fault_arg * DISK_SECTOR_SIZE);
		else
			status = virtio_blk_out(vd, b, c,
						fault == HV_BLK_MISDIRECT ? fault_arg : sector,
						len);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = VIRTIO_BLK_S_OK;
		if (disk_flush(b->disk, &err) != 0) {
			virtio_blk_host_error(b, &err);
			status = VIRTIO_BLK_S_IOERR;
		}
		break;
	case VIRTIO_BLK_T_GET_ID: {
		/* NUL-padded, no terminator at 20 bytes (5.2.6). */
		size_t n = in_len < VIRTIO_BLK_ID_BYTES ? (size_t)in_len : VIRTIO_BLK_ID_BYTES;

		virtq_chain_write(vd, c, 0, b->serial, n);
		written += (uint32_t)n;
		status = VIRTIO_BLK_S_OK;
		break;
	}
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	virtq_chain_write(vd, c, in_len, &status, 1);
	virtq_push(vd, q, c, written);
	return true;
}

static void virtio_blk_notify(struct virtio_dev *vd, unsigned q)
{
	struct virtio_blk *b = virtio_dev_priv(vd);
	struct virtq_chain *c;

	while ((c = virtq_pop(vd, q)))
		if (!virtio_blk_request(vd, b, q, c))
			return;
}

static void virtio_blk_destroy(void *priv)
{
	struct virtio_blk *b = priv;

	disk_close(b->disk);
	free(b);
}

struct virtio_dev *virtio_blk_attach(struct machine *m, unsigned slot, struct disk *d,
				     const char *serial, struct hv_err *err)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	struct virtio_dev *vd;
	char def[VIRTIO_BLK_ID_BYTES + 1];

	if (!b) {
		hv_err_set(err, "out of host memory for virtio-blk on '%s'", disk_path(d));
		return NULL;
	}
	if (!serial) {
		snprintf(def, sizeof(def), "retrovisor-blk%u", slot);
		serial = def;
	}
	memcpy(b->serial, serial, strnlen(serial, sizeof(b->serial)));
	b->disk = d;
	virtio_blk_put_le(b->config + VIRTIO_BLK_CFG_CAPACITY, disk_size(d) / DISK_SECTOR_SIZE, 8);
	virtio_blk_put_le(b->config + VIRTIO_BLK_CFG_SIZE_MAX, VIRTIO_BLK_SIZE_MAX, 4);
	virtio_blk_put_le(b->config + VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX, 4);
	virtio_blk_put_le(b->config + VIRTIO_BLK_CFG_BLK_SIZE, DISK_SECTOR_SIZE, 4);
	b->ops = (struct virtio_ops){
		.name = "virtio-blk",
		.device_id = VIRTIO_ID_BLOCK,
		.nqueues = 1,
		.queue_max = VIRTIO_BLK_QUEUE_SIZE,
		.features = 1ull << VIRTIO_BLK_F_SIZE_MAX | 1ull << VIRTIO_BLK_F_SEG_MAX |
			    1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_FLUSH |
			    (disk_read_only(d) ? 1ull << VIRTIO_BLK_F_RO : 0),
		.notify = virtio_blk_notify,
		.destroy = virtio_blk_destroy,
	};
	vd = virtio_dev_attach(m, slot, &b->ops, b, b->config, sizeof(b->config), err);
	if (!vd)
		free(b);
	return vd;
}
