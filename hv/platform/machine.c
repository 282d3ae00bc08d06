// SPDX-License-Identifier: MIT
/*
 * The machine's wiring: the virt platform's memory map and devices
 * (QEMU 7.2 hw/riscv/virt.c), guest RAM reserved as a pool of page
 * frames, virtio slots placed as QEMU places them, and tearing it all down
 * again. Configuration comes from the command line or a snapshot or log
 * file and is checked here (a bad one is an error sentence, never a
 * crash). The rest of the machine is split by concept: bus.c (guest
 * physical memory and the device bus), console.c (the console and the
 * input funnel), sched.c (the deterministic scheduler and stopping) and
 * digest.c (state digests).
 */
#include "hv/platform/machine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hv/cpu/block.h"
#include "hv/dev/clint.h"
#include "hv/cpu/debug.h"
#include "hv/dev/backend/disk.h"
#include "hv/hooks.h"
#include "hv/dev/backend/net_slirp.h"
#include "hv/platform/pace.h"
#include "hv/dev/plic.h"
#include "hv/platform/reset.h"
#include "hv/platform/sbi.h"
#include "hv/dev/rtc.h"
#include "hv/dev/syscon.h"
#include "hv/dev/uart.h"
#include "hv/dev/virtio/virtio.h"
#include "hv/dev/virtio/virtio_blk.h"
#include "hv/dev/virtio/virtio_net.h"
#include "hv/dev/virtio/virtio_rng.h"

#define MACHINE_DEFAULT_QUANTUM 10000u

static int machine_ram_init(struct ram *ram, uint64_t size, struct hv_err *err)
{
	ram->base = HV_RAM_BASE;
	ram->size = size;
	ram->npages = size >> HV_PAGE_SHIFT;
	ram->backing = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram->backing == MAP_FAILED) {
		ram->backing = NULL;
		hv_err_set(err, "cannot reserve %llu MiB of host memory for guest RAM: %s",
			   (unsigned long long)(size >> 20), strerror(errno));
		return -1;
	}
	ram->frame = calloc(ram->npages, sizeof(*ram->frame));
	ram->flags = calloc(ram->npages, 1);
	ram->dirty = calloc(ram->npages, 1);
	if (!ram->frame || !ram->flags || !ram->dirty) {
		hv_err_set(err, "out of host memory for the guest page frame table");
		return -1;
	}
	for (uint64_t i = 0; i < ram->npages; i++)
		ram->frame[i] = ram->backing + (i << HV_PAGE_SHIFT);
	if (ram_cow_init(ram, &block_code_ops) != 0) {
		hv_err_set(err, "out of host memory for the guest page frame table");
		return -1;
	}
	return 0;
}

/* In a replay the host network is the log: frames the guest sends go
 * nowhere, but count as sent, as they did when the run was recorded. */
static void machine_replay_net_send(void *opaque, const void *frame, size_t len)
{
	(void)opaque;
	(void)frame;
	(void)len;
}

static const struct net_backend machine_replay_net = {
	.send = machine_replay_net_send,
};

static const char *machine_slot_who(const struct machine_config *cfg, int occupant, char *buf,
				    size_t n)
{
	if (occupant == MACHINE_SLOT_NET)
		return "the network";
	if (occupant == MACHINE_SLOT_RNG)
		return "the entropy device";
	snprintf(buf, n, "drive '%.100s'", cfg->drives[occupant].file);
	return buf;
}

/* Devices that name a slot first, then the others from the highest free
 * slot down (machine.h). */
int machine_virtio_place(const struct machine_config *cfg, int place[HV_VIRTIO_SLOTS],
			 struct hv_err *err)
{
	bool net = cfg->net && cfg->net->mode != NET_NONE;
	unsigned ndev = cfg->ndrives + (net ? 1u : 0u) + (cfg->rng ? 1u : 0u);
	struct {
		int who;
		bool pinned;
		unsigned slot;
	} dev[HV_VIRTIO_SLOTS];
	unsigned n = 0;

	if (ndev > HV_VIRTIO_SLOTS) {
		hv_err_set(err, "%u drives%s%s need more than the machine's %d virtio slots",
			   cfg->ndrives, net ? ", the network" : "",
			   cfg->rng ? " and the entropy device" : "", HV_VIRTIO_SLOTS);
		return -1;
	}
	for (unsigned i = 0; i < cfg->ndrives; i++, n++) {
		dev[n].who = (int)i;
		dev[n].pinned = cfg->drives[i].has_slot;
		dev[n].slot = cfg->drives[i].slot;
	}
	if (net) {
		dev[n].who = MACHINE_SLOT_NET;
		dev[n].pinned = cfg->net->has_slot;
		dev[n++].slot = cfg->net->slot;
	}
	if (cfg->rng) {
		dev[n].who = MACHINE_SLOT_RNG;
		dev[n++].pinned = false;
	}
	for (unsigned s = 0; s < HV_VIRTIO_SLOTS; s++)
		place[s] = MACHINE_SLOT_EMPTY;
	for (unsigned i = 0; i < n; i++) {
		char a[128], b[128];
		unsigned s = dev[i].slot;

		if (!dev[i].pinned)
			continue;
		if (s >= HV_VIRTIO_SLOTS) {
			hv_err_set(err, "%s asks for virtio slot %u; the machine has slots 0 to %d",
				   machine_slot_who(cfg, dev[i].who, a, sizeof(a)), s,
				   HV_VIRTIO_SLOTS - 1);
			return -1;
		}
		if (place[s] != MACHINE_SLOT_EMPTY) {
			hv_err_set(err, "%s and %s both ask for virtio slot %u; give each its own",
				   machine_slot_who(cfg, place[s], a, sizeof(a)),
				   machine_slot_who(cfg, dev[i].who, b, sizeof(b)), s);
			return -1;
		}
		place[s] = dev[i].who;
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned s = HV_VIRTIO_SLOTS - 1;

		if (dev[i].pinned)
			continue;
		while (place[s] != MACHINE_SLOT_EMPTY)
			s--; /* a free slot exists: ndev <= HV_VIRTIO_SLOTS */
		place[s] = dev[i].who;
	}
	return 0;
}

/* Unused slots hold a placeholder that reads as DeviceID 0 (4.2.3.1.1). */
static int machine_virtio_init(struct machine *m, const struct machine_config *cfg,
			       struct hv_err *err)
{
	int place[HV_VIRTIO_SLOTS];

	if (machine_virtio_place(cfg, place, err))
		return -1;
	for (unsigned slot = HV_VIRTIO_SLOTS; slot-- > 0;) {
		int who = place[slot];

		if (who >= 0) {
			const struct machine_drive *dr = &cfg->drives[who];
			struct disk *d = disk_open(dr->file, dr->snapshot, err);

			if (!d)
				return -1;
			m->virtio[slot] = virtio_blk_attach(m, slot, d, NULL, err);
			if (!m->virtio[slot]) {
				disk_close(d);
				return -1;
			}
			m->disk[who] = d; /* owned by the block device */
		} else if (who == MACHINE_SLOT_NET) {
			/* Replaying: the frames come from the log, not from slirp.
			 * A link between domains is plugged in by the switch
			 * (hv/platform/switch.h); until then frames go nowhere. */
			bool own = cfg->replaying || cfg->net->mode == NET_LINK;

			m->net = own ? virtio_net_create(m, slot, cfg->net->mac, err) :
				       virtio_net_attach(m, slot, cfg->net, err);
			if (!m->net)
				return -1;
			if (own)
				virtio_net_set_backend(m->net, &machine_replay_net);
			m->virtio[slot] = virtio_net_dev(m->net);
		} else if (who == MACHINE_SLOT_RNG) {
			m->virtio[slot] = virtio_rng_attach(m, slot, cfg->rng_seed, err);
		} else {
			m->virtio[slot] = virtio_empty_attach(m, slot, err);
		}
		if (!m->virtio[slot])
			return -1;
	}
	return 0;
}

struct machine *machine_create(const struct machine_config *cfg, struct hv_err *err)
{
	struct machine *m = calloc(1, sizeof(*m));
	struct hv_irq irq;

	if (!m) {
		hv_err_set(err, "out of host memory");
		return NULL;
	}
	m->cfg = *cfg;
	m->ecall = sbi_ecall;
	if (!m->cfg.quantum)
		m->cfg.quantum = MACHINE_DEFAULT_QUANTUM;
	if (cfg->nharts < 1 || cfg->nharts > HV_MAX_HARTS) {
		hv_err_set(err, "%u harts requested; the machine supports 1 to %d", cfg->nharts,
			   HV_MAX_HARTS);
		goto fail;
	}
	if (cfg->ram_size < HV_PAGE_SIZE || (cfg->ram_size & HV_PAGE_MASK) ||
	    cfg->ram_size > (1ull << 40)) {
		hv_err_set(err,
			   "memory size %llu is not a multiple of 4 KiB between 4 KiB and 1 TiB",
			   (unsigned long long)cfg->ram_size);
		goto fail;
	}
	m->ram.digest_version = cfg->digest_version ? cfg->digest_version : MACHINE_DIGEST_CURRENT;
	if (machine_ram_init(&m->ram, cfg->ram_size, err))
		goto fail;
	if (ram_pool_attach(m) != 0) {
		hv_err_set(err, "out of host memory");
		goto fail;
	}
	m->nharts = cfg->nharts;
	for (unsigned i = 0; i < m->nharts; i++) {
		m->hart[i] = aligned_alloc(64, (sizeof(struct hart) + 63) & ~(size_t)63);
		if (!m->hart[i]) {
			hv_err_set(err, "out of host memory");
			goto fail;
		}
		machine_hart_power_on(m, m->hart[i], i);
	}

	m->plic = plic_create(m, m->nharts, err);
	if (!m->plic || machine_add_dev(m, plic_dev(m->plic), err))
		goto fail;
	irq.plic = m->plic;
	irq.num = HV_UART_IRQ;
	m->uart = uart_create(m, &irq, err);
	if (!m->uart || machine_add_dev(m, uart_dev(m->uart), err))
		goto fail;
	m->uart_dev = uart_dev(m->uart);
	m->clint = clint_create(m, err);
	if (!m->clint || machine_add_dev(m, clint_dev(m->clint), err))
		goto fail;
	m->syscon = syscon_create(m, err);
	if (!m->syscon || machine_add_dev(m, syscon_dev(m->syscon), err))
		goto fail;
	irq.num = HV_RTC_IRQ;
	m->rtc = rtc_create(m, &irq, cfg->rtc_boot_ns, err);
	if (!m->rtc || machine_add_dev(m, rtc_dev(m->rtc), err))
		goto fail;
	if (machine_virtio_init(m, cfg, err) || machine_reset_keep(m, err))
		goto fail;
	return m;
fail:
	machine_destroy(m);
	return NULL;
}

void machine_destroy(struct machine *m)
{
	if (!m)
		return;
	machine_reset_free(m);
	for (unsigned i = 0; i < HV_VIRTIO_SLOTS; i++)
		virtio_dev_destroy(m->virtio[i]);
	if (m->rtc)
		rtc_destroy(m->rtc);
	if (m->syscon)
		syscon_destroy(m->syscon);
	if (m->clint)
		clint_destroy(m->clint);
	if (m->uart)
		uart_destroy(m->uart);
	if (m->plic)
		plic_destroy(m->plic);
	for (unsigned i = 0; i < HV_MAX_HARTS; i++)
		free(m->hart[i]);
	ram_cow_destroy(m);
	debug_free(m);
	if (m->ram.backing) /* the pool was never made */
		munmap(m->ram.backing, m->ram.size);
	free(m->ram.frame);
	free(m->ram.flags);
	free(m->ram.dirty);
	free(m->fdt);
	free(m);
}
