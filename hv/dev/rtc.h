/* SPDX-License-Identifier: MIT */
/*
 * Goldfish real-time clock of the virt machine: wall-clock nanoseconds and
 * one alarm on PLIC source HV_RTC_IRQ.
 *
 * The wall clock is boot_ns, a recorded input given at creation (fixed or
 * read from the host once), plus guest time derived from instruction
 * counts. The alarm is checked when the guest touches the device and when
 * the scheduler calls rtc_tick() at its deterministic points.
 */
#ifndef HV_RTC_H
#define HV_RTC_H

#include "hv/dev.h"
#include "hv/types.h"

#define RTC_MMIO_SIZE 0x1000

struct machine;
struct rtc;

/* Create the RTC; irq is its PLIC line (copied). Returns NULL and fills
 * err if out of host memory. */
struct rtc *rtc_create(struct machine *m, const struct hv_irq *irq, uint64_t boot_ns,
		       struct hv_err *err);
void rtc_destroy(struct rtc *r);

/* The MMIO window to register at HV_RTC_BASE. */
struct hv_dev *rtc_dev(struct rtc *r);

/* Fire the alarm if guest time has reached it. */
void rtc_tick(struct rtc *r);

/* If an alarm is armed, store in *mtime the mtime tick at which it fires
 * (now, if already due) and return true; lets an idle machine skip ahead
 * to the alarm instead of declaring deadlock. */
bool rtc_next_deadline(struct rtc *r, uint64_t *mtime);

#endif
