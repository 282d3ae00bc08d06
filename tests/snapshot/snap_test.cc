// SPDX-License-Identifier: MIT
// In-memory snapshots (snapshot/snap.c) and copy-on-write RAM (hv/mem/ram.c):
// a restore brings back exactly the state at the snapshot, touches only the
// pages written since, and execution after a restore is the same as
// execution that never restored.
#include <gtest/gtest.h>

#include "tests/unit/testutil.h"

extern "C" {
#include "hv/platform/control.h"
#include "snapshot/snap.h"
}

using namespace tu;

namespace {

constexpr uint64_t kData = kRam + 0x100000; // 1 MiB into RAM

// A loop that counts in x5 and stores the count into a 16 KiB ring of
// doublewords at kData (x10): it dirties 4 pages over and over.
void PutCounterLoop(TestVm &vm)
{
	vm.put(kRam, {
			     addi(5, 5, 1),
			     slli(6, 5, 3),
			     andi(6, 6, 0x7f8), // offset within 2 KiB ...
			     slli(6, 6, 3),     // ... spread over 16 KiB
			     add(7, 10, 6),
			     sd(5, 7, 0),
			     jal(0, -24),
		     });
	vm.h()->x[10] = kData;
}

uint64_t RunTo(TestVm &vm, icount_t total)
{
	vm.m->cfg.max_insns = total;
	vm.m->stop = STOP_NONE;
	EXPECT_EQ(machine_run(vm.m), STOP_MAX_INSNS);
	EXPECT_EQ(vm.m->total_insns, total);
	return machine_digest(vm.m);
}

TEST(Snapshot, RestoreGivesBackTheExactStateAThousandTimes)
{
	TestVm vm(1);
	PutCounterLoop(vm);
	RunTo(vm, 10000);
	struct hv_err err;
	struct snap *s = snap_take(vm.m, &err);
	ASSERT_NE(s, nullptr) << err.msg;
	uint64_t at_snapshot = machine_digest(vm.m);
	uint64_t frames = ram_frames_in_use(&vm.m->ram);

	for (int i = 0; i < 1000; i++) {
		uint64_t after = RunTo(vm, 10000 + 5000 + (icount_t)i);
		ASSERT_NE(after, at_snapshot);
		int64_t changed = snap_restore(vm.m, s, &err);
		ASSERT_GE(changed, 1) << err.msg;
		ASSERT_LE(changed, 4) << "only the written pages are put back";
		ASSERT_EQ(machine_digest(vm.m), at_snapshot) << "iteration " << i;
	}
	// Frames copied for writes are given back on every restore.
	EXPECT_LE(ram_frames_in_use(&vm.m->ram), frames + 4);
	snap_free(s);
}

TEST(Snapshot, RunningOnAfterARestoreIsTheSameAsNeverRestoring)
{
	TestVm straight(1);
	PutCounterLoop(straight);
	uint64_t want = RunTo(straight, 40000);

	TestVm vm(1);
	PutCounterLoop(vm);
	RunTo(vm, 12345);
	struct hv_err err;
	struct snap *s = snap_take(vm.m, &err);
	ASSERT_NE(s, nullptr);
	EXPECT_EQ(RunTo(vm, 40000), want);
	ASSERT_GE(snap_restore(vm.m, s, &err), 0);
	EXPECT_EQ(RunTo(vm, 40000), want);
	ASSERT_GE(snap_restore(vm.m, s, &err), 0);
	EXPECT_EQ(RunTo(vm, 40000), want);
	snap_free(s);
}

TEST(Snapshot, TakingOneCopiesNoPageAndWritesCopyOnlyWhatTheyTouch)
{
	TestVm vm(1);
	PutCounterLoop(vm);
	RunTo(vm, 1000);
	uint64_t frames = ram_frames_in_use(&vm.m->ram);
	struct hv_err err;
	struct snap *s = snap_take(vm.m, &err);
	ASSERT_NE(s, nullptr);
	EXPECT_EQ(ram_frames_in_use(&vm.m->ram), frames);
	RunTo(vm, 20000);
	EXPECT_EQ(ram_frames_in_use(&vm.m->ram), frames + 4);
	snap_free(s);
	// Without the snapshot the copies were the only references left to
	// their pages' old frames: those were freed.
	EXPECT_EQ(ram_frames_in_use(&vm.m->ram), frames);
}

TEST(Snapshot, TwoSnapshotsRestoreIndependently)
{
	TestVm vm(1);
	PutCounterLoop(vm);
	struct hv_err err;
	RunTo(vm, 5000);
	struct snap *a = snap_take(vm.m, &err);
	uint64_t da = machine_digest(vm.m);
	RunTo(vm, 9000);
	struct snap *b = snap_take(vm.m, &err);
	uint64_t db = machine_digest(vm.m);
	RunTo(vm, 15000);
	ASSERT_GE(snap_restore(vm.m, a, &err), 0);
	EXPECT_EQ(machine_digest(vm.m), da);
	ASSERT_GE(snap_restore(vm.m, b, &err), 0);
	EXPECT_EQ(machine_digest(vm.m), db);
	ASSERT_GE(snap_restore(vm.m, a, &err), 0);
	EXPECT_EQ(machine_digest(vm.m), da);
	snap_free(b);
	snap_free(a);
}

// Kept page hashes (machine_keep_page_hashes, for a campaign's worker)
// stand for a page only while it is on the frame they were kept for: a
// written page is hashed again, and a restore that puts its frame back
// makes the kept hash count again. Deliberately wrong kept hashes show
// where they are used; right ones give the digests computed without them.
TEST(Snapshot, KeptPageHashesServeOnlyPagesStillOnTheirFrames)
{
	TestVm vm(1);
	PutCounterLoop(vm);
	RunTo(vm, 1000);
	struct hv_err err;
	struct snap *s = snap_take(vm.m, &err);
	ASSERT_NE(s, nullptr) << err.msg;
	const uint64_t n = vm.m->ram.npages, data = (kData - kRam) >> HV_PAGE_SHIFT;
	std::vector<uint64_t> real(n), wrong(n);
	std::vector<uint32_t> fid(vm.m->ram.fid, vm.m->ram.fid + n);
	machine_page_hashes(vm.m, real.data());
	for (uint64_t p = 0; p < n; p++)
		wrong[p] = real[p] ^ 1;

	machine_keep_page_hashes(vm.m, fid.data(), wrong.data());
	EXPECT_EQ(machine_page_hash(vm.m, data), wrong[data]);
	RunTo(vm, 20000); // writes the loop's 4 pages
	std::vector<uint64_t> kept(n), computed(n);
	machine_page_hashes(vm.m, kept.data());
	machine_keep_page_hashes(vm.m, nullptr, nullptr);
	machine_page_hashes(vm.m, computed.data());
	for (uint64_t p = 0; p < n; p++) {
		bool written = p >= data && p < data + 4;
		EXPECT_EQ(kept[p], written ? computed[p] : wrong[p]) << "page " << p;
	}
	EXPECT_NE(computed[data], real[data]);

	machine_keep_page_hashes(vm.m, fid.data(), wrong.data());
	ASSERT_GE(snap_restore(vm.m, s, &err), 0) << err.msg;
	EXPECT_EQ(machine_page_hash(vm.m, data), wrong[data]);

	machine_keep_page_hashes(vm.m, fid.data(), real.data());
	RunTo(vm, 30000);
	uint64_t with = machine_digest(vm.m), npages_with;
	uint64_t dirty_with = machine_dirty_digest(vm.m, &npages_with);
	machine_keep_page_hashes(vm.m, nullptr, nullptr);
	ASSERT_GE(snap_restore(vm.m, s, &err), 0) << err.msg;
	RunTo(vm, 30000);
	uint64_t npages_without;
	EXPECT_EQ(machine_digest(vm.m), with);
	EXPECT_EQ(machine_dirty_digest(vm.m, &npages_without), dirty_with);
	EXPECT_EQ(npages_without, npages_with);
	snap_free(s);
}

TEST(Snapshot, SelfModifyingCodeIsUndoneToo)
{
	// The program rewrites its own first instruction; after a restore the
	// original code must run again (decoded blocks of restored pages are
	// dropped).
	TestVm vm(1);
	vm.put(kRam, {
			     addi(5, 5, 1), // becomes addi x5, x5, 100
			     sw(12, 11, 0), // x11 = kRam, x12 = the new instruction
			     jal(0, -8),
		     });
	vm.h()->x[11] = kRam;
	vm.h()->x[12] = addi(5, 5, 100);
	struct hv_err err;
	struct snap *s = snap_take(vm.m, &err);
	RunTo(vm, 30);
	uint64_t first = vm.h()->x[5];
	ASSERT_GE(snap_restore(vm.m, s, &err), 0);
	RunTo(vm, 30);
	EXPECT_EQ(vm.h()->x[5], first);
	EXPECT_EQ(first, 1u + 100u * 9u);
	snap_free(s);
}

} // namespace

// ---------------------------------------------------------------------------
// Forks, the snapshot tree and snapshot files (issue 5).
// ---------------------------------------------------------------------------

extern "C" {
#include "base/crc32.h"
#include "base/sha256.h"
#include "snapshot/file.h"
#include "snapshot/tree.h"
}

// The paravirtual extension's public header, as guests include it, and
// the host's SBI errors.
extern "C" {
#include <retrovisor/pv.h>

#include "hv/platform/sbi.h"
}

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>

namespace {

constexpr uint64_t kHandler = kRam + 0x100;

// A machine-mode program that takes timer interrupts while it counts: the
// main loop stores the count and the time CSR into the 16 KiB ring at kData;
// the handler (at kHandler) counts interrupts in x20 and sets the next
// deadline 500 ticks on through the CLINT's mtimecmp. Its state therefore
// covers the harts' interrupt and timer state, the CLINT and the clock, not
// only registers and RAM.
void PutClockLoop(TestVm &vm)
{
	vm.put(kRam, {
			     csrrw(0, CSR_MTVEC, 11),
			     csrrs(13, CSR_TIME, 0),
			     addi(13, 13, 500),
			     sd(13, 12, 0),
			     addi(14, 0, 0x80),
			     csrrs(0, CSR_MIE, 14),
			     csrrsi(0, CSR_MSTATUS, 8),
			     // loop (kRam + 28):
			     addi(5, 5, 1),
			     csrrs(8, CSR_TIME, 0),
			     slli(6, 5, 3),
			     andi(6, 6, 0x7f8),
			     slli(6, 6, 3),
			     add(7, 10, 6),
			     sd(5, 7, 0),
			     sd(8, 7, 8),
			     jal(0, -32),
		     });
	vm.put(kHandler, {
				 addi(20, 20, 1),
				 csrrs(13, CSR_TIME, 0),
				 addi(13, 13, 500),
				 sd(13, 12, 0),
				 mret(),
			 });
	vm.h()->x[10] = kData;
	vm.h()->x[11] = kHandler;
	vm.h()->x[12] = HV_CLINT_BASE + 0x4000;
}

// What must be equal between two machines in the same state, beyond the
// digest: the clock and instruction counts (the digest does not cover
// them, and a guest that reads time would diverge later).
void ExpectSameState(TestVm &a, TestVm &b)
{
	EXPECT_EQ(machine_digest(a.m), machine_digest(b.m));
	EXPECT_EQ(a.m->total_insns, b.m->total_insns);
	EXPECT_EQ(a.m->itime, b.m->itime);
	EXPECT_EQ(a.m->rounds, b.m->rounds);
	EXPECT_EQ(a.m->time_seen, b.m->time_seen);
	for (unsigned i = 0; i < a.m->nharts; i++) {
		EXPECT_EQ(a.h(i)->icount, b.h(i)->icount) << "hart " << i;
		EXPECT_EQ(a.h(i)->mtimecmp, b.h(i)->mtimecmp) << "hart " << i;
	}
}

struct SnapDeleter {
	void operator()(struct snap *s) const { snap_free(s); }
};
using SnapPtr = std::unique_ptr<struct snap, SnapDeleter>;

SnapPtr Take(TestVm &vm)
{
	struct hv_err err;
	std::memset(&err, 0, sizeof(err));
	SnapPtr s(snap_take(vm.m, &err));
	EXPECT_NE(s, nullptr) << err.msg;
	return s;
}

int64_t Restore(TestVm &vm, const struct snap *s)
{
	struct hv_err err;
	std::memset(&err, 0, sizeof(err));
	int64_t r = snap_restore(vm.m, s, &err);
	EXPECT_GE(r, 0) << err.msg;
	return r;
}

// Released numbers never change (<retrovisor/pv.h>, STABILITY): a guest
// built against version 1 must keep working.
TEST(PvAbi, ReleasedNumbersAreUnchanged)
{
	EXPECT_EQ(RV_PV_EXT, 0x08525653u);
	EXPECT_GE(RV_PV_VERSION, 1u);
	EXPECT_EQ(RV_PV_GET_VERSION, 0u);
	EXPECT_EQ(RV_PV_SNAPSHOT, 1u);
	EXPECT_EQ(RV_PV_RESTORE, 2u);
	EXPECT_EQ(RV_PV_END_ITERATION, 3u);
	EXPECT_EQ(RV_PV_GET_INPUT, 4u);
	EXPECT_EQ(RV_PV_TAGS, 64u);
}

// The error values are SBI v2.0's, and the same as the host's own SBI
// implementation answers with.
TEST(PvAbi, ErrorsAreSbiErrors)
{
	EXPECT_EQ(RV_PV_SUCCESS, SBI_SUCCESS);
	EXPECT_EQ(RV_PV_ERR_FAILED, SBI_ERR_FAILED);
	EXPECT_EQ(RV_PV_ERR_NOT_SUPPORTED, SBI_ERR_NOT_SUPPORTED);
	EXPECT_EQ(RV_PV_ERR_INVALID_PARAM, SBI_ERR_INVALID_PARAM);
	EXPECT_EQ(RV_PV_ERR_INVALID_ADDRESS, SBI_ERR_INVALID_ADDRESS);
	EXPECT_EQ(RV_PV_ERR_FAILED, -1);
	EXPECT_EQ(RV_PV_ERR_NOT_SUPPORTED, -2);
	EXPECT_EQ(RV_PV_ERR_INVALID_PARAM, -3);
	EXPECT_EQ(RV_PV_ERR_INVALID_ADDRESS, -5);
}

/* ---- Forks ---- */

TEST(Fork, AMachineRestoredFromAnotherMachinesSnapshotIsThatMachine)
{
	TestVm a(1);
	PutClockLoop(a);
	RunTo(a, 30000);
	ASSERT_GT(a.h()->x[20], 0u) << "the timer interrupt must have fired";
	SnapPtr s = Take(a);
	uint64_t at = machine_digest(a.m);

	TestVm b(1);
	ASSERT_NE(machine_digest(b.m), at);
	Restore(b, s.get());
	EXPECT_EQ(machine_digest(b.m), at);
	ExpectSameState(a, b);

	// Both run on identically, timer interrupts included.
	uint64_t irq = a.h()->x[20];
	uint64_t da = RunTo(a, 90000);
	uint64_t db = RunTo(b, 90000);
	EXPECT_EQ(da, db);
	ExpectSameState(a, b);
	EXPECT_GT(a.h()->x[20], irq);
	EXPECT_EQ(a.h()->x[20], b.h()->x[20]);
}

TEST(Fork, WritesInOneForkDoNotShowInTheOther)
{
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 5000);
	SnapPtr s = Take(a);
	uint64_t at = machine_digest(a.m);
	TestVm b(1);
	Restore(b, s.get());

	// a runs (its loop writes the ring): b does not see it.
	RunTo(a, 25000);
	EXPECT_NE(machine_digest(a.m), at);
	EXPECT_EQ(machine_digest(b.m), at);
	// A write through the host path, each way.
	a.put64(kData + 0x10000, 0x1111);
	b.put64(kData + 0x10008, 0x2222);
	EXPECT_EQ(a.get64(kData + 0x10000), 0x1111u);
	EXPECT_EQ(b.get64(kData + 0x10000), 0u);
	EXPECT_EQ(b.get64(kData + 0x10008), 0x2222u);
	EXPECT_EQ(a.get64(kData + 0x10008), 0u);
	// ... and the snapshot saw neither: restoring it into a gives b's old
	// state back.
	Restore(a, s.get());
	EXPECT_EQ(machine_digest(a.m), at);
	EXPECT_EQ(a.get64(kData + 0x10000), 0u);
}

TEST(Fork, ForksShareFramesAndGrowOnlyByThePagesTheyWrite)
{
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 5000);
	SnapPtr s = Take(a);
	uint64_t frames = ram_frames_in_use(&a.m->ram);
	ASSERT_GE(frames, a.m->ram.npages);

	TestVm b(1);
	Restore(b, s.get());
	// One pool: b's own frames went back, it shares a's.
	EXPECT_EQ(ram_frames_in_use(&b.m->ram), frames);
	EXPECT_EQ(ram_frames_in_use(&a.m->ram), frames);

	RunTo(b, 25000); // the loop writes 4 pages
	EXPECT_EQ(ram_frames_in_use(&b.m->ram), frames + 4);
	RunTo(a, 25000);
	EXPECT_EQ(ram_frames_in_use(&a.m->ram), frames + 8);
	// Writing the same pages again copies nothing more.
	RunTo(a, 45000);
	RunTo(b, 45000);
	EXPECT_EQ(ram_frames_in_use(&a.m->ram), frames + 8);
}

TEST(Fork, SixteenForksCostLessThanTwoCopiesOfTheGuest)
{
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 5000);
	SnapPtr s = Take(a);
	uint64_t at = machine_digest(a.m);
	std::vector<std::unique_ptr<TestVm>> forks;
	for (int i = 0; i < 16; i++) {
		forks.emplace_back(new TestVm(1));
		Restore(*forks.back(), s.get());
		RunTo(*forks.back(), 5000 + 1000 * (icount_t)(i + 1));
	}
	uint64_t frames = ram_frames_in_use(&a.m->ram);
	EXPECT_LT(frames, 2 * a.m->ram.npages);
	EXPECT_LE(frames, a.m->ram.npages + 16 * 4 + 8);
	// Every fork restores back to the snapshot exactly.
	for (auto &f : forks) {
		Restore(*f, s.get());
		EXPECT_EQ(machine_digest(f->m), at);
	}
}

TEST(Fork, ASnapshotOutlivesItsMachine)
{
	TestVm straight(1);
	PutClockLoop(straight);
	RunTo(straight, 20000);
	uint64_t want_at = machine_digest(straight.m);
	uint64_t want_later = RunTo(straight, 70000);

	SnapPtr s;
	{
		auto a = std::make_unique<TestVm>(1);
		PutClockLoop(*a);
		RunTo(*a, 20000);
		s = Take(*a);
		// A fork made before the machine goes keeps working too.
	}
	// The machine (and its frames' first owner) is gone.
	TestVm c(1);
	Restore(c, s.get());
	EXPECT_EQ(machine_digest(c.m), want_at);
	EXPECT_EQ(RunTo(c, 70000), want_later);
	ExpectSameState(c, straight);
	// And again into a fourth machine, after c ran and wrote pages.
	TestVm d(1);
	Restore(d, s.get());
	EXPECT_EQ(machine_digest(d.m), want_at);
	s.reset(); // c and d hold the frames now
	EXPECT_EQ(RunTo(d, 70000), want_later);
}

TEST(Fork, MachinesForkedFromEachOtherCanBeDestroyedInAnyOrder)
{
	TestVm *a = new TestVm(1);
	PutCounterLoop(*a);
	RunTo(*a, 3000);
	SnapPtr s = Take(*a);
	TestVm *b = new TestVm(1);
	Restore(*b, s.get());
	SnapPtr s2 = Take(*b);
	TestVm *c = new TestVm(1);
	Restore(*c, s2.get());
	delete a;
	s.reset();
	uint64_t at = machine_digest(c->m);
	delete b;
	RunTo(*c, 9000);
	Restore(*c, s2.get());
	EXPECT_EQ(machine_digest(c->m), at);
	s2.reset();
	delete c;
}

TEST(Fork, ShapeCheckRefusesAnotherRamSizeOrHartCountWithASentence)
{
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 1000);
	SnapPtr s = Take(a);
	struct hv_err err;

	TestVm big(1, BOOT_BARE, 0, 0, 32 * kMiB);
	std::memset(&err, 0, sizeof(err));
	EXPECT_EQ(snap_check_shape(big.m, s.get(), &err), -1);
	std::string msg = err.msg;
	EXPECT_NE(msg.find("16 MiB"), std::string::npos) << msg;
	EXPECT_NE(msg.find("32 MiB"), std::string::npos) << msg;
	// snap_restore refuses too, and leaves the machine as it was.
	uint64_t before = machine_digest(big.m);
	std::memset(&err, 0, sizeof(err));
	EXPECT_EQ(snap_restore(big.m, s.get(), &err), -1);
	EXPECT_NE(err.msg[0], 0);
	EXPECT_EQ(machine_digest(big.m), before);

	TestVm two(2);
	std::memset(&err, 0, sizeof(err));
	EXPECT_EQ(snap_check_shape(two.m, s.get(), &err), -1);
	msg = err.msg;
	EXPECT_NE(msg.find("harts"), std::string::npos) << msg;
	EXPECT_NE(msg.find('2'), std::string::npos) << msg;
	before = machine_digest(two.m);
	EXPECT_EQ(snap_restore(two.m, s.get(), &err), -1);
	EXPECT_EQ(machine_digest(two.m), before);

	TestVm same(1);
	std::memset(&err, 0, sizeof(err));
	EXPECT_EQ(snap_check_shape(same.m, s.get(), &err), 0) << err.msg;
}

/* ---- The snapshot tree ---- */

std::string TreeText(const struct snap_tree *t)
{
	char *buf = nullptr;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	snaptree_print(t, f);
	fclose(f);
	std::string s(buf, len);
	free(buf);
	return s;
}

struct TreeDeleter {
	void operator()(struct snap_tree *t) const { snaptree_destroy(t); }
};

TEST(SnapTree, TakesRestoresAndPrintsTheNesting)
{
	TestVm vm(1);
	PutCounterLoop(vm);
	std::unique_ptr<struct snap_tree, TreeDeleter> t(snaptree_create());
	struct hv_err err;
	std::memset(&err, 0, sizeof(err));
	EXPECT_EQ(TreeText(t.get()), "no snapshots\n");

	RunTo(vm, 1000);
	uint64_t da = machine_digest(vm.m);
	ASSERT_EQ(snaptree_take(t.get(), vm.m, "a", &err), 0) << err.msg;
	RunTo(vm, 2000);
	uint64_t db = machine_digest(vm.m);
	ASSERT_EQ(snaptree_take(t.get(), vm.m, "b", &err), 0) << err.msg;
	RunTo(vm, 3000);
	ASSERT_GE(snaptree_restore(t.get(), vm.m, "a", &err), 0) << err.msg;
	EXPECT_EQ(machine_digest(vm.m), da);
	RunTo(vm, 1500);
	uint64_t dc = machine_digest(vm.m);
	ASSERT_EQ(snaptree_take(t.get(), vm.m, "c", &err), 0) << err.msg;
	EXPECT_EQ(snaptree_count(t.get()), 3u);

	// b and c both descend from a; c is current.
	EXPECT_EQ(TreeText(t.get()), "- a at instruction 1000\n"
				     "  - b at instruction 2000\n"
				     "  * c at instruction 1500\n");
	ASSERT_GE(snaptree_restore(t.get(), vm.m, "b", &err), 0);
	EXPECT_EQ(machine_digest(vm.m), db);
	EXPECT_EQ(TreeText(t.get()), "- a at instruction 1000\n"
				     "  * b at instruction 2000\n"
				     "  - c at instruction 1500\n");
	// A snapshot taken after restoring b is b's child.
	RunTo(vm, 2500);
	ASSERT_EQ(snaptree_take(t.get(), vm.m, "d", &err), 0);
	EXPECT_EQ(TreeText(t.get()), "- a at instruction 1000\n"
				     "  - b at instruction 2000\n"
				     "    * d at instruction 2500\n"
				     "  - c at instruction 1500\n");
	ASSERT_GE(snaptree_restore(t.get(), vm.m, "c", &err), 0);
	EXPECT_EQ(machine_digest(vm.m), dc);
	EXPECT_NE(snaptree_find(t.get(), "d"), nullptr);
	EXPECT_EQ(snap_icount(snaptree_find(t.get(), "d")), 2500u);
	EXPECT_EQ(snaptree_find(t.get(), "e"), nullptr);
}

TEST(SnapTree, NamesAreCheckedAndUnknownNamesFail)
{
	EXPECT_FALSE(snaptree_name_ok(""));
	EXPECT_FALSE(snaptree_name_ok("two words"));
	EXPECT_FALSE(snaptree_name_ok("tab\there"));
	EXPECT_FALSE(snaptree_name_ok("new\nline"));
	EXPECT_FALSE(snaptree_name_ok("caf\xc3\xa9"));
	EXPECT_FALSE(snaptree_name_ok(std::string(SNAPTREE_NAME_MAX + 1, 'x').c_str()));
	EXPECT_TRUE(snaptree_name_ok(std::string(SNAPTREE_NAME_MAX, 'x').c_str()));
	EXPECT_TRUE(snaptree_name_ok("guest-1"));
	EXPECT_TRUE(snaptree_name_ok("a/b:c"));

	TestVm vm(1);
	PutCounterLoop(vm);
	std::unique_ptr<struct snap_tree, TreeDeleter> t(snaptree_create());
	struct hv_err err;
	for (const std::string &bad :
	     { std::string(), std::string("a b"), std::string(SNAPTREE_NAME_MAX + 1, 'y') }) {
		std::memset(&err, 0, sizeof(err));
		EXPECT_EQ(snaptree_take(t.get(), vm.m, bad.c_str(), &err), -1) << bad;
		EXPECT_NE(err.msg[0], 0);
	}
	EXPECT_EQ(snaptree_count(t.get()), 0u);
	std::memset(&err, 0, sizeof(err));
	ASSERT_EQ(snaptree_take(t.get(), vm.m, std::string(SNAPTREE_NAME_MAX, 'x').c_str(), &err),
		  0)
		<< err.msg;

	RunTo(vm, 500);
	uint64_t before = machine_digest(vm.m);
	std::memset(&err, 0, sizeof(err));
	EXPECT_EQ(snaptree_restore(t.get(), vm.m, "nope", &err), -1);
	EXPECT_NE(std::string(err.msg).find("nope"), std::string::npos) << err.msg;
	EXPECT_EQ(machine_digest(vm.m), before) << "a failed restore changes nothing";
	std::memset(&err, 0, sizeof(err));
	EXPECT_EQ(snaptree_delete(t.get(), "nope", &err), -1);
	EXPECT_NE(err.msg[0], 0);
}

TEST(SnapTree, TakingAnExistingNameReplacesIt)
{
	TestVm vm(1);
	PutCounterLoop(vm);
	std::unique_ptr<struct snap_tree, TreeDeleter> t(snaptree_create());
	struct hv_err err;
	RunTo(vm, 1000);
	ASSERT_EQ(snaptree_take(t.get(), vm.m, "a", &err), 0);
	RunTo(vm, 2000);
	ASSERT_EQ(snaptree_take(t.get(), vm.m, "b", &err), 0);
	RunTo(vm, 3000);
	ASSERT_EQ(snaptree_take(t.get(), vm.m, "c", &err), 0);
	// Replace b (c's parent) from a state after c: c moves up to a.
	RunTo(vm, 4000);
	uint64_t d4 = machine_digest(vm.m);
	ASSERT_EQ(snaptree_take(t.get(), vm.m, "b", &err), 0);
	EXPECT_EQ(snaptree_count(t.get()), 3u);
	EXPECT_EQ(snap_icount(snaptree_find(t.get(), "b")), 4000u);
	EXPECT_EQ(TreeText(t.get()), "- a at instruction 1000\n"
				     "  - c at instruction 3000\n"
				     "    * b at instruction 4000\n");
	RunTo(vm, 5000);
	ASSERT_GE(snaptree_restore(t.get(), vm.m, "b", &err), 0);
	EXPECT_EQ(machine_digest(vm.m), d4);
	EXPECT_EQ(vm.m->total_insns, 4000u);
}

TEST(SnapTree, DeletingASnapshotMovesItsChildrenToItsParent)
{
	TestVm vm(1);
	PutCounterLoop(vm);
	std::unique_ptr<struct snap_tree, TreeDeleter> t(snaptree_create());
	struct hv_err err;
	RunTo(vm, 1000);
	ASSERT_EQ(snaptree_take(t.get(), vm.m, "root", &err), 0);
	RunTo(vm, 2000);
	ASSERT_EQ(snaptree_take(t.get(), vm.m, "mid", &err), 0);
	RunTo(vm, 3000);
	ASSERT_EQ(snaptree_take(t.get(), vm.m, "leaf1", &err), 0);
	ASSERT_GE(snaptree_restore(t.get(), vm.m, "mid", &err), 0);
	RunTo(vm, 2500);
	uint64_t d25 = machine_digest(vm.m);
	ASSERT_EQ(snaptree_take(t.get(), vm.m, "leaf2", &err), 0);
	EXPECT_EQ(TreeText(t.get()), "- root at instruction 1000\n"
				     "  - mid at instruction 2000\n"
				     "    - leaf1 at instruction 3000\n"
				     "    * leaf2 at instruction 2500\n");
	ASSERT_EQ(snaptree_delete(t.get(), "mid", &err), 0);
	EXPECT_EQ(snaptree_count(t.get()), 3u);
	EXPECT_EQ(TreeText(t.get()), "- root at instruction 1000\n"
				     "  - leaf1 at instruction 3000\n"
				     "  * leaf2 at instruction 2500\n");
	// Deleting the root makes its children roots; the rest still restore.
	ASSERT_EQ(snaptree_delete(t.get(), "root", &err), 0);
	EXPECT_EQ(TreeText(t.get()), "- leaf1 at instruction 3000\n"
				     "* leaf2 at instruction 2500\n");
	RunTo(vm, 9000);
	ASSERT_GE(snaptree_restore(t.get(), vm.m, "leaf2", &err), 0);
	EXPECT_EQ(machine_digest(vm.m), d25);
	// Deleting the current one: the next snapshot is a root.
	ASSERT_EQ(snaptree_delete(t.get(), "leaf2", &err), 0);
	ASSERT_EQ(snaptree_take(t.get(), vm.m, "new", &err), 0);
	EXPECT_EQ(TreeText(t.get()), "- leaf1 at instruction 3000\n"
				     "* new at instruction 2500\n");
}

TEST(SnapTree, SnapshotsOutliveTheMachineTheyCameFrom)
{
	std::unique_ptr<struct snap_tree, TreeDeleter> t(snaptree_create());
	struct hv_err err;
	uint64_t d;
	{
		TestVm vm(1);
		PutClockLoop(vm);
		RunTo(vm, 8000);
		d = machine_digest(vm.m);
		ASSERT_EQ(snaptree_take(t.get(), vm.m, "x", &err), 0);
	}
	TestVm other(1);
	ASSERT_GE(snaptree_restore(t.get(), other.m, "x", &err), 0) << err.msg;
	EXPECT_EQ(machine_digest(other.m), d);
}

/* ---- Snapshot files ---- */

// A fresh directory for one test (under Bazel's TEST_TMPDIR if set),
// removed with its files at the end.
class TempDir {
public:
	TempDir()
	{
		const char *base = getenv("TEST_TMPDIR");
		std::string tmpl = std::string(base && *base ? base : "/tmp") + "/snaptest.XXXXXX";
		std::vector<char> b(tmpl.begin(), tmpl.end());
		b.push_back(0);
		EXPECT_NE(mkdtemp(b.data()), nullptr);
		path = b.data();
	}
	~TempDir() { Remove(path); }
	std::string operator/(const std::string &name) const { return path + "/" + name; }
	std::string path;

private:
	static void Remove(const std::string &p)
	{
		DIR *d = opendir(p.c_str());
		if (d) {
			while (struct dirent *e = readdir(d)) {
				std::string n = e->d_name;
				if (n != "." && n != "..")
					Remove(p + "/" + n);
			}
			closedir(d);
			rmdir(p.c_str());
		} else {
			unlink(p.c_str());
		}
	}
};

std::vector<uint8_t> ReadAll(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

void WriteAll(const std::string &path, const std::vector<uint8_t> &data, size_t len)
{
	FILE *f = fopen(path.c_str(), "wb");
	ASSERT_NE(f, nullptr);
	if (len) {
		ASSERT_EQ(fwrite(data.data(), 1, len, f), len);
	}
	fclose(f);
}

bool Exists(const std::string &path)
{
	struct stat st;
	return stat(path.c_str(), &st) == 0;
}

const char kConfig[] = "retrovisor test\narg --memory\narg 16M\n";

struct BaseHolder {
	struct snapfile_base b;
	BaseHolder() { std::memset(&b, 0, sizeof(b)); }
	~BaseHolder() { snapfile_base_clear(&b); }
};

int Save(TestVm &vm, const std::string &path, struct snapfile_base *base = nullptr,
	 bool incremental = false, struct snapfile_stats *st = nullptr)
{
	struct hv_err err;
	std::memset(&err, 0, sizeof(err));
	int rc = snapfile_save(vm.m, path.c_str(), kConfig, base, incremental, st, &err);
	EXPECT_EQ(rc, 0) << err.msg;
	return rc;
}

// Open path and apply it to vm; "" on success, else the message.
std::string Load(const std::string &path, TestVm &vm, struct snapfile_base *base = nullptr)
{
	struct hv_err err;
	std::memset(&err, 0, sizeof(err));
	struct snapfile *f = snapfile_open(path.c_str(), &err);
	if (!f)
		return err.msg[0] ? err.msg : "(open failed with an empty message)";
	int rc = snapfile_apply(f, vm.m, base, &err);
	snapfile_close(f);
	if (rc)
		return err.msg[0] ? err.msg : "(apply failed with an empty message)";
	return "";
}

TEST(SnapFile, ASavedMachineLoadsIntoANewOneAndContinuesExactly)
{
	TempDir dir;
	TestVm straight(1);
	PutClockLoop(straight);
	RunTo(straight, 25000);
	uint64_t at = machine_digest(straight.m);
	uint64_t later = RunTo(straight, 80000);

	TestVm a(1);
	PutClockLoop(a);
	RunTo(a, 25000);
	struct snapfile_stats st;
	ASSERT_EQ(Save(a, dir / "a.rvsnap", nullptr, false, &st), 0);
	EXPECT_FALSE(Exists(dir / "a.rvsnap.tmp")) << "the temporary file is renamed";
	EXPECT_EQ(st.file_bytes, ReadAll(dir / "a.rvsnap").size());
	EXPECT_GE(st.pages, 2u); // code and the ring
	EXPECT_LT(st.pages, 16u) << "zero pages are not stored";

	struct hv_err err;
	struct snapfile *f = snapfile_open((dir / "a.rvsnap").c_str(), &err);
	ASSERT_NE(f, nullptr) << err.msg;
	EXPECT_STREQ(snapfile_config(f), kConfig);
	EXPECT_EQ(snapfile_icount(f), 25000u);
	EXPECT_EQ(snapfile_ram_size(f), 16 * kMiB);
	EXPECT_EQ(snapfile_harts(f), 1u);
	TestVm b(1);
	ASSERT_EQ(snapfile_apply(f, b.m, nullptr, &err), 0) << err.msg;
	snapfile_close(f);
	EXPECT_EQ(machine_digest(b.m), at);
	ExpectSameState(a, b);
	EXPECT_EQ(RunTo(b, 80000), later);
	EXPECT_EQ(RunTo(a, 80000), later);
	ExpectSameState(b, straight);
}

TEST(SnapFile, ATwoHartMachineRoundTrips)
{
	TempDir dir;
	TestVm a(2);
	PutCounterLoop(a);
	a.h(1)->x[10] = kData + 0x40000;
	RunTo(a, 30001);
	ASSERT_EQ(Save(a, dir / "two"), 0);
	TestVm b(2);
	ASSERT_EQ(Load(dir / "two", b), "");
	ExpectSameState(a, b);
	EXPECT_EQ(RunTo(a, 70000), RunTo(b, 70000));
	ExpectSameState(a, b);
}

TEST(SnapFile, InfoDescribesTheFile)
{
	TempDir dir;
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 4321);
	ASSERT_EQ(Save(a, dir / "i"), 0);
	char *buf = nullptr;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct hv_err err;
	EXPECT_EQ(snapfile_info((dir / "i").c_str(), out, &err), 0) << err.msg;
	fclose(out);
	std::string text(buf, len);
	free(buf);
	EXPECT_NE(text.find("16 MiB RAM, 1 harts"), std::string::npos) << text;
	EXPECT_NE(text.find("4321"), std::string::npos) << text;
	EXPECT_NE(text.find("full"), std::string::npos) << text;
	EXPECT_NE(text.find("arg 16M"), std::string::npos) << text;
}

TEST(SnapFile, TheSameStateSavedTwiceGivesTheSameBytes)
{
	TempDir dir;
	TestVm a(1);
	PutClockLoop(a);
	RunTo(a, 12345);
	ASSERT_EQ(Save(a, dir / "one"), 0);
	ASSERT_EQ(Save(a, dir / "two"), 0);
	// A fork in the same state, and a machine loaded from the file, save
	// the same bytes too.
	SnapPtr s = Take(a);
	TestVm b(1);
	Restore(b, s.get());
	ASSERT_EQ(Save(b, dir / "three"), 0);
	TestVm c(1);
	ASSERT_EQ(Load(dir / "one", c), "");
	ASSERT_EQ(Save(c, dir / "four"), 0);
	std::vector<uint8_t> one = ReadAll(dir / "one");
	ASSERT_GT(one.size(), 64u);
	EXPECT_TRUE(one == ReadAll(dir / "two"));
	EXPECT_TRUE(one == ReadAll(dir / "three"));
	EXPECT_TRUE(one == ReadAll(dir / "four"));
	// Another state, another file.
	RunTo(a, 12346);
	ASSERT_EQ(Save(a, dir / "five"), 0);
	EXPECT_FALSE(one == ReadAll(dir / "five"));
}

// A machine that has written many pages, so that a full file is much larger
// than an incremental one after a few more instructions.
void PutManyPages(TestVm &vm, unsigned pages)
{
	for (unsigned p = 0; p < pages; p++)
		vm.put64(kRam + 0x400000 + (uint64_t)p * HV_PAGE_SIZE, 0x5eed0000u + p * 7919u);
}

TEST(SnapFile, AnIncrementalFileStoresOnlyTheChangesAndLoadsThroughItsParent)
{
	TempDir dir;
	TestVm a(1);
	PutClockLoop(a);
	PutManyPages(a, 200);
	RunTo(a, 10000);
	BaseHolder base;
	struct snapfile_stats full, incr;
	ASSERT_EQ(Save(a, dir / "full", &base.b, false, &full), 0);
	ASSERT_NE(base.b.path, nullptr);
	EXPECT_EQ(base.b.path[0], '/') << "the parent's path is absolute";
	RunTo(a, 30000);
	// A page the program never writes changes too, and one goes back to zero.
	a.put64(kRam + 0x400000 + 3 * HV_PAGE_SIZE, 0);
	a.put64(kRam + 0xa00000, 42);
	uint64_t at = machine_digest(a.m);
	ASSERT_EQ(Save(a, dir / "incr", &base.b, true, &incr), 0);
	EXPECT_LT(incr.file_bytes, full.file_bytes);
	EXPECT_LE(incr.pages, 8u);
	EXPECT_GE(full.pages, 200u);
	EXPECT_LT(ReadAll(dir / "incr").size(), ReadAll(dir / "full").size());

	TestVm b(1);
	ASSERT_EQ(Load(dir / "incr", b), "");
	EXPECT_EQ(machine_digest(b.m), at);
	ExpectSameState(a, b);
	EXPECT_EQ(b.get64(kRam + 0x400000 + 3 * HV_PAGE_SIZE), 0u);
	EXPECT_EQ(RunTo(a, 60000), RunTo(b, 60000));

	// A chain of three: full <- incr <- incr2.
	RunTo(a, 70000);
	uint64_t at2 = machine_digest(a.m);
	ASSERT_EQ(Save(a, dir / "incr2", &base.b, true, &incr), 0);
	TestVm c(1);
	ASSERT_EQ(Load(dir / "incr2", c), "");
	EXPECT_EQ(machine_digest(c.m), at2);
	ExpectSameState(a, c);
}

// The bytes of files by name, for snapfile_open_mem; records the names it
// is asked for.
struct MemFiles {
	std::map<std::string, std::vector<uint8_t>> files;
	std::vector<std::string> asked;

	static int Read(void *opaque, const char *name, const char *child, uint8_t **data,
			size_t *len, char **found, struct hv_err *err)
	{
		MemFiles *mf = static_cast<MemFiles *>(opaque);
		(void)child;
		mf->asked.push_back(name);
		auto it = mf->files.find(name);
		if (it == mf->files.end()) {
			hv_err_set(err, "no file '%s' in memory", name);
			return -1;
		}
		*data = static_cast<uint8_t *>(malloc(it->second.size()));
		std::memcpy(*data, it->second.data(), it->second.size());
		*len = it->second.size();
		*found = strdup(name);
		return 0;
	}
};

TEST(SnapFile, AChainOpenedFromMemoryLoadsAsFromFiles)
{
	TempDir dir;
	TestVm a(1);
	PutClockLoop(a);
	RunTo(a, 10000);
	BaseHolder base;
	ASSERT_EQ(Save(a, dir / "full", &base.b), 0);
	std::string parent = base.b.path;
	RunTo(a, 30000);
	ASSERT_EQ(Save(a, dir / "incr", &base.b, true), 0);
	uint64_t at = machine_digest(a.m);

	MemFiles mf;
	mf.files[parent] = ReadAll(dir / "full");
	std::vector<uint8_t> leaf = ReadAll(dir / "incr");
	struct snapfile_source src = { MemFiles::Read, &mf };
	struct hv_err err;
	std::memset(&err, 0, sizeof(err));
	struct snapfile *f = snapfile_open_mem("leaf", leaf.data(), leaf.size(), &src, &err);
	ASSERT_NE(f, nullptr) << err.msg;
	EXPECT_EQ(mf.asked, std::vector<std::string>{ parent }) << "asked by the stored path";
	EXPECT_EQ(snapfile_icount(f), 30000u);
	TestVm b(1);
	ASSERT_EQ(snapfile_apply(f, b.m, nullptr, &err), 0) << err.msg;
	snapfile_close(f);
	EXPECT_EQ(machine_digest(b.m), at);
	ExpectSameState(a, b);

	// Without a source, or with one that has no such file, it is refused
	// with a sentence naming the file.
	f = snapfile_open_mem("leaf", leaf.data(), leaf.size(), nullptr, &err);
	EXPECT_EQ(f, nullptr);
	EXPECT_NE(std::string(err.msg).find("'leaf' is incremental"), std::string::npos) << err.msg;
	mf.files.clear();
	f = snapfile_open_mem("leaf", leaf.data(), leaf.size(), &src, &err);
	EXPECT_EQ(f, nullptr);
	EXPECT_NE(std::string(err.msg).find("no file"), std::string::npos) << err.msg;
}

TEST(SnapFile, AnIncrementalSaveAfterLoadingUsesTheLoadedFileAsParent)
{
	TempDir dir;
	TestVm a(1);
	PutClockLoop(a);
	PutManyPages(a, 100);
	RunTo(a, 10000);
	ASSERT_EQ(Save(a, dir / "full"), 0);
	TestVm b(1);
	BaseHolder base;
	ASSERT_EQ(Load(dir / "full", b, &base.b), "");
	ASSERT_NE(base.b.snap, nullptr);
	RunTo(b, 20000);
	uint64_t at = machine_digest(b.m);
	struct snapfile_stats st;
	ASSERT_EQ(Save(b, dir / "incr", &base.b, true, &st), 0);
	EXPECT_LE(st.pages, 8u);
	TestVm c(1);
	ASSERT_EQ(Load(dir / "incr", c), "");
	EXPECT_EQ(machine_digest(c.m), at);
}

TEST(SnapFile, AnIncrementalSaveAfterAForkStoresWhatDiffersFromItsParent)
{
	// The parent's snapshot lives in machine a's frame pool; after a is
	// restored from a snapshot of another machine (a fork), a's frames
	// come from that machine's pool. Frame ids of two pools say nothing
	// about equal contents.
	TempDir dir;
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 5000);
	BaseHolder base;
	ASSERT_EQ(Save(a, dir / "full", &base.b), 0);

	TestVm other(1);
	PutClockLoop(other);
	other.put64(kRam + 0x300000, 0xfeedface);
	RunTo(other, 20000);
	SnapPtr s = Take(other);
	Restore(a, s.get());
	uint64_t at = machine_digest(a.m);
	ASSERT_EQ(at, machine_digest(other.m));

	ASSERT_EQ(Save(a, dir / "incr", &base.b, true), 0);
	TestVm c(1);
	ASSERT_EQ(Load(dir / "incr", c), "");
	EXPECT_EQ(c.get64(kRam + 0x300000), 0xfeedfaceu);
	EXPECT_EQ(machine_digest(c.m), at) << "the loaded machine is not the saved one";
}

TEST(SnapFile, AFileOfAnotherShapeIsRefused)
{
	TempDir dir;
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 2000);
	ASSERT_EQ(Save(a, dir / "s"), 0);

	TestVm two(2);
	uint64_t before = machine_digest(two.m);
	std::string msg = Load(dir / "s", two);
	EXPECT_NE(msg.find("another machine"), std::string::npos) << msg;
	EXPECT_EQ(machine_digest(two.m), before);

	TestVm big(1, BOOT_BARE, 0, 0, 32 * kMiB);
	msg = Load(dir / "s", big);
	EXPECT_NE(msg.find("another machine"), std::string::npos) << msg;
	EXPECT_NE(msg.find("16 MiB"), std::string::npos) << msg;
}

// Rewrite the header's version field (offset 8) and fix its CRC-32.
void PatchVersion(std::vector<uint8_t> &d, uint32_t version)
{
	for (int i = 0; i < 4; i++)
		d[8 + i] = (uint8_t)(version >> (8 * i));
	uint32_t crc = crc32_compute(d.data(), 60);
	for (int i = 0; i < 4; i++)
		d[60 + i] = (uint8_t)(crc >> (8 * i));
}

TEST(SnapFile, AnotherFormatVersionIsRefusedNamingBothVersions)
{
	TempDir dir;
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 2000);
	ASSERT_EQ(Save(a, dir / "s"), 0);
	std::vector<uint8_t> d = ReadAll(dir / "s");
	// Version 2 is the format before the hart record (hv/cpu/hart.h): its files
	// are refused, not misread.
	for (uint32_t v : { 0u, 2u, SNAPFILE_VERSION + 1, 0x7fffffffu }) {
		PatchVersion(d, v);
		WriteAll(dir / "v", d, d.size());
		TestVm b(1);
		std::string msg = Load(dir / "v", b);
		EXPECT_NE(msg.find("version " + std::to_string(v)), std::string::npos) << msg;
		EXPECT_NE(msg.find("version " + std::to_string(SNAPFILE_VERSION)),
			  std::string::npos)
			<< msg;
	}
	// Patched back to the real version it loads again: only the version
	// was wrong.
	PatchVersion(d, SNAPFILE_VERSION);
	WriteAll(dir / "v", d, d.size());
	TestVm c(1);
	EXPECT_EQ(Load(dir / "v", c), "");
}

TEST(SnapFile, AnIncrementalFileWhoseParentWasOverwrittenIsRefused)
{
	TempDir dir;
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 2000);
	BaseHolder base;
	ASSERT_EQ(Save(a, dir / "p", &base.b), 0);
	RunTo(a, 4000);
	ASSERT_EQ(Save(a, dir / "c", &base.b, true), 0);
	RunTo(a, 6000);
	ASSERT_EQ(Save(a, dir / "p"), 0); // another state under the parent's name
	TestVm b(1);
	std::string msg = Load(dir / "c", b);
	EXPECT_NE(msg.find("overwritten"), std::string::npos) << msg;
	EXPECT_NE(msg.find(dir / "p"), std::string::npos) << msg;
}

TEST(SnapFile, AMissingParentIsNamed)
{
	TempDir dir;
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 2000);
	BaseHolder base;
	ASSERT_EQ(Save(a, dir / "p", &base.b), 0);
	RunTo(a, 4000);
	ASSERT_EQ(Save(a, dir / "c", &base.b, true), 0);
	ASSERT_EQ(unlink((dir / "p").c_str()), 0);
	TestVm b(1);
	std::string msg = Load(dir / "c", b);
	EXPECT_NE(msg.find(dir / "p"), std::string::npos) << msg;
}

TEST(SnapFile, AParentMovedIntoTheChildsFolderIsFound)
{
	TempDir d1, d2;
	TestVm a(1);
	PutClockLoop(a);
	RunTo(a, 3000);
	BaseHolder base;
	ASSERT_EQ(Save(a, d1 / "parent.rvsnap", &base.b), 0);
	RunTo(a, 9000);
	uint64_t at = machine_digest(a.m);
	ASSERT_EQ(Save(a, d2 / "child.rvsnap", &base.b, true), 0);
	ASSERT_EQ(rename((d1 / "parent.rvsnap").c_str(), (d2 / "parent.rvsnap").c_str()), 0);
	TestVm b(1);
	ASSERT_EQ(Load(d2 / "child.rvsnap", b), "");
	EXPECT_EQ(machine_digest(b.m), at);
	ExpectSameState(a, b);
}

/* ---- Damaged files ---- */

// Byte offsets where the file's sections start (after the 64-byte header)
// and its length, from the section headers.
std::vector<size_t> SectionStarts(const std::vector<uint8_t> &d)
{
	std::vector<size_t> at;
	size_t off = 64;
	while (off + 32 <= d.size()) {
		at.push_back(off);
		uint64_t stored = 0;
		for (int i = 0; i < 8; i++)
			stored |= (uint64_t)d[off + 16 + i] << (8 * i);
		off += 32 + stored;
	}
	EXPECT_EQ(off, d.size());
	return at;
}

// Every damaged variant must be refused with a message: at open, or at
// the latest when applied to a machine of the right shape.
void ExpectRefused(const std::string &path, const std::string &what)
{
	struct hv_err err;
	std::memset(&err, 0, sizeof(err));
	struct snapfile *f = snapfile_open(path.c_str(), &err);
	if (!f) {
		EXPECT_NE(err.msg[0], 0) << what << ": refused without a message";
		return;
	}
	TestVm b(1);
	std::memset(&err, 0, sizeof(err));
	int rc = snapfile_apply(f, b.m, nullptr, &err);
	snapfile_close(f);
	EXPECT_EQ(rc, -1) << what << ": a damaged file was accepted";
	if (rc) {
		EXPECT_NE(err.msg[0], 0) << what << ": refused without a message";
	}
}

TEST(SnapFileCorrupt, EveryTruncationIsRefusedWithAMessage)
{
	TempDir dir;
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 3000);
	ASSERT_EQ(Save(a, dir / "good"), 0);
	std::vector<uint8_t> d = ReadAll(dir / "good");
	std::vector<size_t> starts = SectionStarts(d);
	ASSERT_GE(starts.size(), 5u);

	std::set<size_t> lens = {
		0,  1,  7,  8,  12, 16, 32,           48,           59,           60,
		63, 64, 65, 95, 96, 97, d.size() - 1, d.size() - 2, d.size() - 4, d.size() - 32
	};
	for (size_t s : starts)
		for (long delta : { -1L, 0L, 1L, 28L, 31L, 32L, 33L })
			if ((long)s + delta >= 0 && s + delta < d.size())
				lens.insert(s + delta);
	for (size_t i = 0; lens.size() < 260 && i < 1000; i++)
		lens.insert(i * d.size() / 1000);
	ASSERT_GE(lens.size(), 200u);
	std::string path = dir / "cut";
	for (size_t len : lens) {
		ASSERT_LT(len, d.size());
		WriteAll(path, d, len);
		ExpectRefused(path, "truncated to " + std::to_string(len) + " of " +
					    std::to_string(d.size()) + " bytes");
	}
	// Bytes after the END section are refused too.
	std::vector<uint8_t> longer = d;
	longer.push_back(0);
	WriteAll(path, longer, longer.size());
	ExpectRefused(path, "one byte appended");
	// The intact file still loads (the damage, not the file, was refused).
	TestVm b(1);
	EXPECT_EQ(Load(dir / "good", b), "");
}

TEST(SnapFileCorrupt, EverySingleBitFlipIsRefusedWithAMessage)
{
	TempDir dir;
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 3000);
	ASSERT_EQ(Save(a, dir / "good"), 0);
	std::vector<uint8_t> d = ReadAll(dir / "good");
	std::vector<size_t> starts = SectionStarts(d);

	std::set<std::pair<size_t, int>> flips;
	for (size_t i = 0; i < 64; i++)
		flips.insert({ i, (int)(i % 8) });
	for (size_t s : starts)
		for (size_t i = 0; i < 32; i++)
			flips.insert({ s + i, (int)((s + i) % 8) });
	for (size_t i = 0; i < 600; i++)
		flips.insert({ i * d.size() / 600, (int)(i * 5 % 8) });
	ASSERT_GE(flips.size(), 500u);
	std::string path = dir / "flip";
	for (auto [off, bit] : flips) {
		std::vector<uint8_t> v = d;
		v[off] ^= (uint8_t)(1u << bit);
		WriteAll(path, v, v.size());
		ExpectRefused(path, "bit " + std::to_string(bit) + " of byte " +
					    std::to_string(off) + " flipped");
	}
}

TEST(SnapFileCorrupt, ADamagedParentIsRefused)
{
	TempDir dir;
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 3000);
	BaseHolder base;
	ASSERT_EQ(Save(a, dir / "p", &base.b), 0);
	RunTo(a, 6000);
	ASSERT_EQ(Save(a, dir / "c", &base.b, true), 0);
	std::vector<uint8_t> p = ReadAll(dir / "p");
	p[p.size() / 2] ^= 0x10;
	WriteAll(dir / "p", p, p.size());
	ExpectRefused(dir / "c", "the parent has a flipped bit");
	WriteAll(dir / "p", p, p.size() / 2);
	ExpectRefused(dir / "c", "the parent is truncated");
}

TEST(SnapFileCorrupt, NotASnapshotFileIsRefused)
{
	TempDir dir;
	std::vector<uint8_t> junk(4096, 0x41);
	WriteAll(dir / "junk", junk, junk.size());
	ExpectRefused(dir / "junk", "a file of 'A's");
	ExpectRefused(dir / "does-not-exist", "a missing file");
	ExpectRefused(dir.path, "a folder");
}

} // namespace

// ---------------------------------------------------------------------------
// Hostile files with valid checksums: each section decoded, changed, and
// encoded again with its CRCs made right, so that the checks after the
// checksums (lengths, counts, ranges, the CSR and device checks) are what
// must refuse it. A variant that loads must leave a machine that runs.
// ---------------------------------------------------------------------------

namespace {

struct Section {
	uint32_t type;
	std::vector<uint8_t> raw;
};

uint32_t Le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t Le64(const uint8_t *p)
{
	return (uint64_t)Le32(p) | (uint64_t)Le32(p + 4) << 32;
}

void PutLe(std::vector<uint8_t> &v, uint64_t x, int bytes)
{
	for (int i = 0; i < bytes; i++)
		v.push_back((uint8_t)(x >> (8 * i)));
}

std::vector<Section> Decode(const std::vector<uint8_t> &d)
{
	std::vector<Section> out;
	size_t off = 64;
	while (off + 32 <= d.size()) {
		Section s;
		s.type = Le32(&d[off]);
		uint64_t raw = Le64(&d[off + 8]), stored = Le64(&d[off + 16]);
		s.raw.resize(raw);
		size_t n = ZSTD_decompress(s.raw.data(), raw, &d[off + 32], stored);
		EXPECT_EQ(n, raw);
		out.push_back(std::move(s));
		off += 32 + stored;
	}
	return out;
}

// The header of orig (its CRC still right: it is not changed), then the
// sections, each compressed and checksummed as file.h says. The END
// section is the caller's to include (or leave out, or miscount).
std::vector<uint8_t> Encode(const std::vector<uint8_t> &orig, const std::vector<Section> &secs)
{
	std::vector<uint8_t> f(orig.begin(), orig.begin() + 64);
	for (const Section &s : secs) {
		std::vector<uint8_t> z(ZSTD_compressBound(s.raw.size()));
		size_t n = ZSTD_compress(z.data(), z.size(), s.raw.data(), s.raw.size(), 1);
		EXPECT_FALSE(ZSTD_isError(n));
		z.resize(n);
		std::vector<uint8_t> h;
		PutLe(h, s.type, 4);
		PutLe(h, 0, 4);
		PutLe(h, s.raw.size(), 8);
		PutLe(h, n, 8);
		PutLe(h, crc32_compute(z.data(), n), 4);
		PutLe(h, crc32_compute(h.data(), 28), 4);
		f.insert(f.end(), h.begin(), h.end());
		f.insert(f.end(), z.begin(), z.end());
	}
	return f;
}

// END holds the number of sections before it.
void FixEnd(std::vector<Section> &secs)
{
	if (secs.empty() || secs.back().type != 9)
		return;
	secs.back().raw.clear();
	PutLe(secs.back().raw, secs.size() - 1, 4);
}

// As Encode, and the header made right too: the id (the SHA-256 of the
// section headers, file.h) and the header's CRC, so that the file passes
// every check of the container and only the checks of the sections'
// contents can refuse it.
std::vector<uint8_t> EncodeWithId(const std::vector<uint8_t> &orig,
				  const std::vector<Section> &secs)
{
	std::vector<uint8_t> f = Encode(orig, secs);
	struct sha256_ctx c;
	sha256_init(&c);
	for (size_t off = 64; off + 32 <= f.size(); off += 32 + Le64(&f[off + 16]))
		sha256_update(&c, &f[off], 32);
	uint8_t id[SHA256_DIGEST_SIZE];
	sha256_final(&c, id);
	std::memcpy(&f[16], id, 16);
	uint32_t crc = crc32_compute(f.data(), 60);
	for (int i = 0; i < 4; i++)
		f[60 + i] = (uint8_t)(crc >> (8 * i));
	return f;
}

void AddLe64(std::vector<uint8_t> &v, size_t at, uint64_t add)
{
	uint64_t x = Le64(&v[at]) + add;
	for (int i = 0; i < 8; i++)
		v[at + i] = (uint8_t)(x >> (8 * i));
}

// Open and apply path into a fresh machine: refused with a message, or
// loaded into a machine that then runs 2,000 instructions. Returns whether
// it loaded.
bool LoadOrRefuse(const std::string &path, const std::string &what)
{
	struct hv_err err;
	std::memset(&err, 0, sizeof(err));
	struct snapfile *f = snapfile_open(path.c_str(), &err);
	if (!f) {
		EXPECT_NE(err.msg[0], 0) << what << ": refused at open without a message";
		return false;
	}
	TestVm b(1);
	std::memset(&err, 0, sizeof(err));
	int rc = snapfile_apply(f, b.m, nullptr, &err);
	snapfile_close(f);
	if (rc) {
		EXPECT_NE(err.msg[0], 0) << what << ": refused at apply without a message";
		return false;
	}
	b.m->cfg.max_insns = b.m->total_insns + 2000;
	b.m->stop = STOP_NONE;
	machine_run(b.m);
	machine_digest(b.m);
	return true;
}

TEST(SnapFileHostile, ChangedSectionsWithValidChecksumsAreRefusedOrRun)
{
	TempDir dir;
	TestVm a(1);
	PutClockLoop(a);
	RunTo(a, 7000);
	ASSERT_EQ(Save(a, dir / "good"), 0);
	std::vector<uint8_t> good = ReadAll(dir / "good");
	std::vector<Section> secs = Decode(good);
	ASSERT_GE(secs.size(), 5u);
	ASSERT_EQ(secs.back().type, 9u);
	// Encoding is the identity on an intact file (the test's encoder
	// agrees with the format).
	ASSERT_TRUE(Encode(good, secs) == good);

	uint64_t rng = 0x9e3779b97f4a7c15ull;
	auto next = [&rng]() {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		return rng;
	};
	std::string path = dir / "hostile";
	unsigned loaded = 0, refused = 0;
	for (size_t k = 0; k + 1 < secs.size(); k++) {
		for (int trial = 0; trial < 40; trial++) {
			std::vector<Section> v = secs;
			std::vector<uint8_t> &r = v[k].raw;
			std::string what = "section " + std::to_string(k) + " (type " +
					   std::to_string(v[k].type) + ") ";
			size_t at = r.empty() ? 0 : next() % r.size();
			switch (trial % 6) {
			case 0:
				if (!r.empty())
					r[at] ^= (uint8_t)(1u << (next() % 8));
				what += "bit flipped at " + std::to_string(at);
				break;
			case 1:
				for (size_t i = at; i < at + 4 && i < r.size(); i++)
					r[i] = 0xff;
				what += "0xffffffff at " + std::to_string(at);
				break;
			case 2:
				for (size_t i = at & ~(size_t)7;
				     i < (at & ~(size_t)7) + 8 && i < r.size(); i++)
					r[i] = (uint8_t)next();
				what += "random doubleword at " + std::to_string(at & ~(size_t)7);
				break;
			case 3: {
				size_t cut = 1 + next() % 8;
				r.resize(r.size() > cut ? r.size() - cut : 0);
				what += "cut by " + std::to_string(cut);
				break;
			}
			case 4: {
				size_t add = 1 + next() % 8;
				for (size_t i = 0; i < add; i++)
					r.push_back((uint8_t)next());
				what += "extended by " + std::to_string(add);
				break;
			}
			case 5:
				// The first doubleword (version, index, page number...).
				for (size_t i = 0; i < 8 && i < r.size(); i++)
					r[i] = (uint8_t)next();
				what += "first doubleword random";
				break;
			}
			FixEnd(v);
			WriteAll(path, EncodeWithId(good, v), EncodeWithId(good, v).size());
			(LoadOrRefuse(path, what) ? loaded : refused)++;
		}
	}
	// Whole sections missing, doubled, moved or of another type.
	for (size_t k = 0; k + 1 < secs.size(); k++) {
		std::vector<Section> v = secs;
		v.erase(v.begin() + (long)k);
		FixEnd(v);
		WriteAll(path, EncodeWithId(good, v), EncodeWithId(good, v).size());
		// RAM sections are optional (zero pages are not stored): a file
		// without one is a file of another state, not a damaged one.
		if (secs[k].type == 8) {
			(LoadOrRefuse(path, "RAM section left out") ? loaded : refused)++;
		} else {
			EXPECT_FALSE(
				LoadOrRefuse(path, "section " + std::to_string(k) + " left out"))
				<< "section " << k << " (type " << secs[k].type << ") left out";
		}

		v = secs;
		v.insert(v.begin() + (long)k, secs[k]);
		FixEnd(v);
		WriteAll(path, EncodeWithId(good, v), EncodeWithId(good, v).size());
		(LoadOrRefuse(path, "section " + std::to_string(k) + " twice") ? loaded :
										 refused)++;

		for (uint32_t type = 1; type <= 9; type++) {
			if (type == secs[k].type)
				continue;
			v = secs;
			v[k].type = type;
			FixEnd(v);
			WriteAll(path, EncodeWithId(good, v), EncodeWithId(good, v).size());
			(LoadOrRefuse(path, "section " + std::to_string(k) + " as type " +
						    std::to_string(type)) ?
				 loaded :
				 refused)++;
		}
	}
	// END miscounting, and no END at all.
	{
		std::vector<Section> v = secs;
		v.back().raw[0] ^= 1;
		WriteAll(path, EncodeWithId(good, v), EncodeWithId(good, v).size());
		EXPECT_FALSE(LoadOrRefuse(path, "END miscounts"));
		v.pop_back();
		WriteAll(path, EncodeWithId(good, v), EncodeWithId(good, v).size());
		EXPECT_FALSE(LoadOrRefuse(path, "no END"));
	}
	EXPECT_GT(refused, 100u);
	// With the id made right, harmless changes (a register's value, a
	// page's bytes) load: variants get past the container's checks.
	EXPECT_GT(loaded, 10u);
	std::printf("%u hostile variants refused, %u loaded and ran\n", refused, loaded);
}

TEST(SnapFileHostile, EncodingWithTheIdIsTheIdentityOnAnIntactFile)
{
	TempDir dir;
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 3000);
	ASSERT_EQ(Save(a, dir / "good"), 0);
	std::vector<uint8_t> good = ReadAll(dir / "good");
	EXPECT_TRUE(EncodeWithId(good, Decode(good)) == good);
}

// `snapshot info` read a RAM section's page count at byte 12 and a DISK
// section's block count at byte 4 without looking at the section's
// length (a heap over-read of a short section).
TEST(SnapFileHostile, InfoRefusesARamSectionShorterThanItsFixedFields)
{
	TempDir dir;
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 3000);
	ASSERT_EQ(Save(a, dir / "good"), 0);
	std::vector<uint8_t> good = ReadAll(dir / "good");
	std::vector<Section> secs = Decode(good);
	for (size_t cut : { 0u, 4u, 12u, 15u }) {
		std::vector<Section> v = secs;
		auto ram = std::find_if(v.begin(), v.end(),
					[](const Section &x) { return x.type == 8; });
		ASSERT_NE(ram, v.end());
		ram->raw.resize(cut);
		std::vector<uint8_t> f = EncodeWithId(good, v);
		WriteAll(dir / "short", f, f.size());
		char *buf = nullptr;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);
		struct hv_err err;
		std::memset(&err, 0, sizeof(err));
		EXPECT_EQ(snapfile_info((dir / "short").c_str(), out, &err), -1)
			<< "a RAM section of " << cut << " bytes";
		fclose(out);
		EXPECT_EQ(len, 0u) << "nothing is printed of a damaged file";
		free(buf);
		EXPECT_NE(std::string(err.msg).find("damaged at byte"), std::string::npos)
			<< err.msg;
	}
}

TEST(SnapFileHostile, InfoRefusesADiskSectionShorterThanItsFixedFields)
{
	TempDir dir;
	TestVm a(1);
	PutCounterLoop(a);
	RunTo(a, 3000);
	ASSERT_EQ(Save(a, dir / "good"), 0);
	std::vector<uint8_t> good = ReadAll(dir / "good");
	std::vector<Section> secs = Decode(good);
	for (size_t cut : { 0u, 3u, 7u }) {
		std::vector<Section> v = secs;
		Section disk;
		disk.type = 7;
		disk.raw.assign(cut, 0xff);
		v.insert(v.end() - 1, disk);
		FixEnd(v);
		std::vector<uint8_t> f = EncodeWithId(good, v);
		WriteAll(dir / "short", f, f.size());
		FILE *out = fopen("/dev/null", "w");
		struct hv_err err;
		std::memset(&err, 0, sizeof(err));
		EXPECT_EQ(snapfile_info((dir / "short").c_str(), out, &err), -1)
			<< "a DISK section of " << cut << " bytes";
		fclose(out);
		EXPECT_NE(std::string(err.msg).find("damaged at byte"), std::string::npos)
			<< err.msg;
	}
}

// The scheduler runs a hart only while its clock is behind the round's
// end: a file whose hart clock was far ahead of the machine clock loaded,
// and machine_run then went round after round with nothing retiring (not
// even --max-instructions stopped it). Clocks that no saved machine can
// have are refused with the section they are in.
TEST(SnapFileHostile, ClocksThatDisagreeAreRefused)
{
	TempDir dir;
	TestVm a(1);
	PutClockLoop(a);
	RunTo(a, 7000);
	ASSERT_EQ(Save(a, dir / "good"), 0);
	std::vector<uint8_t> good = ReadAll(dir / "good");
	std::vector<Section> secs = Decode(good);
	size_t hart = 0, mach = 0;
	for (size_t k = 0; k < secs.size(); k++) {
		if (secs[k].type == 4)
			hart = k;
		if (secs[k].type == 3)
			mach = k;
	}
	ASSERT_GT(hart, 0u);
	ASSERT_GT(mach, 0u);
	// The hart record ends: itime_offset, timer_deadline, wfi, trap_loop,
	// trap_loop_round, hsm, hsm_start_addr, hsm_opaque, traps (hv/cpu/hart.h).
	const size_t offset_at = secs[hart].raw.size() - 54;
	// MACHINE: version, RAM size, harts, devices, drives, itime, rounds,
	// time_seen (file.c).
	const size_t itime_at = 4 + 8 + 4 + 4 + 4, seen_at = itime_at + 16;
	struct Case {
		const char *what;
		size_t sec, at;
		uint64_t add;
	} cases[] = {
		{ "the hart's clock 2^40 ahead", hart, offset_at, 1ull << 40 },
		{ "the hart's clock one quantum and one ahead", hart, offset_at, 10001 },
		{ "the hart's clock wrapping", hart, offset_at, ~0ull - 5 },
		{ "the machine clock ahead of the hart's", mach, itime_at, 20001 },
		{ "the machine clock near 2^64", mach, itime_at, ~0ull - 20000 },
		{ "time seen ahead of every clock", mach, seen_at, 1000 },
	};
	for (const Case &c : cases) {
		std::vector<Section> v = secs;
		AddLe64(v[c.sec].raw, c.at, c.add);
		std::vector<uint8_t> f = EncodeWithId(good, v);
		WriteAll(dir / "clock", f, f.size());
		TestVm b(1);
		std::string msg = Load(dir / "clock", b);
		EXPECT_NE(msg.find("malformed"), std::string::npos) << c.what << ": " << msg;
	}
	// The intact file, through the same encoder, still loads and runs.
	std::vector<uint8_t> f = EncodeWithId(good, secs);
	WriteAll(dir / "clock", f, f.size());
	TestVm b(1);
	EXPECT_EQ(Load(dir / "clock", b), "");
	EXPECT_EQ(RunTo(b, 20000), RunTo(a, 20000));
}

// Apply counted HART and DEVICE sections: one stored twice in place of
// another (the count still right) left the other at its power-on state.
TEST(SnapFileHostile, AHartOrDeviceStoredTwiceInPlaceOfAnotherIsRefused)
{
	TempDir dir;
	TestVm a(2);
	PutCounterLoop(a);
	a.h(1)->x[10] = kData + 0x40000;
	RunTo(a, 30000);
	ASSERT_EQ(Save(a, dir / "good"), 0);
	std::vector<uint8_t> good = ReadAll(dir / "good");
	std::vector<Section> secs = Decode(good);
	for (uint32_t type : { 4u, 5u }) {
		std::vector<size_t> at;
		for (size_t k = 0; k < secs.size(); k++)
			if (secs[k].type == type)
				at.push_back(k);
		ASSERT_GE(at.size(), 2u);
		std::vector<Section> v = secs;
		v[at[1]] = v[at[0]];
		std::vector<uint8_t> f = EncodeWithId(good, v);
		WriteAll(dir / "twice", f, f.size());
		TestVm b(2);
		std::string msg = Load(dir / "twice", b);
		EXPECT_NE(msg.find("stored twice"), std::string::npos)
			<< (type == 4 ? "hart" : "device") << ": " << msg;
	}
	TestVm b(2);
	EXPECT_EQ(Load(dir / "good", b), "");
}

} // namespace

// ---------------------------------------------------------------------------
// Drives: the copy-on-write overlays of their images are snapshotted,
// forked and saved with the rest of the machine.
// ---------------------------------------------------------------------------

extern "C" {
#include "hv/dev/backend/disk.h"
}

namespace {

// A machine with one drive over image (snapshot mode: writes stay in the
// overlay). Otherwise the shape of TestVm.
struct DriveVm {
	explicit DriveVm(const std::string &image)
	{
		struct machine_config cfg;
		struct hv_err err;
		std::memset(&cfg, 0, sizeof(cfg));
		std::memset(&err, 0, sizeof(err));
		drive.file = image.c_str();
		drive.snapshot = true;
		cfg.ram_size = 16 * kMiB;
		cfg.nharts = 1;
		cfg.boot = BOOT_BARE;
		cfg.drives = &drive;
		cfg.ndrives = 1;
		m = machine_create(&cfg, &err);
		EXPECT_NE(m, nullptr) << err.msg;
	}
	~DriveVm() { machine_destroy(m); }
	void Write(uint64_t block, char c)
	{
		std::vector<uint8_t> b(DISK_BLOCK_SIZE, (uint8_t)c);
		struct hv_err err;
		ASSERT_EQ(disk_write(m->disk[0], block * DISK_BLOCK_SIZE, b.data(), b.size(), &err),
			  0)
			<< err.msg;
	}
	char Read(uint64_t block)
	{
		std::vector<uint8_t> b(DISK_BLOCK_SIZE);
		struct hv_err err;
		EXPECT_EQ(disk_read(m->disk[0], block * DISK_BLOCK_SIZE, b.data(), b.size(), &err),
			  0)
			<< err.msg;
		for (uint8_t x : b)
			if (x != b[0])
				return '?';
		return (char)b[0];
	}
	struct machine_drive drive = {};
	struct machine *m = nullptr;
};

void MakeImage(const std::string &path, char fill)
{
	std::vector<uint8_t> img(64 * DISK_BLOCK_SIZE, (uint8_t)fill);
	WriteAll(path, img, img.size());
}

TEST(SnapDrive, OverlaysAreRestoredForkedAndSaved)
{
	TempDir dir;
	std::string image = dir / "disk.img";
	MakeImage(image, 'i');
	DriveVm a(image);
	ASSERT_NE(a.m, nullptr);
	a.Write(3, 'A');
	struct hv_err err;
	SnapPtr s(snap_take(a.m, &err));
	ASSERT_NE(s, nullptr) << err.msg;
	a.Write(3, 'B');
	a.Write(7, 'B');
	ASSERT_GE(snap_restore(a.m, s.get(), &err), 0) << err.msg;
	EXPECT_EQ(a.Read(3), 'A');
	EXPECT_EQ(a.Read(7), 'i') << "a block written after the snapshot reads the image again";

	// A fork shares the overlay; each side's writes are its own.
	DriveVm b(image);
	ASSERT_GE(snap_restore(b.m, s.get(), &err), 0) << err.msg;
	EXPECT_EQ(b.Read(3), 'A');
	b.Write(3, 'C');
	a.Write(4, 'D');
	EXPECT_EQ(a.Read(3), 'A');
	EXPECT_EQ(b.Read(3), 'C');
	EXPECT_EQ(b.Read(4), 'i');

	// Files: a full save, then an incremental one with a block changed,
	// one added and one written back to the image's contents.
	BaseHolder base;
	ASSERT_EQ(snapfile_save(a.m, (dir / "full").c_str(), kConfig, &base.b, false, nullptr,
				&err),
		  0)
		<< err.msg;
	a.Write(3, 'E');
	a.Write(9, 'F');
	a.Write(4, 'i');
	struct snapfile_stats st;
	ASSERT_EQ(snapfile_save(a.m, (dir / "incr").c_str(), kConfig, &base.b, true, &st, &err), 0)
		<< err.msg;
	EXPECT_LE(st.blocks, 3u);
	DriveVm c(image);
	struct snapfile *f = snapfile_open((dir / "incr").c_str(), &err);
	ASSERT_NE(f, nullptr) << err.msg;
	ASSERT_EQ(snapfile_apply(f, c.m, nullptr, &err), 0) << err.msg;
	snapfile_close(f);
	EXPECT_EQ(c.Read(3), 'E');
	EXPECT_EQ(c.Read(4), 'i');
	EXPECT_EQ(c.Read(9), 'F');
	EXPECT_EQ(c.Read(7), 'i');

	// Over another image of the same size the file is refused.
	std::string other = dir / "other.img";
	MakeImage(other, 'o');
	DriveVm d(other);
	f = snapfile_open((dir / "incr").c_str(), &err);
	ASSERT_NE(f, nullptr) << err.msg;
	std::memset(&err, 0, sizeof(err));
	EXPECT_EQ(snapfile_apply(f, d.m, nullptr, &err), -1);
	snapfile_close(f);
	EXPECT_NE(std::string(err.msg).find("SHA-256"), std::string::npos) << err.msg;
	// ... and a machine without the drive is another machine.
	TestVm e(1);
	std::string msg = Load(dir / "full", e);
	EXPECT_NE(msg.find("another machine"), std::string::npos) << msg;
}

} // namespace
