// SPDX-License-Identifier: MIT
/*
 * Machine reset: what a guest's reboot request (SBI SRST cold or warm
 * reboot, a write of the reset value to the syscon test device) does when
 * the run is to go on, as QEMU's virt machine does by default.
 *
 * A reset is a power cycle that keeps the clock running and the disks'
 * contents:
 *  - every hart returns to its power-on state (hart_reset, and the
 *    paravirtual boot's delegation) except its instruction count, local
 *    time and trap count: time is the instruction count (ARCHITECTURE.md
 *    section 1), so guest time, mtime and the RTC go on rising, and a
 *    debugger's step events stay monotonic;
 *  - every device returns to the record it saved when the machine was
 *    created (machine_reset_keep), so devices need no reset code of their
 *    own and a machine restored from a snapshot resets the same way; drive
 *    contents live in the disk images, not in device records, and stay;
 *  - the loader places the images, device tree and firmware arguments
 *    again and sets the boot harts' registers. RAM outside what it writes
 *    keeps its contents, as on QEMU (which reloads its ROM images only).
 *
 * The images are read again from their files. A recording checks their
 * hashes when it is replayed, so an image changed on disk while a run was
 * recorded shows as a divergence at the next digest after the reboot.
 *
 * A reset is caused by the guest at an exact instruction, so it happens
 * at the same point of a replay; record and replay need no input for it.
 */
#include "hv/platform/reset.h"

#include "hv/devstate.h"
#include "hv/cpu/hart.h"
#include "hv/platform/machine.h"

#include <stdlib.h>
#include <string.h>

/* Exceptions delegated to S-mode in paravirtual boot: everything the
 * delegation register can hold except ecall from S, which is the SBI. */
#define PV_MEDELEG (0xb3ffull & ~(1ull << CAUSE_ECALL_S))
#define PV_MIDELEG (MIP_SSIP | MIP_STIP | MIP_SEIP)

/* The delegation and counter enables the paravirtual boot gives a hart:
 * the hypervisor is its M-mode (sbi.c). */
void machine_hart_power_on(struct machine *m, struct hart *h, unsigned id)
{
	hart_reset(h, m, id);
	if (m->cfg.boot == BOOT_PV) {
		h->medeleg = PV_MEDELEG;
		h->mideleg = PV_MIDELEG;
		h->mcounteren = 0xffffffffull;
		/* scounteren has no defined reset value. Linux only writes it
		 * from its SBI PMU driver, and this SBI has no PMU extension,
		 * so user programs (the vDSO's clock_gettime reads `time`)
		 * would trap without this. */
		h->scounteren = 0x7;
		h->priv = PRIV_S;
	}
}

int machine_reset_keep(struct machine *m, struct hv_err *err)
{
	for (unsigned i = 0; i < m->ndev; i++) {
		struct hv_dev *d = m->dev[i];
		struct devstate_w *w = &m->poweron[i];

		devstate_w_init(w);
		if (!d->ops->save)
			continue;
		d->ops->save(d->opaque, w);
		if (w->error) {
			hv_err_set(err, "out of host memory saving the devices' power-on state");
			return -1;
		}
	}
	m->npoweron = m->ndev;
	return 0;
}

void machine_reset_free(struct machine *m)
{
	for (unsigned i = 0; i < m->npoweron; i++)
		devstate_w_free(&m->poweron[i]);
	m->npoweron = 0;
}

int machine_reset(struct machine *m, const struct loader_opts *lo, struct hv_err *err)
{
	if (m->npoweron != m->ndev) {
		hv_err_set(err, "the machine has no power-on device state to reset to");
		return -1;
	}
	for (unsigned i = 0; i < m->nharts; i++) {
		struct hart *h = m->hart[i];
		icount_t icount = h->icount;
		uint64_t itime_offset = h->itime_offset, traps = h->traps;
		uint64_t mcycle_offset = h->mcycle_offset;
		uint64_t minstret_offset = h->minstret_offset;

		machine_hart_power_on(m, h, i);
		h->icount = icount;
		h->itime_offset = itime_offset;
		h->traps = traps;
		/* The counters' reset values are UNSPECIFIED (privileged spec
		 * 3.1.11); they keep counting, as time does. */
		h->mcycle_offset = mcycle_offset;
		h->minstret_offset = minstret_offset;
		h->exit_req = true;
	}
	/* After the harts: the PLIC drives their interrupt lines again. */
	for (unsigned i = 0; i < m->ndev; i++) {
		struct hv_dev *d = m->dev[i];
		struct devstate_r r;

		if (!d->ops->restore)
			continue;
		devstate_r_init(&r, m->poweron[i].buf, m->poweron[i].len);
		if (d->ops->restore(d->opaque, &r) != 0) {
			hv_err_set(err, "device %s refused its power-on state: %s", d->name,
				   r.msg[0] ? r.msg : "malformed");
			return -1;
		}
	}
	/* Console input typed but not yet read stays for the next boot. */
	m->con_line_len = 0;
	m->panic_msg[0] = '\0';
	if (loader_load(m, lo, err) != 0)
		return -1;
	m->stop = STOP_NONE;
	m->exit_status = 0;
	m->resets++;
	return 0;
}
