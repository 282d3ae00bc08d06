/* SPDX-License-Identifier: MIT */
/*
 * Platform-Level Interrupt Controller, SiFive layout as in QEMU's virt.
 *
 * Devices raise and lower level-triggered lines with hv_irq_set() (dev.h);
 * the PLIC drives MEIP (context 2i) and SEIP (context 2i+1) of hart i.
 */
#ifndef HV_PLIC_H
#define HV_PLIC_H

#include "hv/dev.h"
#include "hv/types.h"

/* Sources 0..PLIC_NSRC-1; source 0 means "no interrupt". The device tree
 * advertises riscv,ndev = PLIC_NSRC - 1. */
#define PLIC_NSRC 96
#define PLIC_PRIO_MAX 7u

struct machine;
struct plic;

/* Create a PLIC with two contexts (M, S) per hart. Harts are looked up in
 * m->hart[] when an output changes, so they may be created later. Returns
 * NULL and fills err if out of host memory. */
struct plic *plic_create(struct machine *m, unsigned nharts, struct hv_err *err);
void plic_destroy(struct plic *p);

/* The MMIO window to register at HV_PLIC_BASE (HV_PLIC_SIZE bytes). */
struct hv_dev *plic_dev(struct plic *p);

#endif
