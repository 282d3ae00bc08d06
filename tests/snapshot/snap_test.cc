// SPDX-License-Identifier: MIT
// In-memory snapshots (snapshot/snap.c) and copy-on-write RAM (hv/ram.c):
// a restore brings back exactly the state at the snapshot, touches only the
// pages written since, and execution after a restore is the same as
// execution that never restored.
#include <gtest/gtest.h>

#include "tests/unit/testutil.h"

extern "C" {
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

TEST(Snapshot, SelfModifyingCodeIsUndoneToo)
{
	// The program rewrites its own first instruction; after a restore the
	// original code must run again (decoded blocks of restored pages are
	// dropped).
	TestVm vm(1);
	vm.put(kRam, {
		addi(5, 5, 1),           // becomes addi x5, x5, 100
		sw(12, 11, 0),           // x11 = kRam, x12 = the new instruction
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
