/* SPDX-License-Identifier: MIT */
/*
 * Machine reset after a guest's reboot request (reset.c): harts and
 * devices back to power-on, images loaded again, the clock and the drives'
 * contents kept.
 */
#ifndef HV_RESET_H
#define HV_RESET_H

#include "hv/platform/loader.h"
#include "hv/types.h"

struct machine;
struct hart;

/* Put hart h (number id) of m in its power-on state for m's boot mode. */
void machine_hart_power_on(struct machine *m, struct hart *h, unsigned id);
/* Keep every device's power-on record (machine_create calls it). */
int machine_reset_keep(struct machine *m, struct hv_err *err);
void machine_reset_free(struct machine *m);
/* Reset m and boot it again from the images lo names. On failure the
 * machine is half reset and must not run again. */
int machine_reset(struct machine *m, const struct loader_opts *lo, struct hv_err *err);

#endif
