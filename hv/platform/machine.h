/* SPDX-License-Identifier: MIT */
/*
 * The machine as the platform builds and runs it: creating one with the
 * virt board's devices (machine.c), running it (the scheduler, sched.c)
 * and digests of its state (digest.c). The state itself is hv/machine.h;
 * memory, harts and devices have their own layers (hv/mem, hv/cpu, hv/dev).
 */
#ifndef HV_PLATFORM_MACHINE_H
#define HV_PLATFORM_MACHINE_H

#include "hv/cpu/hart.h"
#include "hv/machine.h"
#include "hv/mem/mem.h"
#include "hv/platform/pace.h"

/* Where cfg's virtio devices go, as QEMU's virt machine places them:
 * devices that name a slot take it; the others, drives in order, then the
 * network, then the entropy device, each take the highest slot still free
 * (QEMU gives a -device without bus= the first virtio-mmio bus with room,
 * and its list of buses runs from the highest address down; Linux probes
 * the device tree's highest slot first, so the first drive is vda on
 * both). place[i]
 * receives slot i's occupant. Returns 0, or -1 with one sentence in err:
 * a slot out of range, two devices in one slot, more devices than slots. */
int machine_virtio_place(const struct machine_config *cfg, int place[HV_VIRTIO_SLOTS],
			 struct hv_err *err);

/* Create a machine with RAM, harts and the virt platform's devices. */
struct machine *machine_create(const struct machine_config *cfg, struct hv_err *err);
void machine_destroy(struct machine *m);

/* Run until the guest stops the machine, max_insns or deadlock. */
enum hv_stop machine_run(struct machine *m);

/* Hash of the pages written since the last call (in page order, with their
 * numbers), how many there were, and forget them. Store TLB entries are
 * dropped so that the next write to any page marks it again. */
uint64_t machine_dirty_digest(struct machine *m, uint64_t *npages);

/* A hash of each page of RAM (ram.npages entries, in page order), and of
 * page p alone. */
void machine_page_hashes(const struct machine *m, uint64_t *out);
uint64_t machine_page_hash(const struct machine *m, uint64_t p);
/* Page p's hash as digest version version (MACHINE_DIGEST_V1 or _V2)
 * makes it, whatever the machine's own version. */
uint64_t machine_page_hash_version(const struct machine *m, uint64_t p, unsigned version);

/* Hash of every device's guest-visible state and the console input queue. */
uint64_t machine_devices_digest(const struct machine *m);

/* 64-bit digest of all guest-visible state (harts, devices and RAM), and
 * of one hart's architectural state. */
uint64_t machine_digest(struct machine *m);
uint64_t machine_hart_digest(const struct hart *h);
/* machine_digest with the pages' hashes given (machine_page_hash of each,
 * e.g. kept from an earlier state for the pages not written since; NULL:
 * computed here). */
uint64_t machine_digest_pages(struct machine *m, const uint64_t *page_hash);
/* machine_digest as digest version version makes it (a save file of an
 * older version is checked with its own). */
uint64_t machine_digest_version(struct machine *m, unsigned version);

#endif
