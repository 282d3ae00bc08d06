/* SPDX-License-Identifier: MIT */
/*
 * The "sifive,test" syscon of the virt machine: the guest powers off,
 * reports a failure code or asks for a reset by writing one register.
 */
#ifndef HV_SYSCON_H
#define HV_SYSCON_H

#include "hv/dev.h"
#include "hv/types.h"

#define SYSCON_MMIO_SIZE 0x1000

/* Values of the register at offset 0 (also in the device tree's
 * syscon-poweroff and syscon-reboot nodes). */
#define SYSCON_FAIL 0x3333u /* | exit code << 16 */
#define SYSCON_PASS 0x5555u
#define SYSCON_RESET 0x7777u

/* syscon_create(m, err), syscon_destroy and syscon_dev, the window to
 * register at HV_SYSCON_BASE. */
HV_DEV_DECLARE_STATELESS(syscon);

#endif
