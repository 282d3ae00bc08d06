/* SPDX-License-Identifier: MIT */
/*
 * What trace.so's two files share: trace.c follows the guest (callbacks,
 * Linux tasks, the output file, the arguments) and trace_out.c writes the
 * timeline (JSON events, the slices open on each track, the window that
 * from=, until= and max-events= bound). Everything here is hidden inside
 * the shared object; the plugin exports only what plugin.h asks for.
 */
#ifndef PLUGINS_EXAMPLES_TRACE_IMPL_H
#define PLUGINS_EXAMPLES_TRACE_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "introspect/linux.h"
#include "introspect/walk.h"
#include "plugins/examples/example.h"

#pragma GCC visibility push(hidden)

#define TRACE_CAUSE_IRQ (1ull << 63)
#define TRACE_ECALL_U 8u
#define TRACE_ECALL_S 9u
#define TRACE_IRQ_SEXT 9u
#define TRACE_PRIV_S 1u
#define TRACE_PRIV_M 3u
#define TRACE_CSR_SSCRATCH 0x140u
#define TRACE_CSR_SATP 0x180u
#define TRACE_REG_TP 4u
#define TRACE_REG_A0 10u
#define TRACE_REG_A1 11u
#define TRACE_REG_A6 16u
#define TRACE_REG_A7 17u
#define TRACE_INSN_SRET 0x10200073u
#define TRACE_INSN_MRET 0x30200073u
/* The QEMU virt map (hv/platform/machine.h): PLIC claim/complete registers at
 * 0x0c20_0004 + 0x1000 per context; sources 1+i for virtio slot i,
 * 10 for the UART, 11 for the RTC. */
#define TRACE_PLIC_CLAIM0 0x0c200004ull
#define TRACE_PLIC_END 0x0c600000ull
#define TRACE_VIRTIO_BASE 0x10001000ull
#define TRACE_VIRTIO_SLOTS 8u
#define TRACE_MAX_HARTS 64u
#define TRACE_DEPTH 8u   /* frames of a task shown; deeper ones are counted */
#define TRACE_CTXS 4096u /* tasks whose frames are kept */
#define TRACE_PROBE 32u
#define TRACE_MAX_EVENTS 1000000ull

enum trace_kind {
	TRACE_SYSCALL,
	TRACE_EXCEPTION,
	TRACE_INTERRUPT,
	TRACE_FIRMWARE, /* an ecall from S-mode into M-mode firmware */
	TRACE_SBI,      /* an SBI call the hypervisor serves */
	TRACE_DEVICE,
};

/* A slice a task is inside: a trap not yet returned from, or a claimed
 * device interrupt. */
struct trace_frame {
	uint8_t kind;
	uint64_t code; /* syscall nr, cause, SBI extension or PLIC source */
	uint64_t v[6]; /* a0..a5; tval, epc; fid, a0..a4 */
};

/* A task (or, without vmlinux=, a hart) and its open frames. */
struct trace_ctx {
	uint64_t key; /* the task_struct; 0: free */
	int32_t pid, tgid;
	char comm[INTRO_COMM_LEN];
	bool task;      /* shown as a task slice */
	unsigned depth; /* may exceed TRACE_DEPTH: the rest are not stored */
	struct trace_frame f[TRACE_DEPTH];
};

struct trace_hart {
	struct trace_ctx *cur;
	struct trace_ctx own; /* before the task is known, or without vmlinux= */
	unsigned nopen;       /* B events open on this track */
	uint64_t last_ns;
};

/* The plugin's one state (a plugin instance per process). */
struct trace_state {
	rv_plugin *self;
	rv_machine *m;
	struct intro_linux *lx;
	struct intro_mem mem;
	uint64_t switch_to; /* __switch_to, 0 without vmlinux= */
	uint64_t from, until, max_events, events;
	uint32_t nharts;
	unsigned open_total;
	bool on, done, full, finished;
	FILE *f;
	char out[4096], tmp[4120];
	char slot[TRACE_VIRTIO_SLOTS][24];
	struct trace_hart hart[TRACE_MAX_HARTS];
	struct trace_ctx ctx[TRACE_CTXS];
	char buf[1 << 16];
};

extern struct trace_state tr;

/* Open or close hart's track: its name, then B events for the slices
 * open in its context (and E events for all of them on closing). */
void trace_open_track(uint32_t hart);
void trace_close_track(uint32_t hart);
/* Open the window once from= is reached, close it at until=. */
void trace_window(void);
/* End the window: every open slice ends now (full: max-events reached). */
void trace_stop_window(bool full);
/* A slice of one instruction (an X event). */
void trace_instant(uint32_t hart, const struct trace_frame *fr);
/* Open a frame in hart's context, or close its innermost one (ret: the
 * return value to show, or NULL). */
void trace_push(uint32_t hart, const struct trace_frame *fr);
void trace_pop(uint32_t hart, const int64_t *ret);

#pragma GCC visibility pop

#endif
