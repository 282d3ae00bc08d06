// SPDX-License-Identifier: MIT
/*
 * Tests for the machine record (hv/platform/control.c, machine_record_put
 * and machine_record_get): a machine's run state goes through the record
 * and comes back equal, also through another machine loaded from it; a
 * record with any value out of range, or cut short, is refused with a
 * sentence and nothing loaded.
 */
#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "hv/platform/control.h"
}

#include "testutil.h"

using namespace tu;

namespace {

std::vector<uint8_t> Record(const struct machine_runstate &rs)
{
	struct devstate_w w;
	devstate_w_init(&w);
	machine_record_put(&w, &rs);
	std::vector<uint8_t> b(w.buf, w.buf + w.len);
	devstate_w_free(&w);
	return b;
}

int Read(const std::vector<uint8_t> &b, unsigned nharts, struct machine_runstate *rs,
	 std::string *msg)
{
	struct devstate_r r;
	devstate_r_init(&r, b.data(), b.size());
	int ret = machine_record_get(&r, nharts, rs);
	if (ret == 0 && devstate_r_finish(&r))
		ret = -1;
	*msg = r.msg;
	return ret;
}

} // namespace

TEST(MachineRecord, RoundTripsARunningMachine)
{
	TestVm vm(2, BOOT_BARE, 50000);
	vm.put(kRam, { addi(5, 5, 1), jal(0, -4) });
	machine_console_input(vm.m, (const uint8_t *)"ab", 2);
	ASSERT_EQ(machine_run(vm.m), STOP_MAX_INSNS);
	struct machine_runstate rs, back;
	machine_runstate_save(vm.m, &rs);
	std::vector<uint8_t> b = Record(rs);
	std::string msg;
	ASSERT_EQ(Read(b, 2, &back, &msg), 0) << msg;
	EXPECT_EQ(Record(back), b);
	EXPECT_EQ(back.total_insns, 50000u);
	EXPECT_EQ(back.conin_len, rs.conin_len);
	EXPECT_EQ(back.last_run, rs.last_run);
	EXPECT_GE(back.last_run, 0) << "a hart ran";

	TestVm other(2, BOOT_BARE);
	other.put(kRam, { addi(5, 5, 1), jal(0, -4) });
	for (unsigned i = 0; i < 2; i++)
		machine_hart_load(other.m, i, vm.h(i));
	machine_runstate_load(other.m, &back);
	struct machine_runstate again;
	machine_runstate_save(other.m, &again);
	EXPECT_EQ(Record(again), b) << "the record loaded is the record saved";
	EXPECT_EQ(machine_hart_digest(other.h(1)), machine_hart_digest(vm.h(1)));
}

TEST(MachineRecord, RefusesValuesOutOfRange)
{
	TestVm vm(1, BOOT_BARE);
	struct machine_runstate good, rs;
	machine_runstate_save(vm.m, &good);
	std::string msg;

	auto refused = [&](struct machine_runstate bad, unsigned nharts, const char *what) {
		EXPECT_EQ(Read(Record(bad), nharts, &rs, &msg), -1) << what;
		EXPECT_NE(msg.find("out of range"), std::string::npos) << what << ": " << msg;
	};
	rs = good;
	rs.conin_head = sizeof(rs.conin);
	refused(rs, 1, "console queue head past the queue");
	rs = good;
	rs.conin_len = sizeof(rs.conin) + 1;
	refused(rs, 1, "console queue longer than the queue");
	rs = good;
	rs.con_line_len = sizeof(rs.con_line);
	refused(rs, 1, "console line longer than its buffer");
	rs = good;
	std::memset(rs.panic_msg, 'x', sizeof(rs.panic_msg));
	refused(rs, 1, "panic message without its end");
	rs = good;
	rs.last_run = 1;
	refused(rs, 1, "last hart run is not a hart of this machine");
	EXPECT_EQ(Read(Record(rs), 2, &rs, &msg), 0) << "it is one of a 2-hart machine";

	std::vector<uint8_t> cut = Record(good);
	cut.resize(cut.size() - 1);
	EXPECT_EQ(Read(cut, 1, &rs, &msg), -1);
	EXPECT_FALSE(msg.empty());
}
