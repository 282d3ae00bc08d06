// SPDX-License-Identifier: MIT
/*
 * The plugin host is an instance (issue 12, Part 7 item 3): two machines
 * in one process, each with its own plugin host running its own instance of
 * the counting plugin (count_plugin.c: instruction callbacks, a query
 * without a handle, a recorded change through its handle), run
 * interleaved in odd slices, end with the same plugin results and the
 * same machine digests as each run alone. A host that found its machine
 * or its queue through shared state would mix the two: the counts, the
 * register values the queries read, or the machine a change lands on.
 *
 * Usage: instances_test COUNT_PLUGIN_SO (Bazel passes it).
 */
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/unit/testutil.h"

extern "C" {
#include "plugins/host.h"
#include "plugins/include/retrovisor/plugin.h"
}

using namespace tu;

static const char *plugin_path;

namespace {

/* Each hart adds its seed-derived steps into a0 and stores it to a page
 * of its own; a1 (which the plugin flips once) feeds the sum. */
void load_loop(TestVm &vm, int32_t seed)
{
	vm.put(kRam, {
		csrrs(5, CSR_MHARTID, 0),      /* t0 = hart id */
		slli(6, 5, 12),                /* t1 = id * 4096 */
		addi(7, 0, 1),
		slli(7, 7, 31),
		lui(8, 0x20),
		add(7, 7, 8),                  /* t2 = 0x80020000 */
		add(6, 6, 7),                  /* t1 = this hart's page */
		addi(10, 5, seed),             /* a0 = seed + id */
		addi(11, 11, 5),               /* loop: a1 += 5 */
		add(10, 10, 11),               /* a0 += a1 */
		slli(12, 10, 3),
		add(10, 10, 12),               /* a0 += a0 << 3 */
		sd(10, 6, 8),                  /* page[1] = a0 */
		jal(0, -20),                   /* back to loop */
	});
}

struct Result {
	uint64_t digest;
	std::string plugin; /* what the plugin wrote at exit */
};

std::string out_file(const char *tag)
{
	const char *dir = std::getenv("TEST_TMPDIR");
	return std::string(dir ? dir : "/tmp") + "/count_" + tag + ".txt";
}

std::string read_file(const std::string &path)
{
	std::ifstream f(path);
	std::stringstream s;
	s << f.rdbuf();
	return s.str();
}

struct Guest {
	TestVm vm;
	struct plugin_host *ph = nullptr;
	std::string out;

	Guest(int32_t seed, uint64_t flip, const char *tag, icount_t max)
		: vm(2, BOOT_BARE, max, 1000), out(out_file(tag))
	{
		struct hv_err err = {};
		std::string spec = std::string(plugin_path) + ",out=" + out +
				   ",flip=" + std::to_string(flip);

		if (!vm.m)
			return;
		load_loop(vm, seed);
		std::remove(out.c_str());
		ph = plugin_host_create(vm.m, &err);
		EXPECT_NE(ph, nullptr) << err.msg;
		EXPECT_EQ(plugin_host_load(ph, spec.c_str(), &err), 0) << err.msg;
		EXPECT_EQ(plugin_host_attach(ph, false, false, &err), 0) << err.msg;
		EXPECT_EQ(plugin_host_of(vm.m), ph);
	}
	~Guest() { plugin_host_destroy(ph); }

	Result finish()
	{
		plugin_host_exit(ph, 0);
		return { machine_digest(vm.m), read_file(out) };
	}
};

const int32_t kSeed[2] = { 17, 301 };
const uint64_t kFlip[2] = { 5000, 9001 };

TEST(PluginHost, TwoMachinesInOneProcessRunAsIfAlone)
{
	ASSERT_NE(plugin_path, nullptr);
	const icount_t total = 120000;
	Result alone[2];
	for (int k = 0; k < 2; k++) {
		Guest g(kSeed[k], kFlip[k], k ? "alone1" : "alone0", total);
		ASSERT_NE(g.vm.m, nullptr) << g.vm.error;
		ASSERT_EQ(machine_run(g.vm.m), STOP_MAX_INSNS);
		alone[k] = g.finish();
		unsigned long long insns = 0;
		EXPECT_EQ(std::sscanf(alone[k].plugin.c_str(), "insns %llu", &insns), 1)
			<< alone[k].plugin;
		EXPECT_GT(insns, total / 2) << "the plugin must see the instructions run";
	}
	EXPECT_NE(alone[0].digest, alone[1].digest) << "the machines must do different work";
	EXPECT_NE(alone[0].plugin, alone[1].plugin);

	Guest a(kSeed[0], kFlip[0], "a", 1), b(kSeed[1], kFlip[1], "b", 1);
	ASSERT_NE(a.vm.m, nullptr) << a.vm.error;
	ASSERT_NE(b.vm.m, nullptr) << b.vm.error;
	EXPECT_NE(plugin_host_of(a.vm.m), plugin_host_of(b.vm.m));
	Guest *gs[2] = { &a, &b };
	/* Odd slices, so that stops fall mid-quantum and mid-block. */
	for (icount_t done = 0; done < total;) {
		icount_t slice = done + 777 < total ? 777 : total - done;
		done += slice;
		for (Guest *g : gs) {
			g->vm.m->cfg.max_insns = done;
			g->vm.m->stop = STOP_NONE;
			ASSERT_EQ(machine_run(g->vm.m), STOP_MAX_INSNS);
		}
	}
	Result ra = a.finish(), rb = b.finish();
	EXPECT_EQ(ra.digest, alone[0].digest);
	EXPECT_EQ(rb.digest, alone[1].digest);
	EXPECT_EQ(ra.plugin, alone[0].plugin);
	EXPECT_EQ(rb.plugin, alone[1].plugin);
}

/* The plugin's change lands on its own machine: without it the machine
 * ends elsewhere. */
TEST(PluginHost, ChangeLandsOnItsOwnMachine)
{
	ASSERT_NE(plugin_path, nullptr);
	const icount_t total = 20000;
	Guest flipped(kSeed[0], kFlip[0], "flipped", total), plain(kSeed[0], 0, "plain", total);
	ASSERT_NE(flipped.vm.m, nullptr);
	ASSERT_NE(plain.vm.m, nullptr);
	ASSERT_EQ(machine_run(flipped.vm.m), STOP_MAX_INSNS);
	ASSERT_EQ(machine_run(plain.vm.m), STOP_MAX_INSNS);
	EXPECT_NE(machine_digest(flipped.vm.m), machine_digest(plain.vm.m));
}

/* A query without a handle outside any plugin callback answers as for no
 * machine (it is not another machine's answer). */
TEST(PluginHost, QueriesOutsideACallbackSeeNoMachine)
{
	ASSERT_NE(plugin_path, nullptr);
	Guest g(kSeed[0], 0, "outside", 100);
	uint64_t v = 7;
	EXPECT_EQ(rv_hart_count(), 0u);
	EXPECT_EQ(rv_reg_read(0, 10, &v), -1);
	EXPECT_EQ(rv_total_icount(), 0u);
}

} // namespace

int main(int argc, char **argv)
{
	::testing::InitGoogleTest(&argc, argv);
	if (argc > 1)
		plugin_path = argv[1];
	return RUN_ALL_TESTS();
}
