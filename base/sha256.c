// SPDX-License-Identifier: MIT
/*
 * SHA-256 as specified in FIPS 180-4 (interface in sha256.h).
 *
 * Section 6.2.2 defines the hash as a compression function applied to
 * each 512-bit block of the padded message (section 5.1.1: a 1 bit, zeros
 * up to 448 mod 512, then the message length in bits as a 64-bit
 * big-endian number). The context keeps the partial block, so updates of
 * any size in any split give the digest of their concatenation.
 *
 * Invariant: 0 <= nblock < 64 between calls; nbytes counts every byte
 * passed to sha256_update since sha256_init. Input bytes are just data and
 * need no checking; only sha256_file touches the host (a file that cannot
 * be read is an error that names it).
 */
#include "base/sha256.h"

#include "base/hex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHA256_FILE_BLOCK (1u << 20)

/* Section 4.2.2: the first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

/* Section 5.3.3: the first 32 bits of the fractional parts of the square
 * roots of the first 8 primes. */
static const uint32_t sha256_h0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static inline uint32_t sha256_rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static inline uint32_t sha256_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void sha256_store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Section 6.2.2, steps 1-4, for one 64-byte block. */
static void sha256_compress(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64];
	uint32_t a, b, c, d, e, f, g, hh;
	unsigned t;

	for (t = 0; t < 16; t++)
		w[t] = sha256_load_be32(p + 4 * t);
	for (t = 16; t < 64; t++) {
		/* sigma0 and sigma1 of section 4.1.2 (4.6, 4.7) */
		uint32_t s0 = sha256_rotr(w[t - 15], 7) ^ sha256_rotr(w[t - 15], 18) ^
			      (w[t - 15] >> 3);
		uint32_t s1 = sha256_rotr(w[t - 2], 17) ^ sha256_rotr(w[t - 2], 19) ^
			      (w[t - 2] >> 10);

		w[t] = s1 + w[t - 7] + s0 + w[t - 16];
	}

	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	f = h[5];
	g = h[6];
	hh = h[7];
	for (t = 0; t < 64; t++) {
		/* Sigma1, Ch, Sigma0, Maj of section 4.1.2 (4.2-4.5) */
		uint32_t big_s1 = sha256_rotr(e, 6) ^ sha256_rotr(e, 11) ^ sha256_rotr(e, 25);
		uint32_t ch = (e & f) ^ (~e & g);
		uint32_t big_s0 = sha256_rotr(a, 2) ^ sha256_rotr(a, 13) ^ sha256_rotr(a, 22);
		uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
		uint32_t t1 = hh + big_s1 + ch + sha256_k[t] + w[t];
		uint32_t t2 = big_s0 + maj;

		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

#if defined(__x86_64__) && defined(__GNUC__)
/*
 * The same compression with the x86 SHA extensions (Intel's "SHA
 * extensions" of 2013: SHA256RNDS2 does two rounds, SHA256MSG1/MSG2 the
 * message schedule of section 6.2.2 step 1). The state lives in two
 * registers in the order those instructions use: ABEF (A in the top lane,
 * F in the bottom) and CDGH. About 8x the portable loop's speed, which
 * is what makes hashing a 40 MB kernel and initrd before a recording
 * cheap.
 */
#include <cpuid.h>
#include <immintrin.h>

#define SHA256_ACCEL_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* Four rounds t..t+3: W+K into the low lanes for the first two, the high
 * lanes for the next two; the result ABEF lands in *abef. */
SHA256_ACCEL_TARGET static inline void sha256_accel_4rounds(__m128i *abef, __m128i *cdgh, __m128i w,
							    unsigned t)
{
	__m128i wk = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&sha256_k[t]));

	*cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, wk);
	*abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32(wk, 0x0e));
}

SHA256_ACCEL_TARGET static void sha256_blocks_accel(uint32_t h[8], const uint8_t *p, size_t nb)
{
	/* Each 32-bit word of the message is big-endian. */
	const __m128i be = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
	__m128i dcba = _mm_loadu_si128((const __m128i *)&h[0]); /* lanes a b c d */
	__m128i hgfe = _mm_loadu_si128((const __m128i *)&h[4]); /* lanes e f g h */
	__m128i badc = _mm_shuffle_epi32(dcba, 0xb1);           /* b a d c */
	__m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);           /* h g f e */
	__m128i abef = _mm_alignr_epi8(badc, efgh, 8);          /* f e b a */
	__m128i cdgh = _mm_blend_epi16(efgh, badc, 0xf0);       /* h g d c */

	for (; nb; nb--, p += SHA256_BLOCK_SIZE) {
		__m128i abef0 = abef, cdgh0 = cdgh;
		__m128i w[4]; /* W[t..t+3] for the four most recent groups */

		for (unsigned i = 0; i < 4; i++) {
			w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), be);
			sha256_accel_4rounds(&abef, &cdgh, w[i], 4 * i);
		}
		for (unsigned t = 16; t < 64; t += 4) {
			/* W[t-16..t-13] + sigma0(W[t-15..t-12]), plus W[t-7..t-4],
			 * then sigma1 of the two words before each. */
			__m128i m = _mm_sha256msg1_epu32(w[0], w[1]);

			m = _mm_add_epi32(m, _mm_alignr_epi8(w[3], w[2], 4));
			m = _mm_sha256msg2_epu32(m, w[3]);
			w[0] = w[1];
			w[1] = w[2];
			w[2] = w[3];
			w[3] = m;
			sha256_accel_4rounds(&abef, &cdgh, m, t);
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}
	__m128i feba = _mm_shuffle_epi32(abef, 0x1b); /* a b e f */
	__m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1); /* g h c d */
	dcba = _mm_blend_epi16(feba, dchg, 0xf0);     /* a b c d */
	hgfe = _mm_alignr_epi8(dchg, feba, 8);        /* e f g h */
	_mm_storeu_si128((__m128i *)&h[0], dcba);
	_mm_storeu_si128((__m128i *)&h[4], hgfe);
}

static bool sha256_accel_present(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return false;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	return b & bit_SHA;
}
#else
static bool sha256_accel_present(void)
{
	return false;
}

static void sha256_blocks_accel(uint32_t h[8], const uint8_t *p, size_t nb)
{
	(void)h;
	(void)p;
	(void)nb;
}
#endif

/* -1: not decided yet; 0: portable; 1: the CPU's instructions. */
static int sha256_accel = -1;

bool sha256_use_accel(bool on)
{
	bool have = sha256_accel_present();

	__atomic_store_n(&sha256_accel, on && have, __ATOMIC_RELAXED);
	return have;
}

static void sha256_blocks(uint32_t h[8], const uint8_t *p, size_t nb)
{
	int a = __atomic_load_n(&sha256_accel, __ATOMIC_RELAXED);

	if (a < 0) {
		a = sha256_accel_present();
		__atomic_store_n(&sha256_accel, a, __ATOMIC_RELAXED);
	}
	if (a) {
		sha256_blocks_accel(h, p, nb);
		return;
	}
	for (; nb; nb--, p += SHA256_BLOCK_SIZE)
		sha256_compress(h, p);
}

void sha256_init(struct sha256_ctx *c)
{
	memcpy(c->h, sha256_h0, sizeof(c->h));
	c->nbytes = 0;
	c->nblock = 0;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t n)
{
	const uint8_t *p = data;

	/* An empty update may come with a NULL pointer (an empty buffer),
	 * which memcpy must not see. */
	if (n == 0)
		return;
	c->nbytes += n;
	if (c->nblock) {
		size_t take = SHA256_BLOCK_SIZE - c->nblock;

		if (take > n)
			take = n;
		memcpy(c->block + c->nblock, p, take);
		c->nblock += (unsigned)take;
		p += take;
		n -= take;
		if (c->nblock < SHA256_BLOCK_SIZE)
			return;
		sha256_blocks(c->h, c->block, 1);
		c->nblock = 0;
	}
	/* Whole blocks straight from the caller's buffer, no copy. */
	if (n >= SHA256_BLOCK_SIZE) {
		size_t nb = n / SHA256_BLOCK_SIZE;

		sha256_blocks(c->h, p, nb);
		p += nb * SHA256_BLOCK_SIZE;
		n -= nb * SHA256_BLOCK_SIZE;
	}
	memcpy(c->block, p, n);
	c->nblock = (unsigned)n;
}

void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_DIGEST_SIZE])
{
	uint64_t bits = c->nbytes * 8;
	unsigned i;

	/* Section 5.1.1: append the 1 bit, then zeros so that the 64-bit
	 * length ends the last block. */
	c->block[c->nblock++] = 0x80;
	if (c->nblock > SHA256_BLOCK_SIZE - 8) {
		memset(c->block + c->nblock, 0, SHA256_BLOCK_SIZE - c->nblock);
		sha256_blocks(c->h, c->block, 1);
		c->nblock = 0;
	}
	memset(c->block + c->nblock, 0, SHA256_BLOCK_SIZE - 8 - c->nblock);
	sha256_store_be32(c->block + 56, (uint32_t)(bits >> 32));
	sha256_store_be32(c->block + 60, (uint32_t)bits);
	sha256_blocks(c->h, c->block, 1);

	for (i = 0; i < 8; i++)
		sha256_store_be32(out + 4 * i, c->h[i]);
	memset(c, 0, sizeof(*c));
}

void sha256_digest(const void *data, size_t n, uint8_t out[SHA256_DIGEST_SIZE])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, data, n);
	sha256_final(&c, out);
}

int sha256_file(const char *path, uint8_t out[SHA256_DIGEST_SIZE], struct hv_err *err)
{
	struct sha256_ctx c;
	uint8_t *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		hv_err_set(err, "cannot open '%s' to hash it: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(SHA256_FILE_BLOCK);
	if (!buf) {
		hv_err_set(err, "out of host memory hashing '%s'", path);
		close(fd);
		return -1;
	}
	sha256_init(&c);
	for (;;) {
		ssize_t got = read(fd, buf, SHA256_FILE_BLOCK);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			hv_err_set(err, "cannot read '%s' at offset %llu to hash it: %s", path,
				   (unsigned long long)c.nbytes, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (got == 0)
			break;
		sha256_update(&c, buf, (size_t)got);
	}
	sha256_final(&c, out);
	free(buf);
	close(fd);
	return 0;
}

void sha256_hex(const uint8_t d[SHA256_DIGEST_SIZE], char out[SHA256_HEX_SIZE])
{
	hex_encode(d, SHA256_DIGEST_SIZE, out);
	out[2 * SHA256_DIGEST_SIZE] = '\0';
}
