/* SPDX-License-Identifier: MIT */
/*
 * virtio entropy device (virtio 1.2 section 5.4, device id 4) fed from a
 * deterministic stream.
 *
 * The seed is an input of the determinism contract (ARCHITECTURE.md
 * section 1): the caller passes a fixed or recorded value, never host
 * entropy read behind the recorder's back. The bytes are xoshiro256**
 * output (Blackman and Vigna) seeded through splitmix64 and consumed as
 * one little-endian byte stream, so what the guest receives depends only
 * on the seed and the total number of bytes taken before, not on how the
 * guest sizes its buffers. Not cryptographic, and not meant to be: the
 * guest's randomness is reproducible by design.
 *
 * One queue of VIRTIO_RNG_QUEUE_SIZE entries; each request fills at most
 * VIRTIO_RNG_MAX_REQ bytes of its device-writable buffers (the device MAY
 * use less than the whole buffer, 5.4.6.2). A device-readable buffer is a
 * driver error (5.4.6.1) and makes the device need a reset.
 */
#ifndef HV_VIRTIO_RNG_H
#define HV_VIRTIO_RNG_H

#include "hv/types.h"

#define VIRTIO_RNG_QUEUE_SIZE 64u
#define VIRTIO_RNG_MAX_REQ 65536u

struct machine;
struct virtio_dev;

/* Create the entropy device on virtio-mmio slot and register it on the
 * machine's bus. Returns NULL and fills err on failure. */
struct virtio_dev *virtio_rng_attach(struct machine *m, unsigned slot, uint64_t seed,
				     struct hv_err *err);

#endif
