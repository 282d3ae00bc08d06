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
#include "hv/plic.h"

#include "hv/hart.h"
#include "hv/machine.h"

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
	uint32_t level[PLIC_WORDS];   /* line as the device drives it */
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
static enum plic_reg plic_decode(const struct plic *p, uint64_t off,
				 unsigned size, unsigned *ctx, unsigned *idx)
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

static const struct hv_dev_ops plic_ops = {
	.read = plic_read,
	.write = plic_write,
	.digest = plic_digest,
};

struct plic *plic_create(struct machine *m, unsigned nharts, struct hv_err *err)
{
	struct plic *p;

	if (nharts == 0 || nharts > HV_MAX_HARTS) {
		hv_err_set(err, "The PLIC supports 1 to %u harts, not %u.",
			   HV_MAX_HARTS, nharts);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		hv_err_set(err, "Out of memory allocating the PLIC.");
		return NULL;
	}
	p->m = m;
	p->nctx = 2 * nharts;
	p->dev.name = "plic";
	p->dev.base = HV_PLIC_BASE;
	p->dev.size = HV_PLIC_SIZE;
	p->dev.ops = &plic_ops;
	p->dev.opaque = p;
	return p;
}

void plic_destroy(struct plic *p)
{
	free(p);
}

struct hv_dev *plic_dev(struct plic *p)
{
	return &p->dev;
}
