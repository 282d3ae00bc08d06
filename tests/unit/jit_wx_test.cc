// SPDX-License-Identifier: MIT
/*
 * The JIT's code buffer is safe by construction (issue 14, item 4):
 * translated code runs from a mapping that is never writable, and is
 * written through another that is never executable (two mappings of one
 * memfd), so no page of the process is ever writable and executable at
 * once; and the buffer has a cap: a program with more code than a small
 * buffer holds empties it (flushes) and still computes what the
 * interpreter computes.
 */
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/unit/testutil.h"

extern "C" {
#include "hv/cpu/block.h"
#include "hv/cpu/jit.h"
}

using namespace tu;

namespace {

/* The JIT with every block translated on first entry, for one test. */
struct JitOn {
	struct jit_settings saved = jit_settings;
	JitOn(size_t cache = JIT_DEFAULT_CACHE)
	{
		jit_settings.engine = ENGINE_JIT;
		jit_settings.hot = 0;
		jit_settings.cache_bytes = cache;
	}
	~JitOn() { jit_settings = saved; }
};

/* n blocks of k instructions each adding i to x5, chained by jal, then a
 * spin; returns the expected x5. */
uint64_t ManyBlocks(TestVm &vm, unsigned n, unsigned k)
{
	uint64_t pc = kRam, sum = 0;
	for (unsigned b = 0; b < n; b++) {
		std::vector<uint32_t> w;
		for (unsigned i = 0; i < k; i++) {
			w.push_back(addi(5, 5, (int32_t)(i + b % 7)));
			sum += i + b % 7;
		}
		w.push_back(jal(0, 4)); /* ends the block: the next one follows */
		pc = vm.put(pc, w);
	}
	vm.put(pc, { spin() });
	return sum;
}

struct Maps {
	unsigned jit_rw = 0, jit_rx = 0, wx = 0;
	std::string wx_lines;
};

Maps ReadMaps()
{
	Maps out;
	std::ifstream f("/proc/self/maps");
	std::string line;
	while (std::getline(f, line)) {
		std::istringstream in(line);
		std::string range, perms;
		in >> range >> perms;
		bool w = perms.size() >= 3 && perms[1] == 'w';
		bool x = perms.size() >= 3 && perms[2] == 'x';
		if (w && x) {
			out.wx++;
			out.wx_lines += line + "\n";
		}
		if (line.find("retrovisor-jit") != std::string::npos) {
			out.jit_rw += w && !x;
			out.jit_rx += x && !w;
		}
	}
	return out;
}

} // namespace

TEST(JitBuffer, NoPageIsWritableAndExecutable)
{
	JitOn on;
	TestVm vm;
	uint64_t want = ManyBlocks(vm, 50, 6);
	vm.run(50 * 7 + 10);
	EXPECT_EQ(vm.h()->x[5], want);
	struct jit_stats st;
	jit_get_stats(*block_cache_jit(vm.m->blocks), &st);
	EXPECT_GE(st.blocks, 50u) << "the blocks were translated";
	Maps m = ReadMaps();
	EXPECT_GE(m.jit_rw, 1u) << "the buffer's read-write mapping";
	EXPECT_GE(m.jit_rx, 1u) << "the buffer's read-execute mapping";
	EXPECT_EQ(m.wx, 0u) << "writable and executable mappings:\n" << m.wx_lines;
}

TEST(JitBuffer, ASmallBufferFlushesAndComputesTheSame)
{
	/* 400 blocks of 60 instructions: more host code than 256 KiB. */
	uint64_t interp_x5, interp_ic;
	{
		TestVm vm;
		ManyBlocks(vm, 400, 60);
		vm.run(400 * 61 + 10);
		interp_x5 = vm.h()->x[5];
		interp_ic = vm.h()->icount;
	}
	JitOn on(JIT_MIN_CACHE);
	TestVm vm;
	uint64_t want = ManyBlocks(vm, 400, 60);
	vm.run(400 * 61 + 10);
	EXPECT_EQ(vm.h()->x[5], want);
	EXPECT_EQ(vm.h()->x[5], interp_x5);
	EXPECT_EQ(vm.h()->icount, interp_ic);
	struct jit_stats st;
	jit_get_stats(*block_cache_jit(vm.m->blocks), &st);
	EXPECT_GE(st.flushes, 1u) << "the buffer filled and was emptied";
	EXPECT_LE(st.used, st.size) << "never past its cap";
	EXPECT_EQ(st.size, (size_t)JIT_MIN_CACHE);
}
