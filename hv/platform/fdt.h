/* SPDX-License-Identifier: MIT */
/*
 * The flattened device tree that describes the virt machine to firmware
 * and kernels.
 */
#ifndef HV_FDT_H
#define HV_FDT_H

#include "hv/types.h"

struct machine;

/* Build the device tree for m (harts, RAM, devices, m->cfg.bootargs) into
 * m->fdt / m->fdt_size, replacing any earlier blob. [initrd_start,
 * initrd_end) is the initial ramdisk's guest physical range; an empty
 * range (0, 0) means none. m->fdt is malloc()ed; whoever frees the machine frees it
 * with free(). Returns 0, or -1 with a sentence in err. */
int fdt_build(struct machine *m, gpa_t initrd_start, gpa_t initrd_end, struct hv_err *err);

#endif
