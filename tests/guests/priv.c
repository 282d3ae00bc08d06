// SPDX-License-Identifier: MIT
//
// Privilege transitions (privileged spec, "Machine-Level ISA" sections on
// mstatus, mcause/mepc/mtval, trap delegation, MRET/SRET, WFI and the
// virtualization-support bits TVM/TW/TSR): ECALL from M/S/U (causes
// 11/9/8), the mstatus stack (xPIE <- xIE, xIE <- 0, xPP <- mode) on trap
// entry and its unwinding on MRET/SRET (xPP <- U), MPRV cleared by an MRET
// to a mode below M, medeleg delegation of U/S exceptions to S (scause,
// sepc, stval, SPP, SPIE), exceptions in M never delegated, mtval of
// illegal instructions and EBREAK, and the TW/TSR/TVM traps.
#include "rt.h"

// mstatus (or sstatus at S level) as seen by the handler of the last trap.
static volatile u64 trap_status;

static int priv_record_status(struct trap_frame *f, u64 cause, int level)
{
	(void)f;
	(void)cause;
	trap_status = level == RT_MODE_M ? csr_read(mstatus) : csr_read(sstatus);
	return 0;
}

static u64 do_ecall(u64 arg)
{
	u64 pc;

	(void)arg;
	rt_trap_arm();
	__asm__ volatile("1: ecall\n\tla %0, 1b" : "=r"(pc)::"a7");
	return rt_trap.epc - pc;
}

static void priv_ecall(void)
{
	rt_pmp_allow_all();
	rt_check("ecall.m.epc", do_ecall(0), 0);
	rt_check("ecall.m.cause", rt_trap.cause, CAUSE_ECALL_M);
	rt_check("ecall.m.tval", rt_trap.tval, 0);
	rt_check("ecall.m.mpp", (trap_status & MSTATUS_MPP) >> 11, 3);

	rt_check("ecall.s.epc", rt_run_in_mode(RT_MODE_S, do_ecall, 0), 0);
	rt_check("ecall.s.cause", rt_trap.cause, CAUSE_ECALL_S);
	rt_check("ecall.s.level", rt_trap.level, RT_MODE_M);
	rt_check("ecall.s.mpp", (trap_status & MSTATUS_MPP) >> 11, 1);

	rt_check("ecall.u.epc", rt_run_in_mode(RT_MODE_U, do_ecall, 0), 0);
	rt_check("ecall.u.cause", rt_trap.cause, CAUSE_ECALL_U);
	rt_check("ecall.u.mpp", (trap_status & MSTATUS_MPP) >> 11, 0);
}

// Trap entry into M saves MIE in MPIE; MRET restores it and sets MPP = U.
static void priv_mstatus_stack(void)
{
	u64 st;

	csr_write(mie, 0); /* MIE = 1 below must not let anything in */
	csr_set(mstatus, MSTATUS_MIE);
	rt_trap_arm();
	__asm__ volatile("ecall" ::: "a7");
	rt_check("trap.mpie", (trap_status & MSTATUS_MPIE) != 0, 1);
	rt_check("trap.mie", (trap_status & MSTATUS_MIE) != 0, 0);
	st = csr_read(mstatus);
	rt_check("mret.mie", (st & MSTATUS_MIE) != 0, 1);
	rt_check("mret.mpie", (st & MSTATUS_MPIE) != 0, 1);
	rt_check("mret.mpp", (st & MSTATUS_MPP) >> 11, 0);
	csr_clear(mstatus, MSTATUS_MIE);

	// MRET to M keeps MPRV; the MRET into S done by rt_run_in_mode()
	// clears it (spec 1.12: "if xPP != M, xRET also sets MPRV = 0").
	csr_set(mstatus, MSTATUS_MPP | MSTATUS_MPRV);
	__asm__ volatile("la t0, 1f\n\tcsrw mepc, t0\n\tmret\n1:" ::: "t0");
	st = csr_read(mstatus);
	rt_check("mret.to_m.mprv", (st & MSTATUS_MPRV) != 0, 1);
	csr_clear(mstatus, MSTATUS_MPRV);
}

// Runs in S only so that the MRET into S happens with MPRV set.
static u64 s_nothing(u64 arg)
{
	return arg;
}

static u64 s_sret_stack(u64 arg)
{
	u64 st;

	(void)arg;
	// SRET to S with SPIE = 1: SIE <- 1, SPIE <- 1, SPP <- U.
	csr_set(sstatus, MSTATUS_SPP | MSTATUS_SPIE);
	csr_clear(sstatus, MSTATUS_SIE);
	__asm__ volatile("la t0, 1f\n\tcsrw sepc, t0\n\tsret\n1:" ::: "t0");
	st = csr_read(sstatus);
	csr_clear(sstatus, MSTATUS_SIE);
	return st & (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP);
}

static u64 u_payload(u64 arg)
{
	return arg * 3;
}

static void priv_xret(void)
{
	csr_set(mstatus, MSTATUS_MPRV);
	csr_clear(mstatus, MSTATUS_MPP);
	csr_set(mstatus, 3UL << 11);
	rt_run_in_mode(RT_MODE_S, s_nothing, 0);
	rt_check("mret.to_s.mprv", (csr_read(mstatus) & MSTATUS_MPRV) != 0, 0);
	rt_check("sret.stack", rt_run_in_mode(RT_MODE_S, s_sret_stack, 0),
		 MSTATUS_SIE | MSTATUS_SPIE);
	rt_check("mret.to_u.result", rt_run_in_mode(RT_MODE_U, u_payload, 14), 42);
}

static u64 do_illegal(u64 arg)
{
	(void)arg;
	rt_trap_arm();
	__asm__ volatile(".4byte 0xffffffff");
	return rt_trap.cause;
}

static u64 do_ebreak(u64 arg)
{
	(void)arg;
	rt_trap_arm();
	__asm__ volatile("ebreak");
	return rt_trap.cause;
}

static void priv_delegation(void)
{
	csr_write(medeleg,
		  (1UL << CAUSE_ECALL_U) | (1UL << CAUSE_ILLEGAL) | (1UL << CAUSE_BREAKPOINT));

	rt_check("deleg.u.ecall.epc", rt_run_in_mode(RT_MODE_U, do_ecall, 0), 0);
	rt_check("deleg.u.ecall.cause", rt_trap.cause, CAUSE_ECALL_U);
	rt_check("deleg.u.ecall.level", rt_trap.level, RT_MODE_S);
	rt_check("deleg.u.ecall.spp", rt_trap.prev_mode, RT_MODE_U);
	rt_check("deleg.u.ecall.stval", rt_trap.tval, 0);

	rt_check("deleg.s.illegal", rt_run_in_mode(RT_MODE_S, do_illegal, 0), CAUSE_ILLEGAL);
	rt_check("deleg.s.illegal.level", rt_trap.level, RT_MODE_S);
	rt_check("deleg.s.illegal.spp", rt_trap.prev_mode, RT_MODE_S);
	rt_check("deleg.s.illegal.stval", rt_trap.tval, 0xffffffff);
	rt_check("deleg.s.illegal.spie", (trap_status & MSTATUS_SPIE) != 0, 0);

	rt_check("deleg.u.ebreak", rt_run_in_mode(RT_MODE_U, do_ebreak, 0), CAUSE_BREAKPOINT);
	rt_check("deleg.u.ebreak.level", rt_trap.level, RT_MODE_S);
	sig("deleg.u.ebreak.stval", rt_trap.tval);

	// ECALL from S is not delegated here: it goes to M.
	rt_check("nodeleg.s.ecall", rt_run_in_mode(RT_MODE_S, do_ecall, 0), 0);
	rt_check("nodeleg.s.ecall.level", rt_trap.level, RT_MODE_M);

	// Traps taken in M are never delegated, whatever medeleg says.
	rt_check("m.illegal.cause", do_illegal(0), CAUSE_ILLEGAL);
	rt_check("m.illegal.level", rt_trap.level, RT_MODE_M);
	rt_check("m.illegal.mtval", rt_trap.tval, 0xffffffff);
	rt_check("m.ebreak.cause", do_ebreak(0), CAUSE_BREAKPOINT);
	rt_check("m.ebreak.level", rt_trap.level, RT_MODE_M);
	sig("m.ebreak.mtval", rt_trap.tval);
	csr_write(medeleg, 0);
}

static u64 do_wfi(u64 arg)
{
	(void)arg;
	rt_trap_arm();
	__asm__ volatile("wfi");
	return rt_trap_cause();
}

static u64 do_sret(u64 arg)
{
	(void)arg;
	rt_trap_arm();
	__asm__ volatile("la t0, 1f\n\tcsrw sepc, t0\n\tsret\n1:" ::: "t0");
	return rt_trap_cause();
}

static u64 do_mret(u64 arg)
{
	(void)arg;
	rt_trap_arm();
	__asm__ volatile("mret");
	return rt_trap_cause();
}

static u64 do_satp(u64 arg)
{
	u64 v;

	(void)arg;
	rt_trap_arm();
	__asm__ volatile("csrr %0, satp" : "=r"(v));
	return rt_trap_cause();
}

static u64 do_sfence(u64 arg)
{
	(void)arg;
	rt_trap_arm();
	__asm__ volatile("sfence.vma");
	return rt_trap_cause();
}

static u64 u_sret(u64 arg)
{
	(void)arg;
	rt_trap_arm();
	__asm__ volatile("sret");
	return rt_trap_cause();
}

static void priv_virtualization_traps(void)
{
	// TW = 1: WFI in S is illegal at once. WFI in U is illegal whatever
	// TW says (S-mode exists). Completing WFIs are in the interrupts guest.
	csr_set(mstatus, MSTATUS_TW);
	rt_check("tw.s.wfi", rt_run_in_mode(RT_MODE_S, do_wfi, 0), CAUSE_ILLEGAL);
	rt_check("tw.s.wfi.tval", rt_trap.tval, 0x10500073);
	csr_clear(mstatus, MSTATUS_TW);
	rt_check("u.wfi", rt_run_in_mode(RT_MODE_U, do_wfi, 0), CAUSE_ILLEGAL);

	csr_set(mstatus, MSTATUS_TSR);
	rt_check("tsr.s.sret", rt_run_in_mode(RT_MODE_S, do_sret, 0), CAUSE_ILLEGAL);
	rt_check("tsr.s.sret.tval", rt_trap.tval, 0x10200073);
	csr_clear(mstatus, MSTATUS_TSR);
	rt_check("s.sret.allowed", rt_run_in_mode(RT_MODE_S, do_sret, 0), RT_NO_TRAP);
	rt_trap_armed = 0;
	rt_check("u.sret", rt_run_in_mode(RT_MODE_U, u_sret, 0), CAUSE_ILLEGAL);
	rt_check("s.mret", rt_run_in_mode(RT_MODE_S, do_mret, 0), CAUSE_ILLEGAL);
	rt_check("s.mret.tval", rt_trap.tval, 0x30200073);

	csr_set(mstatus, MSTATUS_TVM);
	rt_check("tvm.s.satp", rt_run_in_mode(RT_MODE_S, do_satp, 0), CAUSE_ILLEGAL);
	rt_check("tvm.s.sfence", rt_run_in_mode(RT_MODE_S, do_sfence, 0), CAUSE_ILLEGAL);
	csr_clear(mstatus, MSTATUS_TVM);
	rt_check("s.satp.allowed", rt_run_in_mode(RT_MODE_S, do_satp, 0), RT_NO_TRAP);
	rt_check("s.sfence.allowed", rt_run_in_mode(RT_MODE_S, do_sfence, 0), RT_NO_TRAP);
	rt_check("u.sfence", rt_run_in_mode(RT_MODE_U, do_sfence, 0), CAUSE_ILLEGAL);
	rt_trap_armed = 0;
}

int main(void)
{
	rt_exc_hook = priv_record_status;
	priv_ecall();
	priv_mstatus_stack();
	priv_xret();
	priv_delegation();
	priv_virtualization_traps();
	return 0;
}
