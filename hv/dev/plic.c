// SPDX-License-Identifier: MIT
/*
 * Platform-Level Interrupt Controller (RISC-V PLIC specification 1.0.0,
 * register map of the SiFive PLIC that QEMU's virt machine uses):
 *
 *   0x000000 + 4*s          priority of source s (0 = never interrupts)
 *   0x001000 + 4*w          pending bits of sources 32w..32w+31 (read-only)
 *   0x002000 + 0x80*c + 4*w enable bits of context c
 *   0x200000 + 0x1000*c     priority threshold of context c
 *   0x200004 + 0x1000*c     claim (read) / complete (write) of context c
 *
 * Context 2i is hart i's M-mode (drives MEIP), 2i+1 its S-mode (SEIP).
 *
 * Every source is level-triggered. A source's gateway forwards its line
 * into the pending bit while the source is not in service; a claim clears
 * the pending bit and puts the source in service, a complete takes it out
 * again and re-samples the line, so a line still asserted pends again.
 * Like QEMU, a line that drops before it is claimed withdraws its request,
 * which spares drivers a spurious claim. Claim picks the highest priority
 * pending, enabled source whose priority exceeds the context threshold,
 * ties going to the lowest source id (spec, "Interrupt Priorities").
 *
 * Every register offset, size and value comes from the guest: unaligned,
 * non-32-bit and out-of-range accesses read as zero and writes to them are
 * ignored, priority and threshold keep only their 3 implemented bits, and
 * a complete for a source not enabled in that context is ignored as the
 * spec requires.
 */
#include "hv/dev/plic.h"

#include "hv/devstate.h"
#include "hv/cpu/hart.h"
#include "hv/mem/mem.h"

#include <stdlib.h>

#define PLIC_WORDS ((PLIC_NSRC + 31) / 32)
#define PLIC_MAX_CTX (2 * HV_MAX_HARTS)

#define PLIC_PRIORITY 0x000000u
#define PLIC_PENDING 0x001000u
#define PLIC_ENABLE 0x002000u
#define PLIC_ENABLE_STRIDE 0x80u
#define PLIC_CONTEXT 0x200000u
#define PLIC_CONTEXT_STRIDE 0x1000u
#define PLIC_CTX_THRESHOLD 0x0u
#define PLIC_CTX_CLAIM 0x4u

struct plic {
	struct hv_dev dev;
	struct machine *m;
	unsigned nctx;

	uint32_t priority[PLIC_NSRC];
	uint32_t level[PLIC_WORDS]; /* line as the device drives it */
	uint32_t pending[PLIC_WORDS];
	uint32_t claimed[PLIC_WORDS]; /* in service: gateway closed */
	uint32_t enable[PLIC_MAX_CTX][PLIC_WORDS];
	uint32_t threshold[PLIC_MAX_CTX];
	/* Last level given to each context's hart interrupt pin, so that a
	 * hart is only disturbed when its input really changes. */
	bool output[PLIC_MAX_CTX];
};

static bool plic_bit(const uint32_t *words, unsigned src)
{
	return (words[src / 32] >> (src % 32)) & 1;
}

static void plic_bit_set(uint32_t *words, unsigned src, bool on)
{
	uint32_t bit = 1u << (src % 32);

	if (on)
		words[src / 32] |= bit;
	else
		words[src / 32] &= ~bit;
}

/* The source a claim by context ctx would return, or 0. */
static unsigned plic_best_source(const struct plic *p, unsigned ctx)
{
	unsigned best = 0;
	uint32_t best_prio = p->threshold[ctx];

	for (unsigned w = 0; w < PLIC_WORDS; w++) {
		uint32_t cand = p->pending[w] & p->enable[ctx][w];

		while (cand) {
			unsigned src = w * 32 + (unsigned)__builtin_ctz(cand);

			cand &= cand - 1;
			/* Strictly greater: equal priority keeps the lower id
			 * found first, and must exceed the threshold. */
			if (p->priority[src] > best_prio) {
				best_prio = p->priority[src];
				best = src;
			}
		}
	}
	return best;
}

/* Recompute every context's interrupt output and pass changes to harts. */
static void plic_update(struct plic *p)
{
	for (unsigned ctx = 0; ctx < p->nctx; ctx++) {
		bool out = plic_best_source(p, ctx) != 0;
		struct hart *h;

		if (out == p->output[ctx])
			continue;
		h = ctx / 2 < p->m->nharts ? p->m->hart[ctx / 2] : NULL;
		if (!h)
			continue;
		p->output[ctx] = out;
		hart_set_ip(h, (ctx & 1) ? MIP_SEIP : MIP_MEIP, out);
	}
}

void hv_irq_set(const struct hv_irq *irq, bool level)
{
	struct plic *p = irq->plic;
	unsigned src = irq->num;

	if (!p || src == 0 || src >= PLIC_NSRC)
		return;
	plic_bit_set(p->level, src, level);
	if (!plic_bit(p->claimed, src))
		plic_bit_set(p->pending, src, level);
	plic_update(p);
}

static uint32_t plic_claim(struct plic *p, unsigned ctx)
{
	unsigned src = plic_best_source(p, ctx);

	if (src) {
		plic_bit_set(p->pending, src, false);
		plic_bit_set(p->claimed, src, true);
		plic_update(p);
	}
	return src;
}

static void plic_complete(struct plic *p, unsigned ctx, uint64_t val)
{
	unsigned src = (unsigned)val;

	if (val == 0 || val >= PLIC_NSRC)
		return;
	if (!plic_bit(p->enable[ctx], src) || !plic_bit(p->claimed, src))
		return;
	plic_bit_set(p->claimed, src, false);
	plic_bit_set(p->pending, src, plic_bit(p->level, src));
	plic_update(p);
}

enum plic_reg {
	PLIC_REG_NONE,
	PLIC_REG_PRIORITY,  /* idx: source */
	PLIC_REG_PENDING,   /* idx: word */
	PLIC_REG_ENABLE,    /* ctx, idx: word */
	PLIC_REG_THRESHOLD, /* ctx */
	PLIC_REG_CLAIM,     /* ctx */
};

/* Decode a guest access into a register that exists, or PLIC_REG_NONE. */
static enum plic_reg plic_decode(const struct plic *p, uint64_t off, unsigned size, unsigned *ctx,
				 unsigned *idx)
{
	uint64_t rel;

	if (size != 4 || (off & 3) || off >= HV_PLIC_SIZE)
		return PLIC_REG_NONE;
	if (off < PLIC_PENDING) {
		*idx = (unsigned)((off - PLIC_PRIORITY) / 4);
		return *idx < PLIC_NSRC ? PLIC_REG_PRIORITY : PLIC_REG_NONE;
	}
	if (off < PLIC_ENABLE) {
		*idx = (unsigned)((off - PLIC_PENDING) / 4);
		return *idx < PLIC_WORDS ? PLIC_REG_PENDING : PLIC_REG_NONE;
	}
	if (off < PLIC_CONTEXT) {
		rel = off - PLIC_ENABLE;
		*ctx = (unsigned)(rel / PLIC_ENABLE_STRIDE);
		*idx = (unsigned)(rel % PLIC_ENABLE_STRIDE / 4);
		if (*ctx >= p->nctx || *idx >= PLIC_WORDS)
			return PLIC_REG_NONE;
		return PLIC_REG_ENABLE;
	}
	rel = off - PLIC_CONTEXT;
	*ctx = (unsigned)(rel / PLIC_CONTEXT_STRIDE);
	if (*ctx >= p->nctx)
		return PLIC_REG_NONE;
	switch (rel % PLIC_CONTEXT_STRIDE) {
	case PLIC_CTX_THRESHOLD:
		return PLIC_REG_THRESHOLD;
	case PLIC_CTX_CLAIM:
		return PLIC_REG_CLAIM;
	default:
		return PLIC_REG_NONE;
	}
}

static uint64_t plic_read(void *opaque, uint64_t off, unsigned size)
{
	struct plic *p = opaque;
	unsigned ctx = 0, idx = 0;

	switch (plic_decode(p, off, size, &ctx, &idx)) {
	case PLIC_REG_PRIORITY:
		return p->priority[idx];
	case PLIC_REG_PENDING:
		return p->pending[idx];
	case PLIC_REG_ENABLE:
		return p->enable[ctx][idx];
	case PLIC_REG_THRESHOLD:
		return p->threshold[ctx];
	case PLIC_REG_CLAIM:
		return plic_claim(p, ctx);
	default:
		return 0;
	}
}

static void plic_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct plic *p = opaque;
	unsigned ctx = 0, idx = 0;
	uint32_t v = (uint32_t)val;

	switch (plic_decode(p, off, size, &ctx, &idx)) {
	case PLIC_REG_PRIORITY:
		/* Source 0 does not exist; its priority stays 0. */
		if (idx == 0)
			return;
		p->priority[idx] = v & PLIC_PRIO_MAX;
		break;
	case PLIC_REG_ENABLE:
		/* Bit 0 of word 0 is source 0, hardwired to zero. */
		p->enable[ctx][idx] = v & (idx == 0 ? ~1u : ~0u);
		break;
	case PLIC_REG_THRESHOLD:
		p->threshold[ctx] = v & PLIC_PRIO_MAX;
		break;
	case PLIC_REG_CLAIM:
		plic_complete(p, ctx, v);
		return;
	default:
		/* Pending bits are read-only; holes ignore writes. */
		return;
	}
	plic_update(p);
}

static uint64_t plic_digest(void *opaque)
{
	const struct plic *p = opaque;
	uint64_t d = 0x706c6963;

	for (unsigned i = 0; i < PLIC_NSRC; i++)
		d = hv_mix(d, p->priority[i]);
	for (unsigned w = 0; w < PLIC_WORDS; w++)
		d = hv_mix(hv_mix(d, (uint64_t)p->level[w] | (uint64_t)p->pending[w] << 32),
			   p->claimed[w]);
	for (unsigned c = 0; c < p->nctx; c++) {
		for (unsigned w = 0; w < PLIC_WORDS; w++)
			d = hv_mix(d, p->enable[c][w]);
		d = hv_mix(d, (uint64_t)p->threshold[c] << 1 | p->output[c]);
	}
	return d;
}

/*
 * Snapshot record, version 1: u32 version; u32 contexts; u32 sources
 * (PLIC_NSRC); u8 priority of sources 1..PLIC_NSRC-1; u32 words of the
 * line levels, the pending bits and the in-service bits; then per
 * context its enable words and u8 threshold. The hart outputs are not
 * stored: restore recomputes them and pushes every one to its hart, so
 * the harts' external-interrupt bits agree with the PLIC whatever order
 * the machine restores harts and devices in.
 */
static void plic_save(void *opaque, struct devstate_w *w)
{
	const struct plic *p = opaque;

	devstate_put_u32(w, DEVSTATE_VERSION);
	devstate_put_u32(w, p->nctx);
	devstate_put_u32(w, PLIC_NSRC);
	for (unsigned s = 1; s < PLIC_NSRC; s++)
		devstate_put_u8(w, (uint8_t)p->priority[s]);
	for (unsigned i = 0; i < PLIC_WORDS; i++)
		devstate_put_u32(w, p->level[i]);
	for (unsigned i = 0; i < PLIC_WORDS; i++)
		devstate_put_u32(w, p->pending[i]);
	for (unsigned i = 0; i < PLIC_WORDS; i++)
		devstate_put_u32(w, p->claimed[i]);
	for (unsigned c = 0; c < p->nctx; c++) {
		for (unsigned i = 0; i < PLIC_WORDS; i++)
			devstate_put_u32(w, p->enable[c][i]);
		devstate_put_u8(w, (uint8_t)p->threshold[c]);
	}
}

/* Bits of word i that name real sources (not 0, not >= PLIC_NSRC). */
static uint32_t plic_valid_bits(unsigned i)
{
	uint32_t m = ~0u;

	if (i == 0)
		m &= ~1u;
	if (PLIC_NSRC - 32 * i < 32)
		m &= (1u << (PLIC_NSRC - 32 * i)) - 1;
	return m;
}

static int plic_restore(void *opaque, struct devstate_r *r)
{
	struct plic *p = opaque;
	struct plic *n;
	uint32_t nctx, nsrc;
	int ret = -1;

	if (devstate_get_version(r, "PLIC") != 0)
		return -1;
	nctx = devstate_get_u32(r);
	nsrc = devstate_get_u32(r);
	if (r->error)
		return -1;
	if (nctx != p->nctx || nsrc != PLIC_NSRC)
		return devstate_r_fail(r,
				       "PLIC state has %u contexts and %u sources; this "
				       "machine's PLIC has %u and %u",
				       nctx, nsrc, p->nctx, PLIC_NSRC);
	/* Too big for the stack with 64 contexts; staged so that a bad
	 * record leaves p untouched. */
	n = malloc(sizeof(*n));
	if (!n)
		return devstate_r_fail(r, "out of host memory restoring the PLIC");
	*n = *p;
	n->priority[0] = 0;
	for (unsigned s = 1; s < PLIC_NSRC; s++) {
		n->priority[s] = devstate_get_u8(r);
		if (n->priority[s] > PLIC_PRIO_MAX) {
			devstate_r_fail(r, "PLIC source %u has priority %u, above %u", s,
					n->priority[s], PLIC_PRIO_MAX);
			goto out;
		}
	}
	for (unsigned i = 0; i < PLIC_WORDS; i++)
		n->level[i] = devstate_get_u32(r);
	for (unsigned i = 0; i < PLIC_WORDS; i++)
		n->pending[i] = devstate_get_u32(r);
	for (unsigned i = 0; i < PLIC_WORDS; i++)
		n->claimed[i] = devstate_get_u32(r);
	if (r->error)
		goto out;
	for (unsigned i = 0; i < PLIC_WORDS; i++) {
		uint32_t bad = ~plic_valid_bits(i);

		if ((n->level[i] | n->pending[i] | n->claimed[i]) & bad) {
			devstate_r_fail(r, "PLIC state word %u names sources that do not exist", i);
			goto out;
		}
		/* Level-triggered gateways (file comment): a source pends
		 * exactly while its line is up and it is not in service. */
		if (n->pending[i] != (n->level[i] & ~n->claimed[i])) {
			devstate_r_fail(r,
					"PLIC pending bits 0x%x of word %u disagree with "
					"levels 0x%x and in-service bits 0x%x",
					n->pending[i], i, n->level[i], n->claimed[i]);
			goto out;
		}
	}
	for (unsigned c = 0; c < n->nctx; c++) {
		for (unsigned i = 0; i < PLIC_WORDS; i++) {
			n->enable[c][i] = devstate_get_u32(r);
			if (n->enable[c][i] & ~plic_valid_bits(i)) {
				devstate_r_fail(r,
						"PLIC context %u enables sources that do not "
						"exist (word %u: 0x%x)",
						c, i, n->enable[c][i]);
				goto out;
			}
		}
		n->threshold[c] = devstate_get_u8(r);
		if (n->threshold[c] > PLIC_PRIO_MAX) {
			devstate_r_fail(r, "PLIC context %u has threshold %u, above %u", c,
					n->threshold[c], PLIC_PRIO_MAX);
			goto out;
		}
	}
	if (devstate_r_finish(r))
		goto out;
	*p = *n;
	for (unsigned c = 0; c < p->nctx; c++) {
		struct hart *h = c / 2 < p->m->nharts ? p->m->hart[c / 2] : NULL;

		p->output[c] = plic_best_source(p, c) != 0;
		if (h)
			hart_set_ip(h, (c & 1) ? MIP_SEIP : MIP_MEIP, p->output[c]);
	}
	ret = 0;
out:
	free(n);
	return ret;
}

static const struct hv_dev_ops plic_ops = HV_DEV_OPS(plic);

struct plic *plic_create(struct machine *m, unsigned nharts, struct hv_err *err)
{
	struct plic *p;

	if (nharts == 0 || nharts > HV_MAX_HARTS) {
		hv_err_set(err, "The PLIC supports 1 to %u harts, not %u.", HV_MAX_HARTS, nharts);
		return NULL;
	}
	p = HV_DEV_NEW(struct plic, m, "plic", HV_PLIC_BASE, HV_PLIC_SIZE, &plic_ops, "the PLIC",
		       err);
	if (!p)
		return NULL;
	p->nctx = 2 * nharts;
	return p;
}

HV_DEV_DEFINE_ACCESSORS(plic)
