// SPDX-License-Identifier: MIT
/*
 * Recorder and replayer: the two users of the machine's input funnel
 * (session.h). The log's events are untrusted on replay: a console or
 * network event is handed to the machine exactly as any host input would
 * be (bounded lengths were checked by the reader), a digest payload must
 * have the size its hart count implies, and an event stamped with a round
 * the replay has already passed is a divergence, not a crash.
 */
#include "replay/session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/le.h"
#include "hv/cpu/debug.h"
#include "hv/hooks.h"
#include "hv/platform/control.h"
#include "hv/dev/virtio/virtio_net.h"
#include "replay/log.h"

/* Per hart in a digest record: id, pc, priv, icount, x[32], f[32], mstatus,
 * satp, sepc, scause, mepc, mcause. */
#define HART_WORDS (4 + 32 + 32 + 6)
#define DIGEST_HEAD_WORDS 6 /* struct rlog_digest (5) + hart count */

static const char *const hart_word_names[6] = { "mstatus", "satp", "sepc",
						"scause",  "mepc", "mcause" };

static void hart_words(const struct hart *h, uint64_t *w)
{
	unsigned k = 0;

	w[k++] = h->id;
	w[k++] = h->pc;
	w[k++] = h->priv;
	w[k++] = h->icount;
	for (unsigned i = 0; i < 32; i++)
		w[k++] = h->x[i];
	for (unsigned i = 0; i < 32; i++)
		w[k++] = h->f[i];
	w[k++] = h->mstatus;
	w[k++] = h->satp;
	w[k++] = h->sepc;
	w[k++] = h->scause;
	w[k++] = h->mepc;
	w[k++] = h->mcause;
}

static const char *hart_word_name(unsigned k, char *buf, size_t len)
{
	static const char *const head[4] = { "id", "pc", "priv", "icount" };

	if (k < 4)
		return head[k];
	if (k < 36)
		snprintf(buf, len, "x%u", k - 4);
	else if (k < 68)
		snprintf(buf, len, "f%u", k - 36);
	else
		return hart_word_names[k - 68];
	return buf;
}

/* Build a digest record of m's state now into buf (freshly allocated). */
static uint8_t *digest_build(struct machine *m, uint64_t exit_status, size_t *len)
{
	size_t words = DIGEST_HEAD_WORDS + (size_t)m->nharts * HART_WORDS;
	uint8_t *buf = malloc(words * 8);
	uint64_t harts = 0x68617274ull, npages = 0;

	if (!buf)
		return NULL;
	for (unsigned i = 0; i < m->nharts; i++)
		harts = harts * 0x100000001b3ull ^ machine_hart_digest(m->hart[i]);
	uint64_t pages = machine_dirty_digest(m, &npages);
	uint64_t devices = machine_devices_digest(m);
	le_put64(buf + 0,
		 harts ^ (pages * 0x9e3779b97f4a7c15ull) ^ (devices * 0xc2b2ae3d27d4eb4full));
	le_put64(buf + 8, harts);
	le_put64(buf + 16, pages);
	le_put64(buf + 24, npages);
	le_put64(buf + 32, exit_status);
	le_put64(buf + 40, m->nharts);
	for (unsigned i = 0; i < m->nharts; i++) {
		uint64_t w[HART_WORDS];
		hart_words(m->hart[i], w);
		for (unsigned k = 0; k < HART_WORDS; k++)
			le_put64(buf + 8 * (DIGEST_HEAD_WORDS + i * HART_WORDS + k), w[k]);
	}
	*len = words * 8;
	return buf;
}

static struct rlog_event event_at(const struct machine *m, uint32_t type, const void *data,
				  size_t len)
{
	struct rlog_event ev = {
		.type = type,
		.hart = m->cur ? m->cur->id : RLOG_NO_HART,
		.round = m->rounds,
		.icount = m->total_insns,
		.len = (uint32_t)len,
		.data = data,
	};
	return ev;
}

/* ---- recording ---- */

struct recorder {
	struct rlog_writer *w;
	uint64_t interval, next_digest;
	bool failed;
	struct hv_err err;
	void (*tap)(void *opaque, const struct rlog_event *ev); /* recorder_tap */
	void *tap_opaque;
};

static void rec_append(struct recorder *r, struct machine *m, const struct rlog_event *ev)
{
	if (r->failed)
		return;
	if (rlog_append(r->w, ev, &r->err) != 0) {
		/* A recording that cannot be written is worthless: stop. */
		r->failed = true;
		machine_stop(m, STOP_HOST_ERROR, 0); /* reported by recorder_finish */
		return;
	}
	if (r->tap)
		r->tap(r->tap_opaque, ev);
}

static void rec_input(void *opaque, struct machine *m, enum hv_input type, const uint8_t *data,
		      size_t len)
{
	struct recorder *r = opaque;
	struct rlog_event ev = event_at(m, (uint32_t)type, data, len);

	rec_append(r, m, &ev);
}

static void rec_digest(struct recorder *r, struct machine *m, uint32_t type, uint64_t exit)
{
	size_t len;
	uint8_t *buf = digest_build(m, exit, &len);

	if (!buf) {
		hv_err_set(&r->err, "out of host memory while recording");
		r->failed = true;
		machine_stop(m, STOP_HOST_ERROR, 0); /* reported by recorder_finish */
		return;
	}
	struct rlog_event ev = event_at(m, type, buf, len);
	ev.hart = RLOG_NO_HART;
	rec_append(r, m, &ev);
	free(buf);
	if (!r->failed && rlog_flush(r->w, &r->err) != 0) {
		r->failed = true;
		machine_stop(m, STOP_HOST_ERROR, 0); /* reported by recorder_finish */
	}
}

static void rec_boundary(void *opaque, struct machine *m)
{
	struct recorder *r = opaque;

	if (m->total_insns >= r->next_digest) {
		rec_digest(r, m, RLOG_DIGEST, 0);
		r->next_digest = m->total_insns + r->interval;
	}
}

struct recorder *recorder_start(struct machine *m, const char *log_path, const char *config,
				uint64_t digest_interval, struct hv_err *err)
{
	struct recorder *r = calloc(1, sizeof(*r));

	if (!r) {
		hv_err_set(err, "out of host memory");
		return NULL;
	}
	r->interval = digest_interval ? digest_interval : SESSION_DEFAULT_DIGEST_INTERVAL;
	r->next_digest = r->interval;
	r->w = rlog_create(log_path, err);
	if (!r->w) {
		free(r);
		return NULL;
	}
	struct rlog_event ev = event_at(m, RLOG_CONFIG, config, strlen(config));
	ev.hart = RLOG_NO_HART;
	/* The configuration goes to the file at once, and every digest closes
	 * a chunk: an interrupted recording keeps all but its last interval. */
	if (rlog_append(r->w, &ev, err) != 0 || rlog_flush(r->w, err) != 0) {
		rlog_abandon(r->w);
		free(r);
		return NULL;
	}
	machine_set_funnel(m, &(struct hv_funnel){
				      .opaque = r, .input = rec_input, .boundary = rec_boundary });
	return r;
}

static void funnel_detach(struct machine *m)
{
	machine_set_funnel(m, NULL);
}

int recorder_finish(struct recorder *r, struct machine *m, int exit_status, struct hv_err *err)
{
	int ret = 0;

	funnel_detach(m);
	if (!r->failed)
		rec_digest(r, m, RLOG_END, (uint64_t)exit_status);
	if (r->failed) {
		*err = r->err;
		rlog_abandon(r->w);
		ret = -1;
	} else if (rlog_finish(r->w, err) != 0) {
		ret = -1;
	}
	free(r);
	return ret;
}

void recorder_abandon(struct recorder *r, struct machine *m)
{
	funnel_detach(m);
	rlog_abandon(r->w);
	free(r);
}

void recorder_tap(struct recorder *r, void (*fn)(void *opaque, const struct rlog_event *ev),
		  void *opaque)
{
	r->tap = fn;
	r->tap_opaque = opaque;
}

int recorder_append_event(struct recorder *r, struct machine *m, const struct rlog_event *ev,
			  struct hv_err *err)
{
	rec_append(r, m, ev);
	if (!r->failed && ev->type == RLOG_DIGEST && rlog_flush(r->w, &r->err) != 0)
		r->failed = true;
	if (r->failed) {
		*err = r->err;
		return -1;
	}
	return 0;
}

uint64_t recorder_next_digest(const struct recorder *r)
{
	return r->next_digest;
}

void recorder_set_next_digest(struct recorder *r, uint64_t icount)
{
	r->next_digest = icount;
}

/* ---- replay ---- */

struct replayer {
	struct rlog_reader *r;
	char *config;
	struct rlog_event ev; /* the next event not yet consumed */
	bool have_ev;
	bool eof;   /* no more readable events */
	bool ended; /* consumed RLOG_END */
	uint8_t *end_data;
	size_t end_len;
	uint64_t end_round, end_icount;
	uint64_t go_live;
	bool live;
	char *path;           /* the log being replayed */
	uint64_t consumed;    /* events fed so far, after the configuration */
	const char *live_log; /* going live: continue recording here */
	uint64_t live_interval;
	struct recorder *live_rec;
	bool idle_here; /* this round's idle period ended by input */
	bool diverged;
	bool log_error;
	struct hv_err err;
	uint64_t last_good_icount;
	uint64_t diverged_icount; /* where the divergence was seen */
	uint64_t checked;
	char report[8192];
	size_t report_len;
};

static void rp_report(struct replayer *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rp_report(struct replayer *p, const char *fmt, ...)
{
	va_list ap;

	if (p->report_len >= sizeof(p->report) - 1)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(p->report + p->report_len, sizeof(p->report) - p->report_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->report_len += (size_t)n;
	if (p->report_len > sizeof(p->report) - 1)
		p->report_len = sizeof(p->report) - 1;
}

/* Read the next event into p->ev (copying END's payload, which outlives
 * the reader's buffer). */
static void rp_advance(struct replayer *p)
{
	p->have_ev = false;
	if (p->eof || p->log_error)
		return;
	int r = rlog_next(p->r, &p->ev, &p->err);
	if (r < 0) {
		p->log_error = true;
		return;
	}
	if (r == 0) {
		p->eof = true;
		return;
	}
	p->have_ev = true;
}

/* Read the whole log once: a corrupt one is refused before anything
 * runs (logs are small next to the runs they describe). */
static int rp_validate(const char *log_path, struct hv_err *err)
{
	struct rlog_reader *r = rlog_open(log_path, err);
	struct rlog_event ev;
	int got;

	if (!r)
		return -1;
	while ((got = rlog_next(r, &ev, err)) > 0)
		;
	rlog_close(r);
	return got < 0 ? -1 : 0;
}

struct replayer *replayer_open(const char *log_path, struct hv_err *err)
{
	struct replayer *p = calloc(1, sizeof(*p));

	if (!p) {
		hv_err_set(err, "out of host memory");
		return NULL;
	}
	if (rp_validate(log_path, err) != 0) {
		free(p);
		return NULL;
	}
	p->r = rlog_open(log_path, err);
	if (!p->r) {
		free(p);
		return NULL;
	}
	p->path = strdup(log_path);
	if (!p->path) {
		hv_err_set(err, "out of host memory");
		replayer_close(p);
		return NULL;
	}
	rp_advance(p);
	if (p->log_error || !p->have_ev || p->ev.type != RLOG_CONFIG) {
		if (p->log_error)
			*err = p->err;
		else
			hv_err_set(err, "%s: the log has no configuration record", log_path);
		replayer_close(p);
		return NULL;
	}
	p->config = malloc(p->ev.len + 1);
	if (!p->config) {
		hv_err_set(err, "out of host memory");
		replayer_close(p);
		return NULL;
	}
	memcpy(p->config, p->ev.data, p->ev.len);
	p->config[p->ev.len] = '\0';
	if (strlen(p->config) != p->ev.len) {
		hv_err_set(err, "%s: the configuration record contains a NUL byte", log_path);
		replayer_close(p);
		return NULL;
	}
	rp_advance(p);
	return p;
}

const char *replayer_config(const struct replayer *p)
{
	return p->config;
}

bool replayer_truncated(const struct replayer *p)
{
	return rlog_truncated(p->r);
}

static void rp_diverge(struct replayer *p, struct machine *m)
{
	p->diverged = true;
	p->diverged_icount = m->total_insns;
	machine_stop(m, STOP_DIVERGED, 0);
	if (m->hooks && m->hooks->divergence)
		m->hooks->divergence(m->hooks->opaque, m->total_insns);
}

/* Compare a logged digest with the machine now; report the difference. */
static bool rp_check_digest(struct replayer *p, struct machine *m, const struct rlog_event *ev)
{
	size_t len;
	uint8_t *now = digest_build(m, 0, &len);
	bool same;

	if (!now) {
		hv_err_set(&p->err, "out of host memory while replaying");
		p->log_error = true;
		return false;
	}
	if (ev->len < DIGEST_HEAD_WORDS * 8 || le_get64(ev->data + 40) != m->nharts ||
	    ev->len != (DIGEST_HEAD_WORDS + m->nharts * HART_WORDS) * 8) {
		rp_report(p,
			  "the log's digest at icount %llu describes %llu harts in %u bytes; "
			  "this machine has %u\n",
			  (unsigned long long)ev->icount,
			  (unsigned long long)(ev->len >= 48 ? le_get64(ev->data + 40) : 0),
			  ev->len, m->nharts);
		free(now);
		return false;
	}
	same = le_get64(ev->data) == le_get64(now) && le_get64(ev->data + 8) == le_get64(now + 8) &&
	       le_get64(ev->data + 16) == le_get64(now + 16) &&
	       le_get64(ev->data + 24) == le_get64(now + 24);
	if (!same) {
		rp_report(p,
			  "replay diverged from the recording between instruction %llu (last "
			  "matching digest) and %llu (round %llu)\n",
			  (unsigned long long)p->last_good_icount, (unsigned long long)ev->icount,
			  (unsigned long long)ev->round);
		for (unsigned i = 0; i < m->nharts; i++) {
			for (unsigned k = 0; k < HART_WORDS; k++) {
				size_t off = 8 * (DIGEST_HEAD_WORDS + i * HART_WORDS + k);
				uint64_t want = le_get64(ev->data + off), got = le_get64(now + off);
				char name[8];
				if (want != got)
					rp_report(
						p,
						"  hart %u %-8s recorded 0x%016llx  replayed 0x%016llx\n",
						i, hart_word_name(k, name, sizeof(name)),
						(unsigned long long)want, (unsigned long long)got);
			}
		}
		if (le_get64(ev->data + 8) == le_get64(now + 8) &&
		    le_get64(ev->data + 16) == le_get64(now + 16) &&
		    le_get64(ev->data + 24) == le_get64(now + 24))
			rp_report(p,
				  "  device state differs (UART, PLIC, RTC or virtio registers)\n");
		if (le_get64(ev->data + 16) != le_get64(now + 16) ||
		    le_get64(ev->data + 24) != le_get64(now + 24))
			rp_report(p,
				  "  memory: %llu pages written in the bracket when recorded, %llu "
				  "when replayed; their contents differ\n",
				  (unsigned long long)le_get64(ev->data + 24),
				  (unsigned long long)le_get64(now + 24));
	}
	free(now);
	return same;
}

/* Going live while recording: the new log starts with the same
 * configuration and the inputs replayed so far, then records on. */
static void rp_record_on(struct replayer *p, struct machine *m)
{
	struct hv_err err = { { 0 } };
	struct rlog_reader *src;
	struct rlog_event ev;
	uint64_t copied = 0;

	p->live_rec = recorder_start(m, p->live_log, p->config, p->live_interval, &err);
	if (!p->live_rec)
		goto fail;
	src = rlog_open(p->path, &err);
	if (!src)
		goto fail;
	if (rlog_next(src, &ev, &err) <= 0) { /* the configuration */
		rlog_close(src);
		goto fail;
	}
	while (copied < p->consumed && rlog_next(src, &ev, &err) > 0) {
		if (rlog_append(p->live_rec->w, &ev, &err) != 0) {
			rlog_close(src);
			goto fail;
		}
		copied++;
	}
	rlog_close(src);
	if (copied != p->consumed || rlog_flush(p->live_rec->w, &err) != 0)
		goto fail;
	p->live_rec->next_digest = m->total_insns + p->live_rec->interval;
	return;
fail:
	p->err = err;
	p->log_error = true;
	machine_stop(m, STOP_DIVERGED, 0);
}

static void rp_go_live(struct replayer *p, struct machine *m)
{
	p->live = true;
	struct hv_funnel f = m->funnel;
	f.replaying = false;
	f.boundary = NULL;
	f.idle_ends_early = NULL;
	machine_set_funnel(m, &f);
	if (p->live_log)
		rp_record_on(p, m);
}

void replayer_record_live(struct replayer *p, const char *log_path, uint64_t digest_interval)
{
	p->live_log = log_path;
	p->live_interval = digest_interval;
}

/* The next event is a debugger's write: stop the machine at its position
 * (hv/cpu/debug.h), where replayer_debug_stop applies it. One that is due now
 * is applied at once. */
static void rp_arm_debug(struct replayer *p, struct machine *m)
{
	while (p->have_ev && p->ev.type == RLOG_DEBUG) {
		uint64_t pos = debug_input_position(p->ev.data, p->ev.len);
		uint64_t now = debug_position(m);
		if (pos > now) {
			debug_set_input_position(m, pos);
			return;
		}
		if (pos < now || debug_apply(m, p->ev.data, p->ev.len) != 0) {
			rp_report(p,
				  "replay diverged from the recording: a debugger write recorded "
				  "at position %llu cannot be applied at position %llu\n",
				  (unsigned long long)pos, (unsigned long long)now);
			rp_diverge(p, m);
			return;
		}
		p->consumed++;
		rp_advance(p);
	}
}

bool replayer_debug_stop(struct replayer *p, struct machine *m)
{
	if (!m->dbg || m->dbg->stop.reason != DBG_STOP_INPUT || p->live)
		return false;
	machine_debug_clear_stop(m);
	machine_clear_stop(m);
	rp_arm_debug(p, m);
	return m->stop == STOP_NONE;
}

int replayer_seek(struct replayer *p, struct machine *m, struct hv_err *err)
{
	struct rlog_reader *r;

	if (p->live) {
		hv_err_set(err, "the replay went live; it cannot go back");
		return -1;
	}
	r = rlog_open(p->path, err);
	if (!r)
		return -1;
	rlog_close(p->r);
	p->r = r;
	free(p->end_data);
	p->end_data = NULL;
	p->eof = p->ended = p->log_error = p->diverged = p->idle_here = false;
	p->consumed = 0;
	rp_advance(p); /* the configuration */
	rp_advance(p);
	/* Events of earlier rounds happened before the machine's state. */
	while (p->have_ev && p->ev.type != RLOG_END &&
	       (p->ev.round < m->rounds ||
		(p->ev.type == RLOG_DEBUG &&
		 debug_input_position(p->ev.data, p->ev.len) < debug_position(m)))) {
		p->consumed++;
		rp_advance(p);
	}
	machine_debug_clear_input_position(m);
	rp_arm_debug(p, m);
	return p->log_error ? (*err = p->err, -1) : 0;
}

static void rp_boundary(void *opaque, struct machine *m)
{
	struct replayer *p = opaque;

	p->idle_here = false;
	if (p->live)
		return;
	if (p->go_live && m->total_insns >= p->go_live) {
		rp_go_live(p, m);
		return;
	}
	while (p->have_ev && !p->ended) {
		struct rlog_event *ev = &p->ev;
		if (ev->type == RLOG_DEBUG) {
			/* Applied at its exact position, not at a boundary. */
			rp_arm_debug(p, m);
			return;
		}
		if (ev->round > m->rounds)
			return;
		/* Network frames enter the device's queue when the host
		 * sends them, possibly mid-round, but reach the guest only at
		 * the boundary: only their round must match. */
		if (ev->round < m->rounds ||
		    (ev->type != RLOG_NET && ev->icount != m->total_insns)) {
			rp_report(p,
				  "replay diverged from the recording: the log has a %s event at "
				  "round %llu, instruction %llu, but the replay is at round %llu, "
				  "instruction %llu\n",
				  rlog_type_name(ev->type), (unsigned long long)ev->round,
				  (unsigned long long)ev->icount, (unsigned long long)m->rounds,
				  (unsigned long long)m->total_insns);
			rp_diverge(p, m);
			return;
		}
		switch (ev->type) {
		case RLOG_CONSOLE:
			machine_console_input(m, ev->data, ev->len);
			break;
		case RLOG_NET:
			if (!m->net) {
				rp_report(p, "the log has network frames but the machine has no "
					     "network device\n");
				rp_diverge(p, m);
				return;
			}
			virtio_net_input(m->net, ev->data, ev->len);
			break;
		case RLOG_IDLE:
			/* The recorded run waited here until host input came;
			 * that input was just delivered, so this round's idle
			 * period ends without the clock jumping. */
			p->idle_here = true;
			break;
		case RLOG_STOP:
			machine_stop(m, STOP_SHUTDOWN, 0);
			break;
		case RLOG_DIGEST:
			if (!rp_check_digest(p, m, ev)) {
				rp_diverge(p, m);
				return;
			}
			p->checked++;
			p->last_good_icount = ev->icount;
			break;
		case RLOG_END:
			/* The recording ended in this round; the replay must end
			 * the same way before the round is over. */
			p->ended = true;
			p->end_round = ev->round;
			p->end_icount = ev->icount;
			p->end_data = malloc(ev->len ? ev->len : 1);
			if (p->end_data) {
				memcpy(p->end_data, ev->data, ev->len);
				p->end_len = ev->len;
			}
			rp_report(p,
				  "replay diverged: the recording ended at instruction %llu "
				  "(round %llu), but the replay kept running\n",
				  (unsigned long long)ev->icount, (unsigned long long)ev->round);
			rp_diverge(p, m);
			rp_advance(p);
			return;
		default:
			rp_report(p, "the log has a %s event in the middle of the run\n",
				  rlog_type_name(ev->type));
			rp_diverge(p, m);
			return;
		}
		p->consumed++;
		rp_advance(p);
	}
	if (!p->have_ev && !p->ended) {
		/* An interrupted recording: replay what it has, then stop. */
		machine_stop(m, p->log_error ? STOP_DIVERGED : STOP_LOG_END, 0);
	}
}

static bool rp_idle_ends_early(void *opaque, struct machine *m)
{
	struct replayer *p = opaque;

	(void)m;
	if (p->idle_here) {
		p->idle_here = false;
		return true;
	}
	return false;
}

void replayer_attach(struct replayer *p, struct machine *m, uint64_t go_live)
{
	p->go_live = go_live;
	machine_set_funnel(m, &(struct hv_funnel){ .opaque = p,
						   .boundary = rp_boundary,
						   .idle_ends_early = rp_idle_ends_early,
						   .replaying = true });
	rp_arm_debug(p, m);
}

int replayer_finish(struct replayer *p, struct machine *m, int exit_status, FILE *out,
		    struct hv_err *err)
{
	if (p->live_rec) {
		/* The run went live and was recorded: finish that log. */
		struct recorder *r = p->live_rec;
		p->live_rec = NULL;
		if (recorder_finish(r, m, exit_status, err) != 0)
			return -1;
	}
	machine_set_funnel(m, NULL);
	if (p->log_error) {
		*err = p->err;
		return -1;
	}
	if (p->live)
		return 0;
	if (!p->diverged && m->stop != STOP_LOG_END) {
		/* The machine stopped by itself: the log must end right here. */
		if (!p->have_ev || p->ev.type != RLOG_END) {
			rp_report(p,
				  "replay diverged: the run ended at instruction %llu but the log "
				  "goes on (%s event at instruction %llu)\n",
				  (unsigned long long)m->total_insns,
				  p->have_ev ? rlog_type_name(p->ev.type) : "no",
				  p->have_ev ? (unsigned long long)p->ev.icount : 0ull);
			p->diverged = true;
		} else {
			struct rlog_event end = p->ev;
			if (end.icount != m->total_insns) {
				rp_report(p,
					  "replay diverged: the recording ended after %llu "
					  "instructions, the replay after %llu\n",
					  (unsigned long long)end.icount,
					  (unsigned long long)m->total_insns);
				p->diverged = true;
			} else if (!rp_check_digest(p, m, &end)) {
				p->diverged = true;
			} else if (end.len >= 40 &&
				   le_get64(end.data + 32) != (uint64_t)exit_status) {
				rp_report(p,
					  "replay diverged: the recording exited with status %llu, "
					  "the replay with %d\n",
					  (unsigned long long)le_get64(end.data + 32), exit_status);
				p->diverged = true;
			} else {
				p->checked++;
			}
		}
	}
	if (p->diverged) {
		if (!p->diverged_icount)
			p->diverged_icount = m->total_insns;
		fputs(p->report, out);
		return 1;
	}
	return 0;
}

bool replayer_bracket(const struct replayer *p, uint64_t *from, uint64_t *to)
{
	if (!p->diverged)
		return false;
	*from = p->last_good_icount;
	*to = p->diverged_icount;
	return true;
}

uint64_t replayer_digests_checked(const struct replayer *p)
{
	return p->checked;
}

bool replayer_went_live(const struct replayer *p)
{
	return p->live;
}

void replayer_close(struct replayer *p)
{
	if (!p)
		return;
	rlog_close(p->r);
	free(p->path);
	free(p->config);
	free(p->end_data);
	free(p);
}
