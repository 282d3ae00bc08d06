// SPDX-License-Identifier: MIT
/*
 * SiFive test finisher ("sifive,test0"), the power controller of QEMU's
 * virt machine that Linux's syscon-poweroff/syscon-reboot drivers and
 * OpenSBI's sifive_test driver write to. One write-only register at
 * offset 0, written with 32-bit stores (Linux) or 16-bit ones (OpenSBI's
 * writew, which cannot carry a failure code); the low 16 bits select the
 * action:
 *
 *   0x5555               power off, exit status 0
 *   0x3333 | code << 16  power off reporting failure: exit status code
 *                        (code 0 would read as success, so it becomes 1)
 *   0x7777               reset
 *
 * The run loop stops at the next boundary (machine_stop); the device keeps
 * no state. Guest input: any other value, size or offset is ignored and
 * every read returns 0, as on the SiFive part.
 */
#include "hv/dev/syscon.h"

#include "hv/cpu/hart.h"
#include "hv/mem/mem.h"

#include <stdlib.h>

struct syscon {
	struct hv_dev dev;
	struct machine *m;
};

static uint64_t syscon_read(void *opaque, uint64_t off, unsigned size)
{
	(void)opaque;
	(void)off;
	(void)size;
	return 0;
}

static void syscon_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct syscon *s = opaque;
	unsigned code = size == 4 ? (unsigned)(val >> 16) & 0xffff : 0;

	if (off != 0 || (size != 2 && size != 4))
		return;
	switch (val & 0xffff) {
	case SYSCON_PASS:
		machine_stop(s->m, STOP_SHUTDOWN, 0);
		break;
	case SYSCON_FAIL:
		machine_stop(s->m, STOP_SHUTDOWN, code ? (int)code : 1);
		break;
	case SYSCON_RESET:
		machine_stop(s->m, STOP_REBOOT, 0);
		break;
	default:
		break;
	}
}

/* syscon_create, syscon_destroy and syscon_dev (syscon.h). */
HV_DEV_DEFINE_STATELESS(syscon, "syscon", HV_SYSCON_BASE, SYSCON_MMIO_SIZE, "the syscon device")
