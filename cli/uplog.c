// SPDX-License-Identifier: MIT
/*
 * The whole system's record log (uplog.h): a line writer and a checking
 * reader. Every variable field is hex, so a line never holds a blank or
 * a line break that is not the format's; each line's last field is the
 * CRC-32 of what precedes it.
 */
#include "cli/uplog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crc32.h"

#define UPLOG_MAGIC "retrovisor-system-log "
#define UPLOG_VERSION 3
#define UPLOG_FILE_MAX (256u << 20)

static void uplog_hex(FILE *f, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (!len)
		fputc('-', f);
	for (size_t i = 0; i < len; i++)
		fprintf(f, "%02x", p[i]);
}

/* Write the line built in buf (without its CRC) and its CRC. */
static void uplog_line(struct uplog_writer *w, char *buf, size_t len)
{
	fprintf(w->f, "%.*s %08x\n", (int)len, buf, crc32_compute(buf, len));
	free(buf);
}

/* A line as text in a memory stream, then out with its CRC. */
#define UPLOG_LINE(w, ...)                               \
	do {                                             \
		char *buf_ = NULL;                       \
		size_t len_ = 0;                         \
		FILE *m_ = open_memstream(&buf_, &len_); \
		if (!m_)                                 \
			break;                           \
		__VA_ARGS__;                             \
		fclose(m_);                              \
		uplog_line(w, buf_, len_);               \
	} while (0)

int uplog_create(struct uplog_writer *w, const char *path, const char *cfg_path,
		 const char *cfg_text, size_t cfg_len, uint64_t rtc_ns, struct hv_err *err)
{
	memset(w, 0, sizeof(*w));
	w->path = strdup(path);
	w->tmp = malloc(strlen(path) + 5);
	if (!w->path || !w->tmp) {
		hv_err_set(err, "out of host memory");
		goto fail;
	}
	sprintf(w->tmp, "%s.tmp", path);
	w->f = fopen(w->tmp, "wx");
	if (!w->f) {
		hv_err_set(err, "cannot write the system log %.300s: %s", w->tmp, strerror(errno));
		goto fail;
	}
	UPLOG_LINE(w, fprintf(m_, UPLOG_MAGIC "%d", UPLOG_VERSION));
	UPLOG_LINE(w, fputs("path ", m_); uplog_hex(m_, cfg_path, strlen(cfg_path)));
	UPLOG_LINE(w, fputs("config ", m_); uplog_hex(m_, cfg_text, cfg_len));
	UPLOG_LINE(w, fprintf(m_, "rtc %" PRIu64, rtc_ns));
	return 0;
fail:
	free(w->path);
	free(w->tmp);
	memset(w, 0, sizeof(*w));
	return -1;
}

void uplog_image(struct uplog_writer *w, const char *image, const char *sha256_hex)
{
	UPLOG_LINE(w, fprintf(m_, "image %s ", sha256_hex); uplog_hex(m_, image, strlen(image)));
}

void uplog_restore(struct uplog_writer *w, const char *dir)
{
	UPLOG_LINE(w, fputs("restore ", m_); uplog_hex(m_, dir, strlen(dir)));
}

void uplog_event(struct uplog_writer *w, const struct uplog_event *e)
{
	switch (e->kind) {
	case UPLOG_REQ:
		UPLOG_LINE(w, fprintf(m_, "E %" PRIu64 " req ", e->epoch);
			   uplog_hex(m_, e->data, e->len));
		break;
	case UPLOG_CON:
	case UPLOG_NET:
		UPLOG_LINE(w, fprintf(m_, "E %" PRIu64 " %s %u ", e->epoch,
				      e->kind == UPLOG_NET ? "net" : "con", e->domain);
			   uplog_hex(m_, e->data, e->len));
		break;
	case UPLOG_DIGEST:
	case UPLOG_END:
		UPLOG_LINE(w, fprintf(m_, "E %" PRIu64 " %s %016" PRIx64, e->epoch,
				      e->kind == UPLOG_END ? "end" : "digest", e->digest));
		break;
	}
}

int uplog_finish(struct uplog_writer *w, struct hv_err *err)
{
	int bad = ferror(w->f) | fflush(w->f) | fsync(fileno(w->f));

	bad |= fclose(w->f);
	w->f = NULL;
	if (bad || rename(w->tmp, w->path) != 0) {
		hv_err_set(err, "cannot write the system log %.300s: %s", w->path, strerror(errno));
		unlink(w->tmp);
	}
	free(w->path);
	free(w->tmp);
	return bad ? -1 : 0;
}

void uplog_abandon(struct uplog_writer *w)
{
	if (w->f) {
		fclose(w->f);
		unlink(w->tmp);
	}
	free(w->path);
	free(w->tmp);
	memset(w, 0, sizeof(*w));
}

/* ---- Reading ---- */

static int unhex(const char *s, uint8_t **out, size_t *len)
{
	size_t n = strlen(s);

	*out = NULL;
	*len = 0;
	if (!strcmp(s, "-")) {
		*out = calloc(1, 1);
		return *out ? 0 : -1;
	}
	if (n % 2)
		return -1;
	uint8_t *b = malloc(n / 2 + 1);
	if (!b)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdef", s[2 * i]) ||
		    !strchr("0123456789abcdef", s[2 * i + 1])) {
			free(b);
			return -1;
		}
		b[i] = (uint8_t)v;
	}
	b[n / 2] = '\0';
	*out = b;
	*len = n / 2;
	return 0;
}

static int uplog_bad(struct hv_err *err, const char *path, unsigned line, const char *what)
{
	hv_err_set(err, "system log %.300s, line %u: %s", path, line, what);
	return -1;
}

/* One line (its CRC checked and cut off) into log. */
static int uplog_parse_line(struct uplog *log, char *s, const char *path, unsigned n,
			    struct hv_err *err)
{
	char *sp = strrchr(s, ' ');
	unsigned crc;

	if (!sp || sscanf(sp + 1, "%8x", &crc) != 1 || strlen(sp + 1) != 8 ||
	    crc != crc32_compute(s, (size_t)(sp - s)))
		return uplog_bad(err, path, n, "its checksum does not match (the file is damaged)");
	*sp = '\0';
	if (n == 1) {
		if (!strcmp(s, UPLOG_MAGIC "1") || !strcmp(s, UPLOG_MAGIC "2") ||
		    !strcmp(s, UPLOG_MAGIC "3")) {
			log->version = (unsigned)(s[strlen(s) - 1] - '0');
			return 0;
		}
		return uplog_bad(err, path, n, "not a system log of version 1, 2 or 3");
	}
	char *f[5] = { 0 };
	unsigned nf = 0;
	for (char *t = strtok(s, " "); t && nf < 5; t = strtok(NULL, " "))
		f[nf++] = t;
	uint8_t *data;
	size_t len;
	if (nf == 2 && (!strcmp(f[0], "path") || !strcmp(f[0], "config"))) {
		if (unhex(f[1], &data, &len) != 0)
			return uplog_bad(err, path, n, "a malformed hex field");
		char **dst = f[0][0] == 'p' ? &log->cfg_path : &log->cfg_text;
		free(*dst);
		*dst = (char *)data;
		if (f[0][0] == 'c')
			log->cfg_len = len;
		return 0;
	}
	if (nf == 2 && !strcmp(f[0], "restore") && log->version >= 2) {
		if (unhex(f[1], &data, &len) != 0 || !len)
			return uplog_bad(err, path, n, "a malformed hex field");
		free(log->restore_dir);
		log->restore_dir = (char *)data;
		return 0;
	}
	if (nf == 2 && !strcmp(f[0], "rtc")) {
		char *end;
		errno = 0;
		log->rtc_ns = strtoull(f[1], &end, 10);
		if (errno || *end || !f[1][0])
			return uplog_bad(err, path, n, "a malformed clock");
		log->has_rtc = true;
		return 0;
	}
	if (nf == 3 && !strcmp(f[0], "image") && strlen(f[1]) == 64) {
		if (unhex(f[2], &data, &len) != 0)
			return uplog_bad(err, path, n, "a malformed hex field");
		char **im = realloc(log->image, (log->nimages + 1) * sizeof(*im));
		char **sh = im ? realloc(log->image_sha, (log->nimages + 1) * sizeof(*sh)) : NULL;
		if (im)
			log->image = im;
		if (sh)
			log->image_sha = sh;
		if (!im || !sh || !(sh[log->nimages] = strdup(f[1]))) {
			free(data);
			return uplog_bad(err, path, n, "out of host memory");
		}
		im[log->nimages++] = (char *)data;
		return 0;
	}
	if (nf < 4 || strcmp(f[0], "E"))
		return uplog_bad(err, path, n, "not a record this version knows");
	struct uplog_event e = { 0 };
	char *end;
	errno = 0;
	e.epoch = strtoull(f[1], &end, 10);
	if (errno || *end || !f[1][0])
		return uplog_bad(err, path, n, "a malformed epoch");
	if (log->nev && e.epoch < log->ev[log->nev - 1].epoch)
		return uplog_bad(err, path, n, "an epoch before the one of the line above");
	if ((!strcmp(f[2], "digest") || !strcmp(f[2], "end")) && nf == 4) {
		e.kind = f[2][0] == 'd' ? UPLOG_DIGEST : UPLOG_END;
		e.digest = strtoull(f[3], &end, 16);
		if (*end || strlen(f[3]) != 16)
			return uplog_bad(err, path, n, "a malformed digest");
	} else if (!strcmp(f[2], "req") && nf == 4) {
		e.kind = UPLOG_REQ;
		if (unhex(f[3], &e.data, &e.len) != 0 || memchr(e.data, '\n', e.len))
			return free(e.data), uplog_bad(err, path, n, "a malformed request");
	} else if ((!strcmp(f[2], "con") || (!strcmp(f[2], "net") && log->version >= 2)) &&
		   nf == 5) {
		e.kind = f[2][0] == 'c' ? UPLOG_CON : UPLOG_NET;
		errno = 0;
		unsigned long v = strtoul(f[3], &end, 10);
		e.domain = (unsigned)v;
		if (*end || !f[3][0] || f[3][0] == '-' || errno || v > 1000 ||
		    unhex(f[4], &e.data, &e.len) != 0) {
			free(e.data);
			return uplog_bad(err, path, n,
					 e.kind == UPLOG_CON ? "malformed console input" :
							       "a malformed uplink frame");
		}
	} else {
		return uplog_bad(err, path, n, "not a record this version knows");
	}
	struct uplog_event *ev = realloc(log->ev, (log->nev + 1) * sizeof(*ev));
	if (!ev) {
		free(e.data);
		return uplog_bad(err, path, n, "out of host memory");
	}
	log->ev = ev;
	log->ev[log->nev++] = e;
	return 0;
}

int uplog_read(const char *path, struct uplog *log, struct hv_err *err)
{
	FILE *f = fopen(path, "r");

	memset(log, 0, sizeof(*log));
	if (!f) {
		hv_err_set(err, "cannot open the system log %.300s: %s", path, strerror(errno));
		return -1;
	}
	int r = uplog_read_stream(f, path, log, err);
	fclose(f);
	return r;
}

int uplog_read_stream(FILE *f, const char *path, struct uplog *log, struct hv_err *err)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned n = 0;
	int r = 0;

	memset(log, 0, sizeof(*log));
	while (r == 0 && (len = getline(&line, &cap, f)) > 0) {
		n++;
		if (len > (ssize_t)UPLOG_FILE_MAX || line[len - 1] != '\n') {
			r = uplog_bad(err, path, n, "a line without its end");
			break;
		}
		line[len - 1] = '\0';
		r = uplog_parse_line(log, line, path, n, err);
	}
	free(line);
	if (r == 0 && (!log->cfg_path || !log->cfg_text || !log->has_rtc))
		r = uplog_bad(err, path, n, "the log ends before its configuration");
	if (r == 0 && (!log->nev || log->ev[log->nev - 1].kind != UPLOG_END))
		r = uplog_bad(err, path, n, "the log has no end record (the run was cut short)");
	if (r != 0)
		uplog_free(log);
	return r;
}

void uplog_free(struct uplog *log)
{
	for (size_t i = 0; i < log->nev; i++)
		free(log->ev[i].data);
	for (unsigned i = 0; i < log->nimages; i++) {
		free(log->image[i]);
		free(log->image_sha[i]);
	}
	free(log->image);
	free(log->restore_dir);
	free(log->image_sha);
	free(log->ev);
	free(log->cfg_path);
	free(log->cfg_text);
	memset(log, 0, sizeof(*log));
}
