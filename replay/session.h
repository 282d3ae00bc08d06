/* SPDX-License-Identifier: MIT */
/*
 * Recording and replaying a run (ARCHITECTURE.md sections 1 and 6).
 *
 * The recorder attaches to the machine's input funnel (struct hv_funnel):
 * every input is appended to the log with its stamp (round, instruction
 * count, hart), and at round boundaries a digest is logged every
 * digest_interval instructions. The replayer attaches to the same funnel
 * with replaying set: host inputs are off, and at each round boundary it
 * feeds the inputs logged for that round and checks the digests. The
 * first digest that differs stops the replay and is reported with the
 * instruction-count bracket in which the runs parted, the harts'
 * registers as logged against as replayed, and the number of pages that
 * differ.
 *
 * Digests hash every hart's architectural state (machine_hart_digest) and
 * the pages written since the previous digest (machine_dirty_digest); the
 * log also keeps each hart's registers at every digest so that a
 * divergence can be shown as a register diff.
 */
#ifndef REPLAY_SESSION_H
#define REPLAY_SESSION_H

#include <stdio.h>

#include "hv/platform/machine.h"

#define SESSION_DEFAULT_DIGEST_INTERVAL 50000000ull

struct recorder;
struct replayer;

/* Open LOG (as LOG.tmp), write the configuration record, attach to m. */
struct recorder *recorder_start(struct machine *m, const char *log_path, const char *config,
				uint64_t digest_interval, struct hv_err *err);
/* Log the end (final digest, instruction count, exit status), finish the
 * file (rename into place), detach, free. */
int recorder_finish(struct recorder *r, struct machine *m, int exit_status, struct hv_err *err);
/* Detach and free, leaving LOG.tmp as an interrupted recording would. */
void recorder_abandon(struct recorder *r, struct machine *m);
/* For a recording that starts from a state an earlier recording of the
 * same run reached (a campaign worker's checkpoints of its golden run,
 * cli/worker.c): recorder_tap hands fn every event appended after the
 * configuration record; recorder_append_event appends such an event again,
 * as it was (a digest closes its chunk, as digests do), so that the log
 * is the one the whole run would have written; the instruction count of
 * the next interval digest is read and set with recorder_next_digest and
 * recorder_set_next_digest. 0, or -1 with err. */
struct rlog_event;
void recorder_tap(struct recorder *r, void (*fn)(void *opaque, const struct rlog_event *ev),
		  void *opaque);
int recorder_append_event(struct recorder *r, struct machine *m, const struct rlog_event *ev,
			  struct hv_err *err);
uint64_t recorder_next_digest(const struct recorder *r);
void recorder_set_next_digest(struct recorder *r, uint64_t icount);

/* Open a log and read its configuration record (NUL-terminated text). */
struct replayer *replayer_open(const char *log_path, struct hv_err *err);
const char *replayer_config(const struct replayer *p);
bool replayer_truncated(const struct replayer *p);
/* Attach to m. At the first round boundary at or after go_live
 * instructions (0: never), stop consuming the log: the run goes on with
 * the host's inputs. */
void replayer_attach(struct replayer *p, struct machine *m, uint64_t go_live);
/* With --go-live: record the run from the go-live point on into LOG,
 * which then holds the replayed inputs followed by the live ones (a log
 * that replays the whole run). Call before replayer_attach. */
void replayer_record_live(struct replayer *p, const char *log_path, uint64_t digest_interval);
/* After machine_run: 0 if the replay matched the log to its end (or to the
 * go-live point), 1 if it diverged (report printed to out), -1 on a log
 * error (err). */
int replayer_finish(struct replayer *p, struct machine *m, int exit_status, FILE *out,
		    struct hv_err *err);
/* After a divergence: the instruction counts between which the runs
 * parted (the last matching digest, and where the mismatch was seen). */
bool replayer_bracket(const struct replayer *p, uint64_t *from, uint64_t *to);
/* Digests checked so far, and whether the replay went live. */
uint64_t replayer_digests_checked(const struct replayer *p);
bool replayer_went_live(const struct replayer *p);
void replayer_close(struct replayer *p);
/* The machine was restored to an earlier state (reverse execution): feed
 * it the log from that state on. 0 or -1 with err. */
int replayer_seek(struct replayer *p, struct machine *m, struct hv_err *err);
/* After machine_run stopped with STOP_DEBUG: if it was to apply a recorded
 * debugger write (hv/cpu/debug.h DBG_STOP_INPUT), apply it and return true
 * (the run goes on), else false. */
bool replayer_debug_stop(struct replayer *p, struct machine *m);

#endif
