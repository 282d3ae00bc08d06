// SPDX-License-Identifier: MIT
/*
 * `retrovisor worker`: many recorded runs from one start state, in one
 * process, for fault-injection campaigns (experiments/campaign, docs/
 * campaigns.md).
 *
 *   retrovisor worker [--golden-interval N] [--checkpoint-interval N] RUN-OPTIONS
 *
 * RUN-OPTIONS build the machine once (usually --restore S.snap, with
 * --watchdog and the snapshot's --drive images); the worker takes an
 * in-memory snapshot of it (the reset loop's machinery, docs/snapshots.md)
 * and answers "ready ICOUNT" on stdout. Then each line on stdin is one
 * experiment, words KEY=VALUE (values without blanks):
 *
 *   run log=LOG out=OUT input=IN max=N [plugin=SPEC [attach-at=ICOUNT]]
 *       [golden=FILE [after=ICOUNT] | write-golden=FILE]
 *   prepare log=LOG input=IN max=N golden=FILE
 *
 * (prepare: load the golden run's file and take its checkpoints, as the
 * first run with it would, and answer "prepared NCHECKPOINTS US"; a
 * campaign prepares its workers before it deals them experiments.)
 *
 * It restores the start (only the pages written since come back), loads
 * the plugin (SPEC as --plugin takes it; a fresh copy each run), records
 * the run to LOG exactly as `retrovisor record --log LOG RUN-OPTIONS
 * --max-instructions N --plugin SPEC` with IN as its stdin would (the same
 * configuration record, so the log replays without the plugin), writes the
 * guest's console output to OUT and answers one line:
 *
 *   result STATUS ICOUNT DIGEST EARLY GUEST_US TOTAL_US FROM
 *
 * STATUS is record's exit status, ICOUNT and DIGEST what --print-digest
 * would print, EARLY the instruction count at which the run stopped early
 * (0: it did not), GUEST_US the microseconds the machine ran, TOTAL_US the
 * request's (the difference is the worker's overhead per experiment),
 * FROM the instruction count the machine started from (the start's, or a
 * checkpoint's: see below). A request that cannot be run is answered "error MSG". Early stop: write-golden=FILE makes this run the golden
 * one: every --golden-interval instructions past the start it notes the
 * state's digest and the console output's length, and writes them to FILE
 * with the run's end. A later run given golden=FILE compares at the same
 * instruction counts, from its first recorded change (the plugin's fault)
 * and at least ICOUNT after=; where the state and the console output so
 * far equal the golden run's, the rest of the run is the golden run's, so
 * it stops at once and answers the golden run's status, icount and
 * digest, and OUT gets the golden run's output after that point: the
 * outcome is masked. Its LOG ends there. Without after= a run is not
 * compared. attach-at=ICOUNT (with golden=): the plugin is loaded only
 * when the machine reaches ICOUNT, if that is past the point where the
 * golden run had all its console input (so that stopping there moves no
 * input poll); until then the run is the golden run and runs at full
 * speed. For plugins that act only from ICOUNT on (faultinj.so's at=
 * with one hart).
 *
 * Checkpoints (--checkpoint-interval N): before the first run with
 * attach-at, the worker runs the golden run (golden=) again without a
 * plugin and takes an in-memory snapshot every N instructions once its
 * console input is all handed over (at most WORKER_MAX_CKPTS), with the
 * events its recorder had logged; it keeps them only if that run ends
 * with the golden run's status, count, digest and output. A run with
 * attach-at then starts from the last checkpoint before it: its log gets
 * those events first (recorder_append_event), so it is byte for byte the
 * log the run from the start writes, and it skips re-executing the golden
 * run up to there.
 *
 * The state digest compares harts, devices and the pages whose frames
 * are no longer the start's, so it costs the pages a run
 * wrote, not all of RAM; equal digests mean equal machines (pages neither
 * run wrote are the start's). A run's final digest is machine_digest's,
 * from the start's page hashes (kept) and those of the pages it changed.
 *
 * A run that crashes the worker (a plugin's crash ends the process, as it
 * ends a record) or hangs it is the caller's to time out and restart.
 * Untrusted input: the request lines (bounded, refused with "error MSG"
 * and the worker goes on) and the guest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/main.h"
#include "cli/snapshot.h"
#include "hv/cpu/block.h"
#include "hv/platform/control.h"
#include "hv/platform/loader.h"
#include "hv/platform/reset.h"
#include "plugins/host.h"
#include "replay/log.h"
#include "replay/session.h"
#include "snapshot/snap.h"

#define WORKER_LINE_MAX 8192
#define WORKER_MAX_CHECKS 100000
#define WORKER_OUT_MAX (64u << 20)
#define WORKER_MAX_CKPTS 256

struct worker_check {
	icount_t icount;
	uint64_t digest; /* worker_state_digest */
	uint64_t conlen;
	uint64_t cpu; /* worker_cpu_digest: compared first, it is cheap */
};

struct worker_golden {
	char *path;     /* the file these came from (a cache key, */
	struct stat st; /* with its size and time) */
	int status;
	icount_t icount;
	uint64_t digest, rel;
	uint8_t *out; /* the golden run's console output */
	size_t outlen;
	icount_t input_done;        /* where its console input was all handed over */
	struct worker_check *check; /* ascending icount */
	size_t ncheck;
};

/* A checkpoint of the golden run (--checkpoint-interval): the machine, and
 * how far the recording and the console output had come. */
struct worker_ckpt {
	icount_t icount;
	struct snap *snap;
	size_t nev; /* the recorder's events before it */
	uint64_t next_digest;
	size_t outlen;
};

/* The checkpoints of the golden run loaded (worker.golden): taken by a
 * run of it without a plugin, before the first run that can use them. */
struct worker_ff {
	bool tried, ok;
	uint8_t *in; /* the console input it was run with */
	size_t inlen;
	struct worker_ckpt *ck; /* ascending icount */
	size_t nck;
	struct rlog_event *ev; /* what its recorder appended, in order */
	size_t nev;
	struct recorder *rec; /* while it runs */
	icount_t next;
};

struct worker {
	struct machine *m;
	struct plugin_host *ph; /* the run's plugin, or NULL */
	struct snapcli sc;
	struct loader_opts lo;
	struct snap *start;
	icount_t start_icount;
	uint64_t interval;
	char *config; /* the configuration record's text without per-run lines */
	/* The run under way. */
	uint8_t *out;
	size_t outlen, outcap;
	const uint8_t *in;
	size_t inlen, inpos;
	icount_t input_done;
	bool changed; /* a recorded input other than console bytes came */
	void (*rec_input)(void *, struct machine *, enum hv_input, const uint8_t *, size_t);
	void *rec_opaque;
	struct worker_golden golden;
	/* Early stop, at round boundaries (stopping the machine between them
	 * would move its input polls: machine_run counts its own rounds). */
	struct worker_golden mine; /* the golden run's checks being taken */
	bool writing, use;
	icount_t next_mark, after, early;
	uint64_t *start_pd;  /* page hashes at the start */
	uint32_t *start_fid; /* the start's frame ids (the start holds them) */
	uint64_t ck_interval;
	struct worker_ff ff;
};

#define WORKER_OP_SAME 0x1001u /* pv_req.op: the state is the golden run's */

static double worker_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void worker_console(void *opaque, const uint8_t *buf, size_t len)
{
	struct worker *w = opaque;

	if (w->outlen + len > WORKER_OUT_MAX)
		len = WORKER_OUT_MAX - w->outlen;
	if (w->outlen + len > w->outcap) {
		size_t cap = (w->outlen + len) * 2;
		uint8_t *n = realloc(w->out, cap);
		if (!n)
			return;
		w->out = n;
		w->outcap = cap;
	}
	memcpy(w->out + w->outlen, buf, len);
	w->outlen += len;
}

/* The console input as record reads a file on its stdin: 256 bytes at a
 * poll, then "no more input ever" (main_host_poll without a network). */
static int worker_host_poll(struct machine *m, int timeout_ms)
{
	struct worker *w = m->host_opaque;

	(void)timeout_ms;
	if (w->inpos >= w->inlen)
		return -1;
	size_t n = w->inlen - w->inpos < 256 ? w->inlen - w->inpos : 256;
	machine_console_input(m, w->in + w->inpos, n);
	w->inpos += n;
	if (w->inpos == w->inlen)
		w->input_done = m->total_insns;
	return 1;
}

/* Between the recorder and the funnel: notes the first input that is not
 * console bytes (a plugin's change), which starts the early-stop checks. */
static void worker_funnel_input(void *opaque, struct machine *m, enum hv_input type,
				const uint8_t *data, size_t len)
{
	struct worker *w = m->console_opaque;

	if (type != HV_IN_CONSOLE && type != HV_IN_IDLE)
		w->changed = true;
	w->rec_input(opaque, m, type, data, len);
}

/* The funnel's input function becomes fn (the recorder's, or
 * worker_funnel_input in front of it). */
static void worker_funnel_input_to(struct machine *m,
				   void (*fn)(void *, struct machine *, enum hv_input,
					      const uint8_t *, size_t))
{
	struct hv_funnel f = m->funnel;

	f.input = fn;
	machine_set_funnel(m, &f);
}

/* Harts and devices: what two runs in step differ in most often. */
static uint64_t worker_cpu_digest(const struct machine *m)
{
	uint64_t d = machine_devices_digest(m);

	for (unsigned i = 0; i < m->nharts; i++)
		d = d * 0x9e3779b97f4a7c15ull ^ machine_hart_digest(m->hart[i]);
	return d;
}

/* Harts, devices and the pages changed since the start: those whose
 * frame is not the start's any more (written since the start was
 * restored, by this run or before the checkpoint it started from). */
static uint64_t worker_state_digest(const struct worker *w)
{
	const struct machine *m = w->m;
	uint64_t sum = 0, n = 0;

	for (uint64_t p = 0; p < m->ram.npages; p++) {
		if (m->ram.fid[p] != w->start_fid[p]) {
			sum += machine_page_hash(m, p);
			n++;
		}
	}
	return worker_cpu_digest(m) * 0x9e3779b97f4a7c15ull ^ sum ^ n;
}

static int worker_add_check(struct worker_golden *g, icount_t ic, uint64_t d, uint64_t conlen,
			    uint64_t cpu);
static const struct worker_check *worker_next_check(const struct worker_golden *g, icount_t ic);

/* After every round: the golden run notes its state every interval; a
 * faulty run whose state and output so far equal the golden run's at the
 * same instruction count stops. */
static void worker_round(void *opaque, struct machine *m)
{
	struct worker *w = opaque;
	const struct worker_golden *g = &w->golden;

	if (w->writing && m->total_insns >= w->next_mark) {
		if (worker_add_check(&w->mine, m->total_insns, worker_state_digest(w), w->outlen,
				     worker_cpu_digest(m)) < 0)
			w->writing = false;
		w->next_mark = m->total_insns + w->interval;
	}
	if (!w->use || !w->changed || m->total_insns < w->after)
		return;
	const struct worker_check *c = worker_next_check(g, m->total_insns);
	if (!c || c->icount != m->total_insns || c->conlen != w->outlen || c->conlen > g->outlen ||
	    memcmp(w->out, g->out, w->outlen) != 0 || worker_cpu_digest(m) != c->cpu ||
	    worker_state_digest(w) != c->digest)
		return;
	w->early = m->total_insns;
	machine_post_host_request(m, WORKER_OP_SAME);
}

static int worker_read_file(const char *path, uint8_t **data, size_t *len, size_t max,
			    struct hv_err *err)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);

	if (!f || !buf) {
		hv_err_set(err, "cannot read '%s'", path);
		if (f)
			fclose(f);
		free(buf);
		return -1;
	}
	for (;;) {
		if (n == cap) {
			uint8_t *nb = cap < max ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				hv_err_set(err, "'%s' is larger than %zu bytes", path, max);
				fclose(f);
				free(buf);
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	*data = buf;
	*len = n;
	return 0;
}

static int worker_write_file(const char *path, const void *data, size_t len, struct hv_err *err)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		hv_err_set(err, "cannot write '%s'", path);
		return -1;
	}
	return 0;
}

static void worker_golden_free(struct worker_golden *g)
{
	free(g->path);
	free(g->out);
	free(g->check);
	memset(g, 0, sizeof(*g));
}

static void worker_ff_free(struct worker_ff *f)
{
	for (size_t i = 0; i < f->nck; i++)
		snap_free(f->ck[i].snap);
	for (size_t i = 0; i < f->nev; i++)
		free((void *)f->ev[i].data);
	free(f->ck);
	free(f->ev);
	free(f->in);
	memset(f, 0, sizeof(*f));
}

static int worker_add_check(struct worker_golden *g, icount_t ic, uint64_t d, uint64_t conlen,
			    uint64_t cpu)
{
	if (g->ncheck == WORKER_MAX_CHECKS)
		return 0;
	struct worker_check *n = realloc(g->check, (g->ncheck + 1) * sizeof(*n));
	if (!n)
		return -1;
	g->check = n;
	g->check[g->ncheck++] = (struct worker_check){ ic, d, conlen, cpu };
	return 0;
}

/* golden=FILE: "end STATUS ICOUNT DIGEST REL", "output PATH", "input
 * ICOUNT" and lines "at ICOUNT DIGEST CONLEN CPU" in ascending order. */
static int worker_golden_load(struct worker *w, const char *path, struct hv_err *err)
{
	struct worker_golden *g = &w->golden;
	char line[WORKER_LINE_MAX], outpath[WORKER_LINE_MAX] = "";
	unsigned long long a, b, c, e;
	bool end = false;

	struct stat st;
	if (stat(path, &st) != 0) {
		hv_err_set(err, "cannot read the golden run's file '%s'", path);
		return -1;
	}
	if (g->path && strcmp(g->path, path) == 0 && st.st_size == g->st.st_size &&
	    st.st_mtim.tv_sec == g->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == g->st.st_mtim.tv_nsec)
		return 0;
	worker_ff_free(&w->ff); /* another golden run's checkpoints */
	worker_golden_free(g);
	FILE *f = fopen(path, "r");
	if (!f) {
		hv_err_set(err, "cannot read the golden run's file '%s'", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		int st;
		if (sscanf(line, "end %d %llu %llx %llx", &st, &a, &b, &c) == 4) {
			g->status = st;
			g->icount = a;
			g->digest = b;
			g->rel = c;
			end = true;
		} else if (sscanf(line, "output %8191s", outpath) == 1) {
			continue;
		} else if (sscanf(line, "input %llu", &a) == 1) {
			g->input_done = a;
		} else if (sscanf(line, "at %llu %llx %llu %llx", &a, &b, &c, &e) == 4 &&
			   (!g->ncheck || a > g->check[g->ncheck - 1].icount)) {
			if (worker_add_check(g, a, b, c, e) < 0)
				break;
		} else {
			break;
		}
	}
	bool bad = !feof(f);
	fclose(f);
	if (bad || !end || !outpath[0]) {
		hv_err_set(err, "'%s' is not a golden run's file of a worker", path);
		worker_golden_free(g);
		return -1;
	}
	if (worker_read_file(outpath, &g->out, &g->outlen, WORKER_OUT_MAX, err) < 0) {
		worker_golden_free(g);
		return -1;
	}
	g->path = strdup(path);
	g->st = st;
	if (!g->path)
		hv_err_set(err, "out of host memory");
	return g->path ? 0 : -1;
}

/* The next golden check at or after ic, or NULL. */
static const struct worker_check *worker_next_check(const struct worker_golden *g, icount_t ic)
{
	size_t lo = 0, hi = g->ncheck;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (g->check[mid].icount < ic)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->ncheck ? &g->check[lo] : NULL;
}

struct worker_req {
	const char *log, *out, *input, *plugin, *golden, *write_golden;
	uint64_t max, after, attach_at;
	bool after_set;
	bool prepare; /* a "prepare" request, not a run */
};

static int worker_parse(char *line, struct worker_req *q, struct hv_err *err)
{
	char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save);

	memset(q, 0, sizeof(*q));
	if (!tok || (strcmp(tok, "run") != 0 && strcmp(tok, "prepare") != 0)) {
		hv_err_set(err, "a request starts with 'run' or 'prepare'");
		return -1;
	}
	q->prepare = tok[0] == 'p';
	while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
		char *v = strchr(tok, '=');
		if (!v || v == tok || !v[1]) {
			hv_err_set(err, "'%s' is not KEY=VALUE", tok);
			return -1;
		}
		*v++ = 0;
		if (strcmp(tok, "log") == 0) {
			q->log = v;
		} else if (strcmp(tok, "out") == 0) {
			q->out = v;
		} else if (strcmp(tok, "input") == 0) {
			q->input = v;
		} else if (strcmp(tok, "plugin") == 0) {
			q->plugin = v;
		} else if (strcmp(tok, "golden") == 0) {
			q->golden = v;
		} else if (strcmp(tok, "write-golden") == 0) {
			q->write_golden = v;
		} else if (strcmp(tok, "max") == 0 || strcmp(tok, "after") == 0 ||
			   strcmp(tok, "attach-at") == 0) {
			uint64_t *n = tok[0] == 'm' ? &q->max :
				      tok[1] == 'f' ? &q->after :
						      &q->attach_at;
			if (cli_parse_count(v, n, err) != 0)
				return -1;
			q->after_set = q->after_set || tok[1] == 'f';
		} else {
			hv_err_set(err,
				   "unknown key '%s' (log, out, input, max, plugin, after, "
				   "attach-at, golden, write-golden)",
				   tok);
			return -1;
		}
	}
	if (q->prepare) {
		if (!q->log || !q->input || !q->max || !q->golden || q->out || q->plugin ||
		    q->write_golden) {
			hv_err_set(err, "prepare takes log=, input=, max= and golden= only");
			return -1;
		}
		return 0;
	}
	if (!q->log || !q->out || !q->input || !q->max) {
		hv_err_set(err, "a run needs log=, out=, input= and max=");
		return -1;
	}
	return 0;
}

static void worker_ff_take(struct worker *w, const struct worker_req *q, const uint8_t *in,
			   size_t inlen);

/* "prepare": what the first run of a campaign would do before its
 * machine starts (load the golden run's file, take its checkpoints), done
 * now, while no experiment waits; answers "prepared NCHECKPOINTS US". */
static int worker_prepare(struct worker *w, const struct worker_req *q, struct hv_err *err)
{
	uint8_t *in = NULL;
	size_t inlen = 0;
	double t0 = worker_now();

	if (worker_golden_load(w, q->golden, err) < 0)
		return -1;
	if (worker_read_file(q->input, &in, &inlen, 1u << 20, err) < 0)
		return -1;
	if (w->ck_interval && w->golden.input_done && !w->ff.tried)
		worker_ff_take(w, q, in, inlen);
	free(in);
	printf("prepared %zu %llu\n", w->ff.nck, (unsigned long long)((worker_now() - t0) * 1e6));
	return 0;
}

/* The configuration record of this run: the worker's and its own. */
static char *worker_run_config(const struct worker *w, const struct worker_req *q)
{
	size_t len = strlen(w->config) + (q->plugin ? strlen(q->plugin) : 0) + 96;
	char *c = malloc(len);

	if (!c)
		return NULL;
	int n = snprintf(c, len, "%sarg --max-instructions\narg %llu\n", w->config,
			 (unsigned long long)q->max);
	if (q->plugin)
		snprintf(c + n, len - (size_t)n, "arg --plugin\narg %s\n", q->plugin);
	return c;
}

/* Load and attach the run's plugin (with the recorder, as record does). */
static int worker_plugin(struct worker *w, const struct worker_req *q, struct hv_err *err)
{
	w->ph = plugin_host_create(w->m, err);
	if (w->ph && plugin_host_load(w->ph, q->plugin, err) == 0 &&
	    plugin_host_attach(w->ph, false, true, err) == 0)
		return 0;
	plugin_host_destroy(w->ph);
	w->ph = NULL;
	worker_funnel_input_to(w->m, w->rec_input);
	return -1;
}

/* After machine_run stopped for why: whether the run goes on (a reboot
 * the options allow, or a stop snapcli serves, such as a guest's snapshot
 * request). */
static bool worker_go_on(struct worker *w, enum hv_stop why, struct hv_err *err)
{
	struct machine *m = w->m;

	if (why == STOP_REBOOT && !m->panic_msg[0] && !w->sc.o->reboot_exit &&
	    snapcli_reboot_check(&w->sc, err) == 0 && machine_reset(m, &w->lo, err) == 0)
		return true;
	return why != STOP_MAX_INSNS && snapcli_stop(&w->sc, why, err) > 0;
}

/* The machine back at the start, and the run's console new: input in
 * (inlen bytes) from its first byte, no output yet. */
static int worker_begin(struct worker *w, const uint8_t *in, size_t inlen, struct hv_err *err)
{
	if (snap_restore(w->m, w->start, err) < 0)
		return -1;
	machine_clear_stop(w->m);
	w->outlen = 0;
	w->in = in;
	w->inlen = inlen;
	w->inpos = 0;
	w->input_done = 0;
	w->changed = false;
	return 0;
}

/* The golden run's recorder appended ev: kept, for the runs that start
 * from a checkpoint to append again. */
static void worker_ff_tap(void *opaque, const struct rlog_event *ev)
{
	struct worker_ff *f = &((struct worker *)opaque)->ff;
	struct rlog_event *n = f->ok ? realloc(f->ev, (f->nev + 1) * sizeof(*n)) : NULL;
	uint8_t *data = n && ev->len ? malloc(ev->len) : NULL;

	if (n)
		f->ev = n;
	if (!n || (ev->len && !data)) {
		f->ok = false;
		return;
	}
	if (ev->len)
		memcpy(data, ev->data, ev->len);
	f->ev[f->nev] = *ev;
	f->ev[f->nev++].data = data;
}

/* After every round of the golden run: a checkpoint every ck_interval
 * instructions once its console input is all handed over (from there on,
 * the input polls that machine_run counts do nothing, so starting a run
 * there moves none). */
static void worker_ff_round(void *opaque, struct machine *m)
{
	struct worker *w = opaque;
	struct worker_ff *f = &w->ff;
	struct hv_err err = { { 0 } };

	if (!f->ok || m->total_insns < f->next || !w->input_done || w->inpos < w->inlen ||
	    f->nck == WORKER_MAX_CKPTS)
		return;
	struct worker_ckpt *n = realloc(f->ck, (f->nck + 1) * sizeof(*n));
	if (n)
		f->ck = n;
	struct snap *s = n ? snap_take(m, &err) : NULL;
	if (!s) {
		f->ok = false;
		return;
	}
	f->ck[f->nck++] = (struct worker_ckpt){ m->total_insns, s, f->nev,
						recorder_next_digest(f->rec), w->outlen };
	f->next = m->total_insns + w->ck_interval;
}

/* Run the golden run (loaded in w->golden) again without a plugin,
 * recording to a scratch log, and take its checkpoints; they are kept only
 * if the run ends as the golden run did (status, instruction count,
 * digest and console output). */
static void worker_ff_take(struct worker *w, const struct worker_req *q, const uint8_t *in,
			   size_t inlen)
{
	struct worker_ff *f = &w->ff;
	const struct worker_golden *g = &w->golden;
	struct machine *m = w->m;
	struct hv_err err = { { 0 } };
	char *log = malloc(strlen(q->log) + 8);
	enum hv_stop why = STOP_NONE;

	f->tried = true;
	f->ok = log && (f->in = malloc(inlen ? inlen : 1)) != NULL;
	if (!f->ok || worker_begin(w, in, inlen, &err) < 0)
		goto fail;
	memcpy(f->in, in, inlen);
	f->inlen = inlen;
	sprintf(log, "%s.golden", q->log);
	f->rec = recorder_start(m, log, w->config, 0, &err);
	if (!f->rec)
		goto fail;
	recorder_tap(f->rec, worker_ff_tap, w);
	f->next = 0;
	machine_set_insn_limit(m, q->max);
	machine_set_round_hook(m, worker_ff_round, w);
	do
		why = machine_run(m);
	while (worker_go_on(w, why, &err));
	machine_set_round_hook(m, NULL, w);
	machine_clear_stop(m);
	int status = why == STOP_SHUTDOWN ? (int)(m->exit_status & 0xff) : -1;
	recorder_tap(f->rec, NULL, NULL);
	if (recorder_finish(f->rec, m, status, &err) != 0)
		f->ok = false;
	f->rec = NULL;
	unlink(log);
	if (f->ok && status == g->status && m->total_insns == g->icount &&
	    machine_digest(m) == g->digest && w->outlen == g->outlen &&
	    memcmp(w->out, g->out, g->outlen) == 0) {
		free(log);
		return;
	}
fail:
	free(log);
	worker_ff_free(f);
	f->tried = true; /* no checkpoints of this golden run */
}

/* The last checkpoint of the golden run before q's attach-at (the run is
 * the golden run's until there), taken first if need be; NULL if none. */
static const struct worker_ckpt *worker_ff_find(struct worker *w, const struct worker_req *q,
						const uint8_t *in, size_t inlen)
{
	struct worker_ff *f = &w->ff;

	if (!f->tried)
		worker_ff_take(w, q, in, inlen);
	if (!f->nck || f->inlen != inlen || memcmp(f->in, in, inlen) != 0)
		return NULL;
	const struct worker_ckpt *best = NULL;
	for (size_t i = 0; i < f->nck && f->ck[i].icount < q->attach_at; i++)
		best = &f->ck[i];
	return best;
}

/* Start the run recording in rec from checkpoint ck instead of the start:
 * the log gets the golden run's events before it, as the whole run would
 * have logged them, and the machine and console output are the golden
 * run's there. */
static int worker_ff_start(struct worker *w, struct recorder *rec, const struct worker_ckpt *ck,
			   struct hv_err *err)
{
	struct machine *m = w->m;

	for (size_t i = 0; i < ck->nev; i++)
		if (recorder_append_event(rec, m, &w->ff.ev[i], err) != 0)
			return -1;
	recorder_set_next_digest(rec, ck->next_digest);
	if (snap_restore(m, ck->snap, err) < 0)
		return -1;
	machine_clear_stop(m);
	w->outlen = 0;
	worker_console(w, w->golden.out, ck->outlen);
	w->inpos = w->inlen;
	w->input_done = w->golden.input_done;
	return 0;
}

/* One experiment. 0 with the result line printed, or -1 with err (the
 * request could not be run; the worker goes on). */
static int worker_run(struct worker *w, const struct worker_req *q, struct hv_err *err)
{
	struct machine *m = w->m;
	struct worker_golden *g = &w->golden;
	uint8_t *in = NULL;
	size_t inlen = 0;
	struct recorder *rec = NULL;
	char *config = NULL, *full = NULL;
	int rc = -1;

	double start = worker_now();

	if (q->golden && q->write_golden) {
		hv_err_set(err, "golden= and write-golden= exclude each other");
		return -1;
	}
	if (q->golden && worker_golden_load(w, q->golden, err) < 0)
		return -1;
	if (worker_read_file(q->input, &in, &inlen, 1u << 20, err) < 0)
		return -1;
	/* attach-at (below): the run may start from the golden run's last
	 * checkpoint before that count. */
	const struct worker_ckpt *ck = NULL;
	if (w->ck_interval && q->plugin && q->golden && g->path && g->input_done &&
	    q->attach_at > g->input_done && q->attach_at < q->max && q->attach_at > w->start_icount)
		ck = worker_ff_find(w, q, in, inlen);
	if (worker_begin(w, in, inlen, err) < 0)
		goto out;
	config = worker_run_config(w, q);
	full = config ? main_config_with_clock(config, m->cfg.rtc_boot_ns) : NULL;
	if (!full) {
		hv_err_set(err, "out of host memory");
		goto out;
	}
	rec = recorder_start(m, q->log, full, 0, err);
	if (!rec)
		goto out;
	w->rec_input = m->funnel.input;
	w->rec_opaque = m->funnel.opaque;
	worker_funnel_input_to(m, worker_funnel_input);
	if (ck && worker_ff_start(w, rec, ck, err) != 0) {
		recorder_abandon(rec, m);
		goto out;
	}
	/* attach-at: the plugin comes in at that instruction count (the run
	 * is the golden run's until then, and faster without it), where the
	 * stop cannot move a console input poll: past the golden run's last. */
	bool late = q->plugin && q->golden && g->path && q->attach_at > g->input_done &&
		    g->input_done && q->attach_at < q->max && q->attach_at > m->total_insns;
	if (q->plugin && !late && worker_plugin(w, q, err) != 0) {
		recorder_abandon(rec, m);
		goto out;
	}

	w->mine = (struct worker_golden){ 0 };
	w->writing = q->write_golden != NULL && w->interval;
	w->use = !q->write_golden && q->golden && g->ncheck && q->after_set;
	w->next_mark = m->total_insns + w->interval;
	w->after = q->after;
	w->early = 0;
	machine_set_insn_limit(m, late ? q->attach_at : q->max);
	machine_set_round_hook(m, worker_round, w);
	enum hv_stop why;
	double t0 = worker_now();
	for (;;) {
		why = machine_run(m);
		if (why == STOP_GUEST_REQUEST && m->pv_req.op == WORKER_OP_SAME)
			break;
		if (late && why == STOP_MAX_INSNS && m->total_insns == q->attach_at) {
			late = false;
			machine_clear_stop(m);
			machine_set_insn_limit(m, q->max);
			if (worker_plugin(w, q, err) != 0) {
				machine_set_round_hook(m, NULL, w);
				recorder_abandon(rec, m);
				goto out;
			}
			continue;
		}
		if (!worker_go_on(w, why, err))
			break;
	}
	double guest_s = worker_now() - t0;
	machine_set_round_hook(m, NULL, w);
	machine_clear_stop(m);
	icount_t early = w->early;
	struct worker_golden mine = w->mine;
	bool writing = q->write_golden != NULL;
	int status = early ? g->status : main_stop_status(m, why);
	if (late && worker_plugin(w, q, err) != 0) {
		recorder_abandon(rec, m);
		goto out;
	}
	plugin_host_exit(w->ph, status);
	worker_funnel_input_to(m, w->rec_input);
	if (recorder_finish(rec, m, status, err) != 0)
		goto out_unload;
	uint64_t rel = writing ? worker_state_digest(w) : 0, digest;
	icount_t icount = m->total_insns;
	if (early) {
		digest = g->digest;
		icount = g->icount;
		size_t from = worker_next_check(g, early)->conlen;
		worker_console(w, g->out + from, g->outlen - from);
	} else {
		digest = machine_digest(m); /* kept hashes for the start's pages */
	}
	if (worker_write_file(q->out, w->out, w->outlen, err) < 0)
		goto out_unload;
	if (writing) {
		FILE *f = fopen(q->write_golden, "w");
		bool ok = f != NULL;
		if (f) {
			fprintf(f, "end %d %llu %016llx %016llx\noutput %s\ninput %llu\n", status,
				(unsigned long long)icount, (unsigned long long)digest,
				(unsigned long long)rel, q->out, (unsigned long long)w->input_done);
			for (size_t i = 0; i < mine.ncheck; i++)
				fprintf(f, "at %llu %016llx %llu %016llx\n",
					(unsigned long long)mine.check[i].icount,
					(unsigned long long)mine.check[i].digest,
					(unsigned long long)mine.check[i].conlen,
					(unsigned long long)mine.check[i].cpu);
			ok = fclose(f) == 0;
		}
		if (!ok) {
			hv_err_set(err, "cannot write '%s'", q->write_golden);
			goto out_unload;
		}
	}
	printf("result %d %llu %016llx %llu %.0f %.0f %llu\n", status, (unsigned long long)icount,
	       (unsigned long long)digest, (unsigned long long)early, guest_s * 1e6,
	       (worker_now() - start) * 1e6,
	       (unsigned long long)(ck ? ck->icount : w->start_icount));
	fflush(stdout);
	rc = 0;
out_unload:
	worker_golden_free(&mine);
	bool instrumented = plugin_host_instrumented(w->ph);
	plugin_host_destroy(w->ph);
	w->ph = NULL;
	/* Decoded code may hold the unloaded plugin's subscriptions. */
	if (instrumented)
		block_flush_all(m);
out:
	free(config);
	free(full);
	free(in);
	w->in = NULL;
	return rc;
}

static int worker_usage(const char *msg)
{
	return main_usage(msg, "usage: retrovisor worker [--golden-interval N] "
			       "[--checkpoint-interval N] "
			       "RUN-OPTIONS (docs/campaigns.md)");
}

int main_worker(int argc, char **argv)
{
	struct hv_err err = { { 0 } };
	struct worker w = { 0 };
	char **a = calloc((size_t)argc + 2, sizeof(char *));
	int n = 0, rc = CLI_EXIT_ERROR;
	bool have_sc = false;
	char line[WORKER_LINE_MAX];

	if (!a)
		return worker_usage("out of host memory");
	a[n++] = argv[0];
	a[n++] = "run";
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--golden-interval") == 0 && i + 1 < argc) {
			if (cli_parse_count(argv[++i], &w.interval, &err) != 0)
				goto fail;
		} else if (strcmp(argv[i], "--checkpoint-interval") == 0 && i + 1 < argc) {
			if (cli_parse_count(argv[++i], &w.ck_interval, &err) != 0)
				goto fail;
		} else if (strcmp(argv[i], "--max-instructions") == 0 ||
			   strcmp(argv[i], "--plugin") == 0 || strcmp(argv[i], "--gdb") == 0) {
			free(a);
			return worker_usage(
				"--max-instructions and --plugin are given per run, and "
				"a worker takes no --gdb");
		} else {
			a[n++] = argv[i];
		}
	}
	struct cli_opts cmd, eff;
	if (cli_parse(n, a, &cmd, &err) != 0)
		goto fail;
	if (cmd.cmd != CLI_CMD_RUN) {
		free(a);
		return worker_usage("a worker takes the options of run");
	}
	w.config = record_config(n, a, &cmd, &err);
	if (!w.config)
		goto fail;
	have_sc = true;
	if (snapcli_options(&cmd, &w.sc, &eff, &err) != 0)
		goto fail;
	struct machine_drive drives[CLI_MAX_DRIVES];
	struct machine_config cfg;
	/* As record's: --rtc (a snapshot's keeps its own), else the wall clock
	 * at start, which each run's configuration record carries. */
	cli_machine_config(&eff, drives,
			   eff.rtc_set ? eff.rtc_s * 1000000000ull :
					 (uint64_t)time(NULL) * 1000000000ull,
			   &cfg);
	w.lo = (struct loader_opts){ .kernel = eff.kernel, .initrd = eff.initrd, .bios = eff.bios };
	w.m = machine_create(&cfg, &err);
	if (!w.m || snapcli_attach(&w.sc, w.m, &w.lo, &err) != 0)
		goto fail;
	machine_set_console_sink(w.m, worker_console, &w);
	machine_set_host_poll(w.m, worker_host_poll, &w);
	machine_clear_stop(w.m);
	w.start = snap_take(w.m, &err);
	if (!w.start)
		goto fail;
	w.start_icount = w.m->total_insns;
	w.start_pd = malloc(w.m->ram.npages * sizeof(uint64_t));
	w.start_fid = malloc(w.m->ram.npages * sizeof(uint32_t));
	if (!w.start_pd || !w.start_fid) {
		hv_err_set(&err, "out of host memory");
		goto fail;
	}
	machine_page_hashes(w.m, w.start_pd);
	/* Pages a run did not write still have the start's frames (shared
	 * with w.start, so unchanged): the recorder's digests reuse their
	 * hashes instead of hashing every page written since the boot. */
	memcpy(w.start_fid, w.m->ram.fid, w.m->ram.npages * sizeof(uint32_t));
	machine_keep_page_hashes(w.m, w.start_fid, w.start_pd);
	printf("ready %llu\n", (unsigned long long)w.start_icount);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		struct worker_req q;
		if (!strchr(line, '\n') && !feof(stdin)) {
			int ch;
			while ((ch = getchar()) != EOF && ch != '\n')
				;
			printf("error the request is longer than %d bytes\n", WORKER_LINE_MAX - 1);
		} else if (worker_parse(line, &q, &err) != 0 ||
			   (q.prepare ? worker_prepare(&w, &q, &err) : worker_run(&w, &q, &err)) !=
				   0) {
			printf("error %s\n", err.msg);
		}
		fflush(stdout);
	}
	rc = CLI_EXIT_OK;
	goto out;
fail:
	rc = main_fail(&err);
out:
	worker_ff_free(&w.ff);
	if (w.m)
		machine_keep_page_hashes(w.m, NULL, NULL);
	snap_free(w.start);
	if (w.m)
		machine_destroy(w.m);
	if (have_sc)
		snapcli_free(&w.sc);
	worker_golden_free(&w.golden);
	free(w.out);
	free(w.start_pd);
	free(w.start_fid);
	free(w.config);
	free(a);
	return rc;
}
