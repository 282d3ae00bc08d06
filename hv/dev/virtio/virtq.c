// SPDX-License-Identifier: MIT
/*
 * Split virtqueues (virtio 1.2 section 2.7) for the virtio-mmio transport
 * (virtio.c): popping a chain from the available ring, copying to and
 * from its buffers, and returning it through the used ring. The rings and
 * descriptors lie in guest RAM and are untrusted; they are read and
 * written only through machine_read_phys/machine_write_phys, field by
 * field in little-endian order.
 *
 * Chain walks (virtq_pop) are bounded: the available index may run at
 * most the queue size ahead of the device; a head or next index must be
 * inside its table; a visited bitmap catches loops, so a direct chain has
 * at most QueueSize descriptors and an indirect one at most its table's
 * entries; an indirect table (2.7.5.3) needs the feature, a non-zero
 * length that is a multiple of 16 and at most VIRTQ_INDIRECT_MAX entries,
 * must not have NEXT set alongside, and must not contain another indirect
 * descriptor; device-writable buffers must follow the readable ones
 * (2.7.4.2); every buffer lies entirely in RAM. One notification pops at
 * most QueueSize chains, so a device whose DMA rewrites the available
 * ring cannot keep itself busy forever.
 *
 * A chain that breaks a rule fails the device (virtio_dev_fail:
 * DEVICE_NEEDS_RESET, 2.1.2) and pops nothing more until the driver
 * resets it.
 */
#include <string.h>

#include "base/le.h"
#include "hv/dev/virtio/virtio_impl.h"

/* ---- guest RAM ---- */

static bool virtio_rd16(struct virtio_dev *vd, gpa_t pa, uint16_t *v)
{
	uint8_t b[2];

	if (!machine_read_phys(vd->m, pa, b, sizeof(b)))
		return false;
	*v = le_get16(b);
	return true;
}

static bool virtio_wr16(struct virtio_dev *vd, gpa_t pa, uint16_t v)
{
	uint8_t b[2];

	le_put16(b, v);
	return machine_write_phys(vd->m, pa, b, sizeof(b));
}

static bool virtio_wr32(struct virtio_dev *vd, gpa_t pa, uint32_t v)
{
	uint8_t b[4];

	le_put32(b, v);
	return machine_write_phys(vd->m, pa, b, sizeof(b));
}

/* ---- split virtqueue ---- */

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static bool virtq_read_desc(struct virtio_dev *vd, gpa_t table, unsigned i, struct virtq_desc *d)
{
	uint8_t b[VIRTQ_DESC_SIZE];

	if (!machine_read_phys(vd->m, table + (gpa_t)i * VIRTQ_DESC_SIZE, b, sizeof(b)))
		return false;
	d->addr = le_get64(b);
	d->len = le_get32(b + 8);
	d->flags = le_get16(b + 12);
	d->next = le_get16(b + 14);
	return true;
}

static bool virtq_visit(struct virtio_dev *vd, unsigned i)
{
	uint8_t bit = (uint8_t)(1u << (i & 7));

	if (vd->visited[i >> 3] & bit)
		return false;
	vd->visited[i >> 3] |= bit;
	return true;
}

/* Walk the chain at head into c; on a broken chain fail the device and
 * return false. */
static bool virtq_walk(struct virtio_dev *vd, unsigned qi, struct virtq *q, uint16_t head,
		       struct virtq_chain *c)
{
	gpa_t table = q->desc;
	unsigned tsize = q->num;
	unsigned i = head;
	bool indirect = false;
	struct virtq_desc d;

	c->head = head;
	c->nseg = c->nread = 0;
	c->read_len = c->write_len = 0;
	memset(vd->visited, 0, (tsize + 7) / 8);
	virtq_visit(vd, i);
	for (;;) {
		if (!virtq_read_desc(vd, table, i, &d)) {
			virtio_dev_fail(vd,
					"queue %u: descriptor %u of the table at 0x%llx is "
					"outside RAM",
					qi, i, (unsigned long long)table);
			return false;
		}
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect) {
				virtio_dev_fail(vd,
						"queue %u: indirect descriptor inside an "
						"indirect table (chain %u)",
						qi, head);
				return false;
			}
			if (!virtio_dev_has_feature(vd, VIRTIO_F_INDIRECT_DESC)) {
				virtio_dev_fail(vd,
						"queue %u: indirect descriptor without "
						"VIRTIO_F_INDIRECT_DESC (chain %u)",
						qi, head);
				return false;
			}
			if (d.flags & VIRTQ_DESC_F_NEXT) {
				virtio_dev_fail(vd,
						"queue %u: descriptor %u has both INDIRECT and "
						"NEXT",
						qi, i);
				return false;
			}
			if (d.len == 0 || d.len % VIRTQ_DESC_SIZE ||
			    d.len / VIRTQ_DESC_SIZE > VIRTQ_INDIRECT_MAX) {
				virtio_dev_fail(vd,
						"queue %u: indirect table of %u bytes is not a "
						"multiple of 16 from 16 to %u",
						qi, d.len, VIRTQ_INDIRECT_MAX * VIRTQ_DESC_SIZE);
				return false;
			}
			if (!machine_ram_contains(vd->m, d.addr, d.len)) {
				virtio_dev_fail(vd,
						"queue %u: indirect table at 0x%llx (%u bytes) "
						"is outside RAM",
						qi, (unsigned long long)d.addr, d.len);
				return false;
			}
			indirect = true;
			table = d.addr;
			tsize = d.len / VIRTQ_DESC_SIZE;
			i = 0;
			memset(vd->visited, 0, (tsize + 7) / 8);
			virtq_visit(vd, i);
			continue;
		}
		if (!machine_ram_contains(vd->m, d.addr, d.len)) {
			virtio_dev_fail(vd,
					"queue %u: buffer at 0x%llx (%u bytes) of chain %u is "
					"outside RAM",
					qi, (unsigned long long)d.addr, d.len, head);
			return false;
		}
		if (!(d.flags & VIRTQ_DESC_F_WRITE) && c->nseg > c->nread) {
			virtio_dev_fail(vd,
					"queue %u: device-readable buffer after a "
					"device-writable one in chain %u",
					qi, head);
			return false;
		}
		/* Cannot trigger: each table is walked without revisits and
		 * both are within the bounds VIRTQ_MAX_SEGS adds up. */
		if (c->nseg == VIRTQ_MAX_SEGS) {
			virtio_dev_fail(vd, "queue %u: chain %u has more than %u buffers", qi, head,
					VIRTQ_MAX_SEGS);
			return false;
		}
		c->seg[c->nseg].addr = d.addr;
		c->seg[c->nseg].len = d.len;
		c->seg[c->nseg].write = d.flags & VIRTQ_DESC_F_WRITE;
		c->nseg++;
		if (d.flags & VIRTQ_DESC_F_WRITE) {
			c->write_len += d.len;
		} else {
			c->nread++;
			c->read_len += d.len;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		if (d.next >= tsize) {
			virtio_dev_fail(vd,
					"queue %u: descriptor %u links to %u, past the end of "
					"its %u-entry %s",
					qi, i, d.next, tsize,
					indirect ? "indirect table" : "queue");
			return false;
		}
		if (!virtq_visit(vd, d.next)) {
			virtio_dev_fail(vd,
					"queue %u: chain %u loops (descriptor %u links back "
					"to %u)",
					qi, head, i, d.next);
			return false;
		}
		i = d.next;
	}
	/* 2.7.5: a chain is at most 2^32 bytes. */
	if (c->read_len + c->write_len > 0xffffffffull) {
		virtio_dev_fail(vd, "queue %u: chain %u is longer than 4 GiB", qi, head);
		return false;
	}
	return true;
}

struct virtq_chain *virtq_pop(struct virtio_dev *vd, unsigned qi)
{
	struct virtq *q;
	uint16_t avail_idx, pending, head;

	if (vd->broken || qi >= vd->ops->nqueues || !vd->q[qi].ready)
		return NULL;
	q = &vd->q[qi];
	if (!q->budget)
		return NULL;
	if (!virtio_rd16(vd, q->avail + 2, &avail_idx)) {
		virtio_dev_fail(vd, "queue %u: available ring outside RAM", qi);
		return NULL;
	}
	pending = (uint16_t)(avail_idx - q->last_avail);
	if (pending == 0)
		return NULL;
	if (pending > q->num) {
		virtio_dev_fail(vd,
				"queue %u: available index %u is %u entries ahead of the "
				"device's %u, more than the queue size %u",
				qi, avail_idx, pending, q->last_avail, q->num);
		return NULL;
	}
	if (!virtio_rd16(vd, q->avail + 4 + 2 * (gpa_t)(q->last_avail % q->num), &head)) {
		virtio_dev_fail(vd, "queue %u: available ring outside RAM", qi);
		return NULL;
	}
	if (head >= q->num) {
		virtio_dev_fail(vd,
				"queue %u: available ring entry %u names descriptor %u of a "
				"%u-entry queue",
				qi, q->last_avail, head, q->num);
		return NULL;
	}
	if (!virtq_walk(vd, qi, q, head, vd->chain))
		return NULL;
	q->last_avail++;
	q->budget--;
	return vd->chain;
}

/* Copy between buf and the part of the chain (readable or writable)
 * starting at byte off of that part. */
static size_t virtq_chain_copy(struct virtio_dev *vd, const struct virtq_chain *c, bool write,
			       uint64_t off, uint8_t *buf, size_t len)
{
	unsigned first = write ? c->nread : 0;
	unsigned end = write ? c->nseg : c->nread;
	size_t done = 0;

	for (unsigned s = first; s < end && done < len; s++) {
		const struct virtq_seg *g = &c->seg[s];
		size_t n;

		if (off >= g->len) {
			off -= g->len;
			continue;
		}
		n = g->len - off;
		if (n > len - done)
			n = len - done;
		/* Segments were checked to lie in RAM when popped. */
		if (write)
			machine_write_phys(vd->m, g->addr + off, buf + done, n);
		else
			machine_read_phys(vd->m, g->addr + off, buf + done, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t virtq_chain_read(struct virtio_dev *vd, const struct virtq_chain *c, uint64_t off, void *buf,
			size_t len)
{
	return virtq_chain_copy(vd, c, false, off, buf, len);
}

size_t virtq_chain_write(struct virtio_dev *vd, const struct virtq_chain *c, uint64_t off,
			 const void *buf, size_t len)
{
	return virtq_chain_copy(vd, c, true, off, (uint8_t *)buf, len);
}

void virtq_push(struct virtio_dev *vd, unsigned qi, const struct virtq_chain *c, uint32_t written)
{
	struct virtq *q = &vd->q[qi];
	gpa_t elem;

	if (vd->broken || qi >= vd->ops->nqueues || !q->ready)
		return;
	elem = q->used + 4 + 8 * (gpa_t)(q->used_idx % q->num);
	/* 2.7.8: the element (with its len) before used->idx. */
	if (!virtio_wr32(vd, elem, c->head) || !virtio_wr32(vd, elem + 4, written) ||
	    !virtio_wr16(vd, q->used + 2, (uint16_t)(q->used_idx + 1))) {
		virtio_dev_fail(vd, "queue %u: used ring outside RAM", qi);
		return;
	}
	q->used_idx++;
	q->pushed = true;
}

void virtq_flush(struct virtio_dev *vd, unsigned qi)
{
	struct virtq *q = &vd->q[qi];
	uint16_t flags;

	if (qi >= vd->ops->nqueues || !q->pushed)
		return;
	q->pushed = false;
	if (!virtio_rd16(vd, q->avail, &flags))
		return;
	if (!(flags & VIRTQ_AVAIL_F_NO_INTERRUPT))
		virtio_raise(vd, VIRTIO_INT_USED);
}
