/* SPDX-License-Identifier: MIT */
/*
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
#include "hv/cpu/hart.h"
#include "hv/platform/pace.h"
#include "hv/types.h"

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

struct ram {
	gpa_t base;
	uint64_t size;
	uint64_t npages;
	uint8_t **frame;  /* host page for each guest page */
	uint8_t *flags;   /* RAM_PF_* per page */
	/* Pages written since machine_dirty_digest last ran: set when a store
	 * TLB entry is filled or a slow-path store, AMO or DMA writes. */
	uint8_t *dirty;
	uint8_t *backing; /* the allocation the frames point into */
	/* Copy-on-write (ram.c): the frame id of each page in the pool. */
	uint32_t *fid;
	struct frame_pool *pool;
	/* Pages whose frame changed since the frozen array with serial
	 * sync_serial was frozen or thawed (each listed once). */
	uint32_t *touched;
	uint64_t ntouched;
	uint64_t sync_serial;
};

/* Copy-on-write RAM (ram.c). ram_freeze returns the frame ids of every
 * page, shared from now on (no page is copied); ram_thaw makes the pages
 * those frames again, touching only pages that differ, and returns how
 * many did (-1: another RAM size). A frozen array may come from another
 * machine (a fork): the machine then shares that machine's frame pool.
 * ram_release drops a frozen array; it may outlive its machine.
 * ram_cow_page gives page idx a private frame before it is written. */
struct ram_frozen;
struct machine;
int ram_cow_init(struct ram *ram);
/* Register m with its RAM's pool (which also gives m its block cache). */
int ram_pool_attach(struct machine *m);
void ram_cow_destroy(struct machine *m);
/* Every machine sharing m's pool forgets its decoded code (block.c). */
void ram_pool_forget_code(struct machine *m);
bool ram_cow_page(struct machine *m, uint64_t idx);
struct ram_frozen *ram_freeze(struct machine *m);
int64_t ram_thaw(struct machine *m, const struct ram_frozen *f);
void ram_release(struct ram_frozen *f);
uint64_t ram_frozen_pages(const struct ram_frozen *f);
/* Frame ids of a and b can be compared (same pool); else compare bytes. */
bool ram_frozen_same_pool(const struct ram_frozen *a, const struct ram_frozen *b);
/* Frame id (identity: equal ids mean equal contents) and contents of a
 * page of a frozen array. */
uint32_t ram_frozen_fid(const struct ram_frozen *f, uint64_t page);
const uint8_t *ram_frozen_page(const struct ram_frozen *f, uint64_t page);
/* Frames the machine's pool holds (shared by all its forks). */
uint64_t ram_frames_in_use(const struct ram *ram);

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
};

struct machine_config {
	uint64_t ram_size;
	unsigned nharts;
	enum hv_boot boot;
	icount_t max_insns;     /* 0: no limit */
	icount_t quantum;       /* instructions per hart per round */
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
};

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

/* Where cfg's virtio devices go, as QEMU's virt machine places them:
 * devices that name a slot take it; the others, drives in order, then the
 * network, then the entropy device, each take the highest slot still free
 * (QEMU gives a -device without bus= the first virtio-mmio bus with room,
 * and its list of buses runs from the highest address down; Linux probes
 * the device tree's highest slot first, so the first drive is vda on
 * both). place[i]
 * receives slot i's occupant. Returns 0, or -1 with one sentence in err:
 * a slot out of range, two devices in one slot, more devices than slots. */
int machine_virtio_place(const struct machine_config *cfg, int place[HV_VIRTIO_SLOTS],
			 struct hv_err *err);

/* "slot=" values: len bytes of decimal digits naming a slot from 0 to
 * HV_VIRTIO_SLOTS - 1. */
bool machine_slot_parse(const char *s, size_t len, unsigned *slot);

/* Create a machine with RAM, harts and the virt platform's devices. */
struct machine *machine_create(const struct machine_config *cfg, struct hv_err *err);
void machine_destroy(struct machine *m);

/* Run until the guest stops the machine, max_insns or deadlock. */
enum hv_stop machine_run(struct machine *m);

/* Ask the run loop to stop (guest shutdown, reboot). */
void machine_stop(struct machine *m, enum hv_stop why, int status);
/* Stop with STOP_HOST_ERROR and a sentence (printf-style) saying what the
 * host could not do; the command line reports it as an internal failure,
 * never as a guest's shutdown status. */
void machine_host_error(struct machine *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Register a device on the bus. The machine does not own dev. */
int machine_add_dev(struct machine *m, struct hv_dev *dev, struct hv_err *err);

/* Physical memory access for loaders, devices (DMA), debuggers. Returns
 * false if [pa, pa+len) is not entirely RAM. Writes invalidate decoded
 * code in the pages they touch. */
bool machine_read_phys(struct machine *m, gpa_t pa, void *buf, size_t len);
bool machine_write_phys(struct machine *m, gpa_t pa, const void *buf, size_t len);
/* Whether [pa, pa+len) lies entirely in guest RAM. */
bool machine_ram_contains(const struct machine *m, gpa_t pa, uint64_t len);

/* Host pointer to guest RAM at pa for len bytes within one page, or NULL. */
uint8_t *ram_ptr(struct ram *ram, gpa_t pa);

/* Bus access for MMIO (size 1/2/4/8). Return false if nothing is mapped
 * there (the caller raises an access fault). */
bool bus_read(struct machine *m, gpa_t pa, unsigned size, uint64_t *val);
bool bus_write(struct machine *m, gpa_t pa, unsigned size, uint64_t val);

/* A store is about to modify RAM page pa >> 12 (slow path): drops decoded
 * code there. */
void ram_note_store(struct machine *m, gpa_t pa);

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

/* Hash of the pages written since the last call (in page order, with their
 * numbers), how many there were, and forget them. Store TLB entries are
 * dropped so that the next write to any page marks it again. */
uint64_t machine_dirty_digest(struct machine *m, uint64_t *npages);

/* A hash of each page of RAM (ram.npages entries, in page order), and of
 * page p alone. */
void machine_page_hashes(const struct machine *m, uint64_t *out);
uint64_t machine_page_hash(const struct machine *m, uint64_t p);

/* Hash of every device's guest-visible state and the console input queue. */
uint64_t machine_devices_digest(const struct machine *m);

/* 64-bit digest of all guest-visible state (harts, devices and RAM), and
 * of one hart's architectural state. */
uint64_t machine_digest(struct machine *m);
uint64_t machine_hart_digest(const struct hart *h);
/* machine_digest with the pages' hashes given (machine_page_hash of each,
 * e.g. kept from an earlier state for the pages not written since; NULL:
 * computed here). */
uint64_t machine_digest_pages(struct machine *m, const uint64_t *page_hash);

#endif
