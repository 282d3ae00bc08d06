// SPDX-License-Identifier: MIT
/*
 * The machine: guest RAM as page frames, the device bus, the virt platform
 * and the deterministic scheduler.
 *
 * Scheduler (ARCHITECTURE.md section 1): all harts run on this one thread
 * in rounds. In each round every hart runs until its local clock reaches
 * the round's end (cfg.quantum instructions of time), in hart order; a hart
 * that stalls (WFI, HSM stopped) has the rest of the round added to its
 * clock as idle time. When no hart made progress in a round, time jumps to
 * the earliest timer deadline (with realtime pacing, pace.h, once the host's
 * wall clock has caught up with it: the host waits, the guest sees nothing
 * of it). Device events from the host (console input)
 * are delivered only at round boundaries. So the interleaving, the clock
 * and every interrupt depend on the guest and the inputs alone.
 *
 * Guest RAM is an array of page frames (section 4): frame[i] is the host
 * page holding guest page i. The bus maps everything else; an address that
 * is neither RAM nor a device is an access fault for the guest.
 */
#include "hv/machine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hv/block.h"
#include "hv/debug.h"
#include "hv/hooks.h"
#include "hv/clint.h"
#include "hv/disk.h"
#include "hv/exec.h"
#include "hv/net_slirp.h"
#include "hv/pace.h"
#include "hv/virtio_net.h"
#include "hv/plic.h"
#include "hv/reset.h"
#include "hv/rtc.h"
#include "hv/syscon.h"
#include "hv/uart.h"
#include "hv/virtio.h"
#include "hv/virtio_blk.h"
#include "hv/virtio_rng.h"

#define MACHINE_DEFAULT_QUANTUM 10000u
#define MACHINE_INPUT_POLL_ROUNDS 64u


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
	if (ram_cow_init(ram) != 0) {
		hv_err_set(err, "out of host memory for the guest page frame table");
		return -1;
	}
	return 0;
}

uint8_t *ram_ptr(struct ram *ram, gpa_t pa)
{
	if (pa < ram->base || pa - ram->base >= ram->size)
		return NULL;
	uint64_t off = pa - ram->base;
	return ram->frame[off >> HV_PAGE_SHIFT] + (off & HV_PAGE_MASK);
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
		block_invalidate_page(m, pa);
}

bool machine_read_phys(struct machine *m, gpa_t pa, void *buf, size_t len)
{
	uint8_t *out = buf;

	if (pa < m->ram.base || pa - m->ram.base > m->ram.size ||
	    len > m->ram.size - (pa - m->ram.base))
		return false;
	while (len) {
		size_t chunk = HV_PAGE_SIZE - (pa & HV_PAGE_MASK);
		if (chunk > len)
			chunk = len;
		memcpy(out, ram_ptr(&m->ram, pa), chunk);
		out += chunk;
		pa += chunk;
		len -= chunk;
	}
	return true;
}

bool machine_write_phys(struct machine *m, gpa_t pa, const void *buf, size_t len)
{
	const uint8_t *in = buf;

	if (pa < m->ram.base || pa - m->ram.base > m->ram.size ||
	    len > m->ram.size - (pa - m->ram.base))
		return false;
	while (len) {
		size_t chunk = HV_PAGE_SIZE - (pa & HV_PAGE_MASK);
		if (chunk > len)
			chunk = len;
		if (m->ram.flags[(pa - m->ram.base) >> HV_PAGE_SHIFT])
			ram_note_store(m, pa);
		m->ram.dirty[(pa - m->ram.base) >> HV_PAGE_SHIFT] = 1;
		memcpy(ram_ptr(&m->ram, pa), in, chunk);
		in += chunk;
		pa += chunk;
		len -= chunk;
	}
	return true;
}

/* Linux prints "Kernel panic - not syncing: REASON" and, after the stack
 * dump, "---[ end Kernel panic - not syncing: REASON ]---" (kernel/panic.c).
 * The console is deterministic output, so stopping on it is too. */
static void machine_console_scan(struct machine *m, const uint8_t *buf, size_t len)
{
	static const char begin[] = "Kernel panic - not syncing";
	static const char end[] = "---[ end Kernel panic";

	for (size_t i = 0; i < len; i++) {
		char c = (char)buf[i];
		if (c != '\n' && c != '\r') {
			if (m->con_line_len < sizeof(m->con_line) - 1)
				m->con_line[m->con_line_len++] = c;
			continue;
		}
		m->con_line[m->con_line_len] = '\0';
		m->con_line_len = 0;
		if (!m->panic_msg[0]) {
			const char *p = strstr(m->con_line, begin);
			if (p)
				snprintf(m->panic_msg, sizeof(m->panic_msg), "%s", p);
		} else if (strstr(m->con_line, end)) {
			machine_stop(m, STOP_PANIC, 0);
		}
	}
}

void machine_console_write(struct machine *m, const uint8_t *buf, size_t len)
{
	m->con_last_itime = m->cur ? m->cur->icount + m->cur->itime_offset : m->itime;
	if (m->cfg.stop_on_panic)
		machine_console_scan(m, buf, len);
	if (m->console_out) {
		m->console_out(m->console_opaque, buf, len);
		return;
	}
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return; /* console gone: the guest keeps running */
		}
		buf += n;
		len -= (size_t)n;
	}
}

void machine_input_note(struct machine *m, enum hv_input type, const void *data, size_t len)
{
	if (m->funnel.input)
		m->funnel.input(m->funnel.opaque, m, type, data, len);
	if (m->input_hook)
		m->input_hook(m->input_opaque, type);
}

void machine_host_stop(struct machine *m)
{
	machine_input_note(m, HV_IN_STOP, NULL, 0);
	machine_stop(m, STOP_SHUTDOWN, 0);
}

void machine_console_input(struct machine *m, const uint8_t *buf, size_t len)
{
	machine_input_note(m, HV_IN_CONSOLE, buf, len);
	for (size_t i = 0; i < len; i++) {
		if (m->conin_len == sizeof(m->conin))
			break; /* the guest is not reading; drop the excess */
		m->conin[(m->conin_head + m->conin_len) % sizeof(m->conin)] = buf[i];
		m->conin_len++;
	}
}

int machine_console_getc(struct machine *m)
{
	if (!m->conin_len)
		return -1;
	int c = m->conin[m->conin_head];
	m->conin_head = (m->conin_head + 1) % sizeof(m->conin);
	m->conin_len--;
	return c;
}

/* Console input goes to the UART once the guest uses the UART (always in
 * full-machine boot, where firmware drives it); until then a paravirtual
 * guest reads it through the SBI console. */
static void machine_deliver_input(struct machine *m)
{
	if (!m->uart || (m->cfg.boot == BOOT_PV && !m->uart_used))
		return;
	while (m->conin_len && uart_rx_room(m->uart))
		uart_push_rx(m->uart, (uint8_t)machine_console_getc(m));
}

void machine_host_error(struct machine *m, const char *fmt, ...)
{
	va_list ap;

	if (m->stop != STOP_NONE)
		return;
	va_start(ap, fmt);
	vsnprintf(m->host_error, sizeof(m->host_error), fmt, ap);
	va_end(ap);
	machine_stop(m, STOP_HOST_ERROR, 0);
}

void machine_stop(struct machine *m, enum hv_stop why, int status)
{
	if (m->stop != STOP_NONE)
		return;
	m->stop = why;
	m->exit_status = status;
	if (m->cur)
		m->cur->exit_req = true;
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

bool machine_slot_parse(const char *s, size_t len, unsigned *slot)
{
	if (len != 1 || s[0] < '0' || s[0] >= '0' + HV_VIRTIO_SLOTS)
		return false;
	*slot = (unsigned)(s[0] - '0');
	return true;
}

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
	bool net = cfg->net && cfg->net->mode == NET_USER;
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
			/* Replaying: the frames come from the log, not from slirp. */
			m->net = cfg->replaying ? virtio_net_create(m, slot, cfg->net->mac, err)
						: virtio_net_attach(m, slot, cfg->net, err);
			if (!m->net)
				return -1;
			if (cfg->replaying)
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
	if (!m->cfg.quantum)
		m->cfg.quantum = MACHINE_DEFAULT_QUANTUM;
	if (cfg->nharts < 1 || cfg->nharts > HV_MAX_HARTS) {
		hv_err_set(err, "%u harts requested; the machine supports 1 to %d", cfg->nharts,
			   HV_MAX_HARTS);
		goto fail;
	}
	if (cfg->ram_size < HV_PAGE_SIZE || (cfg->ram_size & HV_PAGE_MASK) ||
	    cfg->ram_size > (1ull << 40)) {
		hv_err_set(err, "memory size %llu is not a multiple of 4 KiB between 4 KiB and 1 TiB",
			   (unsigned long long)cfg->ram_size);
		goto fail;
	}
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

/* The injected nondeterminism of test builds (cfg.perturb_at). */
static void machine_test_perturb(struct machine *m)
{
	uint64_t last = m->ram.npages - 1;

	m->ram.frame[last][HV_PAGE_SIZE - 1] ^= 1;
	m->ram.dirty[last] = 1;
	m->cfg.perturb_at = 0;
}

static uint64_t hart_itime(const struct hart *h)
{
	return h->icount + h->itime_offset;
}

/* Host input ended an idle period early: the guest gets it now, and the
 * log says so (HV_IN_IDLE: a replay ends the period at the same round). */
static bool machine_idle_woken(struct machine *m)
{
	machine_deliver_input(m);
	if (m->net)
		virtio_net_poll(m->net);
	machine_input_note(m, HV_IN_IDLE, NULL, 0);
	return true;
}

/* Everyone waits: advance the clock to the earliest event, or report that
 * none can come. Returns false if the machine must stop. */
static bool machine_idle(struct machine *m)
{
	uint64_t next = ~0ull;

	/* The idle time added at the end of the round may itself have made
	 * a timer fire: then someone can run now. */
	for (unsigned i = 0; i < m->nharts; i++)
		if (exec_runnable(m->hart[i]))
			return true;

	for (unsigned i = 0; i < m->nharts; i++) {
		struct hart *h = m->hart[i];
		if (h->hsm == HSM_STOPPED)
			continue;
		if (h->timer_deadline != ~0ull && h->timer_deadline + h->itime_offset < next)
			next = h->timer_deadline + h->itime_offset;
	}
	uint64_t rtc_mtime;
	if (m->rtc && rtc_next_deadline(m->rtc, &rtc_mtime) &&
	    rtc_mtime < ~0ull / HV_INSNS_PER_TICK && rtc_mtime * HV_INSNS_PER_TICK < next)
		next = rtc_mtime * HV_INSNS_PER_TICK;
	/* A deadline the guest set past the end of time never comes: jumping
	 * there, the next round's end would wrap and no hart would run again. */
	if (next >= HV_ITIME_MAX)
		next = ~0ull;
	if (m->funnel.replaying) {
		/* The log says whether host input ended this idle period. */
		if (m->funnel.idle_ends_early && m->funnel.idle_ends_early(m->funnel.opaque, m))
			return true;
		if (next == ~0ull)
			return false;
	} else if (next == ~0ull) {
		/* Only the outside world can wake the guest now. */
		int r = -1;
		while (m->host_poll && (r = m->host_poll(m, -1)) == 0 && m->stop == STOP_NONE)
			;
		return r >= 0 && machine_idle_woken(m);
	}
	if (m->pace.on && next > m->itime) {
		/* Realtime: the wall clock catches up first (pace.h). */
		if (pace_wait(m, next) == PACE_INPUT)
			return machine_idle_woken(m);
	} else if (m->net && !m->funnel.replaying && next > m->itime) {
		/* With a network, idle guest time passes at most as fast as
		 * host time (in steps of at most 10 ms), so that the host
		 * side of TCP connections keeps up; frames that arrive end
		 * the idle period early. Frames are inputs (section 1). */
		uint64_t ns = (next - m->itime) * (1000000000ull / (HV_TIMEBASE_HZ * HV_INSNS_PER_TICK));
		int r = virtio_net_wait(m->net, -1, ns >= 10000000 ? 10 : (int)(ns / 1000000));
		if (r > 0 && (r & VIRTIO_NET_WAIT_FRAMES) && virtio_net_poll(m->net) > 0) {
			machine_input_note(m, HV_IN_IDLE, NULL, 0);
			return true;
		}
	}
	if (next > m->itime) {
		uint64_t delta = next - m->itime;
		for (unsigned i = 0; i < m->nharts; i++)
			m->hart[i]->itime_offset += delta;
		m->itime = next;
	}
	for (unsigned i = 0; i < m->nharts; i++)
		hart_timer_update(m->hart[i]);
	if (m->rtc) {
		m->cur = m->hart[0];
		rtc_tick(m->rtc);
		m->cur = NULL;
	}
	return true;
}

enum hv_stop machine_run(struct machine *m)
{
	uint64_t rounds = 0;

	while (m->stop == STOP_NONE) {
		uint64_t round_end = m->itime + m->cfg.quantum;

		for (unsigned i = 0; i < m->nharts && m->stop == STOP_NONE; i++) {
			struct hart *h = m->hart[i];
			uint64_t local = hart_itime(h);

			if (local >= round_end)
				continue;
			if (HV_UNLIKELY(m->dbg) && ((m->dbg->frozen >> i) & 1)) {
				/* Held by a debugger (scheduler locking): it idles
				 * through the round, its clock going on. */
				h->itime_offset += round_end - local;
				hart_timer_update(h);
				continue;
			}
			icount_t limit = h->icount + (round_end - local);
			if (m->cfg.perturb_at > m->total_insns &&
			    limit - h->icount > m->cfg.perturb_at - m->total_insns)
				limit = h->icount + (m->cfg.perturb_at - m->total_insns);
			if (m->cfg.max_insns) {
				if (m->total_insns >= m->cfg.max_insns) {
					machine_stop(m, STOP_MAX_INSNS, 0);
					break;
				}
				icount_t left = m->cfg.max_insns - m->total_insns;
				if (limit - h->icount > left)
					limit = h->icount + left;
			}
			/* Another hart ran since this one's LR: its reservation
			 * cannot be trusted (an SC may fail, spec 8.2). */
			if (m->last_run != h && m->nharts > 1)
				h->resv_valid = false;
			m->last_run = h;
			m->cur = h;
			/* Retry a hart stuck in a trap loop once per round: another
			 * hart or a device may have repaired its vector meanwhile. */
			if (h->trap_loop_round != m->rounds)
				h->trap_loop = false;
			icount_t before = h->icount;
			exec_run(h, limit);
			m->cur = NULL;
			m->total_insns += h->icount - before;
			if (h->icount != before)
				m->round_progressed = true;
			if (m->stop != STOP_NONE)
				break;
			if (m->cfg.perturb_at && m->total_insns == m->cfg.perturb_at &&
			    h->icount == limit) {
				machine_test_perturb(m);
				if (!m->cfg.max_insns || m->total_insns < m->cfg.max_insns) {
					i--; /* the same hart goes on with its slice */
					continue;
				}
			}
			if (m->cfg.max_insns && m->total_insns >= m->cfg.max_insns) {
				machine_stop(m, STOP_MAX_INSNS, 0);
				break;
			}
			local = hart_itime(h);
			if (local < round_end && h->icount < limit) {
				/* Stalled: idle until the end of the round. */
				h->itime_offset += round_end - local;
				hart_timer_update(h);
			}
		}
		if (m->stop != STOP_NONE)
			break;
		m->itime = round_end;
		if (m->funnel.boundary)
			m->funnel.boundary(m->funnel.opaque, m);
		if (m->rtc) {
			m->cur = m->hart[0];
			rtc_tick(m->rtc);
			m->cur = NULL;
		}
		if (++rounds % MACHINE_INPUT_POLL_ROUNDS == 0 && m->host_poll &&
		    !m->funnel.replaying)
			m->host_poll(m, 0);
		machine_deliver_input(m);
		/* Frames queued for the guest reach it; the host side is asked
		 * for more only when the run takes input from the host. */
		if (m->net && m->funnel.replaying)
			virtio_net_deliver_queued(m->net);
		else if (m->net)
			virtio_net_poll(m->net);
		bool progressed = m->round_progressed;
		m->round_progressed = false;
		if (!progressed && !machine_idle(m))
			machine_stop(m, STOP_DEADLOCK, 0);
		if (m->cfg.watchdog_ticks &&
		    m->itime > m->con_last_itime + m->cfg.watchdog_ticks * HV_INSNS_PER_TICK)
			machine_stop(m, STOP_WATCHDOG, 0);
		m->rounds++;
		if (m->round_hook)
			m->round_hook(m->round_opaque, m);
	}
	block_reap(m->blocks);
	return m->stop;
}

/* A 64-bit mixing hash over words (not cryptographic; for comparing
 * states). */
static uint64_t digest_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 33);
}

uint64_t machine_hart_digest(const struct hart *h)
{
	uint64_t d = 0x726574726f766973ull; /* "retrovis" */

	for (unsigned i = 0; i < 32; i++)
		d = digest_mix(d, h->x[i]);
	for (unsigned i = 0; i < 32; i++)
		d = digest_mix(d, h->f[i]);
	const uint64_t v[] = {
		h->pc, h->icount, h->priv, h->fflags, h->frm, h->mstatus, h->misa, h->medeleg,
		h->mideleg, h->mie, h->mip | h->mip_ext, h->mtvec, h->mscratch, h->mepc, h->mcause,
		h->mtval, h->mcounteren, h->menvcfg, h->stvec, h->sscratch, h->sepc, h->scause,
		h->stval, h->satp, h->scounteren, h->senvcfg, h->mtimecmp, h->stimecmp,
		h->itime_offset, h->wfi, h->hsm, h->resv_valid, h->trap_loop,
	};
	for (unsigned i = 0; i < HV_ARRAY_LEN(v); i++)
		d = digest_mix(d, v[i]);
	return d;
}

uint64_t machine_page_hash(const struct machine *m, uint64_t p)
{
	const uint64_t *w = (const uint64_t *)m->ram.frame[p];
	uint64_t pd = p;

	for (unsigned i = 0; i < HV_PAGE_SIZE / 8; i++)
		pd = digest_mix(pd, w[i]);
	return pd;
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
		d = digest_mix(d, dev->base);
		if (dev->ops->digest)
			d = digest_mix(d, dev->ops->digest(dev->opaque));
	}
	return digest_mix(d, (uint64_t)m->conin_len << 32 | m->uart_used);
}

uint64_t machine_dirty_digest(struct machine *m, uint64_t *npages)
{
	uint64_t d = 0x6469727479ull, n = 0;

	m->dirty_epoch++;
	for (uint64_t p = 0; p < m->ram.npages; p++) {
		if (!m->ram.dirty[p])
			continue;
		const uint64_t *w = (const uint64_t *)m->ram.frame[p];
		uint64_t pd = p;
		for (unsigned i = 0; i < HV_PAGE_SIZE / 8; i++)
			pd = digest_mix(pd, w[i]);
		d = digest_mix(d, pd);
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

uint64_t machine_digest_pages(struct machine *m, const uint64_t *page_hash)
{
	uint64_t d = digest_mix(0, m->nharts);

	for (unsigned i = 0; i < m->nharts; i++)
		d = digest_mix(d, machine_hart_digest(m->hart[i]));
	d = digest_mix(d, machine_devices_digest(m));
	for (uint64_t p = 0; p < m->ram.npages; p++)
		d = digest_mix(d, page_hash ? page_hash[p] : machine_page_hash(m, p));
	return d;
}

uint64_t machine_digest(struct machine *m)
{
	return machine_digest_pages(m, NULL);
}
