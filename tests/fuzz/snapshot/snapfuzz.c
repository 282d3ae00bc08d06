// SPDX-License-Identifier: MIT
/*
 * The snapshot file harnesses' shared half (snapfuzz.h): the three forms
 * of an input file, and a restore as the command line does it.
 */
#include "tests/fuzz/snapshot/snapfuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "base/crc32.h"
#include "base/le.h"
#include "base/sha256.h"
#include "cli/options.h"
#include "hv/platform/machine.h"

#define SNAPFUZZ_HEADER 64u
#define SNAPFUZZ_SEC_HEADER 32u
#define SNAPFUZZ_SEC_PARENT 2u
#define SNAPFUZZ_SEC_END 9u
#define SNAPFUZZ_MAX_ARGS 64
#define SNAPFUZZ_RUN_INSNS 5000u
#define SNAPFUZZ_MAX_REQUESTS 16
/* Every drive is this image, as make_corpus.sh makes it: 64 KiB of zeros
 * (a file's DRIVE section must name its SHA-256), under copy-on-write. */
#define SNAPFUZZ_DRIVE_SIZE (64u << 10)

static void *snapfuzz_alloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		abort();
	return p;
}

/* The id over the section headers and the header's CRC, as the writer
 * makes them (snapshot/file.c); the parent id first if asked. */
static void snapfuzz_seal(struct snapfuzz_file *f, const uint8_t *parent_id)
{
	struct sha256_ctx c;
	uint8_t id[SHA256_DIGEST_SIZE];

	if (f->len < SNAPFUZZ_HEADER)
		return;
	if (parent_id)
		memcpy(f->data + 32, parent_id, SNAPFILE_ID_SIZE);
	sha256_init(&c);
	for (size_t off = SNAPFUZZ_HEADER; f->len - off >= SNAPFUZZ_SEC_HEADER;) {
		uint64_t stored = le_get64(f->data + off + 16);
		sha256_update(&c, f->data + off, SNAPFUZZ_SEC_HEADER);
		if (stored > f->len - off - SNAPFUZZ_SEC_HEADER)
			break;
		off += SNAPFUZZ_SEC_HEADER + stored;
	}
	sha256_final(&c, id);
	memcpy(f->data + 16, id, SNAPFILE_ID_SIZE);
	memcpy(f->id, id, SNAPFILE_ID_SIZE);
	le_put32(f->data + 60, crc32_compute(f->data, 60));
}

/* SUMS: the file's own section lengths, every CRC made right. */
static void snapfuzz_fix_sums(struct snapfuzz_file *f)
{
	for (size_t off = SNAPFUZZ_HEADER;
	     f->len >= SNAPFUZZ_HEADER && f->len - off >= SNAPFUZZ_SEC_HEADER;) {
		uint8_t *h = f->data + off;
		uint64_t stored = le_get64(h + 16);
		bool fits = stored <= f->len - off - SNAPFUZZ_SEC_HEADER;
		if (fits)
			le_put32(h + 24, crc32_compute(h + SNAPFUZZ_SEC_HEADER, (size_t)stored));
		le_put32(h + 28, crc32_compute(h, 28));
		if (!fits)
			break;
		off += SNAPFUZZ_SEC_HEADER + stored;
	}
}

/* SECTIONS: the header, then { u32 type, u32 length, bytes } each. */
static void snapfuzz_encode(const uint8_t *in, size_t len, const uint8_t *parent_id,
			    struct snapfuzz_file *f)
{
	size_t hdr = len < SNAPFUZZ_HEADER ? len : SNAPFUZZ_HEADER;
	size_t cap = SNAPFUZZ_HEADER, n = hdr;
	uint32_t nsec = 0;

	/* Each section grows by at most ZSTD_compressBound over its bytes. */
	for (size_t off = hdr; len - off >= 8;) {
		size_t l = le_get32(in + off + 4);
		off += 8;
		if (l > len - off)
			l = len - off;
		cap += SNAPFUZZ_SEC_HEADER + ZSTD_compressBound(l);
		off += l;
	}
	f->data = snapfuzz_alloc(cap);
	memcpy(f->data, in, hdr);
	for (size_t off = hdr; len - off >= 8;) {
		uint32_t type = le_get32(in + off);
		size_t l = le_get32(in + off + 4);
		off += 8;
		if (l > len - off)
			l = len - off;
		uint8_t *raw = snapfuzz_alloc(l);
		memcpy(raw, in + off, l);
		off += l;
		if (type == SNAPFUZZ_SEC_END && l == 4)
			le_put32(raw, nsec);
		if (type == SNAPFUZZ_SEC_PARENT && parent_id && l >= SNAPFILE_ID_SIZE)
			memcpy(raw, parent_id, SNAPFILE_ID_SIZE);
		uint8_t *h = f->data + n, *z = h + SNAPFUZZ_SEC_HEADER;
		size_t zn = ZSTD_compress(z, cap - n - SNAPFUZZ_SEC_HEADER, raw, l, 1);
		free(raw);
		if (ZSTD_isError(zn))
			abort();
		le_put32(h, type);
		le_put32(h + 4, 0);
		le_put64(h + 8, l);
		le_put64(h + 16, zn);
		le_put32(h + 24, crc32_compute(z, zn));
		le_put32(h + 28, crc32_compute(h, 28));
		n += SNAPFUZZ_SEC_HEADER + zn;
		nsec++;
	}
	f->len = n;
}

void snapfuzz_build(enum snapfuzz_mode mode, const uint8_t *in, size_t len,
		    const uint8_t *parent_id, struct snapfuzz_file *f)
{
	memset(f, 0, sizeof(*f));
	if (mode == SNAPFUZZ_SECTIONS) {
		snapfuzz_encode(in, len, parent_id, f);
	} else {
		f->data = snapfuzz_alloc(len);
		memcpy(f->data, in, len);
		f->len = len;
		if (mode == SNAPFUZZ_SUMS)
			snapfuzz_fix_sums(f);
	}
	if (mode != SNAPFUZZ_RAW)
		snapfuzz_seal(f, parent_id);
	else if (len >= 32)
		memcpy(f->id, in + 16, SNAPFILE_ID_SIZE);
}

/* RV_FUZZ_VERBOSE=1: why an input was refused, on stderr. */
static void snapfuzz_note(const char *what, const struct hv_err *err)
{
	if (getenv("RV_FUZZ_VERBOSE"))
		fprintf(stderr, "snapfuzz: %s: %s\n", what, err ? err->msg : "");
}

static void snapfuzz_console(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	if (getenv("RV_FUZZ_CONSOLE"))
		fwrite(buf, 1, len, stderr);
}

static char snapfuzz_image_path[256];

static void snapfuzz_image_remove(void)
{
	unlink(snapfuzz_image_path);
}

/* The drive image, made once and removed at exit (NULL if it cannot be
 * made). */
static const char *snapfuzz_image(void)
{
	char *path = snapfuzz_image_path;
	static uint8_t zero[SNAPFUZZ_DRIVE_SIZE];
	const char *dir = getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp";

	if (path[0])
		return path;
	snprintf(path, sizeof(snapfuzz_image_path), "%s/snapfuzz-drive-XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, zero, sizeof(zero)) != (ssize_t)sizeof(zero)) {
		if (fd >= 0)
			close(fd);
		path[0] = 0;
		return NULL;
	}
	close(fd);
	atexit(snapfuzz_image_remove);
	return path;
}

/* The "arg" lines of the file's configuration as `run` options, as the
 * command line reads them (cli/snapshot.c); false if they are not. */
static bool snapfuzz_options(const char *text, char **args, int *nargs, struct cli_opts *o)
{
	struct hv_err err;
	const char *p = text;
	int n = 0;
	bool ok = true;

	args[n++] = strdup("retrovisor");
	args[n++] = strdup("run");
	while (*p && ok) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l > 4 && strncmp(p, "arg ", 4) == 0) {
			if (n < SNAPFUZZ_MAX_ARGS)
				args[n++] = strndup(p + 4, l - 4);
			else
				ok = false;
		} else if (l && strncmp(p, "retrovisor ", 11) != 0) {
			ok = false;
		}
		p += l + (nl ? 1 : 0);
	}
	*nargs = n;
	for (int i = 0; i < n; i++)
		if (!args[i])
			abort();
	return ok && cli_parse(n, args, o, &err) == 0 && o->cmd == CLI_CMD_RUN;
}

void snapfuzz_restore(struct snapfile *f)
{
	static FILE *sink;
	char *args[SNAPFUZZ_MAX_ARGS + 1] = { 0 };
	struct machine_drive drives[CLI_MAX_DRIVES];
	struct machine_config cfg;
	struct hv_err err;
	struct cli_opts o;
	int nargs = 0;

	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	if (snapfile_print(f, sink, &err))
		snapfuzz_note("info", &err);
	if (!snapfuzz_options(snapfile_config(f), args, &nargs, &o) || o.memory > (64u << 20) ||
	    o.harts > 4 || o.ndrives > 2 || o.net.mode != NET_NONE ||
	    (o.ndrives && !snapfuzz_image())) {
		snapfuzz_note("not a small machine's run options", NULL);
		goto out;
	}
	for (unsigned i = 0; i < o.ndrives; i++) {
		snprintf(o.drive[i].file, sizeof(o.drive[i].file), "%s", snapfuzz_image());
		o.drive[i].snapshot = true;
	}
	cli_machine_config(&o, drives, 1767225600ull * 1000000000ull, &cfg);
	cfg.max_insns = 0;
	struct machine *m = machine_create(&cfg, &err);
	if (!m) {
		snapfuzz_note("machine", &err);
		goto out;
	}
	m->pv_host = true;
	m->console_out = snapfuzz_console;
	if (snapfile_apply(f, m, NULL, &err) == 0) {
		m->cfg.max_insns = m->total_insns + SNAPFUZZ_RUN_INSNS;
		for (unsigned i = 0; i < SNAPFUZZ_MAX_REQUESTS; i++) {
			/* Paravirtual requests are left unserved: the guest goes
			 * on with what the SBI call returned. */
			if (machine_run(m) != STOP_GUEST_REQUEST)
				break;
			m->stop = STOP_NONE;
		}
		machine_digest(m);
		snapfuzz_note("applied and ran", NULL);
	} else {
		snapfuzz_note("apply", &err);
	}
	machine_destroy(m);
out:
	for (int i = 0; i < nargs; i++)
		free(args[i]);
	snapfile_close(f);
}
