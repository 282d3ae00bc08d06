// SPDX-License-Identifier: MIT
/*
 * Linux awareness (introspect/linux.c, syscalls.c). The layouts come from
 * DWARF: on the fake kernel they are checked against offsetof() over the
 * same definitions; then fake guest memories (Bare translation, satp 0,
 * so kernel virtual addresses are used as physical ones) are laid out
 * with those offsets to exercise the task list, the current-task rule,
 * modules and corrupt lists. The project-built vmlinux gets the same
 * task walk with its real offsets. System call numbers are checked
 * against the host's <asm-generic/unistd.h> macros.
 */
#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "tests/introspect/fake_kernel.h"
#include "tests/introspect/fake_mem.h"
#include "tests/introspect/testutil.h"

extern "C" {
#include "introspect/linux.h"
}

/* riscv64's switches (arch/riscv/include/uapi/asm/unistd.h). */
#define __ARCH_WANT_NEW_STAT
#define __ARCH_WANT_SET_GET_RLIMIT
#define __ARCH_WANT_SYS_CLONE3
#define __ARCH_WANT_MEMFD_SECRET
#include <asm-generic/unistd.h>

namespace {

struct Linux {
	struct intro_linux *lx = nullptr;
	struct hv_err err = {};
	explicit Linux(const std::string &path) { lx = intro_linux_open(path.c_str(), &err); }
	~Linux() { intro_linux_close(lx); }
	const struct intro_linux_layout &l() const { return *intro_linux_layout(lx); }
};

/* Lays out task_structs in a FakeMem with the offsets the library found. */
struct Guest {
	FakeMem m;
	const struct intro_linux_layout &l;
	explicit Guest(const struct intro_linux_layout &layout) : l(layout) {}

	void Task(uint64_t t, int pid, int tgid, const std::string &comm, uint64_t mm,
		  uint64_t parent, int cpu)
	{
		std::vector<char> zero(l.task_size);
		m.Write(t, zero.data(), zero.size());
		m.Write32(t + l.task_pid, (uint32_t)pid);
		m.Write32(t + l.task_tgid, (uint32_t)tgid);
		m.WriteStr(t + l.task_comm, comm);
		m.Write64(t + l.task_mm, mm);
		m.Write64(t + l.task_real_parent, parent);
		if (l.task_cpu != INTRO_NO_OFFSET)
			m.Write32(t + l.task_cpu, (uint32_t)cpu);
	}
	/* Link tasks (init_task first) into the circular tasks list; only
	 * the next pointers matter to the walk. */
	void Link(const std::vector<uint64_t> &tasks)
	{
		for (size_t i = 0; i < tasks.size(); i++) {
			uint64_t node = tasks[i] + l.task_tasks;
			uint64_t next = tasks[(i + 1) % tasks.size()] + l.task_tasks;
			m.Write64(node + l.list_next, next);
		}
	}
};

struct Seen {
	std::vector<struct intro_task> tasks;
	int stop_at = -1;
	int stop_value = 0;
};

int CollectTask(void *opaque, const struct intro_task *t)
{
	Seen *s = static_cast<Seen *>(opaque);
	s->tasks.push_back(*t);
	return (int)s->tasks.size() == s->stop_at ? s->stop_value : 0;
}

/* Three tasks after init_task, at kernel addresses beyond the image. */
const uint64_t kTaskA = 0xffffffff81000000ull, kTaskB = 0xffffffff81010000ull,
	       kTaskC = 0xffffffff81020000ull;

struct FakeLinux : ::testing::Test {
	std::unique_ptr<Linux> k;
	std::unique_ptr<Guest> g;
	uint64_t init = 0;

	void SetUp() override
	{
		REQUIRE_FAKE_KERNEL();
		k.reset(new Linux(introtest::FakeKernel()));
		ASSERT_NE(k->lx, nullptr) << k->err.msg;
		g.reset(new Guest(k->l()));
		init = k->l().init_task;
		g->Task(init, 0, 0, "swapper/0", 0, init, 0);
		g->Task(kTaskA, 1, 1, "init", 0xffffffff82000000ull, init, 1);
		g->Task(kTaskB, 2, 2, "kthreadd", 0, init, 0);
		g->Task(kTaskC, 77, 77, "sh", 0xffffffff82001000ull, kTaskA, 3);
		g->Link({ init, kTaskA, kTaskB, kTaskC });
	}
};

TEST_F(FakeLinux, LayoutComesFromDwarf)
{
	const struct intro_linux_layout &l = k->l();
	uint64_t sym = 0;

	ASSERT_EQ(intro_sym_addr(intro_linux_syms(k->lx), "init_task", &sym), 0);
	EXPECT_EQ(l.init_task, sym);
	EXPECT_EQ(l.task_size, sizeof(struct task_struct));
	EXPECT_EQ(l.task_pid, offsetof(struct task_struct, pid));
	EXPECT_EQ(l.task_tgid, offsetof(struct task_struct, tgid));
	EXPECT_EQ(l.task_comm, offsetof(struct task_struct, comm));
	EXPECT_EQ(l.task_comm_len, 16u);
	EXPECT_EQ(l.task_tasks, offsetof(struct task_struct, tasks));
	EXPECT_EQ(l.task_mm, offsetof(struct task_struct, mm));
	EXPECT_EQ(l.task_real_parent, offsetof(struct task_struct, real_parent));
	EXPECT_EQ(l.task_cpu,
		  offsetof(struct task_struct, thread_info) + offsetof(struct thread_info, cpu));
	EXPECT_EQ(l.list_next, offsetof(struct list_head, next));
	ASSERT_EQ(intro_sym_addr(intro_linux_syms(k->lx), "modules", &sym), 0);
	EXPECT_EQ(l.modules, sym);
	EXPECT_EQ(l.mod_list, offsetof(struct module, list));
	EXPECT_EQ(l.mod_name, offsetof(struct module, name));
	EXPECT_EQ(l.mod_name_len, 56u);
	EXPECT_EQ(l.mod_base, offsetof(struct module, core_layout));
	EXPECT_EQ(l.mod_size,
		  offsetof(struct module, core_layout) + offsetof(struct module_layout, size));
	EXPECT_EQ(l.mod_size_len, 4u);
}

TEST_F(FakeLinux, WalksTaskListFromInitTask)
{
	Seen s;

	ASSERT_EQ(intro_linux_tasks(k->lx, g->m.mem(), 0, CollectTask, &s), 0);
	ASSERT_EQ(s.tasks.size(), 4u);
	EXPECT_EQ(s.tasks[0].task, init);
	EXPECT_EQ(s.tasks[0].pid, 0);
	EXPECT_STREQ(s.tasks[0].comm, "swapper/0");
	EXPECT_EQ(s.tasks[1].task, kTaskA);
	EXPECT_EQ(s.tasks[1].pid, 1);
	EXPECT_STREQ(s.tasks[1].comm, "init");
	EXPECT_EQ(s.tasks[1].mm, 0xffffffff82000000ull);
	EXPECT_EQ(s.tasks[1].cpu, 1);
	EXPECT_STREQ(s.tasks[2].comm, "kthreadd");
	EXPECT_EQ(s.tasks[2].mm, 0u);
	EXPECT_EQ(s.tasks[3].task, kTaskC);
	EXPECT_EQ(s.tasks[3].pid, 77);
	EXPECT_EQ(s.tasks[3].tgid, 77);
	EXPECT_STREQ(s.tasks[3].comm, "sh");
	EXPECT_EQ(s.tasks[3].real_parent, kTaskA);
	EXPECT_EQ(s.tasks[3].cpu, 3);
}

TEST_F(FakeLinux, CallbackCanStopTheWalk)
{
	Seen s;
	s.stop_at = 2;
	s.stop_value = 7;

	EXPECT_EQ(intro_linux_tasks(k->lx, g->m.mem(), 0, CollectTask, &s), 7);
	EXPECT_EQ(s.tasks.size(), 2u);
}

TEST_F(FakeLinux, CycleThatSkipsTheHeadIsReportedOnce)
{
	/* C's next points back at A: A, B, C, A, ... never reaches init. */
	g->m.Write64(kTaskC + k->l().task_tasks + k->l().list_next, kTaskA + k->l().task_tasks);
	Seen s;

	EXPECT_EQ(intro_linux_tasks(k->lx, g->m.mem(), 0, CollectTask, &s), -1);
	EXPECT_EQ(s.tasks.size(), 4u);
}

TEST_F(FakeLinux, SelfLoopAndBadLinksEndTheWalk)
{
	const auto &l = k->l();
	Seen s;

	/* B points to itself. */
	g->m.Write64(kTaskB + l.task_tasks + l.list_next, kTaskB + l.task_tasks);
	EXPECT_EQ(intro_linux_tasks(k->lx, g->m.mem(), 0, CollectTask, &s), -1);
	EXPECT_EQ(s.tasks.size(), 3u);

	/* B points into unmapped memory. */
	s.tasks.clear();
	g->m.Write64(kTaskB + l.task_tasks + l.list_next, 0xffffffff9abc0000ull);
	EXPECT_EQ(intro_linux_tasks(k->lx, g->m.mem(), 0, CollectTask, &s), -1);
	EXPECT_EQ(s.tasks.size(), 3u);

	/* B's next is NULL. */
	s.tasks.clear();
	g->m.Write64(kTaskB + l.task_tasks + l.list_next, 0);
	EXPECT_EQ(intro_linux_tasks(k->lx, g->m.mem(), 0, CollectTask, &s), -1);
	EXPECT_EQ(s.tasks.size(), 3u);
}

TEST_F(FakeLinux, TaskInfoAlwaysTerminatesComm)
{
	const auto &l = k->l();
	/* 16 bytes without a NUL, as a corrupted guest could leave. */
	g->m.Write(kTaskC + l.task_comm, "0123456789abcdef", 16);
	int32_t pid = 0, tgid = 0;
	char comm[INTRO_COMM_LEN];

	ASSERT_EQ(intro_linux_task_info(k->lx, g->m.mem(), 0, kTaskC, &pid, &tgid, comm), 0);
	EXPECT_EQ(pid, 77);
	EXPECT_EQ(tgid, 77);
	EXPECT_STREQ(comm, "0123456789abcde");
	EXPECT_EQ(intro_linux_task_info(k->lx, g->m.mem(), 0, 0xffffffff9abc0000ull, &pid, &tgid,
					comm),
		  -1);
}

TEST_F(FakeLinux, CurrentTaskFollowsTpAndSscratch)
{
	const struct intro_mem *mem = g->m.mem();
	const uint64_t user_tls = 0x0000003ff7a5e780ull;
	uint64_t task = 0;

	/* In the kernel: tp is current, sscratch is 0. */
	ASSERT_EQ(intro_linux_current(k->lx, mem, 0, kTaskA, 0, INTRO_PRIV_S, &task), 0);
	EXPECT_EQ(task, kTaskA);
	/* In user mode: tp is the thread's TLS, sscratch holds current. */
	ASSERT_EQ(intro_linux_current(k->lx, mem, 0, user_tls, kTaskC, INTRO_PRIV_U, &task), 0);
	EXPECT_EQ(task, kTaskC);
	/* First instruction of the trap handler, before the csrrw swap. */
	ASSERT_EQ(intro_linux_current(k->lx, mem, 0, user_tls, kTaskC, INTRO_PRIV_S, &task), 0);
	EXPECT_EQ(task, kTaskC);
	/* Just after the swap: tp is current, sscratch the user TLS. */
	ASSERT_EQ(intro_linux_current(k->lx, mem, 0, kTaskC, user_tls, INTRO_PRIV_S, &task), 0);
	EXPECT_EQ(task, kTaskC);
	/* A trap from the kernel right after the swap: tp 0, sscratch current. */
	ASSERT_EQ(intro_linux_current(k->lx, mem, 0, 0, kTaskB, INTRO_PRIV_S, &task), 0);
	EXPECT_EQ(task, kTaskB);
	/* Firmware registers, empty sscratch in user mode, unreadable task. */
	EXPECT_EQ(intro_linux_current(k->lx, mem, 0, kTaskA, 0, INTRO_PRIV_M, &task), -1);
	EXPECT_EQ(intro_linux_current(k->lx, mem, 0, kTaskA, 0, INTRO_PRIV_U, &task), -1);
	EXPECT_EQ(intro_linux_current(k->lx, mem, 0, 0xffffffff9abc0000ull, 0, INTRO_PRIV_S, &task),
		  -1);
}

struct Mods {
	std::vector<struct intro_module> mods;
};

int CollectModule(void *opaque, const struct intro_module *m)
{
	static_cast<Mods *>(opaque)->mods.push_back(*m);
	return 0;
}

TEST_F(FakeLinux, WalksModulesList)
{
	const auto &l = k->l();
	const uint64_t m1 = 0xffffffff01000000ull, m2 = 0xffffffff01002000ull;
	const uint64_t head = l.modules;

	for (uint64_t mod : { m1, m2 }) {
		std::vector<char> zero(sizeof(struct module));
		g->m.Write(mod, zero.data(), zero.size());
	}
	/* Linux adds modules at the head: modules -> m2 -> m1 -> modules. */
	g->m.Write64(head + l.list_next, m2 + l.mod_list);
	g->m.Write64(m2 + l.mod_list + l.list_next, m1 + l.mod_list);
	g->m.Write64(m1 + l.mod_list + l.list_next, head);
	g->m.WriteStr(m1 + l.mod_name, "virtio_blk");
	g->m.WriteStr(m2 + l.mod_name, "ext4");
	g->m.Write64(m1 + l.mod_base, 0xffffffff01800000ull);
	g->m.Write32(m1 + l.mod_size, 0x5000);
	g->m.Write64(m2 + l.mod_base, 0xffffffff01900000ull);
	g->m.Write32(m2 + l.mod_size, 0x9a000);
	Mods s;

	ASSERT_EQ(intro_linux_modules(k->lx, g->m.mem(), 0, CollectModule, &s), 0);
	ASSERT_EQ(s.mods.size(), 2u);
	EXPECT_EQ(s.mods[0].module, m2);
	EXPECT_STREQ(s.mods[0].name, "ext4");
	EXPECT_EQ(s.mods[0].base, 0xffffffff01900000ull);
	EXPECT_EQ(s.mods[0].size, 0x9a000u);
	EXPECT_STREQ(s.mods[1].name, "virtio_blk");
	EXPECT_EQ(s.mods[1].size, 0x5000u);

	/* A cycle m1 -> m2 -> m1 is caught. */
	g->m.Write64(m1 + l.mod_list + l.list_next, m2 + l.mod_list);
	s.mods.clear();
	EXPECT_EQ(intro_linux_modules(k->lx, g->m.mem(), 0, CollectModule, &s), -1);
	EXPECT_EQ(s.mods.size(), 2u);

	/* An empty list: the head points to itself. */
	g->m.Write64(head + l.list_next, head);
	s.mods.clear();
	EXPECT_EQ(intro_linux_modules(k->lx, g->m.mem(), 0, CollectModule, &s), 0);
	EXPECT_TRUE(s.mods.empty());
}

TEST(LinuxOpen, RefusesImagesWithoutSymbolsOrDwarf)
{
	std::string nodebug = introtest::FakeKernelNoDebug();
	std::string stripped = introtest::FakeKernelStripped();
	if (nodebug.empty() || stripped.empty())
		GTEST_FAIL() << "INTRO_FAKE_KERNEL_NODEBUG or INTRO_FAKE_KERNEL_STRIPPED is not "
				"set: run the test through Bazel";
	struct hv_err err = {};

	EXPECT_EQ(intro_linux_open(nodebug.c_str(), &err), nullptr);
	EXPECT_NE(std::string(err.msg).find("DWARF"), std::string::npos) << err.msg;
	EXPECT_EQ(intro_linux_open(stripped.c_str(), &err), nullptr);
	EXPECT_NE(std::string(err.msg).find(".symtab"), std::string::npos) << err.msg;
}

TEST(LinuxBuilt, TaskWalkWithTheRealKernelsOffsets)
{
	REQUIRE_VMLINUX(vmlinux);
	Linux k(vmlinux);
	ASSERT_NE(k.lx, nullptr) << k.err.msg;
	const auto &l = k.l();
	/* 6.1 riscv: thread_info (with cpu) is embedded in task_struct. */
	EXPECT_NE(l.task_cpu, INTRO_NO_OFFSET);
	EXPECT_GE(l.task_size, 1024u);

	Guest g(l);
	const uint64_t init = l.init_task, t1 = init + 0x100000, t2 = init + 0x200000;
	g.Task(init, 0, 0, "swapper/0", 0, init, 0);
	g.Task(t1, 1, 1, "init", 0xffffffd800000000ull, init, 1);
	g.Task(t2, 93, 93, "sh", 0xffffffd800004000ull, t1, 0);
	g.Link({ init, t1, t2 });
	Seen s;

	ASSERT_EQ(intro_linux_tasks(k.lx, g.m.mem(), 0, CollectTask, &s), 0);
	ASSERT_EQ(s.tasks.size(), 3u);
	EXPECT_STREQ(s.tasks[0].comm, "swapper/0");
	EXPECT_EQ(s.tasks[1].pid, 1);
	EXPECT_EQ(s.tasks[1].cpu, 1);
	EXPECT_STREQ(s.tasks[2].comm, "sh");
	EXPECT_EQ(s.tasks[2].real_parent, t1);
	uint64_t task = 0;
	ASSERT_EQ(intro_linux_current(k.lx, g.m.mem(), 0, 0x3fffff1000ull, t2, INTRO_PRIV_U, &task),
		  0);
	EXPECT_EQ(task, t2);

	Mods mods;
	if (l.modules == INTRO_NO_OFFSET) {
		/* CONFIG_MODULES is off in the project's kernel. */
		EXPECT_EQ(intro_linux_modules(k.lx, g.m.mem(), 0, CollectModule, &mods), -1);
	}
}

TEST(Syscalls, NamesMatchTheAsmGenericTable)
{
#define CHECK_SYSCALL(name)                                               \
	do {                                                              \
		EXPECT_STREQ(intro_syscall_name(__NR_##name), #name);     \
		EXPECT_EQ(intro_syscall_nr(#name), (int64_t)__NR_##name); \
	} while (0)
	CHECK_SYSCALL(io_setup);
	CHECK_SYSCALL(openat);
	CHECK_SYSCALL(close);
	CHECK_SYSCALL(read);
	CHECK_SYSCALL(write);
	CHECK_SYSCALL(fstat);
	CHECK_SYSCALL(newfstatat);
	CHECK_SYSCALL(exit);
	CHECK_SYSCALL(exit_group);
	CHECK_SYSCALL(rt_sigreturn);
	CHECK_SYSCALL(clone);
	CHECK_SYSCALL(execve);
	CHECK_SYSCALL(mmap);
	CHECK_SYSCALL(wait4);
	CHECK_SYSCALL(clone3);
	CHECK_SYSCALL(memfd_secret);
	CHECK_SYSCALL(getrlimit);
#undef CHECK_SYSCALL
	EXPECT_EQ(intro_syscall_nr("execve"), 221);
	EXPECT_EQ(intro_syscall_nr("openat"), 56);
	EXPECT_EQ(intro_syscall_nr("write"), 64);
	EXPECT_EQ(intro_syscall_nr("exit_group"), 94);
	EXPECT_EQ(intro_syscall_nr("clone"), 220);
	EXPECT_STREQ(intro_syscall_name(259), "riscv_flush_icache");
	EXPECT_EQ(intro_syscall_name(__NR_syscalls), nullptr);
	EXPECT_EQ(intro_syscall_name(UINT64_MAX), nullptr);
	EXPECT_EQ(intro_syscall_name(300), nullptr); /* a hole in the table */
	EXPECT_EQ(intro_syscall_nr("no_such_call"), -1);
}

TEST(Syscalls, ArgumentCounts)
{
	EXPECT_EQ(intro_syscall_nargs(__NR_execve), 3);
	EXPECT_EQ(intro_syscall_nargs(__NR_openat), 4);
	EXPECT_EQ(intro_syscall_nargs(__NR_write), 3);
	EXPECT_EQ(intro_syscall_nargs(__NR_exit_group), 1);
	EXPECT_EQ(intro_syscall_nargs(__NR_clone), 5);
	EXPECT_EQ(intro_syscall_nargs(__NR_mmap), 6);
	EXPECT_EQ(intro_syscall_nargs(__NR_rt_sigreturn), 0);
	EXPECT_EQ(intro_syscall_nargs(__NR_getpid), 0);
	EXPECT_EQ(intro_syscall_nargs(259), 3);
	/* Unknown: a number that is no call, and sys_ni_syscall slots. */
	EXPECT_EQ(intro_syscall_nargs(100000), 6);
	EXPECT_EQ(intro_syscall_nargs(42), 6);
}

} // namespace
