/* SPDX-License-Identifier: MIT */
/*
 * The engine options of every command that runs machines (run, record,
 * replay, snapshot, loop, worker, up):
 *
 *   --engine jit|interp   the engine (hv/cpu/jit.h; default
 *                         JIT_DEFAULT_ENGINE)
 *   --jit-cache SIZE      the code buffer per machine, 256K..4G
 *   --jit-log FILE        each translated block's guest instructions and
 *                         the host code made for them, disassembled
 *   --jit-stats           the translator's figures on stderr at the end
 *
 * They choose how guest code runs, never what it computes: a log or a
 * snapshot file replays and restores the same under either engine. So
 * main takes them out of the command line before the command parses the
 * rest, and no file (log, snapshot, bundle) ever stores them. The settings
 * are process-wide (jit_settings): the environment's (RETROVISOR_ENGINE,
 * RETROVISOR_JIT_HOT, RETROVISOR_JIT_CACHE) first, then these options.
 *
 * The log is written from the translator, under a lock (the machines of
 * `up --threads` translate at the same time); the host code is
 * disassembled with Capstone at the address it runs at. A write that
 * fails is reported once, when the command ends.
 */
#ifndef CLI_ENGINE_H
#define CLI_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "hv/cpu/jit.h"

struct cli_engine {
	bool engine_set;
	enum exec_engine engine;
	bool cache_set;
	size_t cache_bytes;
	const char *log; /* --jit-log FILE, or NULL */
	bool stats;      /* --jit-stats */
};

/* Take the engine options out of argv[first..*argc-1], as "--name VALUE"
 * or "--name=VALUE", each at most once; what is left moves down and *argc
 * shrinks (argv[*argc] becomes NULL). Every value is checked here. Returns
 * 0, or -1 with one sentence in err naming the option. */
int cli_engine_take(int *argc, char **argv, int first, struct cli_engine *e, struct hv_err *err);

/* Set jit_settings from the environment, then from e, and open e's log.
 * Returns 0, or -1 with err: a bad environment value, --engine jit where
 * this build cannot translate, a log that cannot be opened. */
int cli_engine_apply(const struct cli_engine *e, struct hv_err *err);

/* Close the log (if any). Returns 0, or -1 with err when a write to it
 * failed. */
int cli_engine_finish(struct hv_err *err);

#endif
