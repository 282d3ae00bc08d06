/* SPDX-License-Identifier: MIT */
/*
 * The state of a machine and of its harts: the layout every part of the
 * hypervisor core reads (ARCHITECTURE.md section 2). Behaviour lives in
 * the layers: hv/mem (RAM, the bus), hv/cpu (harts executing), hv/dev
 * (devices), hv/platform (wiring, the scheduler, SBI); this header and
 * hv/machine.c (stopping a run, the input funnel) are what they share.
 * Services read this state; they change it only through the functions
 * of the layers and hv/platform/control.h.
 *
 * The machine: harts, guest RAM, the device bus, the platform (QEMU virt
 * memory map) and the scheduler that interleaves harts deterministically.
 *
 * Memory map (same as QEMU's `virt`, so one image runs on both):
 *
 *   0x0010_0000  syscon test device (poweroff/reboot)   0x1000
 *   0x0010_1000  goldfish RTC                            0x1000
 *   0x0200_0000  CLINT                                   0x10000
 *   0x0c00_0000  PLIC                                    0x600000
 *   0x1000_0000  NS16550A UART (PLIC source 10)          0x100
 *   0x1000_1000  virtio-mmio slot i at +i*0x1000 (PLIC source 1+i), 8 slots
 *   0x8000_0000  RAM
 *
 * Time (determinism contract): guest time is derived from retired
 * instructions only. One mtime tick (10 MHz timebase) is HV_INSNS_PER_TICK
 * instructions, so the guest sees a 100 MHz-instruction machine whatever
 * the host speed. Idle time (all harts in WFI) is skipped: the clock jumps
 * to the next timer deadline (paced runs first wait for the host's wall
 * clock to reach it, hv/platform/pace.h, which changes nothing the guest sees).
 */
#ifndef HV_MACHINE_H
#define HV_MACHINE_H

#include "hv/dev.h"
#include "hv/devstate.h"
#include "hv/types.h"

/* ---- Harts ---- */

struct machine;
struct block;

enum hv_priv { PRIV_U = 0, PRIV_S = 1, PRIV_M = 3 };

/* Trap causes (privileged spec, table "mcause values"). */
enum hv_cause {
	CAUSE_MISALIGNED_FETCH = 0,
	CAUSE_FETCH_ACCESS = 1,
	CAUSE_ILLEGAL_INSN = 2,
	CAUSE_BREAKPOINT = 3,
	CAUSE_MISALIGNED_LOAD = 4,
	CAUSE_LOAD_ACCESS = 5,
	CAUSE_MISALIGNED_STORE = 6,
	CAUSE_STORE_ACCESS = 7,
	CAUSE_ECALL_U = 8,
	CAUSE_ECALL_S = 9,
	CAUSE_ECALL_M = 11,
	CAUSE_FETCH_PAGE_FAULT = 12,
	CAUSE_LOAD_PAGE_FAULT = 13,
	CAUSE_STORE_PAGE_FAULT = 15,
};
#define CAUSE_INTERRUPT (1ull << 63)

/* Interrupt numbers and mip/mie bits. */
enum { IRQ_SSI = 1, IRQ_MSI = 3, IRQ_STI = 5, IRQ_MTI = 7, IRQ_SEI = 9, IRQ_MEI = 11 };
#define MIP_SSIP (1ull << IRQ_SSI)
#define MIP_MSIP (1ull << IRQ_MSI)
#define MIP_STIP (1ull << IRQ_STI)
#define MIP_MTIP (1ull << IRQ_MTI)
#define MIP_SEIP (1ull << IRQ_SEI)
#define MIP_MEIP (1ull << IRQ_MEI)

/* mstatus fields. */
#define MSTATUS_SIE (1ull << 1)
#define MSTATUS_MIE (1ull << 3)
#define MSTATUS_SPIE (1ull << 5)
#define MSTATUS_UBE (1ull << 6)
#define MSTATUS_MPIE (1ull << 7)
#define MSTATUS_SPP (1ull << 8)
#define MSTATUS_MPP (3ull << 11)
#define MSTATUS_FS (3ull << 13)
#define MSTATUS_XS (3ull << 15)
#define MSTATUS_MPRV (1ull << 17)
#define MSTATUS_SUM (1ull << 18)
#define MSTATUS_MXR (1ull << 19)
#define MSTATUS_TVM (1ull << 20)
#define MSTATUS_TW (1ull << 21)
#define MSTATUS_TSR (1ull << 22)
#define MSTATUS_UXL (3ull << 32)
#define MSTATUS_SXL (3ull << 34)
#define MSTATUS_SD (1ull << 63)
#define MSTATUS_FS_SHIFT 13

/* Software TLB: one direct-mapped array per access kind. An entry maps a
 * guest virtual page to host memory: host = va + addend. tag is the
 * virtual page number, or TLB_INVALID. Only RAM pages that may be
 * accessed directly for that kind are entered (a store entry never maps a
 * page that holds decoded code). */
enum hv_access { ACC_LOAD = 0, ACC_STORE = 1, ACC_FETCH = 2 };
#define TLB_BITS 8
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_INVALID (~0ull)
struct tlb_entry {
	uint64_t tag;     /* page-aligned guest virtual address */
	uintptr_t addend; /* host address - guest virtual address */
	gpa_t pa;         /* guest physical address of the page */
	/* To 32 bytes: translated code finds entry i at i << 5, which it
	 * takes from the address with a mask and one shift (hv/cpu/jit.c). */
	uint64_t unused;
};

#define JCACHE_BITS 12
#define JCACHE_SIZE (1u << JCACHE_BITS)
#define JC_PAGES 256 /* page epochs of the jump cache, by virtual page number */
#define HART_SUPERPAGES 8

/* SBI HSM hart states (SBI spec, HSM extension). */
enum hv_hsm {
	HSM_STARTED = 0,
	HSM_STOPPED = 1,
	HSM_START_PENDING = 2,
	HSM_STOP_PENDING = 3,
	HSM_SUSPENDED = 4,
};

/* An entry of a hart's jump cache (exec.c, hart.h). */
struct block;
struct jcache_entry {
	uint64_t vpc;
	struct block *block;
	uint32_t tag;  /* jc_epoch << 2 | the privilege mode */
	uint32_t pgen; /* jc_page[] of its page when it was made */
};

/* What decides a hart's next instruction besides memory, devices and
 * time: its registers and CSR fields (spin.c compares two of them). */
struct hart_arch {
	uint64_t x[32], f[32], pc, priv;
	uint64_t fcsr;
	uint64_t csr[24];
	uint64_t pmpcfg[8], pmpaddr[64];
	uint64_t resv_addr, resv_valid, mip_ext, mtimecmp, stimecmp, hsm, wfi;
};

/* Spin detection (spin.c): the hart's last traps, and the proof under way
 * that it returns to one state forever. */
#define SPIN_RING 4
struct hart_spin {
	struct {
		uint64_t cause, epc, tval;
		icount_t icount;
	} ring[SPIN_RING];
	unsigned ring_next;
	bool watching;               /* since trap `at`: stores leave the TLB (spin.c) */
	bool ready;                  /* a period is proved: exec_run skips it */
	uint64_t slice, watch_slice; /* exec_run entries: a proof holds in one */
	icount_t watch_icount, quiet_until;
	uint64_t watch_traps;
	uint64_t effects; /* what a period must not do, counted since `at` */
	icount_t period;
	uint64_t period_traps;
	uint64_t skipped; /* instructions skipped, over the hart's life */
	struct hart_arch at;
};

struct hart {
	uint64_t x[33]; /* x[32] absorbs writes to x0 (see exec.c) */
	uint64_t f[32];
	uint64_t pc;
	icount_t icount; /* instructions retired: minstret and the clock */
	unsigned priv;
	unsigned id;
	struct machine *m;

	/* Floating point CSR fields. */
	uint32_t fflags, frm;

	/* Machine-level CSRs. */
	uint64_t mstatus, misa, medeleg, mideleg, mie, mip;
	uint64_t mtvec, mscratch, mepc, mcause, mtval;
	uint64_t mcounteren, mcountinhibit, menvcfg;
	uint64_t mcycle_offset, minstret_offset; /* guest writes to counters */
	/* PMP registers: kept for firmware that probes them, not enforced. */
	uint64_t pmpcfg[8], pmpaddr[64];
	/* Supervisor-level CSRs (sstatus/sie/sip are views of the above). */
	uint64_t stvec, sscratch, sepc, scause, stval, satp, scounteren, senvcfg;

	/* LR/SC reservation: the guest physical address of the reserved
	 * word, cleared on xRET and when another hart runs. (A physical, not
	 * a host, address: a snapshot taken between LR and SC moves the page
	 * to a new frame at the SC's copy-on-write, which must not make the SC
	 * fail.) rmw_pa is the physical address of the last LR/SC/AMO. */
	gpa_t resv_addr;
	bool resv_valid;
	gpa_t rmw_pa;

	/* Hardware-driven part of mip.SEIP (the PLIC's line); the readable
	 * SEIP is this OR the software-writable bit in mip. */
	uint64_t mip_ext;

	/* Traps taken (exceptions and interrupts): with icount, the hart's
	 * step events for debuggers (hv/cpu/debug.h). */
	uint64_t traps;
	/* A plugin's instruction callback left the block before its
	 * instruction: do not call it again when the block is re-entered
	 * at the same pc and count (exec.c). */
	bool plugin_skip;
	uint64_t plugin_skip_pc;
	icount_t plugin_skip_icount;

	/* Exception raised by a memory slow path, taken by the executor. */
	uint64_t exc_cause, exc_tval;

	/* Timers. mtimecmp is the CLINT's; stimecmp is what the SBI TIME
	 * extension programmed in paravirtual mode. Both in mtime ticks. */
	uint64_t mtimecmp, stimecmp;
	/* Local time in instruction units = icount + itime_offset (idle time
	 * is added to the offset). icount at which the next timer fires. */
	uint64_t itime_offset;
	icount_t timer_deadline;

	/* Scheduling. */
	bool wfi; /* stalled in WFI until an interrupt is pending */
	/* Stalled because the trap vector itself traps: the hart can make no
	 * progress until an interrupt that it will take arrives. */
	bool trap_loop;
	uint64_t trap_loop_round; /* the round in which trap_loop was set */
	enum hv_hsm hsm;
	uint64_t hsm_start_addr, hsm_opaque;
	bool exit_req; /* leave the block loop at the next boundary */

	struct tlb_entry tlb[3][TLB_SIZE];
	/* Virtual pc -> block, for the privilege mode it was fetched in (S
	 * and U share translations but not permissions). */
	struct jcache_entry jcache[JCACHE_SIZE];
	/* Emptying the jump cache advances the epoch (hart_clear_jcache):
	 * entries of other epochs do not match. An SFENCE.VMA of one page
	 * advances only the epoch of that page's slot (hart_flush_page). */
	uint32_t jc_epoch;
	uint32_t jc_page[JC_PAGES];
	/* Superpages whose translations the TLB or the jump cache may hold
	 * (a fence of any page in one must drop them all): base addresses and
	 * sizes as shifts; nsuper > HART_SUPERPAGES: too many to say. */
	uint64_t super_base[HART_SUPERPAGES];
	uint8_t super_shift[HART_SUPERPAGES];
	unsigned nsuper;

	/* Trap loops proved endless are skipped to the slice's end
	 * (hv/cpu/spin.h). */
	struct hart_spin spin;
};

/* ---- The machine ---- */

#define HV_TIMEBASE_HZ 10000000ull
#define HV_INSNS_PER_TICK 10ull
/* Machine time (instruction units) never reaches this, about 1,460 years:
 * the idle skip does not jump to a deadline at or past it (waiting for one
 * is a deadlock), so no sum of a clock and a quantum or a deadline wraps. */
#define HV_ITIME_MAX (1ull << 62)

#define HV_RAM_BASE 0x80000000ull
#define HV_SYSCON_BASE 0x00100000ull
#define HV_RTC_BASE 0x00101000ull
#define HV_CLINT_BASE 0x02000000ull
#define HV_CLINT_SIZE 0x10000ull
#define HV_PLIC_BASE 0x0c000000ull
#define HV_PLIC_SIZE 0x600000ull
#define HV_UART_BASE 0x10000000ull
#define HV_UART_IRQ 10
#define HV_VIRTIO_BASE 0x10001000ull
#define HV_VIRTIO_STRIDE 0x1000ull
#define HV_VIRTIO_SLOTS 8
#define HV_VIRTIO_IRQ0 1
#define HV_RTC_IRQ 11

#define HV_MAX_HARTS 32
#define HV_MAX_DEVS 32

/* Page flags (struct ram.flags). A page with any flag set is never entered
 * in a store TLB entry, so stores reach ram_note_store first. */
#define RAM_PF_CODE 0x01u   /* decoded blocks exist for this page */
#define RAM_PF_SHARED 0x02u /* the frame is shared with a snapshot (ram.c) */

struct frame_pool;
struct mem_code_ops;

struct ram {
	gpa_t base;
	uint64_t size;
	uint64_t npages;
	uint8_t **frame; /* host page for each guest page */
	uint8_t *flags;  /* RAM_PF_* per page */
	/* Pages written since machine_dirty_digest last ran: set when a store
	 * TLB entry is filled or a slow-path store, AMO or DMA writes. */
	uint8_t *dirty;
	uint8_t *backing; /* the allocation the frames point into */
	/* Copy-on-write (ram.c): the frame id of each page in the pool. */
	uint32_t *fid;
	struct frame_pool *pool;
	/* The code cache's side of the pool (hv/mem/mem.h, given by hv/cpu). */
	const struct mem_code_ops *code;
	/* Pages whose frame changed since the frozen array with serial
	 * sync_serial was frozen or thawed (each listed once). */
	uint32_t *touched;
	uint64_t ntouched;
	uint64_t sync_serial;
	/* Page hashes known already (machine_keep_page_hashes): page p's is
	 * kept_hash[p] while its frame is kept_fid[p]. NULL: none. */
	const uint32_t *kept_fid;
	const uint64_t *kept_hash;
	/* How pages are hashed for digests (MACHINE_DIGEST_V1 or _V2): a
	 * replay of a log or a restore of a save made before version 2
	 * compares digests made the old way. */
	unsigned digest_version;
};

struct pace {
	bool on;
	bool anchored;
	uint64_t wall_ns; /* CLOCK_MONOTONIC of the reference pair */
	uint64_t itime;   /* machine time (instruction units) of the pair */
	/* Called between slices of a wait; may stop the machine (a debugger's
	 * interrupt), which ends the wait: time then moves on as unpaced. */
	void (*poll)(void *opaque, struct machine *m);
	void *poll_opaque;
};

enum hv_boot { BOOT_PV, BOOT_BIOS, BOOT_BARE };

/* A virtio-blk drive: a raw image, written through (snapshot false) or
 * behind a copy-on-write overlay (true, the default of --drive), in
 * virtio-mmio slot `slot` if has_slot (else where machine_virtio_place
 * puts it). Slot i is at HV_VIRTIO_BASE + i * HV_VIRTIO_STRIDE, QEMU's
 * virtio-mmio-bus.i. */
struct machine_drive {
	const char *file;
	bool snapshot;
	bool has_slot;
	unsigned slot;
};

/* What each slot holds (machine_virtio_place): a drive's index (>= 0) or
 * one of these. */
#define MACHINE_SLOT_EMPTY (-1)
#define MACHINE_SLOT_NET (-2)
#define MACHINE_SLOT_RNG (-3)

/* Why a run ended. */
enum hv_stop {
	STOP_NONE = 0,
	STOP_SHUTDOWN,      /* guest powered off (exit_status) */
	STOP_REBOOT,        /* guest asked for a reset */
	STOP_MAX_INSNS,     /* --max-instructions reached */
	STOP_DEADLOCK,      /* every hart waits for an interrupt that cannot come */
	STOP_PANIC,         /* the guest kernel reported a panic on its console */
	STOP_WATCHDOG,      /* no console output for cfg.watchdog_ticks of guest time */
	STOP_DIVERGED,      /* a replay no longer matches its log */
	STOP_LOG_END,       /* a replay reached the end of an interrupted log */
	STOP_GUEST_REQUEST, /* a paravirtual request for the host (retrovisor/pv.h, pv_req) */
	STOP_DEBUG,         /* a debugger's breakpoint, watchpoint or target (hv/cpu/debug.h) */
	STOP_PLUGIN,        /* a plugin asked to stop (plugins/host.c) */
	STOP_HOST_ERROR,    /* the host failed (out of memory, a log that cannot be
			     * written): never a guest result; host_error says what */
	STOP_EPOCH,         /* the machine's time reached epoch_end (a domain among
			     * others, hv/platform/domain.h): it goes on after the barrier */
};

struct machine_config {
	uint64_t ram_size;
	unsigned nharts;
	enum hv_boot boot;
	icount_t max_insns; /* 0: no limit */
	icount_t quantum;   /* instructions per hart per round */
	const char *bootargs;
	/* Stop when the console shows a Linux panic ("Kernel panic - not
	 * syncing"), once its end marker or the next line is printed. */
	bool stop_on_panic;
	/* Stop when the guest prints nothing for this long (mtime ticks of
	 * guest time); 0: never. */
	uint64_t watchdog_ticks;
	/* The run replays a log: devices that would talk to the host (the
	 * network) are created without their host side. */
	bool replaying;
	/* Test builds only (RETROVISOR_TEST_HOOKS): when the machine's count
	 * of retired instructions reaches this, flip a bit in the last page of
	 * RAM, a deliberately injected nondeterminism (a stray host write)
	 * for testing divergence detection. 0: never. */
	icount_t perturb_at;
	/* Wall clock at power-on, in ns since 1970: an input (section 1),
	 * seen by the guest only through the RTC. */
	uint64_t rtc_boot_ns;
	/* virtio devices (machine_virtio_place says where they go): drives,
	 * the network, then the entropy device if rng is set; the seed is an
	 * input (section 1). */
	/* Network (NULL or mode NET_NONE: none; its slot in net->slot), see
	 * net_slirp.h. */
	const struct net_opts *net;
	const struct machine_drive *drives;
	unsigned ndrives;
	bool rng;
	uint64_t rng_seed;
	/* How digests hash pages: 0 or MACHINE_DIGEST_V2 (the current way),
	 * MACHINE_DIGEST_V1 (that of logs and saves older than 2026-12; a
	 * replay of one asks for it). */
	unsigned digest_version;
};

/* Digest versions (machine_config.digest_version). Version 1 chained
 * every word of a page through one hash; version 2 runs four independent
 * lanes, about four times faster, which keeps a recording's digests
 * cheap. Everything else in a digest is the same in both. */
#define MACHINE_DIGEST_V1 1u
#define MACHINE_DIGEST_V2 2u
#define MACHINE_DIGEST_CURRENT MACHINE_DIGEST_V2

/* Inputs (ARCHITECTURE.md section 1). Every input enters the machine
 * between scheduler rounds, through these calls; the numbers are the
 * record log's event types (replay/log.h). */
enum hv_input {
	HV_IN_CONSOLE = 2, /* console bytes (machine_console_input) */
	HV_IN_NET = 3,     /* a frame from the host network (virtio_net_input) */
	HV_IN_IDLE = 4,    /* an idle period ended early by host input */
	HV_IN_STOP = 5,    /* the host stopped the run (machine_host_stop) */
	/* A debugger's write to a register or memory (gdbstub/session.c),
	 * applied at an exact position (hv/cpu/debug.h); 6 and 7 are the log's
	 * digest and end records. */
	HV_IN_DEBUG = 8,
};

/* Where record and replay attach: the input funnel. */
struct hv_funnel {
	void *opaque;
	/* Every input, as it enters (recording). */
	void (*input)(void *opaque, struct machine *m, enum hv_input type, const uint8_t *data,
		      size_t len);
	/* At every round boundary, before anything else happens there:
	 * replay injects the inputs logged for this round; both record and
	 * replay take periodic digests. */
	void (*boundary)(void *opaque, struct machine *m);
	/* Replay only: every guest waits; did the recorded run's idle period
	 * end early by host input at this round (else time advances)? */
	bool (*idle_ends_early)(void *opaque, struct machine *m);
	/* Replay: host input sources (stdin, the network) are not used. */
	bool replaying;
};

struct uart;
struct plic;
struct clint;
struct syscon;
struct net_opts;
struct virtio_net;
struct rtc;
struct virtio_dev;
struct disk;
struct hv_debug;
struct hv_hooks;

struct machine {
	struct machine_config cfg;
	/* The platform's answer to an ECALL from S-mode under paravirtual boot
	 * (hv/platform/sbi.c): how the CPU layer reaches the SBI without
	 * depending on the platform. */
	void (*ecall)(struct hart *h);
	struct hart *hart[HV_MAX_HARTS];
	unsigned nharts;
	struct ram ram;

	struct hv_dev *dev[HV_MAX_DEVS];
	unsigned ndev;
	struct uart *uart;
	struct hv_dev *uart_dev;
	bool uart_used; /* the guest has touched the UART */
	struct plic *plic;
	struct clint *clint;
	struct syscon *syscon;
	struct rtc *rtc;
	struct virtio_net *net; /* also in virtio[], which owns it */
	struct virtio_dev *virtio[HV_VIRTIO_SLOTS];
	struct disk *disk[HV_VIRTIO_SLOTS]; /* drive i's image (cfg.drives order) */

	/* Device tree blob, placed in RAM at dtb_addr by the loader. */
	void *fdt;
	size_t fdt_size;
	gpa_t dtb_addr;

	/* Time: the largest mtime any hart has observed (keeps time monotonic
	 * across harts whose local clocks differ by up to one quantum). */
	uint64_t time_seen;
	/* Machine time in instruction units at the current round's start. */
	uint64_t itime;
	/* Round boundaries passed since power-on: inputs are stamped with it. */
	uint64_t rounds;
	/* Some hart retired an instruction in the current round (kept in the
	 * machine, not in machine_run, so that a run stopped and continued
	 * mid-round decides idleness as an uninterrupted one). */
	bool round_progressed;
	/* Times machine_dirty_digest ran (a debugger replays the recorder's
	 * digests when it re-executes recorded rounds). */
	uint64_t dirty_epoch;
	struct hv_funnel funnel;
	/* Machine time (instruction units) at which the run stops with
	 * STOP_EPOCH, at the first round boundary at or past it; idle time
	 * is skipped no further than it. 0: no epochs (a machine alone). */
	uint64_t epoch_end;
	/* The last idle skip stopped at epoch_end short of the next event:
	 * the next run goes on skipping before it runs a round, so that the
	 * wake-up comes at the event itself, as in an uncut run. */
	bool epoch_idle;
	/* With epoch_end: the total_insns at which the domain has spent its
	 * epoch's budget; at the first round boundary at or past it the
	 * machine is descheduled, its clock moved to epoch_end (~0: none). */
	icount_t epoch_budget_end;

	/* Run state. */
	enum hv_stop stop;
	int exit_status;
	icount_t total_insns;
	struct hart *cur; /* hart being executed */
	struct hart *last_run;

	/* Console input waiting for the guest (a ring). */
	uint8_t conin[4096];
	unsigned conin_head, conin_len;
	/* Host input source, called at round boundaries and when every hart
	 * waits: hands what the host has to machine_console_input, waiting up
	 * to timeout_ms for it (0: not at all, -1: without limit) and for
	 * frames of the network's host side. Returns 1 when input came
	 * (console bytes handed over, or frames queued for the next round), 0
	 * when none did, -1 once none can ever come. */
	int (*host_poll)(struct machine *m, int timeout_ms);
	void *host_opaque;
	/* Realtime pacing of idle time (hv/platform/pace.h): the host's choice, never
	 * part of the machine's state. */
	struct pace pace;

	/* Block cache (block.c): its frame pool's, shared with its forks. */
	struct block_cache *blocks;

	/* Console line being printed (for panic detection), the first panic
	 * line seen, and the machine time of the last console output. */
	char con_line[256];
	unsigned con_line_len;
	char panic_msg[256];
	/* Why the host could not go on (STOP_HOST_ERROR), a sentence; empty
	 * when the service that failed reports it itself. */
	char host_error[256];
	uint64_t con_last_itime;

	/* Instrumentation (hv/hooks.h), NULL without plugins. */
	struct hv_hooks *hooks;
	/* A plugin's fault for the nth request of block device dev (hooks.h):
	 * for the device to honour, set from a recorded input in a replay.
	 * mode is enum hv_blk_fault, arg its parameter. */
	bool blk_fault_set;
	unsigned blk_fault_dev;
	uint64_t blk_fault_nth;
	uint32_t blk_fault_mode;
	uint64_t blk_fault_arg;
	/* Requests each drive has served (plugins count them; snapshots
	 * keep them). */
	uint64_t blk_nreq[HV_VIRTIO_SLOTS];

	/* Debugger state (hv/cpu/debug.h), NULL until a debugger sets something. */
	struct hv_debug *dbg;
	/* Host-side observers (a debugger): called at the end of every
	 * round, and for every input as it enters. Never change the guest. */
	void (*round_hook)(void *opaque, struct machine *m);
	void *round_opaque;
	void (*input_hook)(void *opaque, enum hv_input type);
	void *input_opaque;

	/* Paravirtual requests (<retrovisor/pv.h>): served only if the host says so;
	 * the last one made, for the host to act on. */
	bool pv_host;
	struct {
		uint32_t op;
		uint64_t arg0, arg1;
		unsigned hart;
	} pv_req;
	char pv_req_name[64]; /* a plugin's snapshot request names it here */

	/* Every device's record at power-on, for a reset (hv/platform/reset.h), and
	 * the resets done so far. */
	struct devstate_w poweron[HV_MAX_DEVS];
	unsigned npoweron;
	uint64_t resets;

	/* Console output sink (stdout by default). */
	void (*console_out)(void *opaque, const uint8_t *buf, size_t len);
	void *console_opaque;
};

/* "slot=" values: len bytes of decimal digits naming a slot from 0 to
 * HV_VIRTIO_SLOTS - 1. */
bool machine_slot_parse(const char *s, size_t len, unsigned *slot);

/* Ask the run loop to stop (guest shutdown, reboot). */
void machine_stop(struct machine *m, enum hv_stop why, int status);
/* Stop with STOP_HOST_ERROR and a sentence (printf-style) saying what the
 * host could not do; the command line reports it as an internal failure,
 * never as a guest's shutdown status. */
void machine_host_error(struct machine *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The console and the input funnel (hv/console.c). */
/* Write console output. */
void machine_console_write(struct machine *m, const uint8_t *buf, size_t len);

/* Console input from the host: queued, then handed to the UART or the SBI
 * console at the next round boundary. */
void machine_console_input(struct machine *m, const uint8_t *buf, size_t len);
/* Next queued console input byte, or -1. */
int machine_console_getc(struct machine *m);

/* Record an input that entered from the host (the funnel's input hook). */
void machine_input_note(struct machine *m, enum hv_input type, const void *data, size_t len);
/* The host ends the run (Ctrl-A x): recorded, then the machine stops. */
void machine_host_stop(struct machine *m);

#endif
