/* SPDX-License-Identifier: MIT */
/*
 * Core-Local Interruptor (SiFive CLINT layout) of the virt machine:
 * software interrupts (msip) and the machine timer (mtime, mtimecmp).
 */
#ifndef HV_CLINT_H
#define HV_CLINT_H

#include "hv/dev.h"
#include "hv/types.h"

struct machine;
struct clint;

/* Create the CLINT for the harts in m->hart[]. Returns NULL and fills err
 * if out of host memory. */
struct clint *clint_create(struct machine *m, struct hv_err *err);
void clint_destroy(struct clint *c);

/* The MMIO window to register at HV_CLINT_BASE (HV_CLINT_SIZE bytes). */
struct hv_dev *clint_dev(struct clint *c);

#endif
