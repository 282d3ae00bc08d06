// SPDX-License-Identifier: MIT
/*
 * Guest physical memory and the device bus. Guest RAM is an array of page
 * frames (ARCHITECTURE.md section 4): frame[i] is the host page holding
 * guest page i, shared copy-on-write between machines and snapshots
 * (ram.c). The bus maps everything else; an address that is neither RAM
 * nor a device is an access fault for the guest (the caller raises it).
 *
 * Every store to RAM outside the TLB fast path comes through here, so a
 * shared frame is copied before it is written, a page's dirty bit is set,
 * and cached code on it is invalidated (through the pool's struct mem_code_ops, given by hv/cpu/block.c). Addresses and lengths
 * come from the guest or a device it drives: machine_read_phys and
 * machine_write_phys check the whole range lies in RAM first and touch
 * nothing otherwise.
 */
#include <string.h>

#include "hv/hooks.h"
#include "hv/mem/mem.h"

uint8_t *ram_ptr(struct ram *ram, gpa_t pa)
{
	if (pa < ram->base || pa - ram->base >= ram->size)
		return NULL;
	uint64_t off = pa - ram->base;
	return ram->frame[off >> HV_PAGE_SHIFT] + (off & HV_PAGE_MASK);
}

static struct hv_dev *bus_find(struct machine *m, gpa_t pa)
{
	for (unsigned i = 0; i < m->ndev; i++) {
		struct hv_dev *d = m->dev[i];
		if (pa >= d->base && pa - d->base < d->size)
			return d;
	}
	return NULL;
}

bool bus_read(struct machine *m, gpa_t pa, unsigned size, uint64_t *val)
{
	struct hv_dev *d = bus_find(m, pa);

	if (!d)
		return false;
	if (d == m->uart_dev)
		m->uart_used = true;
	*val = d->ops->read(d->opaque, pa - d->base, size);
	if (HV_UNLIKELY(m->hooks) && m->hooks->mmio)
		m->hooks->mmio(m->hooks->opaque, m, pa, size, false, *val, d->name);
	return true;
}

bool bus_write(struct machine *m, gpa_t pa, unsigned size, uint64_t val)
{
	struct hv_dev *d = bus_find(m, pa);

	if (!d)
		return false;
	if (d == m->uart_dev)
		m->uart_used = true;
	d->ops->write(d->opaque, pa - d->base, size, val);
	if (HV_UNLIKELY(m->hooks) && m->hooks->mmio)
		m->hooks->mmio(m->hooks->opaque, m, pa, size, true, val, d->name);
	return true;
}

void ram_note_store(struct machine *m, gpa_t pa)
{
	uint64_t idx = (pa - m->ram.base) >> HV_PAGE_SHIFT;

	/* A shared frame is copied first (its code stays with it); then the
	 * page's own frame, if it holds code, loses it. */
	if ((m->ram.flags[idx] & RAM_PF_SHARED) && !ram_cow_page(m, idx)) {
		/* No host memory for the copy: the run cannot go on safely. */
		machine_host_error(m, "out of host memory copying a shared guest page");
		return;
	}
	if (m->ram.flags[idx] & RAM_PF_CODE)
		m->ram.code->invalidate_page(m, pa);
}

bool machine_ram_contains(const struct machine *m, gpa_t pa, uint64_t len)
{
	return pa >= m->ram.base && pa - m->ram.base <= m->ram.size &&
	       len <= m->ram.size - (pa - m->ram.base);
}

/* Copy between guest RAM at [pa, pa + len) and buf, a page at a time;
 * nothing is copied unless the whole range is RAM. A write goes through
 * ram_note_store where the page is shared or holds code, and marks the
 * page dirty. */
static bool machine_copy_phys(struct machine *m, gpa_t pa, uint8_t *buf, size_t len, bool write)
{
	if (!machine_ram_contains(m, pa, len))
		return false;
	while (len) {
		size_t chunk = HV_PAGE_SIZE - (pa & HV_PAGE_MASK);
		uint64_t page = (pa - m->ram.base) >> HV_PAGE_SHIFT;

		if (chunk > len)
			chunk = len;
		if (write) {
			if (m->ram.flags[page])
				ram_note_store(m, pa);
			m->ram.dirty[page] = 1;
			memcpy(ram_ptr(&m->ram, pa), buf, chunk);
		} else {
			memcpy(buf, ram_ptr(&m->ram, pa), chunk);
		}
		buf += chunk;
		pa += chunk;
		len -= chunk;
	}
	return true;
}

bool machine_read_phys(struct machine *m, gpa_t pa, void *buf, size_t len)
{
	return machine_copy_phys(m, pa, buf, len, false);
}

bool machine_write_phys(struct machine *m, gpa_t pa, const void *buf, size_t len)
{
	return machine_copy_phys(m, pa, (uint8_t *)buf, len, true);
}

int machine_add_dev(struct machine *m, struct hv_dev *dev, struct hv_err *err)
{
	if (m->ndev >= HV_MAX_DEVS) {
		hv_err_set(err, "too many devices (at most %d)", HV_MAX_DEVS);
		return -1;
	}
	m->dev[m->ndev++] = dev;
	return 0;
}
