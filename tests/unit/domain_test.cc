// SPDX-License-Identifier: MIT
/*
 * Tests for domains (hv/platform/domain.c) and the switch between them
 * (hv/platform/switch.c): running a machine in epochs changes nothing it
 * computes; a system gives the same digests on 1, 2 and 4 host threads,
 * whether its waiting threads spin or sleep, and with a debugger holding
 * one of its domains at every breakpoint mid-epoch;
 * the on_poweroff/on_crash policies; the switch's learning, flooding,
 * latency, partitions, faults and bounds.
 */
#include <gtest/gtest.h>

#include <cstring>
#include <ctime>
#include <string>
#include <vector>

extern "C" {
#include "hv/cpu/debug.h"
#include "hv/platform/domain.h"
#include "hv/platform/switch.h"
#include "hv/dev/virtio/virtio_net.h"
#include "snapshot/snap.h"
#include "snapshot/system.h"
}

#include "testutil.h"

using namespace tu;

namespace {

/* A bare-metal program: a mixing loop of n rounds from seed, the result
 * stored at 0x8001_0000, then a timer 2000 ticks ahead and WFI (the
 * scheduler skips the idle time, up to an epoch's end in a system), then
 * the syscon's poweroff (status 0) or, with reboot, its reset. */
std::vector<uint8_t> Program(int32_t seed, uint32_t n, bool reboot = false)
{
	std::vector<uint32_t> w = {
		addi(10, 0, seed), /* a0 = seed */
		lui(11, n >> 12),  /* a1 = n (a multiple of 4096) */
		add(10, 10, 11),   /* loop: a0 += a1 */
		slli(12, 10, 3),
		xor_(10, 10, 12), /* a0 ^= a0 << 3 */
		addi(11, 11, -1),
		bne(11, 0, -16),
		addi(7, 0, 1),
		slli(7, 7, 31),
		lui(28, 0x10),
		add(7, 7, 28), /* t2 = 0x8001_0000 */
		sd(10, 7, 0),
		lui(29, 0x200c), /* t4 = CLINT + 0xc000 */
		ld(30, 29, -8),  /* t5 = mtime */
		addi(30, 30, 2000),
		lui(5, 0x2004), /* t0 = mtimecmp of hart 0 */
		sd(30, 5, 0),
		addi(31, 0, 0x80),
		csrrs(0, 0x304, 31), /* mie.MTIE */
		wfi(),
		lui(5, 0x100), /* syscon */
		lui(6, reboot ? 0x7 : 0x5),
		addi(6, 6, reboot ? 0x777 : 0x555),
		sw(6, 5, 0),
		spin(),
	};
	std::vector<uint8_t> b(w.size() * 4);
	std::memcpy(b.data(), w.data(), b.size());
	return b;
}

struct Image {
	std::vector<uint8_t> bytes;
	struct loader_image li;
	struct loader_opts lo;
	explicit Image(std::vector<uint8_t> b) : bytes(std::move(b))
	{
		li = { "program", bytes.data(), bytes.size() };
		lo = {};
		lo.kernel_mem = &li;
		lo.bios = "none";
	}
};

struct machine *Make(const Image &img, unsigned nharts = 1, const struct net_opts *net = nullptr)
{
	struct machine_config cfg;
	struct hv_err err = {};

	std::memset(&cfg, 0, sizeof(cfg));
	cfg.ram_size = 16 * kMiB;
	cfg.nharts = nharts;
	cfg.boot = BOOT_BARE;
	cfg.net = net;
	struct machine *m = machine_create(&cfg, &err);
	EXPECT_NE(m, nullptr) << err.msg;
	if (m && loader_load(m, &img.lo, &err) != 0) {
		ADD_FAILURE() << err.msg;
		machine_destroy(m);
		return nullptr;
	}
	return m;
}

struct domain_spec Spec(const char *name, const Image &img,
			enum domain_policy off = DOMAIN_PRESERVE)
{
	struct domain_spec s = {};
	s.name = name;
	s.on_poweroff = off;
	s.on_reboot = DOMAIN_RESTART;
	s.on_crash = DOMAIN_PRESERVE;
	s.lo = img.lo;
	return s;
}

uint64_t Result(struct machine *m)
{
	uint64_t v = 0;
	machine_read_phys(m, kRam + 0x10000, &v, 8);
	return v;
}

} // namespace

TEST(Domain, EpochsChangeNothingTheMachineComputes)
{
	Image img(Program(5, 64 * 4096));
	struct machine *alone = Make(img);
	ASSERT_NE(alone, nullptr);
	ASSERT_EQ(machine_run(alone), STOP_SHUTDOWN);
	uint64_t digest = machine_digest(alone), total = alone->total_insns;
	uint64_t itime = alone->itime, result = Result(alone);
	machine_destroy(alone);

	for (uint64_t len : { 997ull, 20000ull, 1ull << 22 }) {
		struct hv_err err = {};
		struct hv_system *s = system_create(len, 1, &err);
		ASSERT_NE(s, nullptr) << err.msg;
		struct domain_spec sp = Spec("one", img);
		ASSERT_EQ(system_add_domain(s, &sp, Make(img), &err), 0) << err.msg;
		int live = 1;
		unsigned epochs = 0;
		while (live > 0 && epochs < 100000) {
			live = system_run_epoch(s, &err);
			epochs++;
		}
		struct domain *d = system_domain(s, 0);
		EXPECT_EQ(d->state, DOMAIN_STOPPED) << "epoch " << len;
		EXPECT_EQ(d->last_stop, STOP_SHUTDOWN);
		EXPECT_EQ(d->m->total_insns, total) << "epoch " << len;
		EXPECT_EQ(Result(d->m), result);
		EXPECT_EQ(d->m->itime, itime) << "the idle skip ends at the same time";
		EXPECT_EQ(machine_digest(d->m), digest) << "epoch " << len;
		if (len == 997) {
			EXPECT_GT(epochs, 100u) << "the run really was cut into epochs";
		}
		system_destroy(s);
	}
}

/* A debugger's hold (system_set_hold) that lets the domain go at once,
 * counting its calls and checking that every other domain ended its share
 * of the epoch first. */
struct Hold {
	struct hv_system *s;
	unsigned calls;
};

static bool HoldAndResume(void *opaque, struct domain *d)
{
	Hold *h = (Hold *)opaque;

	h->calls++;
	EXPECT_EQ(d->last_stop, STOP_DEBUG);
	for (unsigned i = 0; i < system_ndomains(h->s); i++) {
		struct domain *o = system_domain(h->s, i);
		if (o != d && o->state == DOMAIN_RUNNING && o->last_stop == STOP_EPOCH) {
			EXPECT_GE(o->m->itime, o->m->epoch_end) << "domain " << i;
		}
	}
	debug_resume(d->m);
	return true;
}

/* The digests after every epoch of a system of five domains (two with 2
 * harts), on 1, 2 and 4 host threads; spin: system_set_spin's (-1: the
 * system's default); hold: a breakpoint in domain 1's loop, held by
 * HoldAndResume each time it fires. */
static std::vector<uint64_t> SystemDigests(unsigned threads, int64_t spin = -1,
					   Hold *hold = nullptr)
{
	std::vector<Image> imgs;
	imgs.reserve(5); /* the loader options point into each Image */
	for (int i = 0; i < 5; i++)
		imgs.emplace_back(Program(i * 7 + 1, (uint32_t)(8 + 4 * i) * 4096));
	struct hv_err err = {};
	struct hv_system *s = system_create(50000, threads, &err);
	EXPECT_NE(s, nullptr) << err.msg;
	if (spin >= 0)
		system_set_spin(s, (uint64_t)spin);
	for (int i = 0; i < 5; i++) {
		std::string name = "d" + std::to_string(i);
		struct domain_spec sp = Spec(name.c_str(), imgs[i]);
		EXPECT_EQ(system_add_domain(s, &sp, Make(imgs[i], i % 2 ? 2 : 1), &err), i)
			<< err.msg;
	}
	if (hold) {
		hold->s = s;
		system_set_hold(s, HoldAndResume, hold);
		EXPECT_EQ(debug_add_break(system_domain(s, 1)->m, kRam + 2 * 4), 0);
	}
	std::vector<uint64_t> out;
	for (int live = 5; live > 0 && out.size() < 10000;) {
		live = system_run_epoch(s, &err);
		out.push_back(system_digest(s));
	}
	system_destroy(s);
	return out;
}

TEST(Domain, SameDigestsOnOneTwoAndFourThreads)
{
	std::vector<uint64_t> one = SystemDigests(1);
	ASSERT_GT(one.size(), 10u);
	EXPECT_EQ(SystemDigests(2), one);
	EXPECT_EQ(SystemDigests(4), one);
}

/* A fork shares its parent's frame pool (frames, decoded and translated
 * code, none of them locked): the two run in one work item, on one thread,
 * and compute what they compute on one thread. */
std::vector<uint64_t> ForkedDigests(unsigned threads, unsigned *items)
{
	std::vector<Image> imgs;
	imgs.reserve(2);
	imgs.emplace_back(Program(3, 12 * 4096));
	imgs.emplace_back(Program(11, 20 * 4096));
	struct hv_err err = {};
	struct hv_system *s = system_create(50000, threads, &err);
	EXPECT_NE(s, nullptr) << err.msg;
	struct machine *parent = Make(imgs[0]);
	struct machine *other = Make(imgs[1]);
	struct domain_spec a = Spec("parent", imgs[0]), b = Spec("other", imgs[1]),
			   c = Spec("fork", imgs[0]);
	EXPECT_EQ(system_add_domain(s, &a, parent, &err), 0) << err.msg;
	EXPECT_EQ(system_add_domain(s, &b, other, &err), 1) << err.msg;
	std::vector<uint64_t> out;
	for (int i = 0; i < 3; i++) {
		EXPECT_GE(system_run_epoch(s, &err), 0) << err.msg;
		out.push_back(system_digest(s));
	}
	EXPECT_EQ(system_work_items(s), 2u);
	struct snap *sn = snap_take(system_domain(s, 0)->m, &err);
	EXPECT_NE(sn, nullptr) << err.msg;
	struct machine *child = Make(imgs[0]);
	EXPECT_GE(snap_restore(child, sn, &err), 0) << err.msg;
	snap_free(sn);
	EXPECT_EQ(child->ram.pool, parent->ram.pool) << "the fork shares its parent's frames";
	EXPECT_EQ(system_add_domain(s, &c, child, &err), 2) << err.msg;
	for (int live = 3; live > 0 && out.size() < 10000;) {
		live = system_run_epoch(s, &err);
		out.push_back(system_digest(s));
		if (out.size() == 4)
			*items = system_work_items(s);
	}
	system_destroy(s);
	return out;
}

TEST(Domain, AForkRunsOnItsParentsThread)
{
	unsigned items1 = 0, items2 = 0;
	std::vector<uint64_t> one = ForkedDigests(1, &items1);
	ASSERT_GT(one.size(), 5u);
	EXPECT_EQ(ForkedDigests(2, &items2), one);
	EXPECT_EQ(items1, 2u) << "three domains, a parent and its fork one item";
	EXPECT_EQ(items2, 2u);
}

TEST(Domain, SameDigestsWhetherWaitingThreadsSpinOrSleep)
{
	std::vector<uint64_t> one = SystemDigests(1);
	EXPECT_EQ(SystemDigests(2, 0), one) << "threads that sleep at once";
	EXPECT_EQ(SystemDigests(2, 1000000000), one) << "threads that spin up to 1 s";
	EXPECT_EQ(SystemDigests(4, 1000000000), one) << "four spinning threads";
}

TEST(Domain, ADebuggerHoldingADomainMidEpochChangesNoDigest)
{
	std::vector<uint64_t> one = SystemDigests(1);
	for (unsigned threads : { 1u, 2u }) {
		Hold hold = {};
		EXPECT_EQ(SystemDigests(threads, -1, &hold), one) << threads << " thread(s)";
		/* Both harts of domain 1 run the loop, 12 * 4096 times each. */
		EXPECT_EQ(hold.calls, 2u * 12 * 4096) << threads << " thread(s)";
	}
}

TEST(Domain, DestroyEndsThreadsThatSpin)
{
	Image img(Program(3, 8 * 4096));
	struct hv_err err = {};
	struct hv_system *s = system_create(50000, 2, &err);
	ASSERT_NE(s, nullptr) << err.msg;
	system_set_spin(s, 60ull * 1000000000ull);
	for (const char *name : { "a", "b" }) {
		struct domain_spec sp = Spec(name, img);
		ASSERT_GE(system_add_domain(s, &sp, Make(img), &err), 0) << err.msg;
	}
	ASSERT_EQ(system_run_epoch(s, &err), 2) << err.msg;
	/* The worker now spins for the next epoch, for up to a minute. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	system_destroy(s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_LT(t1.tv_sec - t0.tv_sec, 10) << "destroy waited for the spin to time out";
}

TEST(Domain, PoliciesDestroyRestartPreserve)
{
	Image quick(Program(1, 4096)), slow(Program(2, 256 * 4096)), boot(Program(3, 4096, true));
	struct hv_err err = {};
	struct hv_system *s = system_create(20000, 2, &err);
	ASSERT_NE(s, nullptr);
	struct domain_spec a = Spec("gone", quick, DOMAIN_DESTROY);
	struct domain_spec b = Spec("busy", slow, DOMAIN_PRESERVE);
	struct domain_spec c = Spec("again", boot, DOMAIN_DESTROY);
	ASSERT_EQ(system_add_domain(s, &a, Make(quick), &err), 0);
	ASSERT_EQ(system_add_domain(s, &b, Make(slow), &err), 1);
	ASSERT_EQ(system_add_domain(s, &c, Make(boot), &err), 2);
	struct domain_spec dup = Spec("busy", quick);
	EXPECT_EQ(system_add_domain(s, &dup, Make(quick), &err), -1);
	EXPECT_NE(std::string(err.msg).find("already a domain named 'busy'"), std::string::npos)
		<< err.msg;

	for (int i = 0; i < 40; i++)
		ASSERT_GE(system_run_epoch(s, &err), 0);
	struct domain *gone = system_domain(s, 0), *busy = system_domain(s, 1),
		      *again = system_domain(s, 2);
	EXPECT_EQ(gone->state, DOMAIN_DESTROYED) << "on_poweroff=destroy";
	EXPECT_EQ(gone->m, nullptr);
	EXPECT_EQ(busy->state, DOMAIN_RUNNING) << "the others go on";
	EXPECT_EQ(again->state, DOMAIN_RUNNING) << "on_reboot=restart brings it back";
	EXPECT_GE(again->restarts, 2u);

	/* Paused: its machine does not move; unpaused, it goes on. */
	ASSERT_EQ(system_pause(s, 1, &err), 0);
	uint64_t before = busy->m->total_insns;
	system_run_epoch(s, &err);
	EXPECT_EQ(busy->m->total_insns, before);
	EXPECT_EQ(system_pause(s, 0, &err), -1) << "a destroyed domain cannot be paused";
	ASSERT_EQ(system_unpause(s, 1, &err), 0);
	int live = 2;
	for (int i = 0; i < 100000 && busy->state == DOMAIN_RUNNING && live > 0; i++)
		live = system_run_epoch(s, &err);
	EXPECT_EQ(busy->state, DOMAIN_STOPPED) << "on_poweroff=preserve keeps it";
	EXPECT_EQ(busy->last_stop, STOP_SHUTDOWN);
	EXPECT_NE(busy->m, nullptr);
	system_destroy_domain(s, 2);
	EXPECT_EQ(system_run_epoch(s, &err), 0) << "nothing left to run";
	system_destroy(s);
}

/* ---- The switch ---- */

namespace {

struct Port {
	struct net_backend be;
	std::vector<std::string> got;
	int id = -1;
};

void Deliver(void *opaque, const void *frame, size_t len)
{
	static_cast<Port *>(opaque)->got.emplace_back(static_cast<const char *>(frame), len);
}

std::string Frame(uint8_t dst, uint8_t src, const std::string &payload)
{
	std::string f(14, '\0');
	const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const uint8_t d[6] = { 0x52, 0x54, 0, 0, 0, dst }, s[6] = { 0x52, 0x54, 0, 0, 0, src };
	std::memcpy(&f[0], dst == 0xff ? bcast : d, 6);
	std::memcpy(&f[6], s, 6);
	return f + payload;
}

void Send(Port &p, const std::string &f)
{
	p.be.send(p.be.opaque, f.data(), f.size());
}

struct Net {
	struct hv_switch *sw;
	Port port[3];
	explicit Net(unsigned latency = 1, uint64_t seed = 1)
	{
		struct hv_err err = {};
		sw = switch_create("br0", latency, seed, &err);
		for (int i = 0; i < 3; i++)
			port[i].id = switch_add_port(sw, Deliver, &port[i], &port[i].be, &err);
	}
	~Net() { switch_destroy(sw); }
};

} // namespace

TEST(Switch, FloodsUnknownAndBroadcastThenLearns)
{
	Net n;
	Send(n.port[0], Frame(2, 1, "who")); /* unknown: flooded */
	switch_barrier(n.sw, 0);
	EXPECT_EQ(n.port[1].got.size(), 1u);
	EXPECT_EQ(n.port[2].got.size(), 1u);
	EXPECT_TRUE(n.port[0].got.empty()) << "never back to the sender";
	Send(n.port[2], Frame(1, 2, "me")); /* 1 was learned behind port 0 */
	switch_barrier(n.sw, 1);
	ASSERT_EQ(n.port[0].got.size(), 1u);
	EXPECT_EQ(n.port[0].got[0], Frame(1, 2, "me"));
	EXPECT_EQ(n.port[1].got.size(), 1u) << "a learned address goes to its port only";
	Send(n.port[1], Frame(0xff, 3, "all"));
	switch_barrier(n.sw, 2);
	EXPECT_EQ(n.port[0].got.size(), 2u);
	EXPECT_EQ(n.port[2].got.size(), 2u);
	EXPECT_EQ(switch_get_stats(n.sw)->flooded, 2u);
}

TEST(Switch, LatencyIsInEpochsAndOrderIsKept)
{
	Net n(3);
	Send(n.port[0], Frame(0xff, 1, "a"));
	Send(n.port[0], Frame(0xff, 1, "b"));
	switch_barrier(n.sw, 10);
	switch_barrier(n.sw, 11);
	EXPECT_TRUE(n.port[1].got.empty());
	switch_barrier(n.sw, 12); /* sent in epoch 10, seen in epoch 13 */
	ASSERT_EQ(n.port[1].got.size(), 2u);
	EXPECT_EQ(n.port[1].got[0], Frame(0xff, 1, "a"));
	EXPECT_EQ(n.port[1].got[1], Frame(0xff, 1, "b"));
}

TEST(Switch, PartitionCutsAndHealingRestores)
{
	Net n;
	switch_set_group(n.sw, n.port[2].id, 1);
	Send(n.port[0], Frame(0xff, 1, "x"));
	switch_barrier(n.sw, 0);
	EXPECT_EQ(n.port[1].got.size(), 1u);
	EXPECT_TRUE(n.port[2].got.empty()) << "across the partition";
	EXPECT_EQ(switch_get_stats(n.sw)->cut, 1u);
	switch_set_group(n.sw, n.port[2].id, 0);
	Send(n.port[0], Frame(0xff, 1, "y"));
	switch_barrier(n.sw, 1);
	EXPECT_EQ(n.port[2].got.size(), 1u);
}

TEST(Switch, FaultsAreSeededAndCounted)
{
	auto run = [](uint64_t seed) {
		Net n(1, seed);
		struct switch_faults f = {};
		f.drop_ppm = 300000;
		f.dup_ppm = 200000;
		f.reorder_ppm = 100000;
		switch_set_faults(n.sw, &f);
		for (int e = 0; e < 50; e++) {
			for (int k = 0; k < 4; k++)
				Send(n.port[0], Frame(0xff, 1, std::to_string(e * 4 + k)));
			switch_barrier(n.sw, (uint64_t)e);
		}
		switch_barrier(n.sw, 50);
		const struct switch_stats *st = switch_get_stats(n.sw);
		EXPECT_EQ(st->sent, 200u);
		EXPECT_GT(st->dropped, 30u);
		EXPECT_LT(st->dropped, 100u);
		EXPECT_GT(st->duplicated, 10u);
		EXPECT_GT(st->reordered, 5u);
		return n.port[1].got;
	};
	std::vector<std::string> a = run(7);
	EXPECT_EQ(run(7), a) << "the same seed, the same faults";
	EXPECT_NE(run(8), a);
}

TEST(Switch, GuestsCannotOverflowTheHost)
{
	Net n;
	std::string tiny(10, 'x'), huge(SWITCH_FRAME_MAX + 1, 'x');
	Send(n.port[0], tiny);
	Send(n.port[0], huge);
	for (int i = 0; i < SWITCH_OUTBOX_MAX + 10; i++)
		Send(n.port[0], Frame(0xff, 1, "f"));
	switch_barrier(n.sw, 0);
	const struct switch_stats *st = switch_get_stats(n.sw);
	EXPECT_EQ(st->malformed, 2u);
	EXPECT_EQ(st->overflow, 10u);
	EXPECT_EQ(n.port[1].got.size(), (size_t)SWITCH_OUTBOX_MAX);
	switch_unplug(n.sw, n.port[1].id);
	Send(n.port[0], Frame(0xff, 1, "g"));
	switch_barrier(n.sw, 1);
	EXPECT_EQ(n.port[1].got.size(), (size_t)SWITCH_OUTBOX_MAX) << "unplugged";
	EXPECT_EQ(n.port[2].got.size(), (size_t)SWITCH_OUTBOX_MAX + 1);
}

/* ---- Snapshots of a system (snapshot/system.c) ---- */

namespace {

/* Three domains of different lengths in a system of short epochs. */
struct ThreeDomains {
	std::vector<Image> imgs;
	struct hv_system *s = nullptr;
	ThreeDomains()
	{
		struct hv_err err = {};
		imgs.reserve(4);
		for (int i = 0; i < 4; i++)
			imgs.emplace_back(Program(i * 11 + 3, (uint32_t)(16 + 8 * i) * 4096));
		s = system_create(20000, 1, &err);
		for (int i = 0; i < 3; i++) {
			std::string name = "d" + std::to_string(i);
			struct domain_spec sp = Spec(name.c_str(), imgs[i]);
			EXPECT_EQ(system_add_domain(s, &sp, Make(imgs[i]), &err), i) << err.msg;
		}
	}
	~ThreeDomains() { system_destroy(s); }
	std::vector<uint64_t> Run(unsigned epochs)
	{
		struct hv_err err = {};
		std::vector<uint64_t> out;
		for (unsigned e = 0; e < epochs; e++) {
			system_run_epoch(s, &err);
			out.push_back(Digest());
		}
		return out;
	}
	/* The first three domains' (a later one may come and go). */
	uint64_t Digest()
	{
		uint64_t h = 0;
		for (unsigned i = 0; i < 3; i++) {
			struct domain *d = system_domain(s, i);
			h = h * 31 + (d->m ? machine_digest(d->m) : 0) + d->state;
		}
		return h;
	}
};

struct machine *Remake(void *opaque, unsigned id, struct hv_err *)
{
	return Make(static_cast<ThreeDomains *>(opaque)->imgs[id]);
}

} // namespace

TEST(SystemSnapshot, RestoreRunsTheSameAgainWhateverHappenedSince)
{
	ThreeDomains t;
	struct hv_err err = {};
	t.Run(5);
	struct system_snap *ss = system_snap_take(t.s, -1, &err);
	ASSERT_NE(ss, nullptr) << err.msg;
	uint64_t at = t.Digest();
	EXPECT_EQ(system_snap_epoch(ss), 5u);
	std::vector<uint64_t> first = t.Run(10);

	/* Change the system: destroy one domain, add another, pause one. */
	system_destroy_domain(t.s, 1);
	struct domain_spec sp = Spec("late", t.imgs[3]);
	ASSERT_EQ(system_add_domain(t.s, &sp, Make(t.imgs[3]), &err), 3) << err.msg;
	ASSERT_EQ(system_pause(t.s, 2, &err), 0);
	t.Run(3);

	ASSERT_EQ(system_snap_restore(t.s, ss, Remake, &t, &err), 0) << err.msg;
	EXPECT_EQ(system_epoch(t.s), 18u) << "epochs are numbered on, not back";
	EXPECT_EQ(system_domain(t.s, 1)->state, DOMAIN_RUNNING) << "brought back";
	EXPECT_EQ(system_domain(t.s, 2)->state, DOMAIN_RUNNING);
	EXPECT_EQ(system_domain(t.s, 3)->state, DOMAIN_DESTROYED) << "made after the snapshot";
	EXPECT_EQ(t.Digest(), at);
	EXPECT_EQ(t.Run(10), first) << "the run from the snapshot is the first run";
	std::vector<uint64_t> rest = t.Run(60);
	for (unsigned i = 0; i < 3; i++)
		EXPECT_EQ(system_domain(t.s, i)->state, DOMAIN_STOPPED) << "ran to its end";
	/* A snapshot may be restored again, from any state. */
	ASSERT_EQ(system_snap_restore(t.s, ss, Remake, &t, &err), 0) << err.msg;
	EXPECT_EQ(t.Run(10), first);
	EXPECT_EQ(t.Run(60), rest);
	system_snap_free(ss);
}

TEST(SystemSnapshot, OneDomainGoesBackWhileTheOthersGoOn)
{
	ThreeDomains a, b;
	struct hv_err err = {};
	a.Run(4);
	b.Run(4);
	uint64_t d0 = machine_digest(system_domain(a.s, 0)->m);
	struct system_snap *ss = system_snap_take(a.s, 0, &err);
	ASSERT_NE(ss, nullptr) << err.msg;
	EXPECT_EQ(system_snap_domain(ss), 0);
	a.Run(6);
	b.Run(6);
	ASSERT_EQ(system_snap_restore(a.s, ss, Remake, &a, &err), 0) << err.msg;
	EXPECT_EQ(machine_digest(system_domain(a.s, 0)->m), d0) << "domain 0 is back";
	EXPECT_EQ(system_epoch(a.s), 10u) << "the system's epochs go on";
	for (unsigned i = 1; i < 3; i++)
		EXPECT_EQ(machine_digest(system_domain(a.s, i)->m),
			  machine_digest(system_domain(b.s, i)->m))
			<< "domain " << i << " is untouched";
	/* It runs on from there as it ran from there the first time. */
	a.Run(60);
	b.Run(60);
	EXPECT_EQ(machine_digest(system_domain(a.s, 0)->m),
		  machine_digest(system_domain(b.s, 0)->m));
	system_snap_free(ss);
}

TEST(Switch, SavedStateComesBackWithFramesInFlight)
{
	Net n(3, 5);
	struct switch_faults f = {};
	f.drop_ppm = 200000;
	switch_set_faults(n.sw, &f);
	Send(n.port[0], Frame(0xff, 1, "in flight"));
	Send(n.port[2], Frame(1, 3, "to one"));
	switch_barrier(n.sw, 0);
	switch_set_group(n.sw, n.port[1].id, 1);
	struct switch_state *st = switch_save(n.sw);
	ASSERT_NE(st, nullptr);
	auto rest = [&](uint64_t base) {
		for (int k = 0; k < 20; k++)
			Send(n.port[0], Frame(0xff, 1, std::to_string(k)));
		for (uint64_t e = base + 1; e < base + 6; e++)
			switch_barrier(n.sw, e);
		std::vector<std::string> got = n.port[1].got;
		got.insert(got.end(), n.port[2].got.begin(), n.port[2].got.end());
		n.port[1].got.clear();
		n.port[2].got.clear();
		return got;
	};
	std::vector<std::string> first = rest(0);
	EXPECT_FALSE(first.empty());
	switch_set_group(n.sw, n.port[1].id, 0);
	switch_load(n.sw, st, 10); /* the epochs went on meanwhile */
	EXPECT_EQ(rest(10), first) << "frames, groups and the fault generator came back";
	switch_state_free(st);
}

/* ---- Weight and cap (domain.h, system_set_sched) ---- */

namespace {

/* Harts that wait for an interrupt that never comes: idle for ever. */
std::vector<uint8_t> IdleProgram()
{
	std::vector<uint32_t> w = { wfi(), jal(0, -4) };
	std::vector<uint8_t> b(w.size() * 4);
	std::memcpy(b.data(), w.data(), b.size());
	return b;
}

/* A system of epochs of len on threads host threads whose domains are
 * made from imgs (harts[i] harts each, 1 if not given), named d0, d1. */
struct hv_system *SchedSystem(const std::vector<Image> &imgs, uint64_t len, unsigned cpus,
			      std::vector<unsigned> harts = {}, unsigned threads = 1)
{
	struct hv_err err = {};
	struct hv_system *s = system_create(len, threads, &err);
	EXPECT_NE(s, nullptr) << err.msg;
	EXPECT_EQ(system_set_cpus(s, cpus, &err), 0) << err.msg;
	for (size_t i = 0; i < imgs.size(); i++) {
		std::string name = "d" + std::to_string(i);
		struct domain_spec sp = Spec(name.c_str(), imgs[i]);
		struct machine *m = Make(imgs[i], i < harts.size() ? harts[i] : 1);
		EXPECT_EQ(system_add_domain(s, &sp, m, &err), (int)i) << err.msg;
	}
	return s;
}

void RunEpochs(struct hv_system *s, unsigned n)
{
	struct hv_err err = {};
	for (unsigned e = 0; e < n; e++)
		ASSERT_GT(system_run_epoch(s, &err), 0) << err.msg;
}

/* busy programs that loop long enough to keep a hart busy through every
 * test here (seeds 1, 2, ...), then an idle one if idle. */
std::vector<Image> BusyImages(unsigned busy, bool idle = false)
{
	std::vector<Image> imgs;
	imgs.reserve(busy + 1); /* the loader options point into each Image */
	for (unsigned i = 0; i < busy; i++)
		imgs.emplace_back(Program((int32_t)i + 1, 1024 * 4096));
	if (idle)
		imgs.emplace_back(IdleProgram());
	return imgs;
}

/* The digests after every epoch until all stop, of six domains of
 * different lengths and harts, with weights and caps as set(s, id). */
std::vector<uint64_t> SchedDigests(unsigned threads, unsigned cpus,
				   void (*set)(struct hv_system *, unsigned))
{
	std::vector<Image> imgs;
	imgs.reserve(6);
	for (int i = 0; i < 6; i++)
		imgs.emplace_back(Program(i * 5 + 2, (uint32_t)(3 + i) * 4096));
	struct hv_system *s = SchedSystem(imgs, 30000, cpus, { 1, 2, 1, 3, 1, 2 }, threads);
	for (unsigned i = 0; set && i < 6; i++)
		set(s, i);
	std::vector<uint64_t> out;
	struct hv_err err = {};
	while (system_run_epoch(s, &err) > 0 && out.size() < 20000)
		out.push_back(system_digest(s));
	system_destroy(s);
	return out;
}

void SetContended(struct hv_system *s, unsigned id)
{
	struct hv_err err = {};
	EXPECT_EQ(system_set_sched(s, id, 100 + 150 * id,
				   id == 3 ? 130 :
				   id == 4 ? 40 :
					     0,
				   &err),
		  0)
		<< err.msg;
}

void SetDefaults(struct hv_system *s, unsigned id)
{
	struct hv_err err = {};
	EXPECT_EQ(system_set_sched(s, id, SYSTEM_DEFAULT_WEIGHT, 0, &err), 0) << err.msg;
}

} // namespace

TEST(DomainSched, WeightsAndCapsGiveTheSameDigestsOnOneTwoAndFourThreads)
{
	std::vector<uint64_t> one = SchedDigests(1, 2, SetContended);
	ASSERT_GT(one.size(), 10u);
	EXPECT_NE(one, SchedDigests(1, 0, nullptr)) << "the contention changed the run";
	EXPECT_EQ(SchedDigests(2, 2, SetContended), one);
	EXPECT_EQ(SchedDigests(4, 2, SetContended), one);
}

TEST(DomainSched, DefaultsChangeNoDigest)
{
	/* Weight 256, no cap, and as many cpus as the domains' 10 vcpus (or
	 * more): no budget limits anyone, as when nothing is set. */
	std::vector<uint64_t> none = SchedDigests(1, 0, nullptr);
	EXPECT_EQ(SchedDigests(1, 10, SetDefaults), none);
	EXPECT_EQ(SchedDigests(1, 64, SetDefaults), none);
	EXPECT_NE(SchedDigests(1, 9, SetDefaults), none) << "one cpu less is contention";
}

TEST(DomainSched, WeightsShareOneCpuExactly)
{
	/* Epochs of 6 rounds of the default quantum (10000 instructions):
	 * shares of 2/3 and 1/3 are whole rounds, so nothing is rounded. */
	std::vector<Image> imgs = BusyImages(2);
	struct hv_system *s = SchedSystem(imgs, 60000, 1);
	struct hv_err err = {};
	ASSERT_EQ(system_set_sched(s, 0, 512, 0, &err), 0) << err.msg;
	ASSERT_EQ(system_set_sched(s, 1, 256, 0, &err), 0) << err.msg;
	unsigned w = 0, c = 7;
	ASSERT_EQ(system_get_sched(s, 0, &w, &c, &err), 0);
	EXPECT_EQ(w, 512u);
	EXPECT_EQ(c, 0u);
	EXPECT_EQ(system_cpus(s), 1u);
	RunEpochs(s, 30);
	struct domain *a = system_domain(s, 0), *b = system_domain(s, 1);
	EXPECT_EQ(a->m->total_insns, 30u * 40000) << "2/3 of one cpu";
	EXPECT_EQ(b->m->total_insns, 30u * 20000) << "1/3 of one cpu";
	EXPECT_EQ(a->budget, 40000u);
	EXPECT_EQ(b->debt, 0u);
	/* Descheduled for the rest of each epoch, their clocks still ran one
	 * epoch per epoch. */
	EXPECT_EQ(a->m->itime, a->base_itime + 30u * 60000);
	EXPECT_EQ(b->m->itime, b->base_itime + 30u * 60000);
	system_destroy(s);
}

TEST(DomainSched, CapGivesAQuarterOfAVcpuAndTheClockGoesOn)
{
	std::vector<Image> imgs = BusyImages(3);
	/* No cpus: no contention; the caps alone limit. */
	struct hv_system *s = SchedSystem(imgs, 40000, 0, { 1, 1, 2 });
	struct hv_err err = {};
	ASSERT_EQ(system_set_sched(s, 0, 256, 25, &err), 0) << err.msg;
	EXPECT_EQ(system_set_sched(s, 0, 256, 101, &err), -1);
	EXPECT_NE(std::string(err.msg).find("cap of 101 % is more than its 1 vcpus' 100 %"),
		  std::string::npos)
		<< err.msg;
	EXPECT_EQ(system_set_sched(s, 2, 256, 201, &err), -1) << "2 vcpus: 200 at most";
	ASSERT_EQ(system_set_sched(s, 2, 256, 150, &err), 0) << err.msg;
	EXPECT_EQ(system_set_sched(s, 1, 0, 0, &err), -1);
	EXPECT_NE(std::string(err.msg).find("a weight of 0 is not 1 to 65535"), std::string::npos)
		<< err.msg;
	EXPECT_EQ(system_set_sched(s, 1, 65536, 0, &err), -1);
	EXPECT_EQ(system_set_sched(s, 9, 256, 0, &err), -1) << "no such domain";
	EXPECT_EQ(system_set_cpus(s, SYSTEM_MAX_CPUS + 1, &err), -1);
	RunEpochs(s, 20);
	struct domain *q = system_domain(s, 0), *free = system_domain(s, 1),
		      *two = system_domain(s, 2);
	EXPECT_EQ(q->m->total_insns, 20u * 10000) << "a quarter of one vcpu";
	EXPECT_EQ(q->m->itime, q->base_itime + 20u * 40000) << "one epoch per epoch";
	EXPECT_EQ(free->budget, SYSTEM_NO_BUDGET) << "uncapped, uncontended";
	EXPECT_EQ(free->m->total_insns, 20u * 40000);
	EXPECT_EQ(two->m->total_insns, 20u * 60000) << "1.5 of its 2 vcpus";
	EXPECT_EQ(two->m->itime, two->base_itime + 20u * 40000);
	system_destroy(s);
}

TEST(DomainSched, RoundsPastTheBudgetArePaidBack)
{
	/* A cap of 25 % of epochs of 50000 is 12500 instructions, one round
	 * and a quarter: each epoch ends at the first round boundary at or
	 * past its budget, and the debt shortens the next budgets. */
	std::vector<Image> imgs = BusyImages(1);
	struct hv_system *s = SchedSystem(imgs, 50000, 0);
	struct hv_err err = {};
	ASSERT_EQ(system_set_sched(s, 0, 256, 25, &err), 0) << err.msg;
	RunEpochs(s, 40);
	struct domain *d = system_domain(s, 0);
	EXPECT_GE(d->m->total_insns, 40u * 12500);
	EXPECT_LT(d->m->total_insns, 40u * 12500 + 10000) << "within one round of the share";
	system_destroy(s);
}

TEST(DomainSched, AnIdleDomainsShareGoesToTheActiveOnesAndIsNotBanked)
{
	/* As Xen credits only active vcpus: a domain idle its whole last
	 * epoch is left out of the sharing, so the two busy ones get half of
	 * the cpu each, not a third; the idle one may still run a third (its
	 * share among all three) should it wake, however long it slept. */
	std::vector<Image> imgs = BusyImages(2, true);
	struct hv_system *s = SchedSystem(imgs, 60000, 1);
	RunEpochs(s, 5);
	struct domain *a = system_domain(s, 0), *b = system_domain(s, 1),
		      *idle = system_domain(s, 2);
	EXPECT_FALSE(idle->active);
	uint64_t a0 = a->m->total_insns, b0 = b->m->total_insns;
	RunEpochs(s, 20);
	EXPECT_EQ(a->m->total_insns - a0, 20u * 30000);
	EXPECT_EQ(b->m->total_insns - b0, 20u * 30000);
	EXPECT_EQ(idle->budget, 20000u) << "one epoch's share, not twenty";
	EXPECT_EQ(idle->m->itime, idle->base_itime + 25u * 60000);
	system_destroy(s);
}

TEST(DomainSched, StolenTimeKeepsTimersArchitectural)
{
	/* The same program capped to 10 % and uncapped: the capped one
	 * computes the same, and its timer (2000 ticks after its loop) still
	 * wakes it to power off, many epochs later. */
	std::vector<Image> imgs;
	imgs.reserve(2);
	for (int i = 0; i < 2; i++)
		imgs.emplace_back(Program(5, 16 * 4096));
	struct hv_system *s = SchedSystem(imgs, 20000, 0);
	struct hv_err err = {};
	ASSERT_EQ(system_set_sched(s, 0, 256, 10, &err), 0) << err.msg;
	struct domain *capped = system_domain(s, 0), *free = system_domain(s, 1);
	unsigned epochs = 0, free_epochs = 0;
	while (system_run_epoch(s, &err) > 0 && epochs < 100000) {
		epochs++;
		free_epochs += free->state == DOMAIN_RUNNING;
	}
	EXPECT_EQ(capped->last_stop, STOP_SHUTDOWN);
	EXPECT_EQ(free->last_stop, STOP_SHUTDOWN);
	EXPECT_EQ(Result(capped->m), Result(free->m));
	EXPECT_EQ(capped->m->total_insns, free->m->total_insns)
		<< "the same work, waking at the timer";
	EXPECT_GT(epochs, capped->m->total_insns / 2000 - 5) << "2000 instructions an epoch";
	EXPECT_LT(free_epochs, epochs / 5);
	system_destroy(s);
}
