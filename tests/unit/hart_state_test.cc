// SPDX-License-Identifier: MIT
/*
 * Tests of the CSR table (hv/cpu/csr.def) and the hart record built from it
 * (hv/cpu/hart_state.c, format in hv/cpu/hart.h): the table is sorted and its
 * access column agrees with what the CSR number says (privileged spec
 * 2.1), names come out in objdump's spelling, a saved hart restores to the
 * same state in another machine, and every malformed record (cut short,
 * extended, another version, a CSR out of place, a value its register
 * cannot hold) is refused with a sentence, leaving the hart unchanged.
 */
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/testutil.h"

extern "C" {
#include "hv/cpu/csr.h"
#include "hv/devstate.h"
}

using namespace tu;

namespace {

struct Row {
	unsigned lo, hi;
	enum csr_access access;
};

std::vector<Row> TableRows()
{
	std::vector<Row> rows;
#define CSR(num, name, access, gdb) rows.push_back({ num, num, CSR_ACC_##access });
#define CSR_SERIES(lo, hi, first, prefix, suffix, access) \
	rows.push_back({ lo, hi, CSR_ACC_##access });
#include "hv/cpu/csr.def"
	return rows;
}

TEST(CsrTable, IsSortedWithoutOverlaps)
{
	std::vector<Row> rows = TableRows();
	ASSERT_GT(rows.size(), 100u);
	for (size_t i = 1; i < rows.size(); i++)
		EXPECT_GT(rows[i].lo, rows[i - 1].hi)
			<< "row " << i << " at " << std::hex << rows[i].lo;
}

TEST(CsrTable, AccessAgreesWithTheNumber)
{
	for (const Row &r : TableRows()) {
		for (unsigned n = r.lo; n <= r.hi; n++) {
			EXPECT_EQ(csr_access(n), r.access) << std::hex << n;
			bool ro = ((n >> 10) & 3) == 3;
			if (r.access == CSR_ACC_RO) {
				EXPECT_TRUE(ro) << std::hex << n;
			}
			if (ro && r.access != CSR_ACC_NAMED) {
				EXPECT_TRUE(r.access == CSR_ACC_RO || r.access == CSR_ACC_CTR)
					<< std::hex << n;
			}
		}
	}
	EXPECT_EQ(csr_access(0x7ff), CSR_ACC_NAMED);
}

TEST(CsrTable, NamesInObjdumpSpelling)
{
	char b[32];
	ASSERT_TRUE(csr_name(0x300, b, sizeof(b)));
	EXPECT_STREQ(b, "mstatus");
	ASSERT_TRUE(csr_name(0x3a1, b, sizeof(b)));
	EXPECT_STREQ(b, "pmpcfg1");
	ASSERT_TRUE(csr_name(0xc83, b, sizeof(b)));
	EXPECT_STREQ(b, "hpmcounter3h");
	ASSERT_TRUE(csr_name(0x33f, b, sizeof(b)));
	EXPECT_STREQ(b, "mhpmevent31");
	EXPECT_FALSE(csr_name(0x7ff, b, sizeof(b)));
}

TEST(CsrTable, NamedOnlyCsrsAreIllegal)
{
	TestVm vm;
	ASSERT_NE(vm.m, nullptr) << vm.error;
	struct hart *h = vm.h();
	uint64_t v;
	h->priv = PRIV_M;
	EXPECT_EQ(csr_read(h, 0x3a1, &v), -1); // pmpcfg1: RV32 only
	EXPECT_EQ(csr_read(h, 0x600, &v), -1); // hstatus: no H extension
	EXPECT_EQ(csr_read(h, 0x3a0, &v), 0);
}

// A hart with something unusual in every part of the record.
void Scribble(struct hart *h)
{
	for (unsigned i = 1; i < 32; i++)
		h->x[i] = 0x1111111111111111ull * i;
	for (unsigned i = 0; i < 32; i++)
		h->f[i] = 0x0101010101010101ull * i;
	h->pc = kRam + 0x124;
	h->icount = 123456;
	h->priv = PRIV_S;
	h->mstatus |= MSTATUS_FS | MSTATUS_SUM;
	h->fflags = 0x13;
	h->frm = 2;
	h->mtvec = kRam + 0x1001;
	h->stvec = kRam + 0x2000;
	h->medeleg = 0xb1ff;
	h->mideleg = MIP_SSIP | MIP_STIP | MIP_SEIP;
	h->mie = MIP_STIP | MIP_MTIP;
	h->mip = MIP_SSIP | MIP_MTIP;
	h->mip_ext = MIP_SEIP;
	h->mscratch = 0xfeed;
	h->sscratch = 0xbeef;
	h->mepc = kRam + 0x40;
	h->sepc = kRam + 0x80;
	h->satp = (8ull << 60) | 0x80123;
	h->mcycle_offset = 77;
	h->minstret_offset = (uint64_t)-5;
	h->pmpcfg[0] = 0x1f;
	h->pmpaddr[63] = 0x3fffff;
	h->mtimecmp = 999;
	h->stimecmp = 1000;
	h->itime_offset = 42;
	h->timer_deadline = 5000;
	h->resv_valid = true;
	h->resv_addr = kRam + 0x800;
	h->wfi = true;
	h->hsm = HSM_SUSPENDED;
	h->hsm_opaque = 0xabc;
	h->traps = 17;
}

std::vector<uint8_t> Save(const struct hart *h)
{
	struct devstate_w w;
	devstate_w_init(&w);
	hart_save(h, &w);
	EXPECT_FALSE(w.error);
	std::vector<uint8_t> v(w.buf, w.buf + w.len);
	devstate_w_free(&w);
	return v;
}

// Restore rec into h; "" on success, else the reader's sentence.
std::string Restore(struct hart *h, const std::vector<uint8_t> &rec)
{
	struct devstate_r r;
	devstate_r_init(&r, rec.data(), rec.size());
	if (hart_restore(h, &r) == 0)
		return "";
	return r.msg[0] ? r.msg : "(no message)";
}

void PutLe(std::vector<uint8_t> &d, size_t at, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		d[at + i] = (uint8_t)(v >> (8 * i));
}

// Offset of the first CSR entry: version, pc, icount, priv, x, f, count.
constexpr size_t kCsrs = 4 + 8 + 8 + 1 + 32 * 8 + 32 * 8 + 4;

TEST(HartRecord, RestoresTheSameStateInAnotherMachine)
{
	TestVm a(2), b(2);
	ASSERT_NE(a.m, nullptr) << a.error;
	Scribble(a.h(1));
	std::vector<uint8_t> rec = Save(a.h(1));
	EXPECT_EQ(Restore(b.h(1), rec), "");
	EXPECT_EQ(machine_hart_digest(b.h(1)), machine_hart_digest(a.h(1)));
	EXPECT_EQ(b.h(1)->id, 1u);
	EXPECT_EQ(b.h(1)->m, b.m);
	EXPECT_EQ(b.h(1)->mcycle_offset, 77u);
	EXPECT_EQ(b.h(1)->pmpaddr[63], 0x3fffffu);
	EXPECT_EQ(b.h(1)->timer_deadline, 5000u);
	EXPECT_EQ(b.h(1)->traps, 17u);
	EXPECT_EQ(Save(b.h(1)), rec);
	uint32_t version = rec[0] | rec[1] << 8 | rec[2] << 16 | (uint32_t)rec[3] << 24;
	EXPECT_EQ(version, HART_RECORD_VERSION);
}

TEST(HartRecord, MalformedRecordsLeaveTheHartUnchanged)
{
	TestVm a, b;
	Scribble(a.h());
	const std::vector<uint8_t> good = Save(a.h());
	const uint64_t before = machine_hart_digest(b.h());
	auto refused = [&](const std::vector<uint8_t> &rec, const std::string &want,
			   const std::string &what) {
		std::string msg = Restore(b.h(), rec);
		EXPECT_NE(msg, "") << what;
		if (!want.empty()) {
			EXPECT_NE(msg.find(want), std::string::npos) << what << ": " << msg;
		}
		EXPECT_EQ(machine_hart_digest(b.h()), before) << what;
	};

	for (size_t n = 0; n < good.size(); n += 7)
		refused(std::vector<uint8_t>(good.begin(), good.begin() + (long)n), "",
			"cut to " + std::to_string(n));
	std::vector<uint8_t> d = good;
	d.push_back(0);
	refused(d, "after", "one byte more");

	d = good;
	PutLe(d, 0, 1, 4);
	refused(d, "version 1", "version 1");

	d = good;
	PutLe(d, 20, 2, 1);
	refused(d, "privilege", "priv 2");

	d = good;
	PutLe(d, 21, 5, 8);
	refused(d, "x0", "x0 set");

	d = good;
	PutLe(d, kCsrs - 4, 3, 4);
	refused(d, "CSRs", "CSR count");

	// The first two CSRs are fflags and frm: swapped numbers.
	d = good;
	PutLe(d, kCsrs, 0x002, 2);
	refused(d, "fflags", "CSR out of place");

	d = good;
	PutLe(d, kCsrs + 2, 0x20, 8);
	refused(d, "fflags", "fflags bit 5");

	// mtvec mode 2 is reserved: a value mtvec cannot hold.
	auto csr_at = [&](unsigned num) -> size_t {
		for (size_t at = kCsrs; at + 10 <= good.size(); at += 10)
			if ((good[at] | good[at + 1] << 8) == (int)num)
				return at + 2;
		ADD_FAILURE() << "no CSR " << num;
		return 0;
	};
	d = good;
	PutLe(d, csr_at(0x305), kRam + 2, 8);
	refused(d, "mtvec", "mtvec mode 2");

	d = good;
	PutLe(d, csr_at(0x180), 10ull << 60, 8);
	refused(d, "satp", "satp Sv57");

	d = good;
	PutLe(d, csr_at(0x341), kRam + 1, 8);
	refused(d, "mepc", "odd mepc");

	d = good;
	PutLe(d, csr_at(0x302), 1ull << 11, 8);
	refused(d, "medeleg", "ecall from M delegated");

	d = good;
	PutLe(d, csr_at(0x300), 0, 8);
	refused(d, "mstatus", "mstatus without UXL/SXL");

	d = good;
	PutLe(d, csr_at(0x301), 0, 8);
	refused(d, "misa", "another misa");

	EXPECT_EQ(Restore(b.h(), good), "");
}

} // namespace
