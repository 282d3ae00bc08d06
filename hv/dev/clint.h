/* SPDX-License-Identifier: MIT */
/*
 * Core-Local Interruptor (SiFive CLINT layout) of the virt machine:
 * software interrupts (msip) and the machine timer (mtime, mtimecmp).
 */
#ifndef HV_CLINT_H
#define HV_CLINT_H

#include "hv/dev.h"
#include "hv/types.h"

/* clint_create(m, err) makes the CLINT for the harts in m->hart[];
 * clint_destroy; clint_dev, the window to register at HV_CLINT_BASE
 * (HV_CLINT_SIZE bytes). */
HV_DEV_DECLARE_STATELESS(clint);

#endif
