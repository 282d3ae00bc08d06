/* SPDX-License-Identifier: MIT */
/*
 * Retrovisor plugin ABI: the one header a plugin includes.
 *
 * A plugin is a shared object loaded with `--plugin FILE[,key=value...]`
 * (several may be given) on `run`, `record`, `replay` and `loop`. It
 * exports two symbols:
 *
 *   RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { 4, RV_PLUGIN_ABI_BUILD };
 *   RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info,
 *                                       int argc, const rv_plugin_arg *argv);
 *
 * rv_plugin_abi is the range of ABI versions the plugin works with: the
 * oldest whose functions it calls, and the one it was built against. The
 * host accepts the plugin if the range meets its own
 * {RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION} and refuses it otherwise with
 * a sentence naming both ranges; the version agreed is the highest both
 * support (info->abi_version). rv_plugin_init runs once per machine,
 * before the guest's first instruction; it subscribes to events and
 * returns 0, or non-zero to refuse to run (the run then stops with one line
 * naming the plugin and its message, see rv_plugin_fail).
 *
 * Building against an older version: define RV_PLUGIN_ABI_BUILD (1 to
 * RV_PLUGIN_ABI_VERSION) before including this header and it declares
 * only what that version has, with that version's struct layouts: a
 * plugin written for ABI 1 keeps building and loading unchanged
 * (plugins/README.md says how the tests build the examples both ways).
 *
 * Everything a plugin calls is a function of this header, exported by the
 * retrovisor binary (the list is plugins/retrovisor.symbols, checked by a
 * test). Build a plugin with nothing but this header:
 *
 *   cc -std=c11 -shared -fPIC -I DIR/include myplugin.c -o myplugin.so
 *
 * Types: fixed-width integers, bool, size_t and opaque handles only; no
 * host-library type crosses the ABI. Callbacks run on the machine's one
 * thread, synchronously; a callback must not block for long and must not
 * call rv_* functions from other threads. Every callback type is a
 * typedef below (rv_*_cb); ud is the pointer given when subscribing.
 *
 * Handles and lifetimes:
 *   rv_plugin *     the plugin on one machine: valid until its exit
 *                   callback returns. A plugin file given to two machines
 *                   in one process is loaded once (its globals are
 *                   shared) and initialised once per machine, each time
 *                   with its own rv_plugin and rv_machine.
 *   rv_machine *    (ABI 4) that machine as this plugin sees it
 *                   (info->machine): every query and change of ABI 4 takes
 *                   it first and reaches that machine only, from any
 *                   callback or from init. Valid as long as rv_plugin.
 *   rv_block *, rv_insn *
 *                   valid only during the block callback that gave them
 *                   (decoding time). Subscribing to an instruction there
 *                   makes the machine call the callback every time that
 *                   instruction executes, until the code is decoded again
 *                   (the callback then comes again for the new block) or
 *                   the block subscription is removed.
 *   rv_sub          (ABI 4) a subscription, for rv_unsubscribe; 0 is none.
 *   hart numbers    0 .. rv_machine_hart_count() - 1, for the whole run.
 *   pointer arguments of callbacks (arrays, strings, structs)
 *                   valid only during the callback; copy what you keep.
 *   strings returned by the host
 *                   valid until the plugin's exit callback returns, unless
 *                   said otherwise.
 *
 * Sized structs (ABI 4): every struct that crosses the ABI begins with
 * uint32_t size, the sizeof of whoever filled it. The host fills structs
 * it gives the plugin with its own size (a plugin reads only fields that
 * lie within size); a struct the plugin gives the host must carry the
 * plugin's sizeof, and the host refuses one smaller than it knows (the
 * plugin stops with one line naming both sizes: at init the plugin is
 * refused, later the run stops with status 8).
 *
 * Determinism: callbacks observe; a plugin that wants to change the guest
 * uses the change functions (register and memory writes, bit flips,
 * interrupts, block faults, requests). They enter the machine through its
 * input funnel and are recorded with their exact position, so a run
 * perturbed by a plugin replays exactly, even without the plugin. Changes
 * take effect at the current step boundary (before the instruction the
 * callback is about).
 *
 * Stability rules: within a major ABI version, functions and callback
 * types are only added, never changed or removed; sized struct layouts only
 * grow at their end; enum values keep their numbers. A plugin built
 * against version N loads in every host whose range includes N.
 *
 * Changelog:
 *   1  first version: block/instruction, memory, trap, SBI, privilege,
 *      satp, MMIO, timer, snapshot, divergence and exit events; register,
 *      memory, translation, disassembly, symbol and Linux (current task,
 *      tasks, modules, system calls) queries; register and memory writes,
 *      bit flips, interrupts, block-request faults, stop and snapshot
 *      requests.
 *   2  rv_time_ns: a hart's guest clock without the side effect of reading
 *      the time CSR (which moves the machine-wide clock the guest sees).
 *   3  rv_blk_fault: lost, torn and misdirected writes and bit rot on read
 *      for the block request an rv_on_blk_request callback is offered.
 *   4  A machine handle: info->machine, taken first by every query and
 *      change (rv_machine_*); the forms of versions 1-3 stay, as they
 *      were (their handle-less queries answer for the machine whose
 *      callback is running on the calling thread). Typedefs for every
 *      callback type. rv_plugin_arg, rv_task and rv_module begin with
 *      their size (rv_module's text range is now text_base, text_size);
 *      a plugin that agrees an older version gets the older layouts.
 *      Subscriptions return an rv_sub; rv_unsubscribe removes one, inside
 *      a callback too, and what it cost goes with it. info->domain (read
 *      it only when info->size covers it): the domain's name under up.
 *   5  rv_machine_net_request: a plugin of a domain under up sets its
 *      bridge's faults or a partition group (rv_net_request), applied
 *      between two epochs as the toolstack's request and recorded.
 */
#ifndef RETROVISOR_PLUGIN_H
#define RETROVISOR_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The versions this header describes, and (RV_PLUGIN_ABI_BUILD) the one a
 * plugin builds against. */
#define RV_PLUGIN_ABI_VERSION 5u
#define RV_PLUGIN_ABI_MIN 1u
#ifndef RV_PLUGIN_ABI_BUILD
#define RV_PLUGIN_ABI_BUILD RV_PLUGIN_ABI_VERSION
#endif
#if RV_PLUGIN_ABI_BUILD < 1 || RV_PLUGIN_ABI_BUILD > 5
#error "RV_PLUGIN_ABI_BUILD must be 1 to RV_PLUGIN_ABI_VERSION"
#endif

#define RV_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef struct rv_plugin rv_plugin;
typedef struct rv_machine rv_machine;
typedef struct rv_block rv_block;
typedef struct rv_insn rv_insn;
/* A subscription (ABI 4): unique within the plugin on its machine, never
 * reused; 0 when subscribing failed (bad arguments, or more than 64
 * subscriptions of one kind at once). */
typedef uint64_t rv_sub;

/* One argument of the plugin's spec, key=value. The host passes an array
 * of argc of them, laid out as the version agreed defines this struct;
 * the strings are valid until the plugin's exit callback returns. */
typedef struct rv_plugin_arg {
#if RV_PLUGIN_ABI_BUILD >= 4
	uint32_t size; /* sizeof(rv_plugin_arg) of the host */
	uint32_t reserved;
#endif
	const char *key;
	const char *value; /* "" for a bare key */
} rv_plugin_arg;

/* What rv_plugin_init is told; valid only during rv_plugin_init (the
 * strings it points to as long as the plugin). */
typedef struct rv_plugin_info {
	uint32_t size;        /* sizeof(rv_plugin_info) of the host */
	uint32_t abi_version; /* the version agreed for this plugin */
	uint32_t nharts;
	uint64_t ram_base, ram_size;
	bool replaying;      /* the run replays a log */
	bool recording;      /* the run is recorded */
	const char *vmlinux; /* the plugin's vmlinux=FILE argument, or NULL */
#if RV_PLUGIN_ABI_BUILD >= 4
	rv_machine *machine; /* (ABI 4) the machine, for every query and change */
	/* (ABI 4, when size reaches it) the domain's name under `retrovisor
	 * up` (docs/domains.md), NULL for a machine alone; valid for the
	 * plugin's life. A plugin loaded into several domains gets one init
	 * per domain, each with its own machine. */
	const char *domain;
#endif
} rv_plugin_info;

/* ---- Callback types ----
 * Each returns nothing unless said; its pointer arguments are valid only
 * during the call. */

/* The run ended (after the last instruction); status is its exit status. */
typedef void (*rv_exit_cb)(void *ud, int status);
/* A block of guest code was decoded; b and its instructions only now. */
typedef void (*rv_block_cb)(void *ud, rv_block *b);
/* A subscribed instruction at pc is about to execute on hart. */
typedef void (*rv_insn_exec_cb)(void *ud, uint32_t hart, uint64_t pc);
/* A load, store or atomic touched the range; value is what was read or
 * written (zero-extended; both for an atomic's write). */
typedef void (*rv_mem_cb)(void *ud, uint32_t hart, uint64_t vaddr, uint64_t paddr, uint32_t size,
			  bool write, uint64_t value);
/* A trap was taken: cause (bit 63 for interrupts, as mcause), tval, epc,
 * and the privilege level it was taken to. */
typedef void (*rv_trap_cb)(void *ud, uint32_t hart, uint64_t cause, uint64_t tval, uint64_t epc,
			   uint32_t to_priv);
/* An SBI call: extension, function, and a0..a5 in args (6 values). */
typedef void (*rv_sbi_cb)(void *ud, uint32_t hart, uint64_t ext, uint64_t fid,
			  const uint64_t args[6]);
/* The privilege level changed: 0 U, 1 S, 3 M. */
typedef void (*rv_priv_cb)(void *ud, uint32_t hart, uint32_t from, uint32_t to);
/* satp was written; its new value. */
typedef void (*rv_satp_cb)(void *ud, uint32_t hart, uint64_t satp);
/* A device register access; device is its name ("uart", "virtio-blk"). */
typedef void (*rv_mmio_cb)(void *ud, uint32_t hart, uint64_t paddr, uint32_t size, bool write,
			   uint64_t value, const char *device);
/* A timer interrupt became pending for hart. */
typedef void (*rv_timer_cb)(void *ud, uint32_t hart);
/* A snapshot was taken (restored false) or restored; name may be "". */
typedef void (*rv_snapshot_cb)(void *ud, const char *name, bool restored);
/* A replay no longer matches its log, at about this instruction count. */
typedef void (*rv_divergence_cb)(void *ud, uint64_t icount);
/* A block-device request is offered: return true to fail it (an I/O
 * error), false to let it be served (or faulted by rv_machine_blk_fault). */
typedef bool (*rv_blk_request_cb)(void *ud, uint32_t device, uint64_t nth, bool write,
				  uint64_t sector, uint32_t count);

/* ---- Plugin lifetime ---- */

/* Leave one sentence saying why the plugin refuses or stops (with a
 * non-zero return from rv_plugin_init, or before a stop request); message
 * is copied (up to 255 bytes). */
void rv_plugin_fail(rv_plugin *self, const char *message);
/* Called once when the run ends (after the last instruction): flush files
 * here. */
rv_sub rv_on_exit(rv_plugin *self, rv_exit_cb cb, void *ud);

#if RV_PLUGIN_ABI_BUILD >= 4
/* (ABI 4) Remove a subscription of this plugin, also from inside any
 * callback (the one running finishes; the removed callback is not called
 * again, not even later in the same event). Removing a block subscription
 * removes the instruction subscriptions its callbacks made, and the
 * decoded code is dropped so that no instruction pays for them; removing
 * a memory subscription returns its pages to the fast path. 0, or -1 if
 * sub is not a live subscription of self. */
int rv_unsubscribe(rv_plugin *self, rv_sub sub);
#endif

/* Every subscription below returns its rv_sub (ABI 4; a plugin that
 * agrees an older version must ignore the return value). */

/* ---- Code: blocks and instructions ---- */

/* Instruction classes (a bit set; the instruction table's classes). */
enum rv_insn_class {
	RV_INSN_LOAD = 1u << 0,
	RV_INSN_STORE = 1u << 1,
	RV_INSN_BRANCH = 1u << 2, /* conditional branches */
	RV_INSN_JUMP = 1u << 3,   /* jal, jalr */
	RV_INSN_SYSTEM = 1u << 4, /* ecall, ebreak, xRET, wfi, sfence, csr */
	RV_INSN_ATOMIC = 1u << 5,
	RV_INSN_FLOAT = 1u << 6,
};

/* A block of guest code was decoded (once per decoding of that code: a
 * block is decoded again after the code changes, and blocks cut short, e.g.
 * at a breakpoint, are decoded each time). */
rv_sub rv_on_block(rv_plugin *self, rv_block_cb cb, void *ud);
/* The block's instructions (0 for NULL), and its first one's addresses. */
uint32_t rv_block_insns(const rv_block *b);
uint64_t rv_block_vaddr(const rv_block *b);
uint64_t rv_block_paddr(const rv_block *b);
/* Its instruction i, or NULL past the end; valid as the block. */
rv_insn *rv_block_insn(rv_block *b, uint32_t i);
uint64_t rv_insn_vaddr(const rv_insn *in);
uint64_t rv_insn_paddr(const rv_insn *in);
uint32_t rv_insn_raw(const rv_insn *in);
uint32_t rv_insn_size(const rv_insn *in);  /* 2 or 4 */
uint32_t rv_insn_class(const rv_insn *in); /* enum rv_insn_class bits */
/* "addi"; a string that lives as long as the process. */
const char *rv_insn_mnemonic(const rv_insn *in);
/* Disassembly ("addi a0,a0,1") into buf (cap bytes, NUL-terminated);
 * returns the length without the NUL. */
size_t rv_insn_disas(const rv_insn *in, char *buf, size_t cap);
/* Only inside a block callback: call cb every time this instruction is
 * about to execute. Only subscribed instructions pay for a callback. The
 * subscription belongs to the block subscription whose callback is
 * running (its rv_sub is returned; rv_unsubscribe of it removes them all);
 * 0 outside a block callback or past 8 callbacks on one instruction. */
rv_sub rv_insn_on_exec(rv_plugin *self, rv_insn *in, rv_insn_exec_cb cb, void *ud);

/* ---- Events ---- */

enum rv_mem_flags {
	RV_MEM_READ = 1u << 0,
	RV_MEM_WRITE = 1u << 1,
	RV_MEM_PHYSICAL = 1u << 2, /* the range is physical, not virtual */
};
/* Loads, stores and atomics of the guest's harts that touch [lo, hi)
 * (virtual addresses, or physical with RV_MEM_PHYSICAL), after the access.
 * Only pages holding the range leave the machine's fast path. */
rv_sub rv_on_mem(rv_plugin *self, uint64_t lo, uint64_t hi, uint32_t flags, rv_mem_cb cb, void *ud);
/* A trap is taken (exception or interrupt), before the handler's first
 * instruction. */
rv_sub rv_on_trap(rv_plugin *self, rv_trap_cb cb, void *ud);
/* An SBI call (paravirtual boot: the hypervisor is the SBI), before it is
 * served. */
rv_sub rv_on_sbi(rv_plugin *self, rv_sbi_cb cb, void *ud);
/* The privilege level changes (traps, xRET). */
rv_sub rv_on_priv(rv_plugin *self, rv_priv_cb cb, void *ud);
/* satp is written (a new address space), after the write. */
rv_sub rv_on_satp(rv_plugin *self, rv_satp_cb cb, void *ud);
/* A device register is read or written (MMIO), after the access. */
rv_sub rv_on_mmio(rv_plugin *self, rv_mmio_cb cb, void *ud);
/* A timer interrupt becomes pending for a hart (SBI timer or CLINT). */
rv_sub rv_on_timer(rv_plugin *self, rv_timer_cb cb, void *ud);
/* A snapshot is taken or restored ("" for unnamed ones: the reset loop). */
rv_sub rv_on_snapshot(rv_plugin *self, rv_snapshot_cb cb, void *ud);
/* A replay no longer matches its log. */
rv_sub rv_on_divergence(rv_plugin *self, rv_divergence_cb cb, void *ud);
/* A block-device request is about to be served (sector and count in
 * 512-byte sectors). */
rv_sub rv_on_blk_request(rv_plugin *self, rv_blk_request_cb cb, void *ud);

/* ---- Linux awareness types ---- */

typedef struct rv_task {
#if RV_PLUGIN_ABI_BUILD >= 4
	uint32_t size; /* sizeof(rv_task) of whoever filled it */
	uint32_t reserved;
#endif
	uint64_t addr; /* the task_struct */
	int32_t pid, tgid;
	char comm[16];
} rv_task;

typedef struct rv_module {
#if RV_PLUGIN_ABI_BUILD >= 4
	uint32_t size; /* sizeof(rv_module) of the host */
	uint32_t reserved;
	uint64_t addr;                 /* the struct module */
	uint64_t text_base, text_size; /* its core (text) range, 0 if unknown */
#else
	uint64_t addr;
	uint64_t base, size;
#endif
	char name[64];
} rv_module;

/* Walk callbacks: return 0 to go on, anything else to stop the walk with
 * that value. */
typedef int (*rv_task_cb)(void *ud, const rv_task *t);
typedef int (*rv_module_cb)(void *ud, const rv_module *m);

/* Registers by GDB's riscv numbering: x0..x31 0..31, pc 32, f0..f31
 * 33..64, CSR n 65 + n (as M-mode reads it), privilege 65 + 4096. */
#define RV_REG_PC 32u
#define RV_REG_F0 33u
#define RV_REG_CSR(n) (65u + (uint32_t)(n))
#define RV_REG_PRIV (65u + 4096u)

/* Block faults (ABI 3) that rv_machine_blk_fault asks for. */
enum rv_blk_fault {
	RV_BLK_FAIL = 1,      /* an I/O error (as returning true) */
	RV_BLK_LOST = 2,      /* a write reports success and writes nothing */
	RV_BLK_TORN = 3,      /* a write reports success; only its first arg
			       * sectors (arg < count) reach the disk */
	RV_BLK_MISDIRECT = 4, /* a write reports success and lands at sector arg */
	RV_BLK_ROT = 5,       /* a read succeeds with bit arg of its data flipped
			       * (bit arg % 8 of byte arg / 8) */
};

#if RV_PLUGIN_ABI_BUILD >= 4
/* ---- Queries (ABI 4): the machine m, from any callback or init ----
 * None changes anything the guest can see. A NULL m answers as for no
 * machine (0, -1, NULL). */

uint32_t rv_machine_hart_count(rv_machine *m);
/* 0 with *value, or -1 (no such register or hart). */
int rv_machine_reg_read(rv_machine *m, uint32_t hart, uint32_t reg, uint64_t *value);
/* Retired instructions of one hart (0 for no such hart), and of the
 * machine. */
uint64_t rv_machine_icount(rv_machine *m, uint32_t hart);
uint64_t rv_machine_total_icount(rv_machine *m);
/* The hart's guest clock in nanoseconds at instruction resolution: its
 * retired instructions plus the idle time the machine skipped while it
 * waited, at 10 ns an instruction (guest time is derived from instructions,
 * hv/platform/machine.h). mtime as the hart reads it is this / 100 (10 MHz
 * timebase), or a little more: what harts read is kept monotonic across
 * harts. Unlike reading the time CSR through rv_machine_reg_read, it
 * changes nothing the guest can see. 0 for no such hart. */
uint64_t rv_machine_time_ns(rv_machine *m, uint32_t hart);
/* Guest memory through a hart's current translation (no side effects),
 * or physical. Return the bytes read into buf (short at the first
 * inaccessible byte). */
size_t rv_machine_mem_read_virt(rv_machine *m, uint32_t hart, uint64_t vaddr, void *buf,
				size_t len);
size_t rv_machine_mem_read_phys(rv_machine *m, uint64_t paddr, void *buf, size_t len);
/* 0 and *paddr, or -1 if vaddr is not mapped for reading in the hart's
 * current address space (a debugger's view: user and kernel pages
 * alike, whatever the hart's privilege). */
int rv_machine_translate(rv_machine *m, uint32_t hart, uint64_t vaddr, uint64_t *paddr);
/* The nearest symbol at or below vaddr in the plugin's vmlinux= ELF file;
 * NULL if none (or no file). *offset (if offset is not NULL) is vaddr
 * minus the symbol. */
const char *rv_machine_symbol(rv_machine *m, uint64_t vaddr, uint64_t *offset);
/* 0 and *vaddr, the address of symbol name; or -1. */
int rv_machine_symbol_addr(rv_machine *m, const char *name, uint64_t *vaddr);

/* Linux awareness (needs the plugin's vmlinux=FILE, with DWARF), derived
 * from the kernel's DWARF (introspect/), no per-kernel offsets: the
 * current task of a hart (riscv Linux keeps `current` in tp in the kernel
 * and in sscratch in user mode), the task list, loaded modules. */

/* task->size must be the plugin's sizeof(rv_task) (see "Sized structs").
 * 0 with *task filled, or -1 (no vmlinux, M-mode, not readable, or a
 * size the host refuses). */
int rv_machine_linux_current(rv_machine *m, uint32_t hart, rv_task *task);
/* Call cb for every process (thread-group leader), init_task first, or
 * for every loaded module. 0, the value cb stopped with, or -1. */
int rv_machine_linux_tasks(rv_machine *m, uint32_t hart, rv_task_cb cb, void *ud);
int rv_machine_linux_modules(rv_machine *m, uint32_t hart, rv_module_cb cb, void *ud);

/* ---- Changes (ABI 4; recorded inputs) of the machine m ----
 * Each returns 0, or -1 with nothing recorded (no such hart or register,
 * an address outside guest RAM, a length over 4096, a bit out of range).
 * In a replay they do nothing and return 0: the log has them. */

int rv_machine_reg_write(rv_machine *m, uint32_t hart, uint32_t reg, uint64_t value);
int rv_machine_mem_write_phys(rv_machine *m, uint64_t paddr, const void *buf, size_t len);
int rv_machine_mem_write_virt(rv_machine *m, uint32_t hart, uint64_t vaddr, const void *buf,
			      size_t len);
/* Flip bit `bit` (0..63) of a register, or bit `bit` (0..7) of the byte
 * of guest memory at physical address paddr. */
int rv_machine_flip_reg(rv_machine *m, uint32_t hart, uint32_t reg, uint32_t bit);
int rv_machine_flip_mem_phys(rv_machine *m, uint64_t paddr, uint32_t bit);
/* Only inside an rv_on_blk_request callback: what the device does with
 * the request it offers instead of serving it (enum rv_blk_fault). -1 if
 * the fault does not fit the request (a write fault for a read, an
 * argument out of range). Recorded like the other changes: the replay
 * does the same without the plugin. */
int rv_machine_blk_fault(rv_machine *m, uint32_t kind, uint64_t arg);
/* Raise (level true) or clear a software-visible interrupt-pending bit
 * of a hart (mip bit irq: 1 SSIP, 5 STIP, 9 SEIP). */
int rv_machine_irq_set(rv_machine *m, uint32_t hart, uint32_t irq, bool level);
/* Stop the run at the current step (exit status 8, with the plugin's
 * rv_plugin_fail message if it left one). */
void rv_machine_request_stop(rv_machine *m);
/* Take or restore a named in-memory snapshot at the next step boundary
 * (the reset loop and gdb use the same snapshot tree); nothing while
 * recording or replaying. name is copied. */
void rv_machine_request_snapshot(rv_machine *m, const char *name);
void rv_machine_request_restore(rv_machine *m, const char *name);
#endif

#if RV_PLUGIN_ABI_BUILD >= 5
/* ---- The network of a domain (ABI 5) ----
 * Under `retrovisor up` (docs/domains.md, "Network faults"), a plugin of
 * a domain whose vif joins a bridge may change that bridge as the
 * toolstack's partition and faults requests do. */

enum rv_net_what {
	RV_NET_PARTITION = 1, /* put a domain's port in a partition group */
	RV_NET_FAULTS = 2,    /* set the bridge's fault rates, all of them */
};

typedef struct rv_net_request {
	uint32_t size; /* the plugin's sizeof(rv_net_request) */
	uint32_t what; /* enum rv_net_what */
	/* RV_NET_PARTITION: the domain whose port moves (a name, on the same
	 * bridge), NULL for the plugin's own; its group, 0 (everyone: heals)
	 * to 1000. Ports in different groups cannot reach each other. */
	const char *domain;
	uint32_t group;
	/* RV_NET_FAULTS: parts per million of frames (0 to 1000000) dropped,
	 * duplicated, reordered (one epoch late), and delayed by delay_epochs
	 * (0 to 1000000) more epochs. */
	uint32_t drop_ppm, duplicate_ppm, reorder_ppm, delay_ppm, delay_epochs;
} rv_net_request;

/* Queue req (copied) for the end of the epoch this callback runs in: at
 * the barrier, the requests of every domain's plugins are applied in
 * domain order, each as the toolstack's request (the same checks) and
 * recorded in the system log as one, so a replay applies them without the
 * plugin. Returns 0 when queued (a partition naming a domain that is not
 * on the bridge is then dropped, as the toolstack refuses it); -1 with
 * nothing queued when m is not a domain on a bridge, req is NULL, a
 * value is out of range, what or the domain's name is unknown or
 * malformed, or more than 16 requests were queued in this epoch; a
 * req->size smaller than the host's stops the plugin (see "Sized
 * structs"). In a replay it does nothing and returns 0: the log has the
 * requests. */
int rv_machine_net_request(rv_machine *m, const rv_net_request *req);
#endif

/* ---- System call names (no machine: riscv64 Linux's table) ---- */

/* "execve" for 221, a string that lives as long as the process; NULL if
 * nr is no riscv64 system call. */
const char *rv_syscall_name(uint64_t nr);
/* Its number of arguments (0..6; 6 if unknown). */
uint32_t rv_syscall_nargs(uint64_t nr);

/* ---- The forms of versions 1 to 3 ----
 * Kept for plugins built against them, with their behaviour: the queries
 * without a handle answer for the machine whose plugin callback is
 * running on the calling thread (0 or -1 outside one); the others reach
 * the plugin's machine through self. Return values as their rv_machine_
 * forms above. */

uint32_t rv_hart_count(void);
int rv_reg_read(uint32_t hart, uint32_t reg, uint64_t *value);
uint64_t rv_icount(uint32_t hart);
uint64_t rv_total_icount(void);
#if RV_PLUGIN_ABI_BUILD >= 2
uint64_t rv_time_ns(uint32_t hart); /* (ABI 2) */
#endif
size_t rv_mem_read_virt(uint32_t hart, uint64_t vaddr, void *buf, size_t len);
size_t rv_mem_read_phys(uint64_t paddr, void *buf, size_t len);
int rv_translate(uint32_t hart, uint64_t vaddr, uint64_t *paddr);
const char *rv_symbol(rv_plugin *self, uint64_t vaddr, uint64_t *offset);
int rv_symbol_addr(rv_plugin *self, const char *name, uint64_t *vaddr);
int rv_linux_current(rv_plugin *self, uint32_t hart, rv_task *task);
int rv_linux_tasks(rv_plugin *self, uint32_t hart, rv_task_cb cb, void *ud);
int rv_linux_modules(rv_plugin *self, uint32_t hart, rv_module_cb cb, void *ud);
int rv_reg_write(rv_plugin *self, uint32_t hart, uint32_t reg, uint64_t value);
int rv_mem_write_phys(rv_plugin *self, uint64_t paddr, const void *buf, size_t len);
int rv_mem_write_virt(rv_plugin *self, uint32_t hart, uint64_t vaddr, const void *buf, size_t len);
int rv_flip_reg(rv_plugin *self, uint32_t hart, uint32_t reg, uint32_t bit);
int rv_flip_mem_phys(rv_plugin *self, uint64_t paddr, uint32_t bit);
#if RV_PLUGIN_ABI_BUILD >= 3
int rv_blk_fault(rv_plugin *self, uint32_t kind, uint64_t arg); /* (ABI 3) */
#endif
int rv_irq_set(rv_plugin *self, uint32_t hart, uint32_t irq, bool level);
void rv_request_stop(rv_plugin *self);
void rv_request_snapshot(rv_plugin *self, const char *name);
void rv_request_restore(rv_plugin *self, const char *name);

#ifdef __cplusplus
}
#endif

#endif
