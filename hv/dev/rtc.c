// SPDX-License-Identifier: MIT
/*
 * Goldfish RTC ("google,goldfish-rtc", Android emulator goldfish platform,
 * as driven by Linux's drivers/rtc/rtc-goldfish.c). 32-bit registers:
 *
 *   0x00 TIME_LOW        read: low half of now; latches the high half
 *                        write: replaces the low half of now
 *   0x04 TIME_HIGH       read: high half latched by TIME_LOW
 *                        write: replaces the high half of now
 *   0x08 ALARM_LOW       write: low half of the alarm, then arm it
 *   0x0c ALARM_HIGH      write: high half of the alarm
 *   0x10 IRQ_ENABLED     bit 0 gates the interrupt line
 *   0x14 CLEAR_ALARM     write: disarm
 *   0x18 ALARM_STATUS    read: 1 while armed
 *   0x1c CLEAR_INTERRUPT write: drop the pending alarm interrupt
 *
 * Times are nanoseconds since the Unix epoch. now = boot_ns + adjust +
 * mtime * RTC_NS_PER_TICK, where boot_ns is the wall clock recorded at
 * boot (an input of the determinism contract, ARCHITECTURE.md section 1),
 * adjust accumulates the guest's settings of the clock and mtime is the
 * instruction-derived guest time of hart_time(). All arithmetic is modulo
 * 2^64, so any value the guest writes is harmless.
 *
 * Writing ALARM_LOW arms the alarm with the value the ALARM registers hold
 * then; later writes to ALARM_HIGH only stage the next alarm (Linux writes
 * HIGH, then LOW). An alarm at or before now fires at once; a later one fires
 * at the first check (a guest access or rtc_tick) that finds it due. Once
 * fired it disarms and leaves the interrupt pending until cleared; the
 * PLIC line is pending AND enabled.
 *
 * Guest input: accesses other than aligned 4-byte ones, and offsets past
 * 0x1c, read as zero and are ignored on write.
 */
#include "hv/dev/rtc.h"

#include "hv/devstate.h"
#include "hv/cpu/hart.h"
#include "hv/mem/mem.h"

#include <stdlib.h>

#define RTC_NS_PER_TICK (1000000000ull / HV_TIMEBASE_HZ)
_Static_assert(1000000000ull % HV_TIMEBASE_HZ == 0,
	       "the timebase must divide one second in whole nanoseconds");

enum {
	RTC_TIME_LOW = 0x00,
	RTC_TIME_HIGH = 0x04,
	RTC_ALARM_LOW = 0x08,
	RTC_ALARM_HIGH = 0x0c,
	RTC_IRQ_ENABLED = 0x10,
	RTC_CLEAR_ALARM = 0x14,
	RTC_ALARM_STATUS = 0x18,
	RTC_CLEAR_INTERRUPT = 0x1c,
};

struct rtc {
	struct hv_dev dev;
	struct machine *m;
	struct hv_irq irq;
	bool irq_level;

	uint64_t boot_ns;
	uint64_t adjust_ns;
	uint32_t time_high; /* latched by the last TIME_LOW read */
	uint64_t alarm_ns;  /* the ALARM registers */
	uint64_t armed_ns;  /* the alarm as it was when armed */
	bool alarm_armed;
	bool irq_enabled;
	bool irq_pending;
};

/* Guest time in mtime ticks, as the accessing hart sees it (hart 0's
 * clock when no hart is running, e.g. at a scheduler boundary). */
static uint64_t rtc_mtime(struct rtc *r)
{
	struct machine *m = r->m;
	struct hart *h = m->cur;

	if (!h && m->nharts)
		h = m->hart[0];
	return h ? hart_time(h) : m->time_seen;
}

static uint64_t rtc_base_ns(const struct rtc *r)
{
	return r->boot_ns + r->adjust_ns;
}

static uint64_t rtc_now_ns(struct rtc *r)
{
	return rtc_base_ns(r) + rtc_mtime(r) * RTC_NS_PER_TICK;
}

static void rtc_update_irq(struct rtc *r)
{
	bool level = r->irq_pending && r->irq_enabled;

	if (level == r->irq_level)
		return;
	r->irq_level = level;
	hv_irq_set(&r->irq, level);
}

static void rtc_check_alarm(struct rtc *r)
{
	if (!r->alarm_armed || rtc_now_ns(r) < r->armed_ns)
		return;
	r->alarm_armed = false;
	r->irq_pending = true;
	rtc_update_irq(r);
}

/* Move the clock so that now reads want (the guest sets the time). */
static void rtc_set_now(struct rtc *r, uint64_t want)
{
	r->adjust_ns += want - rtc_now_ns(r);
}

static uint64_t rtc_read(void *opaque, uint64_t off, unsigned size)
{
	struct rtc *r = opaque;
	uint64_t now;

	if (size != 4 || (off & 3) || off > RTC_CLEAR_INTERRUPT)
		return 0;
	rtc_check_alarm(r);
	switch (off) {
	case RTC_TIME_LOW:
		now = rtc_now_ns(r);
		r->time_high = (uint32_t)(now >> 32);
		return (uint32_t)now;
	case RTC_TIME_HIGH:
		return r->time_high;
	case RTC_ALARM_LOW:
		return (uint32_t)r->alarm_ns;
	case RTC_ALARM_HIGH:
		return (uint32_t)(r->alarm_ns >> 32);
	case RTC_IRQ_ENABLED:
		return r->irq_enabled;
	case RTC_ALARM_STATUS:
		return r->alarm_armed;
	default:
		return 0;
	}
}

static void rtc_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct rtc *r = opaque;
	uint64_t now, lo = val & 0xffffffffull;

	if (size != 4 || (off & 3) || off > RTC_CLEAR_INTERRUPT)
		return;
	switch (off) {
	case RTC_TIME_LOW:
		now = rtc_now_ns(r);
		rtc_set_now(r, (now & ~0xffffffffull) | lo);
		break;
	case RTC_TIME_HIGH:
		now = rtc_now_ns(r);
		rtc_set_now(r, (now & 0xffffffffull) | lo << 32);
		break;
	case RTC_ALARM_LOW:
		r->alarm_ns = (r->alarm_ns & ~0xffffffffull) | lo;
		r->armed_ns = r->alarm_ns;
		r->alarm_armed = true;
		break;
	case RTC_ALARM_HIGH:
		r->alarm_ns = (r->alarm_ns & 0xffffffffull) | lo << 32;
		break;
	case RTC_IRQ_ENABLED:
		r->irq_enabled = val & 1;
		break;
	case RTC_CLEAR_ALARM:
		r->alarm_armed = false;
		break;
	case RTC_CLEAR_INTERRUPT:
		r->irq_pending = false;
		break;
	default:
		break;
	}
	rtc_check_alarm(r);
	rtc_update_irq(r);
}

static uint64_t rtc_digest(void *opaque)
{
	const struct rtc *r = opaque;
	uint64_t d = hv_mix(0x727463, r->boot_ns);

	d = hv_mix(d, r->adjust_ns);
	d = hv_mix(d, r->time_high);
	d = hv_mix(d, r->alarm_ns);
	d = hv_mix(d, r->armed_ns);
	return hv_mix(d, (uint64_t)r->alarm_armed | (uint64_t)r->irq_enabled << 1 |
				 (uint64_t)r->irq_pending << 2 | (uint64_t)r->irq_level << 3);
}

/*
 * Snapshot record, version 1: u32 version; u64 boot_ns, adjust_ns,
 * alarm_ns, armed_ns; u32 latched TIME_HIGH; u8 flags alarm armed, IRQ
 * enabled, interrupt pending (0/1 each). The interrupt level follows from
 * the flags. Guest time itself lives in the harts: restore does not look
 * at it (the harts may be restored after the devices), so a due alarm
 * fires at the next check as it would have in the saved machine.
 */
static const struct devstate_field rtc_fields[] = {
	DEVSTATE_FIELD(struct rtc, boot_ns),     DEVSTATE_FIELD(struct rtc, adjust_ns),
	DEVSTATE_FIELD(struct rtc, alarm_ns),    DEVSTATE_FIELD(struct rtc, armed_ns),
	DEVSTATE_FIELD(struct rtc, time_high),   DEVSTATE_FIELD(struct rtc, alarm_armed),
	DEVSTATE_FIELD(struct rtc, irq_enabled), DEVSTATE_FIELD(struct rtc, irq_pending),
};

static void rtc_save(void *opaque, struct devstate_w *w)
{
	devstate_put_u32(w, DEVSTATE_VERSION);
	devstate_put_fields(w, opaque, rtc_fields, HV_ARRAY_LEN(rtc_fields));
}

static int rtc_restore(void *opaque, struct devstate_r *rd)
{
	struct rtc *r = opaque;
	struct rtc n = *r;

	if (devstate_get_version(rd, "RTC") != 0)
		return -1;
	devstate_get_fields(rd, &n, rtc_fields, HV_ARRAY_LEN(rtc_fields));
	if (devstate_r_finish(rd))
		return -1;
	n.irq_level = n.irq_pending && n.irq_enabled;
	*r = n;
	hv_irq_set(&r->irq, r->irq_level);
	return 0;
}

static const struct hv_dev_ops rtc_ops = HV_DEV_OPS(rtc);

struct rtc *rtc_create(struct machine *m, const struct hv_irq *irq, uint64_t boot_ns,
		       struct hv_err *err)
{
	struct rtc *r = HV_DEV_NEW(struct rtc, m, "rtc", HV_RTC_BASE, RTC_MMIO_SIZE, &rtc_ops,
				   "the RTC", err);

	if (!r)
		return NULL;
	r->irq = *irq;
	r->boot_ns = boot_ns;
	return r;
}

HV_DEV_DEFINE_ACCESSORS(rtc)

void rtc_tick(struct rtc *r)
{
	rtc_check_alarm(r);
}

bool rtc_next_deadline(struct rtc *r, uint64_t *mtime)
{
	uint64_t now_ticks, now_ns, delta_ns, wait;

	if (!r->alarm_armed)
		return false;
	now_ticks = rtc_mtime(r);
	now_ns = rtc_base_ns(r) + now_ticks * RTC_NS_PER_TICK;
	if (now_ns >= r->armed_ns) {
		*mtime = now_ticks;
		return true;
	}
	/* First tick k with now_ns + k * RTC_NS_PER_TICK >= alarm_ns. */
	delta_ns = r->armed_ns - now_ns;
	wait = delta_ns / RTC_NS_PER_TICK + (delta_ns % RTC_NS_PER_TICK ? 1 : 0);
	*mtime = now_ticks + wait < now_ticks ? UINT64_MAX : now_ticks + wait;
	return true;
}
