// SPDX-License-Identifier: MIT
/*
 * Tests of the paravirtual SBI implementation (hv/platform/sbi.c): each test builds
 * a small machine, loads the argument registers the way an S-mode ECALL
 * would, calls sbi_ecall and checks the result registers and the machine
 * state the call must change (or leave alone). The behaviour checked is
 * the SBI v2.0 spec's, chapter by chapter.
 */
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "hv/platform/machine.h"
#include "hv/platform/sbi.h"
}

namespace {

constexpr unsigned kHarts = 4;
constexpr uint64_t kRamSize = 16ull << 20;

struct Ret {
	int64_t error;
	uint64_t value;
};

void CaptureConsole(void *opaque, const uint8_t *buf, size_t len)
{
	static_cast<std::string *>(opaque)->append(reinterpret_cast<const char *>(buf), len);
}

class Sbi : public ::testing::Test {
protected:
	void SetUp() override
	{
		struct machine_config cfg = {};
		struct hv_err err = {};

		cfg.ram_size = kRamSize;
		cfg.nharts = kHarts;
		cfg.boot = BOOT_PV;
		cfg.quantum = 1000;
		m_ = machine_create(&cfg, &err);
		ASSERT_NE(m_, nullptr) << err.msg;
		ASSERT_EQ(m_->nharts, kHarts);
		m_->console_out = CaptureConsole;
		m_->console_opaque = &out_;
		for (unsigned i = 0; i < kHarts; i++) {
			struct hart *h = m_->hart[i];
			h->priv = PRIV_S;
			h->satp = 0;
			h->hsm = i == 0 ? HSM_STARTED : HSM_STOPPED;
			h->exit_req = false;
			hart_set_ip(h, MIP_SSIP | MIP_STIP, false);
		}
	}

	void TearDown() override
	{
		if (m_)
			machine_destroy(m_);
	}

	struct hart *H(unsigned i) { return m_->hart[i]; }

	Ret Call(struct hart *h, uint64_t eid, uint64_t fid, uint64_t a0 = 0, uint64_t a1 = 0,
		 uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0)
	{
		h->x[17] = eid;
		h->x[16] = fid;
		h->x[10] = a0;
		h->x[11] = a1;
		h->x[12] = a2;
		h->x[13] = a3;
		h->x[14] = a4;
		h->x[15] = a5;
		sbi_ecall(h);
		return Ret{ static_cast<int64_t>(h->x[10]), h->x[11] };
	}

	void PutRam(uint64_t pa, const void *buf, size_t len)
	{
		ASSERT_TRUE(machine_write_phys(m_, pa, buf, len));
	}

	struct machine *m_ = nullptr;
	std::string out_;
};

TEST_F(Sbi, ProbeReportsEveryImplementedExtension)
{
	const uint64_t implemented[] = { SBI_EXT_BASE, SBI_EXT_TIME, SBI_EXT_IPI, SBI_EXT_RFENCE,
					 SBI_EXT_HSM,  SBI_EXT_SRST, SBI_EXT_DBCN };
	for (uint64_t eid : implemented)
		EXPECT_EQ(Call(H(0), SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, eid).value, 1u)
			<< std::hex << eid;
	for (uint64_t eid = 0; eid <= SBI_EXT_LEGACY_SHUTDOWN; eid++)
		EXPECT_EQ(Call(H(0), SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, eid).value, 1u) << eid;
}

TEST_F(Sbi, ProbeReportsZeroForAbsentExtensions)
{
	const uint64_t absent[] = { 0x09,
				    0x0f,
				    0x504d55 /* PMU */,
				    0x53555350 /* SUSP */,
				    0x12345678,
				    0xffffffff00000010ull };
	for (uint64_t eid : absent) {
		Ret r = Call(H(0), SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, eid);
		EXPECT_EQ(r.error, SBI_SUCCESS);
		EXPECT_EQ(r.value, 0u) << std::hex << eid;
	}
}

TEST_F(Sbi, SpecVersionIsTwoPointZero)
{
	Ret r = Call(H(0), SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION);
	EXPECT_EQ(r.error, SBI_SUCCESS);
	EXPECT_EQ((r.value >> 24) & 0x7f, 2u);
	EXPECT_EQ(r.value & 0xffffff, 0u);
	EXPECT_EQ(r.value >> 31, 0u);
}

TEST_F(Sbi, ImplIdIsOutsideTheRegisteredList)
{
	Ret r = Call(H(0), SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID);
	EXPECT_EQ(r.error, SBI_SUCCESS);
	EXPECT_GT(r.value, 11u);
	EXPECT_EQ(Call(H(0), SBI_EXT_BASE, SBI_BASE_GET_IMPL_VERSION).error, SBI_SUCCESS);
}

TEST_F(Sbi, MachineIdsAreZero)
{
	for (uint64_t fid : { SBI_BASE_GET_MVENDORID, SBI_BASE_GET_MARCHID, SBI_BASE_GET_MIMPID }) {
		H(0)->x[11] = 77;
		Ret r = Call(H(0), SBI_EXT_BASE, fid);
		EXPECT_EQ(r.error, SBI_SUCCESS);
		EXPECT_EQ(r.value, 0u);
	}
}

TEST_F(Sbi, UnknownExtensionOrFunctionIsNotSupported)
{
	EXPECT_EQ(Call(H(0), 0x12345678, 0).error, SBI_ERR_NOT_SUPPORTED);
	EXPECT_EQ(Call(H(0), SBI_EXT_BASE, 7).error, SBI_ERR_NOT_SUPPORTED);
	EXPECT_EQ(Call(H(0), SBI_EXT_TIME, 1).error, SBI_ERR_NOT_SUPPORTED);
	EXPECT_EQ(Call(H(0), SBI_EXT_IPI, 1).error, SBI_ERR_NOT_SUPPORTED);
	EXPECT_EQ(Call(H(0), SBI_EXT_HSM, 4).error, SBI_ERR_NOT_SUPPORTED);
	EXPECT_EQ(Call(H(0), SBI_EXT_SRST, 1).error, SBI_ERR_NOT_SUPPORTED);
	EXPECT_EQ(Call(H(0), SBI_EXT_DBCN, 3).error, SBI_ERR_NOT_SUPPORTED);
	EXPECT_EQ(m_->stop, STOP_NONE);
}

TEST_F(Sbi, SetTimerInTheFutureStoresCompareAndClearsStip)
{
	hart_set_ip(H(0), MIP_STIP, true);
	const uint64_t when = hart_time(H(0)) + 1000000000ull;
	Ret r = Call(H(0), SBI_EXT_TIME, SBI_TIME_SET_TIMER, when);
	EXPECT_EQ(r.error, SBI_SUCCESS);
	EXPECT_EQ(H(0)->stimecmp, when);
	EXPECT_EQ(H(0)->mip & MIP_STIP, 0u);
}

TEST_F(Sbi, SetTimerInThePastRaisesStip)
{
	Call(H(0), SBI_EXT_TIME, SBI_TIME_SET_TIMER, ~0ull);
	EXPECT_EQ(H(0)->mip & MIP_STIP, 0u);
	Ret r = Call(H(0), SBI_EXT_TIME, SBI_TIME_SET_TIMER, 0);
	EXPECT_EQ(r.error, SBI_SUCCESS);
	EXPECT_EQ(H(0)->stimecmp, 0u);
	EXPECT_NE(H(0)->mip & MIP_STIP, 0u);
	EXPECT_EQ(H(1)->mip & MIP_STIP, 0u);
}

TEST_F(Sbi, LegacySetTimerReturnsInA0AndPreservesA1)
{
	Ret r = Call(H(0), SBI_EXT_LEGACY_SET_TIMER, 0, ~0ull, 0x5a5a);
	EXPECT_EQ(r.error, 0);
	EXPECT_EQ(r.value, 0x5a5au);
	EXPECT_EQ(H(0)->stimecmp, ~0ull);
}

TEST_F(Sbi, SendIpiSetsSsipOnMaskedHartsOnly)
{
	Ret r = Call(H(0), SBI_EXT_IPI, SBI_IPI_SEND_IPI, 0b101, 0);
	EXPECT_EQ(r.error, SBI_SUCCESS);
	EXPECT_NE(H(0)->mip & MIP_SSIP, 0u);
	EXPECT_EQ(H(1)->mip & MIP_SSIP, 0u);
	EXPECT_NE(H(2)->mip & MIP_SSIP, 0u);
	EXPECT_EQ(H(3)->mip & MIP_SSIP, 0u);
}

TEST_F(Sbi, SendIpiMaskIsRelativeToBase)
{
	EXPECT_EQ(Call(H(0), SBI_EXT_IPI, SBI_IPI_SEND_IPI, 0b1, 3).error, SBI_SUCCESS);
	for (unsigned i = 0; i < 3; i++)
		EXPECT_EQ(H(i)->mip & MIP_SSIP, 0u) << i;
	EXPECT_NE(H(3)->mip & MIP_SSIP, 0u);
}

TEST_F(Sbi, SendIpiBaseMinusOneTargetsEveryHart)
{
	EXPECT_EQ(Call(H(0), SBI_EXT_IPI, SBI_IPI_SEND_IPI, 0, ~0ull).error, SBI_SUCCESS);
	for (unsigned i = 0; i < kHarts; i++)
		EXPECT_NE(H(i)->mip & MIP_SSIP, 0u) << i;
}

TEST_F(Sbi, SendIpiToInvalidHartFailsWithoutSideEffects)
{
	EXPECT_EQ(Call(H(0), SBI_EXT_IPI, SBI_IPI_SEND_IPI, 0b11, 3).error, SBI_ERR_INVALID_PARAM);
	EXPECT_EQ(H(3)->mip & MIP_SSIP, 0u);
	EXPECT_EQ(Call(H(0), SBI_EXT_IPI, SBI_IPI_SEND_IPI, 1ull << 63, 0).error,
		  SBI_ERR_INVALID_PARAM);
	/* base + bit would wrap around 2^64 back to hart 0. */
	EXPECT_EQ(Call(H(0), SBI_EXT_IPI, SBI_IPI_SEND_IPI, 0b100, ~0ull - 1).error,
		  SBI_ERR_INVALID_PARAM);
	EXPECT_EQ(H(0)->mip & MIP_SSIP, 0u);
	/* An unset bit 0 need not name a valid hart (spec, hart list note). */
	EXPECT_EQ(Call(H(0), SBI_EXT_IPI, SBI_IPI_SEND_IPI, 0, 1000).error, SBI_SUCCESS);
}

TEST_F(Sbi, RemoteSfenceFlushesTargetTlbsOnly)
{
	for (unsigned i = 0; i < kHarts; i++)
		H(i)->tlb[ACC_LOAD][0].tag = 5;
	Ret r = Call(H(0), SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, 0b110, 0, 0, 0);
	EXPECT_EQ(r.error, SBI_SUCCESS);
	EXPECT_EQ(H(0)->tlb[ACC_LOAD][0].tag, 5u);
	EXPECT_EQ(H(1)->tlb[ACC_LOAD][0].tag, TLB_INVALID);
	EXPECT_EQ(H(2)->tlb[ACC_LOAD][0].tag, TLB_INVALID);
	EXPECT_EQ(H(3)->tlb[ACC_LOAD][0].tag, 5u);
}

TEST_F(Sbi, RemoteFenceIAndAsidFenceReachAllHarts)
{
	for (unsigned i = 0; i < kHarts; i++)
		H(i)->tlb[ACC_FETCH][1].tag = 9;
	EXPECT_EQ(Call(H(0), SBI_EXT_RFENCE, SBI_RFENCE_FENCE_I, 0, ~0ull).error, SBI_SUCCESS);
	for (unsigned i = 0; i < kHarts; i++)
		EXPECT_EQ(H(i)->tlb[ACC_FETCH][1].tag, TLB_INVALID) << i;
	H(2)->tlb[ACC_STORE][3].tag = 9;
	EXPECT_EQ(Call(H(0), SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA_ASID, 0b100, 0, 0x1000, 0x1000,
		       7)
			  .error,
		  SBI_SUCCESS);
	EXPECT_EQ(H(2)->tlb[ACC_STORE][3].tag, TLB_INVALID);
}

TEST_F(Sbi, RemoteFenceRejectsBadHartAndAsid)
{
	EXPECT_EQ(Call(H(0), SBI_EXT_RFENCE, SBI_RFENCE_FENCE_I, 1, kHarts).error,
		  SBI_ERR_INVALID_PARAM);
	EXPECT_EQ(Call(H(0), SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA_ASID, 1, 0, 0, 0, 0x10000).error,
		  SBI_ERR_INVALID_PARAM);
}

TEST_F(Sbi, HfenceIsNotSupported)
{
	for (uint64_t fid = SBI_RFENCE_HFENCE_GVMA_VMID; fid <= SBI_RFENCE_HFENCE_VVMA; fid++)
		EXPECT_EQ(Call(H(0), SBI_EXT_RFENCE, fid, 1, 0).error, SBI_ERR_NOT_SUPPORTED)
			<< fid;
}

TEST_F(Sbi, HartStartEntersSupervisorAtStartAddress)
{
	struct hart *t = H(1);
	const uint64_t entry = HV_RAM_BASE + 0x1000;

	t->satp = 0x8000000000012345ull;
	t->priv = PRIV_U;
	t->mstatus |= MSTATUS_SIE;
	EXPECT_EQ(Call(H(0), SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 1).value, (uint64_t)HSM_STOPPED);
	Ret r = Call(H(0), SBI_EXT_HSM, SBI_HSM_HART_START, 1, entry, 0xabcdef);
	EXPECT_EQ(r.error, SBI_SUCCESS);
	EXPECT_EQ(t->pc, entry);
	EXPECT_EQ(t->x[10], 1u);
	EXPECT_EQ(t->x[11], 0xabcdefu);
	EXPECT_EQ(t->priv, (unsigned)PRIV_S);
	EXPECT_EQ(t->satp, 0u);
	EXPECT_EQ(t->mstatus & MSTATUS_SIE, 0u);
	r = Call(H(0), SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 1);
	EXPECT_EQ(r.error, SBI_SUCCESS);
	EXPECT_EQ(r.value, (uint64_t)HSM_STARTED);
}

TEST_F(Sbi, HartStartRejectsStartedInvalidAndUnmappedTargets)
{
	const uint64_t entry = HV_RAM_BASE;

	EXPECT_EQ(Call(H(0), SBI_EXT_HSM, SBI_HSM_HART_START, 0, entry, 0).error,
		  SBI_ERR_ALREADY_AVAILABLE);
	EXPECT_EQ(Call(H(0), SBI_EXT_HSM, SBI_HSM_HART_START, kHarts, entry, 0).error,
		  SBI_ERR_INVALID_PARAM);
	EXPECT_EQ(Call(H(0), SBI_EXT_HSM, SBI_HSM_HART_START, 2, 0x1000, 0).error,
		  SBI_ERR_INVALID_ADDRESS);
	EXPECT_EQ(Call(H(0), SBI_EXT_HSM, SBI_HSM_HART_START, 2, HV_RAM_BASE + kRamSize, 0).error,
		  SBI_ERR_INVALID_ADDRESS);
	EXPECT_EQ(Call(H(0), SBI_EXT_HSM, SBI_HSM_HART_START, 2, entry + 1, 0).error,
		  SBI_ERR_INVALID_ADDRESS);
	EXPECT_EQ(H(2)->hsm, HSM_STOPPED);
	EXPECT_EQ(Call(H(0), SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 99).error,
		  SBI_ERR_INVALID_PARAM);
}

TEST_F(Sbi, HartStopThenRestart)
{
	ASSERT_EQ(Call(H(0), SBI_EXT_HSM, SBI_HSM_HART_START, 1, HV_RAM_BASE, 1).error,
		  SBI_SUCCESS);
	H(1)->x[10] = 0x1234;
	Call(H(1), SBI_EXT_HSM, SBI_HSM_HART_STOP);
	EXPECT_EQ(H(1)->hsm, HSM_STOPPED);
	EXPECT_TRUE(H(1)->exit_req);
	EXPECT_EQ(Call(H(0), SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 1).value, (uint64_t)HSM_STOPPED);
	EXPECT_EQ(Call(H(0), SBI_EXT_HSM, SBI_HSM_HART_START, 1, HV_RAM_BASE + 0x40, 2).error,
		  SBI_SUCCESS);
	EXPECT_EQ(H(1)->pc, HV_RAM_BASE + 0x40);
	EXPECT_EQ(H(1)->x[11], 2u);
	EXPECT_EQ(H(1)->hsm, HSM_STARTED);
}

TEST_F(Sbi, RetentiveSuspendWaitsForAnEnabledInterrupt)
{
	struct hart *h = H(0);

	h->pc = HV_RAM_BASE + 0x104; /* exec.c: already past the ECALL */
	const uint64_t pc = h->pc;
	h->mie = MIP_SSIP;
	Ret r = Call(h, SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, SBI_HSM_SUSPEND_RET_DEFAULT);
	EXPECT_EQ(r.error, SBI_SUCCESS);
	EXPECT_EQ(h->pc, pc);
	EXPECT_EQ(h->hsm, HSM_SUSPENDED);
	EXPECT_TRUE(h->exit_req);
	EXPECT_EQ(Call(H(1), SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 0).value,
		  (uint64_t)HSM_SUSPENDED);
	hart_set_ip(h, MIP_STIP, true); /* pending but not enabled in sie */
	EXPECT_FALSE(hart_hsm_wake(h));
	hart_set_ip(h, MIP_SSIP, true);
	EXPECT_TRUE(hart_hsm_wake(h));
	EXPECT_EQ(h->hsm, HSM_STARTED);
	EXPECT_FALSE(h->wfi);
}

TEST_F(Sbi, RetentiveSuspendWithPendingInterruptReturnsAtOnce)
{
	struct hart *h = H(0);

	h->mie = MIP_STIP;
	hart_set_ip(h, MIP_STIP, true);
	EXPECT_EQ(Call(h, SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0).error, SBI_SUCCESS);
	EXPECT_EQ(h->hsm, HSM_STARTED);
}

TEST_F(Sbi, NonRetentiveSuspendResumesAtResumeAddress)
{
	struct hart *h = H(0);
	const uint64_t resume = HV_RAM_BASE + 0x2000;

	h->mstatus |= MSTATUS_SIE;
	Ret r = Call(h, SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, SBI_HSM_SUSPEND_NON_RET_DEFAULT, resume,
		     0x77);
	EXPECT_EQ(h->pc, resume);
	EXPECT_EQ(r.error, 0); /* a0 = hartid 0 */
	EXPECT_EQ(r.value, 0x77u);
	EXPECT_EQ(h->mstatus & MSTATUS_SIE, 0u);
	EXPECT_EQ(h->priv, (unsigned)PRIV_S);
	EXPECT_EQ(h->hsm, HSM_SUSPENDED);
}

TEST_F(Sbi, SuspendRejectsUnknownTypesAndBadResumeAddress)
{
	EXPECT_EQ(Call(H(0), SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 1).error, SBI_ERR_INVALID_PARAM);
	EXPECT_EQ(Call(H(0), SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0x90000000).error,
		  SBI_ERR_INVALID_PARAM);
	EXPECT_EQ(Call(H(0), SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, SBI_HSM_SUSPEND_NON_RET_DEFAULT,
		       0x10)
			  .error,
		  SBI_ERR_INVALID_ADDRESS);
	EXPECT_EQ(H(0)->hsm, HSM_STARTED);
}

TEST_F(Sbi, SystemResetShutdownStopsWithStatusZero)
{
	Call(H(0), SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN,
	     SBI_SRST_REASON_NONE);
	EXPECT_EQ(m_->stop, STOP_SHUTDOWN);
	EXPECT_EQ(m_->exit_status, 0);
	EXPECT_TRUE(H(0)->exit_req);
}

TEST_F(Sbi, SystemResetFailureShutdownStopsWithStatusOne)
{
	Call(H(0), SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN,
	     SBI_SRST_REASON_SYSTEM_FAILURE);
	EXPECT_EQ(m_->stop, STOP_SHUTDOWN);
	EXPECT_EQ(m_->exit_status, 1);
}

TEST_F(Sbi, SystemResetRebootStopsForReboot)
{
	Call(H(0), SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_WARM_REBOOT, 0);
	EXPECT_EQ(m_->stop, STOP_REBOOT);
}

TEST_F(Sbi, SystemResetRejectsReservedTypeAndReason)
{
	EXPECT_EQ(Call(H(0), SBI_EXT_SRST, 0, 3, 0).error, SBI_ERR_INVALID_PARAM);
	EXPECT_EQ(Call(H(0), SBI_EXT_SRST, 0, 0xf0000000, 0).error, SBI_ERR_INVALID_PARAM);
	EXPECT_EQ(Call(H(0), SBI_EXT_SRST, 0, 0, 2).error, SBI_ERR_INVALID_PARAM);
	EXPECT_EQ(Call(H(0), SBI_EXT_SRST, 0, 0, 0xe0000000).error, SBI_ERR_INVALID_PARAM);
	EXPECT_EQ(m_->stop, STOP_NONE);
}

TEST_F(Sbi, LegacyShutdownStopsTheMachine)
{
	Call(H(0), SBI_EXT_LEGACY_SHUTDOWN, 0);
	EXPECT_EQ(m_->stop, STOP_SHUTDOWN);
	EXPECT_EQ(m_->exit_status, 0);
}

TEST_F(Sbi, DbcnWriteCopiesGuestMemoryToConsole)
{
	const char msg[] = "hello, dbcn\n";
	const uint64_t pa = HV_RAM_BASE + 0x3000;

	PutRam(pa, msg, sizeof(msg) - 1);
	Ret r = Call(H(0), SBI_EXT_DBCN, SBI_DBCN_CONSOLE_WRITE, sizeof(msg) - 1, pa, 0);
	EXPECT_EQ(r.error, SBI_SUCCESS);
	EXPECT_EQ(r.value, sizeof(msg) - 1);
	EXPECT_EQ(out_, msg);
}

TEST_F(Sbi, DbcnWriteOutsideRamIsInvalidParam)
{
	EXPECT_EQ(Call(H(0), SBI_EXT_DBCN, SBI_DBCN_CONSOLE_WRITE, 4, 0x1000, 0).error,
		  SBI_ERR_INVALID_PARAM);
	EXPECT_EQ(Call(H(0), SBI_EXT_DBCN, SBI_DBCN_CONSOLE_WRITE, 4, HV_RAM_BASE, 1).error,
		  SBI_ERR_INVALID_PARAM);
	/* Starts in RAM, runs past its end. */
	EXPECT_EQ(Call(H(0), SBI_EXT_DBCN, SBI_DBCN_CONSOLE_WRITE, 8, HV_RAM_BASE + kRamSize - 4, 0)
			  .error,
		  SBI_ERR_INVALID_PARAM);
	/* A length that wraps the address space. */
	EXPECT_EQ(Call(H(0), SBI_EXT_DBCN, SBI_DBCN_CONSOLE_WRITE, ~0ull, HV_RAM_BASE, 0).error,
		  SBI_ERR_INVALID_PARAM);
	EXPECT_EQ(out_, "");
}

TEST_F(Sbi, DbcnWriteMovesAtMostOneChunkPerCall)
{
	Ret r = Call(H(0), SBI_EXT_DBCN, SBI_DBCN_CONSOLE_WRITE, 3 * SBI_DBCN_MAX_XFER, HV_RAM_BASE,
		     0);
	EXPECT_EQ(r.error, SBI_SUCCESS);
	EXPECT_EQ(r.value, SBI_DBCN_MAX_XFER);
	EXPECT_EQ(out_.size(), SBI_DBCN_MAX_XFER);
}

TEST_F(Sbi, DbcnWriteByteAndLegacyPutcharWriteOneByte)
{
	Ret r = Call(H(0), SBI_EXT_DBCN, SBI_DBCN_CONSOLE_WRITE_BYTE, 0x100 | 'A');
	EXPECT_EQ(r.error, SBI_SUCCESS);
	EXPECT_EQ(r.value, 0u);
	r = Call(H(0), SBI_EXT_LEGACY_PUTCHAR, 0, 'b', 0x99);
	EXPECT_EQ(r.error, 0);
	EXPECT_EQ(r.value, 0x99u); /* legacy calls preserve a1 */
	EXPECT_EQ(out_, "Ab");
}

TEST_F(Sbi, DbcnReadOutsideRamIsInvalidParam)
{
	EXPECT_EQ(Call(H(0), SBI_EXT_DBCN, SBI_DBCN_CONSOLE_READ, 16, 0x10000000, 0).error,
		  SBI_ERR_INVALID_PARAM);
	EXPECT_EQ(Call(H(0), SBI_EXT_DBCN, SBI_DBCN_CONSOLE_READ, 16, HV_RAM_BASE, 2).error,
		  SBI_ERR_INVALID_PARAM);
}

TEST_F(Sbi, LegacySendIpiReadsMaskThroughGuestPointer)
{
	const uint64_t mask = 0b1010;
	const uint64_t va = HV_RAM_BASE + 0x4000; /* satp = 0: va == pa */

	PutRam(va, &mask, sizeof(mask));
	Ret r = Call(H(0), SBI_EXT_LEGACY_SEND_IPI, 0, va, 0x42);
	EXPECT_EQ(r.error, 0);
	EXPECT_EQ(r.value, 0x42u);
	EXPECT_EQ(H(0)->mip & MIP_SSIP, 0u);
	EXPECT_NE(H(1)->mip & MIP_SSIP, 0u);
	EXPECT_EQ(H(2)->mip & MIP_SSIP, 0u);
	EXPECT_NE(H(3)->mip & MIP_SSIP, 0u);
}

TEST_F(Sbi, LegacySendIpiWithUnmappedPointerFails)
{
	EXPECT_LT(Call(H(0), SBI_EXT_LEGACY_SEND_IPI, 0, 0x1000).error, 0);
	for (unsigned i = 0; i < kHarts; i++)
		EXPECT_EQ(H(i)->mip & MIP_SSIP, 0u) << i;
}

TEST_F(Sbi, LegacyClearIpiReportsWhetherOneWasPending)
{
	hart_set_ip(H(0), MIP_SSIP, true);
	EXPECT_GT(Call(H(0), SBI_EXT_LEGACY_CLEAR_IPI, 0).error, 0);
	EXPECT_EQ(H(0)->mip & MIP_SSIP, 0u);
	EXPECT_EQ(Call(H(0), SBI_EXT_LEGACY_CLEAR_IPI, 0).error, 0);
}

TEST_F(Sbi, LegacyRemoteFenceFlushesMaskedHarts)
{
	const uint64_t mask = 0b100;
	const uint64_t va = HV_RAM_BASE + 0x4000;

	PutRam(va, &mask, sizeof(mask));
	H(1)->tlb[ACC_LOAD][2].tag = 3;
	H(2)->tlb[ACC_LOAD][2].tag = 3;
	EXPECT_EQ(Call(H(0), SBI_EXT_LEGACY_SFENCE_VMA, 0, va, 0, 0).error, 0);
	EXPECT_EQ(H(1)->tlb[ACC_LOAD][2].tag, 3u);
	EXPECT_EQ(H(2)->tlb[ACC_LOAD][2].tag, TLB_INVALID);
}

TEST_F(Sbi, ReservedLegacyExtensionIsNotSupportedAndKeepsA1)
{
	Ret r = Call(H(0), 0x09, 0, 0, 0x31);
	EXPECT_EQ(r.error, SBI_ERR_NOT_SUPPORTED);
	EXPECT_EQ(r.value, 0x31u);
}

/* A variant binary's extension (sbi_register_extension): this echoes its
 * function, arguments and hart so the test sees what reached it. */
int64_t EchoCall(struct hart *h, uint64_t fid, const uint64_t args[6], uint64_t *value)
{
	if (fid != 7)
		return SBI_ERR_NOT_SUPPORTED;
	*value = args[0] + args[5] + h->id;
	return SBI_ERR_INVALID_PARAM;
}

/* Registration lasts for the process, so before and after are one test. */
TEST_F(Sbi, RegisteredFirmwareExtensionIsProbedAndCalledOnlyOnceRegistered)
{
	static const struct sbi_extension echo = { SBI_EXT_FIRMWARE, EchoCall };
	static const struct sbi_extension outside = { SBI_EXT_FIRMWARE_LAST + 1, EchoCall };
	static const struct sbi_extension below = { SBI_EXT_FIRMWARE_FIRST - 1, EchoCall };
	static const struct sbi_extension no_call = { SBI_EXT_FIRMWARE_FIRST, nullptr };

	EXPECT_EQ(SBI_EXT_FIRMWARE, 0x0A455452u);
	EXPECT_EQ(Call(H(0), SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_FIRMWARE).value, 0u);
	Ret r = Call(H(0), SBI_EXT_FIRMWARE, 7, 1, 0, 0, 0, 0, 2);
	EXPECT_EQ(r.error, SBI_ERR_NOT_SUPPORTED);
	EXPECT_EQ(r.value, 0u);

	EXPECT_FALSE(sbi_register_extension(&outside));
	EXPECT_FALSE(sbi_register_extension(&below));
	EXPECT_FALSE(sbi_register_extension(&no_call));
	ASSERT_TRUE(sbi_register_extension(&echo));
	EXPECT_FALSE(sbi_register_extension(&echo)) << "an EID is registered once";

	EXPECT_EQ(Call(H(0), SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_FIRMWARE).value, 1u);
	EXPECT_EQ(Call(H(0), SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_FIRMWARE + 1).value,
		  0u);
	r = Call(H(2), SBI_EXT_FIRMWARE, 7, 100, 0, 0, 0, 0, 20);
	EXPECT_EQ(r.error, SBI_ERR_INVALID_PARAM);
	EXPECT_EQ(r.value, 122u);
	r = Call(H(0), SBI_EXT_FIRMWARE, 8, 0x55, 0x66);
	EXPECT_EQ(r.error, SBI_ERR_NOT_SUPPORTED);
	EXPECT_EQ(r.value, 0u) << "a1 is the call's value, not the guest's argument";
	EXPECT_EQ(Call(H(0), SBI_EXT_FIRMWARE + 1, 7).error, SBI_ERR_NOT_SUPPORTED);
}

} // namespace
