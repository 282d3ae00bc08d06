/* SPDX-License-Identifier: MIT */
/*
 * Retrovisor plugin ABI: the one header a plugin includes.
 *
 * A plugin is a shared object loaded with `--plugin FILE[,key=value...]`
 * (several may be given) on `run`, `record`, `replay` and `loop`. It
 * exports two symbols:
 *
 *   RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] =
 *           { RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION };
 *   RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info,
 *                                       int argc, const rv_plugin_arg *argv);
 *
 * rv_plugin_abi is the range of ABI versions the plugin works with (the
 * oldest, and the one it was built against). The host accepts the plugin
 * if the range meets its own {RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION} and
 * refuses it otherwise with a sentence naming both ranges. rv_plugin_init
 * runs once, before the guest's first instruction; it subscribes to events
 * and returns 0, or non-zero to refuse to run (the run then stops with
 * one line naming the plugin and its message, see rv_plugin_fail).
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
 * call rv_* functions from other threads.
 *
 * Handles and lifetimes:
 *   rv_plugin *     the plugin itself: valid until its exit callback returns.
 *   rv_block *, rv_insn *
 *                   valid only during the block callback that gave them
 *                   (decoding time). Subscribing to an instruction there
 *                   makes the machine call the callback every time that
 *                   instruction executes, until the code is decoded again
 *                   (the callback then comes again for the new block).
 *   hart numbers    0 .. rv_hart_count() - 1, for the whole run.
 *   strings         returned const char * are valid until the next call of
 *                   the same function, unless said otherwise.
 *
 * Determinism: callbacks observe; a plugin that wants to change the guest
 * uses the rv_*_write, rv_flip_*, rv_irq_*, rv_request_* functions. They
 * enter the machine through its input funnel and are recorded with their
 * exact position, so a run perturbed by a plugin replays exactly, even
 * without the plugin. Changes take effect at the current step boundary
 * (before the instruction the callback is about).
 *
 * Stability rules: within a major ABI version, functions and callback
 * types are only added, never changed or removed; struct layouts here only
 * grow at their end and carry their size; enum values keep their numbers.
 * A plugin built against version N loads in every host whose range
 * includes N.
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
 */
#ifndef RETROVISOR_PLUGIN_H
#define RETROVISOR_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RV_PLUGIN_ABI_VERSION 3u
#define RV_PLUGIN_ABI_MIN 1u

#define RV_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef struct rv_plugin rv_plugin;
typedef struct rv_block rv_block;
typedef struct rv_insn rv_insn;

typedef struct rv_plugin_arg {
	const char *key;
	const char *value; /* "" for a bare key */
} rv_plugin_arg;

typedef struct rv_plugin_info {
	uint32_t size;        /* sizeof(rv_plugin_info) of the host */
	uint32_t abi_version; /* the version agreed for this plugin */
	uint32_t nharts;
	uint64_t ram_base, ram_size;
	bool replaying;       /* the run replays a log */
	bool recording;       /* the run is recorded */
	const char *vmlinux;  /* the plugin's vmlinux=FILE argument, or NULL */
} rv_plugin_info;

/* ---- Plugin lifetime ---- */

/* Leave one sentence saying why the plugin refuses or stops (with a
 * non-zero return from rv_plugin_init, or before rv_request_stop). */
void rv_plugin_fail(rv_plugin *self, const char *message);
/* Called once when the run ends (after the last instruction): flush files
 * here. status is the run's exit status. */
void rv_on_exit(rv_plugin *self, void (*cb)(void *ud, int status), void *ud);

/* ---- Code: blocks and instructions ---- */

/* Instruction classes (a bit set; the instruction table's classes). */
enum rv_insn_class {
	RV_INSN_LOAD = 1u << 0,
	RV_INSN_STORE = 1u << 1,
	RV_INSN_BRANCH = 1u << 2,  /* conditional branches */
	RV_INSN_JUMP = 1u << 3,    /* jal, jalr */
	RV_INSN_SYSTEM = 1u << 4,  /* ecall, ebreak, xRET, wfi, sfence, csr */
	RV_INSN_ATOMIC = 1u << 5,
	RV_INSN_FLOAT = 1u << 6,
};

/* A block of guest code was decoded (once per decoding of that code: a
 * block is decoded again after the code changes, and blocks cut short, e.g.
 * at a breakpoint, are decoded each time). */
void rv_on_block(rv_plugin *self, void (*cb)(void *ud, rv_block *b), void *ud);
uint32_t rv_block_insns(const rv_block *b);
uint64_t rv_block_vaddr(const rv_block *b); /* virtual pc of its first instruction */
uint64_t rv_block_paddr(const rv_block *b);
rv_insn *rv_block_insn(rv_block *b, uint32_t i);
uint64_t rv_insn_vaddr(const rv_insn *in);
uint64_t rv_insn_paddr(const rv_insn *in);
uint32_t rv_insn_raw(const rv_insn *in);
uint32_t rv_insn_size(const rv_insn *in); /* 2 or 4 */
uint32_t rv_insn_class(const rv_insn *in); /* enum rv_insn_class bits */
const char *rv_insn_mnemonic(const rv_insn *in);
/* Disassembly ("addi a0,a0,1") into buf; returns the length. */
size_t rv_insn_disas(const rv_insn *in, char *buf, size_t cap);
/* Call cb every time this instruction is about to execute, with the hart
 * and its pc. Only subscribed instructions pay for a callback. */
void rv_insn_on_exec(rv_plugin *self, rv_insn *in,
		     void (*cb)(void *ud, uint32_t hart, uint64_t pc), void *ud);

/* ---- Events ---- */

enum rv_mem_flags {
	RV_MEM_READ = 1u << 0,
	RV_MEM_WRITE = 1u << 1,
	RV_MEM_PHYSICAL = 1u << 2, /* the range is physical, not virtual */
};
/* Loads, stores and atomics of the guest's harts that touch [lo, hi)
 * (virtual addresses, or physical with RV_MEM_PHYSICAL), after the access;
 * value is what was read or written (zero-extended; both for an atomic's
 * write). Only pages holding the range leave the machine's fast path. */
void rv_on_mem(rv_plugin *self, uint64_t lo, uint64_t hi, uint32_t flags,
	       void (*cb)(void *ud, uint32_t hart, uint64_t vaddr, uint64_t paddr,
			  uint32_t size, bool write, uint64_t value),
	       void *ud);

/* A trap is taken (exception or interrupt: cause has bit 63 for
 * interrupts, as mcause), before the handler's first instruction. */
void rv_on_trap(rv_plugin *self,
		void (*cb)(void *ud, uint32_t hart, uint64_t cause, uint64_t tval, uint64_t epc,
			   uint32_t to_priv),
		void *ud);
/* An SBI call (paravirtual boot: the hypervisor is the SBI), before it is
 * served: extension, function and arguments a0..a5. */
void rv_on_sbi(rv_plugin *self,
	       void (*cb)(void *ud, uint32_t hart, uint64_t ext, uint64_t fid,
			  const uint64_t args[6]),
	       void *ud);
/* The privilege level changes (traps, xRET): 0 U, 1 S, 3 M. */
void rv_on_priv(rv_plugin *self, void (*cb)(void *ud, uint32_t hart, uint32_t from, uint32_t to),
		void *ud);
/* satp is written (a new address space), after the write. */
void rv_on_satp(rv_plugin *self, void (*cb)(void *ud, uint32_t hart, uint64_t satp), void *ud);
/* A device register is read or written (MMIO), after the access. */
void rv_on_mmio(rv_plugin *self,
		void (*cb)(void *ud, uint32_t hart, uint64_t paddr, uint32_t size, bool write,
			   uint64_t value, const char *device),
		void *ud);
/* A timer interrupt becomes pending for a hart (SBI timer or CLINT). */
void rv_on_timer(rv_plugin *self, void (*cb)(void *ud, uint32_t hart), void *ud);
/* A snapshot is taken (restored false) or restored (true); name may be
 * "" for unnamed ones (the reset loop). */
void rv_on_snapshot(rv_plugin *self, void (*cb)(void *ud, const char *name, bool restored),
		    void *ud);
/* A replay no longer matches its log, at about this instruction count. */
void rv_on_divergence(rv_plugin *self, void (*cb)(void *ud, uint64_t icount), void *ud);
/* A block-device request is about to be served: return true to fail it
 * (the guest sees an I/O error), or call rv_blk_fault for another fault.
 * sector and count in 512-byte sectors. */
void rv_on_blk_request(rv_plugin *self,
		       bool (*cb)(void *ud, uint32_t device, uint64_t nth, bool write,
				  uint64_t sector, uint32_t count),
		       void *ud);

/* ---- Queries ---- */

uint32_t rv_hart_count(void);
/* Registers by GDB's riscv numbering: x0..x31 0..31, pc 32, f0..f31
 * 33..64, CSR n 65 + n (as M-mode reads it), privilege 65 + 4096. */
#define RV_REG_PC 32u
#define RV_REG_F0 33u
#define RV_REG_CSR(n) (65u + (uint32_t)(n))
#define RV_REG_PRIV (65u + 4096u)
/* 0, or -1 (no such register or hart). */
int rv_reg_read(uint32_t hart, uint32_t reg, uint64_t *value);
/* Retired instructions: of one hart, and of the machine. */
uint64_t rv_icount(uint32_t hart);
uint64_t rv_total_icount(void);
/* (ABI 2) The hart's guest clock in nanoseconds at instruction resolution:
 * its retired instructions plus the idle time the machine skipped while it
 * waited, at 10 ns an instruction (guest time is derived from instructions,
 * hv/platform/machine.h). mtime as the hart reads it is this / 100 (10 MHz
 * timebase), or a little more: what harts read is kept monotonic across
 * harts. Unlike reading the time CSR through rv_reg_read, it changes
 * nothing the guest can see. 0 for no such hart. */
uint64_t rv_time_ns(uint32_t hart);
/* Guest memory through a hart's current translation (no side effects),
 * or physical. Return the bytes read (short at the first inaccessible
 * byte). */
size_t rv_mem_read_virt(uint32_t hart, uint64_t vaddr, void *buf, size_t len);
size_t rv_mem_read_phys(uint64_t paddr, void *buf, size_t len);
/* 0 and *paddr, or -1 if vaddr is not mapped for reading in the hart's
 * current address space (a debugger's view: user and kernel pages
 * alike, whatever the hart's privilege). */
int rv_translate(uint32_t hart, uint64_t vaddr, uint64_t *paddr);
/* The nearest symbol at or below vaddr in the plugin's vmlinux= ELF file;
 * NULL if none (or no file). *offset is vaddr minus the symbol. */
const char *rv_symbol(rv_plugin *self, uint64_t vaddr, uint64_t *offset);
/* The address of symbol name, 0 and *vaddr, or -1. */
int rv_symbol_addr(rv_plugin *self, const char *name, uint64_t *vaddr);

/* ---- Linux awareness (needs the plugin's vmlinux=FILE, with DWARF) ----
 * Derived from the kernel's DWARF (introspect/), no per-kernel offsets:
 * the current task of a hart (riscv Linux keeps `current` in tp in the
 * kernel and in sscratch in user mode), the task list, loaded modules,
 * and riscv64 system call names. */

typedef struct rv_task {
	uint64_t addr; /* the task_struct */
	int32_t pid, tgid;
	char comm[16];
} rv_task;

typedef struct rv_module {
	uint64_t addr; /* the struct module */
	uint64_t base, size; /* its core (text) range, 0 if unknown */
	char name[64];
} rv_module;

/* 0 with *task filled, or -1 (no vmlinux, M-mode, or not readable). */
int rv_linux_current(rv_plugin *self, uint32_t hart, rv_task *task);
/* Call cb for every process (thread-group leader), init_task first; cb
 * returns 0 to go on. 0, the value cb stopped with, or -1. */
int rv_linux_tasks(rv_plugin *self, uint32_t hart, int (*cb)(void *ud, const rv_task *t),
		   void *ud);
int rv_linux_modules(rv_plugin *self, uint32_t hart, int (*cb)(void *ud, const rv_module *m),
		     void *ud);
/* "execve" for 221; NULL if nr is no riscv64 system call. */
const char *rv_syscall_name(uint64_t nr);
/* Its number of arguments (0..6; 6 if unknown). */
uint32_t rv_syscall_nargs(uint64_t nr);

/* ---- Changes (recorded inputs) ---- */

int rv_reg_write(rv_plugin *self, uint32_t hart, uint32_t reg, uint64_t value);
int rv_mem_write_phys(rv_plugin *self, uint64_t paddr, const void *buf, size_t len);
int rv_mem_write_virt(rv_plugin *self, uint32_t hart, uint64_t vaddr, const void *buf,
		      size_t len);
/* Flip bit `bit` (0..63) of a register, or bit `bit` (0..7) of the byte
 * of guest memory at physical address paddr. */
int rv_flip_reg(rv_plugin *self, uint32_t hart, uint32_t reg, uint32_t bit);
int rv_flip_mem_phys(rv_plugin *self, uint64_t paddr, uint32_t bit);
/* (ABI 3) Only inside an rv_on_blk_request callback: what the device
 * does with the request it offers instead of serving it. 0, or -1 if the
 * fault does not fit the request (a write fault for a read, an argument
 * out of range). Recorded like the other changes: the replay does the
 * same without the plugin. */
enum rv_blk_fault {
	RV_BLK_FAIL = 1,      /* an I/O error (as returning true) */
	RV_BLK_LOST = 2,      /* a write reports success and writes nothing */
	RV_BLK_TORN = 3,      /* a write reports success; only its first arg
			       * sectors (arg < count) reach the disk */
	RV_BLK_MISDIRECT = 4, /* a write reports success and lands at sector arg */
	RV_BLK_ROT = 5,       /* a read succeeds with bit arg of its data flipped
			       * (bit arg % 8 of byte arg / 8) */
};
int rv_blk_fault(rv_plugin *self, uint32_t kind, uint64_t arg);
/* Raise (level true) or clear a software-visible interrupt-pending bit
 * of a hart (mip bit irq: 1 SSIP, 5 STIP, 9 SEIP...). */
int rv_irq_set(rv_plugin *self, uint32_t hart, uint32_t irq, bool level);
/* Stop the run at the current step (exit status 8, with the plugin's
 * rv_plugin_fail message if it left one). */
void rv_request_stop(rv_plugin *self);
/* Take or restore a named in-memory snapshot at the next step boundary
 * (the reset loop and gdb use the same snapshot tree). */
void rv_request_snapshot(rv_plugin *self, const char *name);
void rv_request_restore(rv_plugin *self, const char *name);

#ifdef __cplusplus
}
#endif

#endif
