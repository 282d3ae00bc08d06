/* SPDX-License-Identifier: MIT */
/*
 * Runtime for the bare-metal ISA test guests: console output on the
 * NS16550A UART, power-off through the "sifive,test" syscon, the trap
 * framework and switching to S- or U-mode. A guest is one C file with
 * `int main(void)` plus this runtime; see README.md.
 *
 * What a guest prints is its signature: deterministic lines
 * `<guest> <name> <value>` that the differential harness compares between
 * QEMU and Retrovisor byte for byte. rt_check() additionally compares a
 * value against the one the ISA manual prescribes, so each guest fails on
 * its own (syscon fail code) even without an oracle.
 *
 * The runtime trusts nothing about the machine beyond the QEMU `virt`
 * memory map; an unexpected trap prints its cause and fails the guest.
 */
#ifndef TESTS_GUESTS_RT_H
#define TESTS_GUESTS_RT_H

typedef unsigned long u64;
typedef long s64;
typedef unsigned int u32;
typedef int s32;
typedef unsigned short u16;
typedef unsigned char u8;

#ifndef RT_GUEST_NAME
#error "RT_GUEST_NAME must name the guest (riscv_guest defines = [...])"
#endif

/* QEMU virt memory map (hw/riscv/virt.c); Retrovisor uses the same. */
#define RT_UART_BASE 0x10000000UL
#define RT_SYSCON_BASE 0x00100000UL
#define RT_CLINT_BASE 0x02000000UL
#define RT_CLINT_MSIP (RT_CLINT_BASE + 0x0)
#define RT_CLINT_MTIMECMP (RT_CLINT_BASE + 0x4000)
#define RT_CLINT_MTIME (RT_CLINT_BASE + 0xbff8)
#define RT_PLIC_BASE 0x0c000000UL

/* Privilege modes as encoded in mstatus.MPP. */
#define RT_MODE_U 0
#define RT_MODE_S 1
#define RT_MODE_M 3

/* mstatus / sstatus fields (privileged spec, "Machine Status Register"). */
#define MSTATUS_SIE (1UL << 1)
#define MSTATUS_MIE (1UL << 3)
#define MSTATUS_SPIE (1UL << 5)
#define MSTATUS_MPIE (1UL << 7)
#define MSTATUS_SPP (1UL << 8)
#define MSTATUS_MPP (3UL << 11)
#define MSTATUS_FS (3UL << 13)
#define MSTATUS_MPRV (1UL << 17)
#define MSTATUS_SUM (1UL << 18)
#define MSTATUS_MXR (1UL << 19)
#define MSTATUS_TVM (1UL << 20)
#define MSTATUS_TW (1UL << 21)
#define MSTATUS_TSR (1UL << 22)

/* Exception causes (privileged spec, table "mcause values"). */
#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS 1
#define CAUSE_ILLEGAL 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS 7
#define CAUSE_ECALL_U 8
#define CAUSE_ECALL_S 9
#define CAUSE_ECALL_M 11
#define CAUSE_FETCH_PAGE 12
#define CAUSE_LOAD_PAGE 13
#define CAUSE_STORE_PAGE 15
#define CAUSE_INTERRUPT (1UL << 63)

/* Interrupt numbers (mip/mie bit positions). */
#define IRQ_SSI 1
#define IRQ_MSI 3
#define IRQ_STI 5
#define IRQ_MTI 7
#define IRQ_SEI 9
#define IRQ_MEI 11

#define csr_read(csr)                                                     \
	({                                                                \
		u64 __v;                                                  \
		__asm__ volatile("csrr %0, " #csr : "=r"(__v)::"memory"); \
		__v;                                                      \
	})
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" ::"rK"((u64)(val)) : "memory")
#define csr_set(csr, val) __asm__ volatile("csrs " #csr ", %0" ::"rK"((u64)(val)) : "memory")
#define csr_clear(csr, val) __asm__ volatile("csrc " #csr ", %0" ::"rK"((u64)(val)) : "memory")
#define csr_swap(csr, val)                                \
	({                                                \
		u64 __v;                                  \
		__asm__ volatile("csrrw %0, " #csr ", %1" \
				 : "=r"(__v)              \
				 : "rK"((u64)(val))       \
				 : "memory");             \
		__v;                                      \
	})

/*
 * One register-register or register-immediate instruction with the given
 * mnemonic, e.g. RR("addw", a, b), so tests name the exact instruction
 * instead of trusting the compiler to pick it.
 */
#define RR(op, a, b)                                                             \
	({                                                                       \
		u64 __r;                                                         \
		__asm__ volatile(op " %0, %1, %2" : "=r"(__r) : "r"(a), "r"(b)); \
		__r;                                                             \
	})
#define RI(op, a, imm)                                                             \
	({                                                                         \
		u64 __r;                                                           \
		__asm__ volatile(op " %0, %1, %2" : "=r"(__r) : "r"(a), "i"(imm)); \
		__r;                                                               \
	})

/* Registers saved by the trap entry, indexed by register number. */
struct trap_frame {
	u64 x[32];
};

/*
 * The last exception or interrupt taken (M- or S-level). `count` grows by
 * one per trap so a test can tell "no trap" from "trap with cause 0".
 */
struct trap_record {
	u64 count;
	u64 cause;
	u64 tval;
	u64 epc;
	u64 prev_mode; /* mode the trap came from (MPP/SPP after the trap) */
	u64 level;     /* RT_MODE_M or RT_MODE_S: who handled it */
};
extern volatile struct trap_record rt_trap;

/*
 * Exceptions are expected only while armed (rt_trap_arm()); the handler
 * records them and resumes at `rt_trap_resume` if non-zero, else after the
 * faulting instruction. Interrupts go to rt_irq_hook, which must clear the
 * source. rt_exc_hook, if set, sees every exception first and returns
 * non-zero when it handled it.
 */
extern volatile int rt_trap_armed;
extern volatile u64 rt_trap_resume;
extern void (*volatile rt_irq_hook)(u64 cause, int level);
extern int (*volatile rt_exc_hook)(struct trap_frame *f, u64 cause, int level);

/*
 * Virtual address offset at which code running below M sees this image
 * (0 when the lower mode runs untranslated or identity mapped). Used by
 * the paging guest to run U-mode code through a U=1 alias mapping.
 */
extern volatile u64 rt_mode_va_offset;

void rt_putc(char c);
void rt_puts(const char *s);
void rt_put_hex(u64 v, int digits);
void rt_put_dec(u64 v);

/* `<guest> <name> <16 hex digits>` */
void sig(const char *name, u64 v);
/* `<guest> <name>.<idx as 4 hex digits> <16 hex digits>` */
void sig_idx(const char *name, u64 idx, u64 v);
/* sig() plus a self-check against the value the spec prescribes. */
void rt_check(const char *name, u64 got, u64 want);
/*
 * Self-check where QEMU 7.2 deviates from the spec: accepts `spec` or the
 * documented `qemu` value (the harness rewrites QEMU's line to `spec`,
 * see tests/diff/qemu_to_spec.sed, so Retrovisor is held to the spec).
 */
void rt_check_either(const char *name, u64 got, u64 spec, u64 qemu);
/* Count a self-check failure with a message. */
void rt_fail_check(const char *name, const char *why);
/* `<guest> <name> trap <cause> <tval>` or `<guest> <name> notrap`. */
void sig_trap(const char *name);

void rt_trap_arm(void);
/* Cause of the trap taken since rt_trap_arm(), or RT_NO_TRAP. */
#define RT_NO_TRAP (~0UL)
u64 rt_trap_cause(void);

/* Power off: success, or failure with `code` (QEMU's exit status). */
__attribute__((noreturn)) void rt_poweroff(void);
__attribute__((noreturn)) void rt_fail(unsigned code);

/*
 * Runs fn(arg) in `mode` (RT_MODE_S or RT_MODE_U) entered by MRET, and
 * returns its result once fn returns (the lower mode then ECALLs back).
 * mstatus.MPRV is cleared on return; MIE is left as the trap left it (0).
 */
u64 rt_run_in_mode(int mode, u64 (*fn)(u64), u64 arg);
/* Allow all physical memory to S/U through PMP entry 0 (QEMU has PMP). */
void rt_pmp_allow_all(void);

#define RT_ECALL_RETURN 0x52455455524eUL /* a7 value: "RETURN" */

/* Failure codes (syscon exit status) besides the self-check count. */
#define RT_FAIL_UNEXPECTED_TRAP 101
#define RT_FAIL_MAIN 102

#endif
