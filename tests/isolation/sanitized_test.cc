// SPDX-License-Identifier: MIT
/*
 * The attacker and the victim of isolation_test.py (attacker.c, victim.c)
 * run in-process against the machine built with AddressSanitizer and
 * UndefinedBehaviorSanitizer (//hv:hv_sanitized, as tests/robust does for
 * random guests): a system of the two domains on one switch, each with
 * its disk, run in epochs until the victim powers off. Every bad DMA
 * address, ring, indirect table and SBI argument the attacker tries must
 * be refused without the host touching memory it does not own (the
 * sanitizers abort the test on the first such access); the attacker's
 * checks all pass, its reboot and panic are restarted, and the victim's
 * console and digest are those of a system where it runs alone.
 *
 * Arguments: VICTIM.elf ATTACKER.elf (Bazel's $(location)s).
 */
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

extern "C" {
#include "hv/dev/backend/net_slirp.h"
#include "hv/platform/control.h"
#include "hv/platform/domain.h"
#include "hv/platform/switch.h"
}

namespace {

const char *victim_elf, *attacker_elf;

/* One domain's machine and what it keeps pointing to. */
struct Dom {
	std::string name, elf, disk, console;
	uint64_t mib;
	unsigned harts;
	uint8_t mac_last;
	struct net_opts net;
	struct machine_drive drive;
	struct loader_opts lo;
};

void Sink(void *opaque, const uint8_t *buf, size_t len)
{
	static_cast<Dom *>(opaque)->console.append(reinterpret_cast<const char *>(buf), len);
}

std::string BlankDisk(const std::string &name)
{
	const char *dir = getenv("TEST_TMPDIR");
	std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
	FILE *f = fopen(path.c_str(), "wb");
	EXPECT_NE(f, nullptr) << path;
	if (f) {
		EXPECT_EQ(ftruncate(fileno(f), 1 << 20), 0);
		fclose(f);
	}
	return path;
}

/* Add d to s on sw as isolation_test.py's configuration describes it. */
void Add(struct hv_system *s, struct hv_switch *sw, Dom *d, enum domain_policy on_reboot)
{
	struct machine_config cfg;
	struct hv_err err = {};

	net_opts_init(&d->net);
	d->net.mode = NET_LINK;
	d->net.mac[3] = 0x00;
	d->net.mac[4] = 0x02;
	d->net.mac[5] = d->mac_last;
	d->drive = { d->disk.c_str(), false, false, 0 };
	std::memset(&cfg, 0, sizeof(cfg));
	cfg.ram_size = d->mib << 20;
	cfg.nharts = d->harts;
	cfg.boot = loader_boot_mode(nullptr);
	cfg.rtc_boot_ns = 1767225600ull * 1000000000ull;
	cfg.drives = &d->drive;
	cfg.ndrives = 1;
	cfg.net = &d->net;
	cfg.rng = true; /* as up's domains have it */
	cfg.stop_on_panic = true;
	struct machine *m = machine_create(&cfg, &err);
	ASSERT_NE(m, nullptr) << err.msg;
	d->lo = {};
	d->lo.kernel = d->elf.c_str();
	ASSERT_EQ(loader_load(m, &d->lo, &err), 0) << err.msg;
	machine_set_console_sink(m, Sink, d);
	struct domain_spec spec = {};
	spec.name = d->name.c_str();
	spec.on_poweroff = DOMAIN_PRESERVE;
	spec.on_reboot = on_reboot;
	spec.on_crash = DOMAIN_RESTART;
	spec.lo = d->lo;
	int id = system_add_domain(s, &spec, m, &err);
	ASSERT_GE(id, 0) << err.msg;
	ASSERT_EQ(system_plug(s, (unsigned)id, sw, &err), 0) << err.msg;
}

/* Run s until its last domain (the victim) stops, or 400 epochs; the
 * victim's machine digest then. */
uint64_t RunSystem(Dom *victim, Dom *attacker)
{
	struct hv_err err = {};
	/* Epochs of 500 us of guest time, as isolation_test.py's. */
	struct hv_system *s = system_create(50000, 2, &err);
	EXPECT_NE(s, nullptr) << err.msg;
	struct hv_switch *sw = switch_create("br0", 1, 0, &err);
	EXPECT_NE(sw, nullptr) << err.msg;
	EXPECT_EQ(system_add_switch(s, sw, &err), 0) << err.msg;
	if (attacker)
		Add(s, sw, attacker, DOMAIN_RESTART);
	Add(s, sw, victim, DOMAIN_PRESERVE);
	struct domain *v = system_find(s, "victim");
	for (int e = 0; e < 400 && v && v->state == DOMAIN_RUNNING; e++)
		EXPECT_GE(system_run_epoch(s, &err), 0) << err.msg;
	EXPECT_TRUE(v && v->state == DOMAIN_STOPPED && v->last_stop == STOP_SHUTDOWN);
	uint64_t digest = v && v->m ? machine_digest(v->m) : 0;
	system_destroy(s);
	return digest;
}

TEST(IsolationSanitized, AttackerReachesNothingOfTheVictim)
{
	Dom alone = { "victim", victim_elf, BlankDisk("alone.img"), "", 64, 2, 1, {}, {}, {} };
	uint64_t want = RunSystem(&alone, nullptr);
	ASSERT_NE(alone.console.find("victim done"), std::string::npos) << alone.console;

	Dom victim = { "victim", victim_elf, BlankDisk("victim.img"), "", 64, 2, 1, {}, {}, {} };
	Dom attacker = { "attacker", attacker_elf, BlankDisk("attacker.img"), "", 32, 1, 2, {}, {},
			 {} };
	uint64_t got = RunSystem(&victim, &attacker);
	EXPECT_NE(attacker.console.find("attacker checks 90 ok 0 bad"), std::string::npos)
		<< attacker.console;
	EXPECT_EQ(attacker.console.find("BAD"), std::string::npos) << attacker.console;
	EXPECT_NE(attacker.console.find("attacker boot 3\nattacker spins"), std::string::npos)
		<< attacker.console;
	EXPECT_EQ(victim.console, alone.console);
	EXPECT_EQ(got, want);
}

} // namespace

int main(int argc, char **argv)
{
	testing::InitGoogleTest(&argc, argv);
	if (argc != 3) {
		fprintf(stderr, "usage: sanitized_test VICTIM.elf ATTACKER.elf\n");
		return 2;
	}
	victim_elf = argv[1];
	attacker_elf = argv[2];
	return RUN_ALL_TESTS();
}
