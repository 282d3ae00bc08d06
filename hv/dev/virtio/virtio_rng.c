// SPDX-License-Identifier: MIT
/*
 * virtio entropy device (interface in virtio_rng.h; virtio 1.2 section
 * 5.4).
 *
 * The stream: splitmix64 expands the 64-bit seed into the 256-bit
 * xoshiro256** state (the seeding its authors recommend; an all-zero state
 * cannot arise because splitmix64 outputs are a bijection of distinct
 * counters), and each xoshiro256** output supplies 8 bytes, low byte first.
 * Unused bytes of the last word are kept for the next request, so the
 * guest sees one byte stream. A device reset does not rewind it: entropy
 * handed out once is not handed out again within a run.
 *
 * Untrusted: the chain. Its device-writable bytes are filled up to
 * VIRTIO_RNG_MAX_REQ, so a huge buffer costs a bounded amount of work.
 */
#include "hv/dev/virtio/virtio_rng.h"

#include <stdlib.h>
#include <string.h>

#include "hv/devstate.h"
#include "hv/dev/virtio/virtio.h"

#define VIRTIO_RNG_CHUNK 4096u

struct virtio_rng {
	uint64_t s[4];
	uint8_t word[8];
	unsigned word_left; /* unused bytes at the end of word[] */
	uint8_t buf[VIRTIO_RNG_CHUNK];
};

static uint64_t virtio_rng_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t virtio_rng_rotl(uint64_t x, unsigned k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t virtio_rng_next(struct virtio_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = virtio_rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = virtio_rng_rotl(s[3], 45);
	return out;
}

static void virtio_rng_fill(struct virtio_rng *r, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!r->word_left) {
			uint64_t w = virtio_rng_next(r);

			for (unsigned k = 0; k < 8; k++)
				r->word[k] = (uint8_t)(w >> (8 * k));
			r->word_left = 8;
		}
		p[i] = r->word[8 - r->word_left--];
	}
}

static void virtio_rng_notify(struct virtio_dev *vd, unsigned q)
{
	struct virtio_rng *r = virtio_dev_priv(vd);
	struct virtq_chain *c;

	while ((c = virtq_pop(vd, q))) {
		uint64_t want = c->write_len < VIRTIO_RNG_MAX_REQ ? c->write_len :
								    VIRTIO_RNG_MAX_REQ;

		/* 5.4.6.1: the driver MUST NOT place device-readable buffers. */
		if (c->nread) {
			virtio_dev_fail(vd, "request %u has device-readable buffers", c->head);
			return;
		}
		for (uint64_t done = 0; done < want;) {
			size_t n = want - done < VIRTIO_RNG_CHUNK ? (size_t)(want - done) :
								    VIRTIO_RNG_CHUNK;

			virtio_rng_fill(r, r->buf, n);
			virtq_chain_write(vd, c, done, r->buf, n);
			done += n;
		}
		virtq_push(vd, q, c, (uint32_t)want);
	}
}

/*
 * Snapshot record (the device-type part of the transport's record),
 * version 1: u32 version; the four u64 words of the xoshiro256** state;
 * u8 count of unused bytes of the current word (0..8) and the 8 bytes of
 * that word. An all-zero state is rejected: xoshiro would emit zeros
 * forever, and seeding never produces it (file comment).
 */
static void virtio_rng_save(void *priv, struct devstate_w *w)
{
	const struct virtio_rng *r = priv;

	devstate_put_u32(w, DEVSTATE_VERSION);
	for (unsigned i = 0; i < 4; i++)
		devstate_put_u64(w, r->s[i]);
	devstate_put_u8(w, (uint8_t)r->word_left);
	devstate_put_bytes(w, r->word, sizeof(r->word));
}

static int virtio_rng_restore(void *priv, struct devstate_r *rd)
{
	struct virtio_rng *r = priv;
	uint64_t s[4];
	uint8_t word[8];
	unsigned left;

	if (devstate_get_version(rd, "virtio-rng") != 0)
		return -1;
	for (unsigned i = 0; i < 4; i++)
		s[i] = devstate_get_u64(rd);
	left = devstate_get_u8(rd);
	devstate_get_bytes(rd, word, sizeof(word));
	if (devstate_r_finish(rd))
		return -1;
	if (left > sizeof(word))
		return devstate_r_fail(rd, "virtio-rng has %u bytes left of an 8-byte word", left);
	if (!(s[0] | s[1] | s[2] | s[3]))
		return devstate_r_fail(rd, "virtio-rng generator state is all zero");
	memcpy(r->s, s, sizeof(s));
	memcpy(r->word, word, sizeof(word));
	r->word_left = left;
	return 0;
}

static const struct virtio_state_ops virtio_rng_state_ops = {
	.save = virtio_rng_save,
	.restore = virtio_rng_restore,
};

static const struct virtio_ops virtio_rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_ENTROPY,
	.nqueues = 1,
	.queue_max = VIRTIO_RNG_QUEUE_SIZE,
	.features = 0,
	.notify = virtio_rng_notify,
	.destroy = free,
};

struct virtio_dev *virtio_rng_attach(struct machine *m, unsigned slot, uint64_t seed,
				     struct hv_err *err)
{
	struct virtio_rng *r = calloc(1, sizeof(*r));
	struct virtio_dev *vd;

	if (!r) {
		hv_err_set(err, "out of host memory for virtio-rng");
		return NULL;
	}
	for (unsigned i = 0; i < 4; i++)
		r->s[i] = virtio_rng_splitmix64(&seed);
	vd = virtio_dev_attach(m, slot, &virtio_rng_ops, r, NULL, 0, err);
	if (!vd) {
		free(r);
		return NULL;
	}
	virtio_dev_set_state_ops(vd, &virtio_rng_state_ops);
	return vd;
}
