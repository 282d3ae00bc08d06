// SPDX-License-Identifier: MIT
/*
 * Digests of machine state: a hart's registers, each page of RAM, the
 * devices (each device's own digest, dev.h), all of it together, and
 * the pages written since the last look (dirty tracking). They compare
 * runs (determinism tests, replay's divergence check, snapshots) and are
 * not cryptographic: a 64-bit mixing hash (hv_mix) over the words, in a
 * fixed order, so equal states give equal digests on every host.
 */
#include "hv/dev.h"
#include "hv/platform/machine.h"

uint64_t machine_hart_digest(const struct hart *h)
{
	uint64_t d = 0x726574726f766973ull; /* "retrovis" */

	for (unsigned i = 0; i < 32; i++)
		d = hv_mix(d, h->x[i]);
	for (unsigned i = 0; i < 32; i++)
		d = hv_mix(d, h->f[i]);
	const uint64_t v[] = {
		h->pc,
		h->icount,
		h->priv,
		h->fflags,
		h->frm,
		h->mstatus,
		h->misa,
		h->medeleg,
		h->mideleg,
		h->mie,
		h->mip | h->mip_ext,
		h->mtvec,
		h->mscratch,
		h->mepc,
		h->mcause,
		h->mtval,
		h->mcounteren,
		h->menvcfg,
		h->stvec,
		h->sscratch,
		h->sepc,
		h->scause,
		h->stval,
		h->satp,
		h->scounteren,
		h->senvcfg,
		h->mtimecmp,
		h->stimecmp,
		h->itime_offset,
		h->wfi,
		h->hsm,
		h->resv_valid,
		h->trap_loop,
	};
	for (unsigned i = 0; i < HV_ARRAY_LEN(v); i++)
		d = hv_mix(d, v[i]);
	return d;
}

/* Version 1: every word through one chain of hv_mix, a multiply's
 * latency per word. */
static uint64_t page_hash_v1(const uint64_t *w, uint64_t p)
{
	uint64_t pd = p;

	for (unsigned i = 0; i < HV_PAGE_SIZE / 8; i++)
		pd = hv_mix(pd, w[i]);
	return pd;
}

/* Version 2: four chains, each word i in chain i % 4, each its own odd
 * multiplier and shift, joined at the end; the page number seeds two of
 * them. The four multiplies of a step run side by side. */
static uint64_t page_hash_v2(const uint64_t *w, uint64_t p)
{
	uint64_t a = p, b = ~p, c = 0x243f6a8885a308d3ull, d = 0x13198a2e03707344ull;

	for (unsigned i = 0; i < HV_PAGE_SIZE / 8; i += 4) {
		a = (a ^ w[i]) * 0x9e3779b97f4a7c15ull;
		b = (b ^ w[i + 1]) * 0xc2b2ae3d27d4eb4full;
		c = (c ^ w[i + 2]) * 0x165667b19e3779f9ull;
		d = (d ^ w[i + 3]) * 0x27d4eb2f165667c5ull;
		a ^= a >> 29;
		b ^= b >> 31;
		c ^= c >> 27;
		d ^= d >> 33;
	}
	a ^= b * 0xff51afd7ed558ccdull ^ c * 0xc4ceb9fe1a85ec53ull ^ d;
	return a ^ (a >> 32);
}

uint64_t machine_page_hash_version(const struct machine *m, uint64_t p, unsigned version)
{
	const uint64_t *w = (const uint64_t *)m->ram.frame[p];

	return version == MACHINE_DIGEST_V1 ? page_hash_v1(w, p) : page_hash_v2(w, p);
}

uint64_t machine_page_hash(const struct machine *m, uint64_t p)
{
	/* A frame shared with a snapshot is never written in place, so its
	 * hash is the one kept (machine_keep_page_hashes). */
	if (m->ram.kept_hash && m->ram.fid[p] == m->ram.kept_fid[p])
		return m->ram.kept_hash[p];
	return machine_page_hash_version(m, p, m->ram.digest_version);
}

void machine_page_hashes(const struct machine *m, uint64_t *out)
{
	for (uint64_t p = 0; p < m->ram.npages; p++)
		out[p] = machine_page_hash(m, p);
}

uint64_t machine_devices_digest(const struct machine *m)
{
	uint64_t d = 0x64657673;

	for (unsigned i = 0; i < m->ndev; i++) {
		const struct hv_dev *dev = m->dev[i];
		d = hv_mix(d, dev->base);
		if (dev->ops->digest)
			d = hv_mix(d, dev->ops->digest(dev->opaque));
	}
	return hv_mix(d, (uint64_t)m->conin_len << 32 | m->uart_used);
}

uint64_t machine_dirty_digest(struct machine *m, uint64_t *npages)
{
	uint64_t d = 0x6469727479ull, n = 0;

	m->dirty_epoch++;
	for (uint64_t p = 0; p < m->ram.npages; p++) {
		if (!m->ram.dirty[p])
			continue;
		d = hv_mix(d, machine_page_hash(m, p));
		m->ram.dirty[p] = 0;
		n++;
	}
	for (unsigned i = 0; i < m->nharts; i++) {
		struct tlb_entry *t = m->hart[i]->tlb[ACC_STORE];
		for (unsigned j = 0; j < TLB_SIZE; j++)
			t[j].tag = TLB_INVALID;
	}
	*npages = n;
	return d;
}

/* Harts, devices, then every page: its hash from page_hash if given,
 * else as version makes it (0: the machine's own way). */
static uint64_t digest_all(struct machine *m, const uint64_t *page_hash, unsigned version)
{
	uint64_t d = hv_mix(0, m->nharts);

	for (unsigned i = 0; i < m->nharts; i++)
		d = hv_mix(d, machine_hart_digest(m->hart[i]));
	d = hv_mix(d, machine_devices_digest(m));
	for (uint64_t p = 0; p < m->ram.npages; p++)
		d = hv_mix(d, page_hash ? page_hash[p] :
			      version   ? machine_page_hash_version(m, p, version) :
					  machine_page_hash(m, p));
	return d;
}

uint64_t machine_digest_pages(struct machine *m, const uint64_t *page_hash)
{
	return digest_all(m, page_hash, 0);
}

uint64_t machine_digest_version(struct machine *m, unsigned version)
{
	return digest_all(m, NULL, version);
}

uint64_t machine_digest(struct machine *m)
{
	return machine_digest_pages(m, NULL);
}
