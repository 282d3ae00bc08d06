/* SPDX-License-Identifier: MIT */
/*
 * The control surface of a machine: every change a service (record and
 * replay, snapshots, the gdb stub, the command line) makes to a machine or
 * a hart goes through these calls, never through a field (ARCHITECTURE.md
 * section 2; tests/layers checks that no service writes a field). Reading
 * fields is still allowed.
 *
 * Four kinds of change:
 *  * who listens: the input funnel (record, replay), the host's observers
 *    (a debugger's round and input hooks, the pacing poll), the console
 *    sink and the host's input source. Each setter replaces what was set
 *    before; a NULL function detaches.
 *  * how a run goes on: the instruction limit, clearing a stop so that
 *    machine_run continues, a request the host makes of itself (a stop
 *    that looks like a paravirtual request, for services that stop a run
 *    at an exact point and resume it).
 *  * the answers of the paravirtual calls the host serves after the call
 *    has returned (<retrovisor/pv.h>: a0 is the SBI error, a1 the value).
 *  * state put back from a snapshot: the machine's scalar run state, a
 *    hart's whole state, the pages written since the last digest, and the
 *    debugger's breakpoints and stops (hv/cpu/debug.h).
 *
 * None of these is an input of the determinism contract by itself: a
 * service that changes what the guest sees does so through the funnel or
 * records it (hv/cpu/debug.h's writes). Every call is a plain store or a
 * copy, with the effects in the order stated, so that a service using it
 * runs exactly as one that wrote the fields did.
 */
#ifndef HV_PLATFORM_CONTROL_H
#define HV_PLATFORM_CONTROL_H

#include "hv/cpu/debug.h"
#include "hv/platform/machine.h"

/* ---- Who listens ---- */

/* The input funnel (machine.h, struct hv_funnel): *f, or none (NULL). */
void machine_set_funnel(struct machine *m, const struct hv_funnel *f);
/* Only the funnel's replaying flag (host input sources off while set). */
void machine_set_funnel_replaying(struct machine *m, bool replaying);
/* Called at the end of every round (NULL: nothing). */
void machine_set_round_hook(struct machine *m, void (*fn)(void *opaque, struct machine *m),
			    void *opaque);
/* Called for every input as it enters (NULL: nothing). */
void machine_set_input_hook(struct machine *m, void (*fn)(void *opaque, enum hv_input type),
			    void *opaque);
/* Where the guest's console output goes (NULL: stdout). */
void machine_set_console_sink(struct machine *m,
			      void (*fn)(void *opaque, const uint8_t *buf, size_t len),
			      void *opaque);
/* The host's input source (machine.h, host_poll). */
void machine_set_host_poll(struct machine *m, int (*fn)(struct machine *m, int timeout_ms),
			   void *opaque);
/* Called between the slices of a paced wait (hv/platform/pace.h). */
void machine_set_pace_poll(struct machine *m, void (*fn)(void *opaque, struct machine *m),
			   void *opaque);
/* Whether idle time follows the wall clock (hv/platform/pace.h). */
void machine_set_paced(struct machine *m, bool on);
/* Whether the host serves the paravirtual requests of <retrovisor/pv.h>. */
void machine_set_pv_host(struct machine *m, bool on);

/* ---- How a run goes on ---- */

/* Stop at exactly this many retired instructions (0: no limit). */
void machine_set_insn_limit(struct machine *m, icount_t limit);
/* Forget why the run stopped, so that machine_run goes on (the exit
 * status stays). */
void machine_clear_stop(struct machine *m);
/* Forget why the run stopped and its exit status. */
void machine_clear_outcome(struct machine *m);
/* The host's own request op (outside <retrovisor/pv.h>'s numbers): stop
 * with STOP_GUEST_REQUEST and pv_req.op = op, the other pv_req fields
 * kept. A stop already pending wins, as with machine_stop. */
void machine_post_host_request(struct machine *m, uint32_t op);
/* A plugin's request op for the snapshot named name (machine.h, pv_req and
 * pv_req_name), made by the hart running now (0 outside a hart); stops as
 * machine_post_host_request does. */
void machine_post_named_request(struct machine *m, uint32_t op, const char *name);

/* ---- Instrumentation ---- */

/* The machine's hooks (hv/hooks.h; NULL: none, nothing pays for them). */
void machine_set_hooks(struct machine *m, struct hv_hooks *hooks);
/* The hart running now, if any, leaves its block loop at the next block
 * boundary (an instrumentation change is pending); nothing else changes. */
void machine_kick(struct machine *m);

/* ---- Answers of paravirtual calls served by the host ---- */

/* a0 of a call that has returned: its SBI error (SBI_ERR_*). */
void hart_set_sbi_error(struct hart *h, long error);
/* a1 of a call that has returned: its value. */
void hart_set_sbi_value(struct hart *h, uint64_t value);

/* ---- State put back ---- */

/* The machine's scalar state outside harts, devices and memory: its clock,
 * the console's queues and lines, the drives' request counts. */
struct machine_runstate {
	uint64_t itime, rounds, time_seen;
	icount_t total_insns;
	uint8_t conin[sizeof(((struct machine *)0)->conin)];
	uint32_t conin_head, conin_len;
	bool uart_used;
	char con_line[sizeof(((struct machine *)0)->con_line)];
	uint32_t con_line_len;
	char panic_msg[sizeof(((struct machine *)0)->panic_msg)];
	uint64_t con_last_itime;
	int32_t last_run; /* hart index, or -1 */
	uint64_t blk_nreq[HV_VIRTIO_SLOTS];
	bool round_progressed;
};

void machine_runstate_save(const struct machine *m, struct machine_runstate *rs);
/* rs's values are the caller's to have checked (ranges, clocks); a
 * last_run out of range is none. Drops a pending block fault. */
void machine_runstate_load(struct machine *m, const struct machine_runstate *rs);

/*
 * The machine record: a machine_runstate as bytes on a devstate writer
 * (hv/devstate.h), as the harts (hv/cpu/hart.h) and the devices have
 * theirs. Snapshot files store it in their MACHINE section, whose version
 * (MACHINE_RECORD_VERSION) is the record's. All integers little-endian:
 *
 *   u64 itime, u64 rounds, u64 time_seen, u64 total_insns,
 *   u8 conin[4096], u32 conin_head, u32 conin_len, u8 uart_used,
 *   u8 con_line[256], u32 con_line_len, u8 panic_msg[256],
 *   u64 con_last_itime, u32 last_run (hart index or 0xffffffff),
 *   u64 blk_nreq[8], u8 round_progressed.
 *
 * machine_record_get reads one from r, untrusted: every value is checked
 * (queue positions in range, lines terminated, last_run a hart of a
 * machine with nharts harts) and -1 returned with r's error set.
 */
#define MACHINE_RECORD_VERSION 1u
void machine_record_put(struct devstate_w *w, const struct machine_runstate *rs);
int machine_record_get(struct devstate_r *r, unsigned nharts, struct machine_runstate *rs);
/* Hart i becomes a copy of saved (a hart of this or another machine of
 * the same shape): its TLB flushed, and told to leave its block loop. */
void machine_hart_load(struct machine *m, unsigned i, const struct hart *saved);
/* The pages written since the last digest (ram.dirty): one byte per page,
 * or one bit per page (bit i % 8 of byte i / 8). */
void machine_dirty_load(struct machine *m, const uint8_t *bytes);
void machine_dirty_load_bits(struct machine *m, const uint8_t *bits);
/* Page hashes to reuse (for a campaign's worker, which restores one state
 * many times): machine_page_hash(m, p) is hash[p] while page p's frame is
 * fid[p] (frame ids, m->ram.fid). Exact only while those frames stay
 * shared, so that nothing writes them in place: the caller holds a snapshot
 * taken when the hashes were, until it calls this again with NULLs. */
void machine_keep_page_hashes(struct machine *m, const uint32_t *fid, const uint64_t *hash);

/* ---- The debugger's state (hv/cpu/debug.h) ---- */

/* Harts that idle while the others run (bit i: hart i); the debug state
 * must exist (debug_get). */
void machine_debug_freeze(struct machine *m, uint32_t mask);
/* Drop every breakpoint and watchpoint (stop targets stay), if any. */
void machine_debug_drop_points(struct machine *m);
/* Breakpoints at the harts' current pcs fire again (debug_resume's skips
 * forgotten), if any. */
void machine_debug_forget_skips(struct machine *m);
/* The stop reported is dealt with: reason DBG_STOP_NONE. */
void machine_debug_clear_stop(struct machine *m);
/* A replay's own target (input_position) forgotten, if any. */
void machine_debug_clear_input_position(struct machine *m);
/* The host interrupts the run (a debugger's Ctrl-C or attach): a debug
 * stop of reason DBG_STOP_HOST on hart. False if the debug state cannot
 * be made (out of memory): nothing happened. */
bool machine_debug_stop_host(struct machine *m, unsigned hart);
/* The same stop's reason and hart, recorded for a machine that is not
 * running (its owner halts it between runs); the debug state must exist. */
void machine_debug_note_host_stop(struct machine *m, unsigned hart);
/* Breakpoints and watchpoints off for a while: *saved receives the whole
 * debug state, which must exist; machine_debug_points_back puts saved's
 * points back and flushes every hart's TLB (watchpoints live in it). */
void machine_debug_points_off(struct machine *m, struct hv_debug *saved);
void machine_debug_points_back(struct machine *m, const struct hv_debug *saved);

#endif
