// SPDX-License-Identifier: MIT
/*
 * The plugin host is an instance (issue 12, Part 7 item 3): two machines
 * in one process, each with its own plugin host running its own instance of
 * the counting plugin (count_plugin.c: instruction callbacks, a register
 * query, a recorded change), run interleaved in odd slices, end with the
 * same plugin results and the same machine digests as each run alone. A
 * host that found its machine or its queue through shared state would mix
 * the two: the counts, the register values the queries read, or the
 * machine a change lands on. Every such test runs with the plugin built
 * against ABI 4 (machine handles) and against ABI 1 (the handle-less
 * queries, which must still answer for the machine whose callback runs).
 *
 * Unsubscribing (ABI 4, item 4): a block subscription removed inside an
 * instruction callback or outside any callback stops every instruction
 * callback it made at once, the decoded code loses its plugin pseudo
 * instructions (costs nothing again), the machine ends as it would
 * without the plugin, and the other machine's subscription is untouched.
 *
 * Usage: instances_test COUNT_PLUGIN_SO COUNT_PLUGIN_V1_SO (Bazel passes
 * them).
 */
#include <gtest/gtest.h>
#include <dlfcn.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/unit/testutil.h"

extern "C" {
#include "hv/cpu/block.h"
#include "plugins/host.h"
#include "plugins/include/retrovisor/plugin.h"
}

using namespace tu;

/* count_plugin.so (ABI 4) and count_plugin_v1.so (ABI 1). */
static const char *plugin_paths[2];

namespace {

/* Each hart adds its seed-derived steps into a0 and stores it to a page
 * of its own; a1 (which the plugin flips once) feeds the sum. */
void load_loop(TestVm &vm, int32_t seed)
{
	vm.put(kRam, {
			     csrrs(5, CSR_MHARTID, 0), /* t0 = hart id */
			     slli(6, 5, 12),           /* t1 = id * 4096 */
			     addi(7, 0, 1), slli(7, 7, 31), lui(8, 0x20),
			     add(7, 7, 8),                     /* t2 = 0x80020000 */
			     add(6, 6, 7),                     /* t1 = this hart's page */
			     addi(10, 5, seed),                /* a0 = seed + id */
			     addi(11, 11, 5),                  /* loop: a1 += 5 */
			     add(10, 10, 11),                  /* a0 += a1 */
			     slli(12, 10, 3), add(10, 10, 12), /* a0 += a0 << 3 */
			     sd(10, 6, 8),                     /* page[1] = a0 */
			     jal(0, -20),                      /* back to loop */
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

	Guest(const char *plugin, int32_t seed, uint64_t flip, const char *tag, icount_t max,
	      uint64_t stop = 0)
		: vm(2, BOOT_BARE, max, 1000), out(out_file(tag))
	{
		struct hv_err err = {};
		std::string spec = std::string(plugin) + ",out=" + out +
				   ",flip=" + std::to_string(flip) +
				   ",stop=" + std::to_string(stop);

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

/* Each test runs with the plugin built against ABI 4 and against ABI 1. */
class PluginHost : public ::testing::TestWithParam<int> {
protected:
	const char *plugin() const { return plugin_paths[GetParam()]; }
	std::string tag(const char *t) const { return std::string(t) + (GetParam() ? "_v1" : ""); }
};

TEST_P(PluginHost, TwoMachinesInOneProcessRunAsIfAlone)
{
	ASSERT_NE(plugin(), nullptr);
	const icount_t total = 120000;
	Result alone[2];
	for (int k = 0; k < 2; k++) {
		Guest g(plugin(), kSeed[k], kFlip[k], tag(k ? "alone1" : "alone0").c_str(), total);
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

	Guest a(plugin(), kSeed[0], kFlip[0], tag("a").c_str(), 1),
		b(plugin(), kSeed[1], kFlip[1], tag("b").c_str(), 1);
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
TEST_P(PluginHost, ChangeLandsOnItsOwnMachine)
{
	ASSERT_NE(plugin(), nullptr);
	const icount_t total = 20000;
	Guest flipped(plugin(), kSeed[0], kFlip[0], tag("flipped").c_str(), total),
		plain(plugin(), kSeed[0], 0, tag("plain").c_str(), total);
	ASSERT_NE(flipped.vm.m, nullptr);
	ASSERT_NE(plain.vm.m, nullptr);
	ASSERT_EQ(machine_run(flipped.vm.m), STOP_MAX_INSNS);
	ASSERT_EQ(machine_run(plain.vm.m), STOP_MAX_INSNS);
	EXPECT_NE(machine_digest(flipped.vm.m), machine_digest(plain.vm.m));
}

INSTANTIATE_TEST_SUITE_P(Abi, PluginHost, ::testing::Values(0, 1),
			 [](const ::testing::TestParamInfo<int> &i) {
				 return std::string(i.param ? "V1" : "V4");
			 });

/* A query without a handle outside any plugin callback answers as for no
 * machine (it is not another machine's answer). */
TEST(PluginHostV1, QueriesOutsideACallbackSeeNoMachine)
{
	ASSERT_NE(plugin_paths[1], nullptr);
	Guest g(plugin_paths[1], kSeed[0], 0, "outside", 100);
	uint64_t v = 7;
	EXPECT_EQ(rv_hart_count(), 0u);
	EXPECT_EQ(rv_reg_read(0, 10, &v), -1);
	EXPECT_EQ(rv_total_icount(), 0u);
	EXPECT_EQ(rv_machine_hart_count(nullptr), 0u);
}

/* The instructions the plugin's callbacks counted. */
uint64_t insns_of(const Result &r)
{
	unsigned long long n = 0;

	EXPECT_EQ(std::sscanf(r.plugin.c_str(), "insns %llu", &n), 1) << r.plugin;
	return n;
}

/* Entries of the loop's decoded block that share their pc with the next:
 * a plugin's pseudo instruction before each subscribed instruction
 * (hv/hooks.h). -1 if the block is not decoded. */
int pseudo_insns(struct machine *m)
{
	const struct block *b = block_lookup(m, kRam + 8 * 4); /* the loop */
	int n = 0;

	if (!b)
		return -1;
	for (uint32_t i = 0; i < b->n; i++)
		n += b->insn[i].pcoff == b->insn[i + 1].pcoff;
	return n;
}

/* The machine without the plugin. */
uint64_t digest_without_plugin(icount_t total)
{
	TestVm vm(2, BOOT_BARE, total, 1000);
	load_loop(vm, kSeed[0]);
	EXPECT_EQ(machine_run(vm.m), STOP_MAX_INSNS);
	return machine_digest(vm.m);
}

TEST(PluginHostV4, UnsubscribeInsideACallbackStopsItsInstructions)
{
	const icount_t total = 30000;
	const uint64_t stop = 4321;
	Guest g(plugin_paths[0], kSeed[0], 0, "stop_inside", total, stop);
	ASSERT_NE(g.vm.m, nullptr) << g.vm.error;
	ASSERT_EQ(machine_run(g.vm.m), STOP_MAX_INSNS);
	EXPECT_EQ(pseudo_insns(g.vm.m), 0) << "the code is decoded again without callbacks";
	Result r = g.finish();
	EXPECT_EQ(insns_of(r), stop) << "no instruction callback after the unsubscribe";
	EXPECT_EQ(r.plugin.find("failed"), std::string::npos) << r.plugin;
	EXPECT_EQ(r.digest, digest_without_plugin(total));

	Guest plain(plugin_paths[0], kSeed[0], 0, "stop_never", total);
	ASSERT_EQ(machine_run(plain.vm.m), STOP_MAX_INSNS);
	EXPECT_GT(pseudo_insns(plain.vm.m), 0) << "subscribed code has pseudo instructions";
	EXPECT_GT(insns_of(plain.finish()), total / 2);
}

TEST(PluginHostV4, UnsubscribeOutsideCallbacksOnOneMachineOnly)
{
	const icount_t half = 15000, total = 30000;
	Guest a(plugin_paths[0], kSeed[0], 0, "outside_a", half),
		b(plugin_paths[0], kSeed[0], 0, "outside_b", half);
	ASSERT_NE(a.vm.m, nullptr) << a.vm.error;
	ASSERT_NE(b.vm.m, nullptr) << b.vm.error;
	ASSERT_EQ(machine_run(a.vm.m), STOP_MAX_INSNS);
	ASSERT_EQ(machine_run(b.vm.m), STOP_MAX_INSNS);

	void *so = dlopen(plugin_paths[0], RTLD_NOW | RTLD_NOLOAD);
	ASSERT_NE(so, nullptr) << "the host loaded the plugin";
	auto unsubscribe = (int (*)(const char *))dlsym(so, "count_plugin_unsubscribe");
	ASSERT_NE(unsubscribe, nullptr);
	EXPECT_EQ(unsubscribe(a.out.c_str()), 0);
	EXPECT_EQ(unsubscribe(a.out.c_str()), -1) << "a subscription is removed once";
	EXPECT_EQ(pseudo_insns(a.vm.m), -1) << "a's decoded code is dropped";
	EXPECT_GT(pseudo_insns(b.vm.m), 0) << "b's is not";
	dlclose(so);

	for (Guest *g : { &a, &b }) {
		g->vm.m->cfg.max_insns = total;
		g->vm.m->stop = STOP_NONE;
		ASSERT_EQ(machine_run(g->vm.m), STOP_MAX_INSNS);
	}
	EXPECT_EQ(pseudo_insns(a.vm.m), 0);
	EXPECT_GT(pseudo_insns(b.vm.m), 0);
	Result ra = a.finish(), rb = b.finish();
	EXPECT_EQ(ra.digest, rb.digest) << "unsubscribing changes nothing the guest sees";
	EXPECT_LE(insns_of(ra), half) << "a's callbacks stopped at the unsubscribe";
	EXPECT_GT(insns_of(rb), insns_of(ra) + (total - half) / 2) << "b's went on";
}

} // namespace

int main(int argc, char **argv)
{
	::testing::InitGoogleTest(&argc, argv);
	for (int i = 1; i < argc && i <= 2; i++)
		plugin_paths[i - 1] = argv[i];
	return RUN_ALL_TESTS();
}
