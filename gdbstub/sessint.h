/* SPDX-License-Identifier: MIT */
/*
 * Inside a gdb session (session.h), shared by its four files:
 * session.c (open, the run loop, close), backend.c (the gdb_backend_ops:
 * registers, memory, break- and watchpoints), reverse.c (checkpoints, the
 * recorder's view while history is re-executed, reverse step and
 * continue) and monitor.c (`monitor` commands). Not for other modules.
 */
#ifndef GDBSTUB_SESSINT_H
#define GDBSTUB_SESSINT_H

#include "gdbstub/gdbstub.h"
#include "gdbstub/session.h"
#include "hv/platform/machine.h"

struct checkpoint {
	uint64_t position;
	uint64_t *events; /* per hart */
	struct snap *snap;
};

struct gdbsess {
	struct gdb_server *srv;
	struct machine *m;
	struct replayer *rp;
	bool halted;
	bool phys;
	bool ended;      /* the machine stopped for good (gdb was told) */
	bool owner_runs; /* gdbsess_opts.owner_runs: no checkpoints */
	struct gdb_stop stop;
	struct snap_tree *tree;
	struct checkpoint *ck;
	unsigned nck;
	uint64_t next_ck;
	unsigned poll_rounds;
	bool input_seen; /* an input from the host since the last round */
	int pending;     /* why the round hook stopped the machine: GS_* */
	/* Recording: the funnel as the recorder set it up. After going back
	 * in time, rounds below the frontier were recorded already: the
	 * recorder sees none of them again and host input waits until the
	 * machine is back at the frontier. */
	bool recording;
	struct hv_funnel rec;
	uint64_t frontier;
	/* Rounds at whose boundary the recorder took a digest (which clears
	 * the pages-written set): re-execution does the same there. */
	uint64_t *digest_rounds;
	size_t ndigest, capdigest;
	/* Console output already shown reaches up to this position; output
	 * of re-executed history is not shown twice. */
	uint64_t out_frontier;
	void (*console_out)(void *opaque, const uint8_t *buf, size_t len);
	void *console_opaque;
};

enum { GS_NONE, GS_INTERRUPT, GS_ATTACH };

/* backend.c: the ops given to the protocol server; a hart's line for
 * qThreadExtraInfo (also `monitor info harts`). */
extern const struct gdb_backend_ops gs_ops;
void gs_extra(void *opaque, unsigned hart, char *buf, size_t cap);

/* reverse.c: checkpoints, the machine's hooks while gdb is attached (the
 * recorder's funnel, host input, console output, round ends), reverse
 * step and continue. */
void ck_free(struct checkpoint *c);
void ck_drop_all(struct gdbsess *gs);
void ck_take(struct gdbsess *gs);
void gs_input(void *opaque, enum hv_input type);
void gs_rec_input(void *opaque, struct machine *m, enum hv_input type, const uint8_t *data,
		  size_t len);
void gs_rec_boundary(void *opaque, struct machine *m);
void gs_console(void *opaque, const uint8_t *buf, size_t len);
void gs_rec_rewound(struct gdbsess *gs);
void gs_round(void *opaque, struct machine *m);
/* Does gdb interrupt or attach? Then stop the machine for it (every 64
 * rounds, and between slices of a paced wait, hv/platform/pace.h). */
void gs_poll(void *opaque, struct machine *m);
/* What gdb wants of a running machine: GS_INTERRUPT, GS_ATTACH or GS_NONE. */
int gs_wants(struct gdbsess *gs);
void gs_reverse_step(struct gdbsess *gs, unsigned hart);
void gs_reverse_continue(struct gdbsess *gs);

/* monitor.c */
int gs_monitor(void *opaque, unsigned hart, const char *cmd, gdb_monitor_out_fn out, void *ctx);

#endif
