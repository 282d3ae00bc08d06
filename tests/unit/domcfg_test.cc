// SPDX-License-Identifier: MIT
/*
 * Tests for the domain configuration file of `retrovisor up` (cli/domcfg.c):
 * what a file means (system keys, domains, lists over several lines,
 * bridges with their faults, paths relative to the file's folder,
 * defaults), and that every refusal is one sentence naming PATH:LINE.
 */
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "cli/domcfg.h"
}

namespace {

struct Parsed {
	struct domcfg c;
	struct hv_err err = {};
	int r;
	explicit Parsed(const std::string &text, const char *path = "/etc/rv/sys.cfg")
	{
		r = domcfg_parse(path, text.data(), text.size(), false, &c, &err);
	}
	~Parsed()
	{
		if (r == 0)
			domcfg_free(&c);
	}
};

} // namespace

TEST(Domcfg, ReadsSystemAndDomains)
{
	Parsed p("# a system\n"
		 "epoch_us = 250; threads = 2\n"
		 "bridge = [ 'br0,latency=3,drop=1000,delay=500:4,seed=9',\n"
		 "           \"br1\" ]\n"
		 "\n"
		 "name = \"web\"\n"
		 "kernel = 'Image'\n"
		 "initrd = \"/abs/initrd\"\n"
		 "cmdline = 'console=ttyS0 rv.cmd=\"httpd\"'\n"
		 "memory = 256   # MiB\n"
		 "vcpus = 2\n"
		 "disk = [ 'a.img', 'file=b.img,snapshot=off' ]\n"
		 "vif = [ 'bridge=br1,mac=52:54:00:aa:bb:01' ]\n"
		 "on_crash = \"restart\"\n"
		 "plugin = [ 'p.so,out=/tmp/x,k=v', '/abs/q.so' ]\n"
		 "name = 'db'\n"
		 "kernel = \"k\"\n");
	ASSERT_EQ(p.r, 0) << p.err.msg;
	EXPECT_EQ(p.c.epoch_us, 250u);
	EXPECT_EQ(p.c.threads, 2u);
	ASSERT_EQ(p.c.nbridge, 2u);
	EXPECT_STREQ(p.c.bridge[0].name, "br0");
	EXPECT_EQ(p.c.bridge[0].latency, 3u);
	EXPECT_EQ(p.c.bridge[0].seed, 9u);
	EXPECT_EQ(p.c.bridge[0].faults.drop_ppm, 1000u);
	EXPECT_EQ(p.c.bridge[0].faults.delay_ppm, 500u);
	EXPECT_EQ(p.c.bridge[0].faults.delay_epochs, 4u);
	EXPECT_EQ(p.c.bridge[1].latency, 1u) << "one epoch by default";
	ASSERT_EQ(p.c.ndom, 2u);
	const struct domcfg_domain &w = p.c.dom[0];
	EXPECT_STREQ(w.name, "web");
	EXPECT_EQ(w.line, 6u);
	EXPECT_STREQ(w.kernel, "/etc/rv/Image") << "relative to the file's folder";
	EXPECT_STREQ(w.initrd, "/abs/initrd");
	EXPECT_STREQ(w.cmdline, "console=ttyS0 rv.cmd=\"httpd\"") << "not a path";
	EXPECT_EQ(w.memory_mib, 256u);
	EXPECT_EQ(w.vcpus, 2u);
	ASSERT_EQ(w.ndisk, 2u);
	EXPECT_STREQ(w.disk[0], "file=/etc/rv/a.img");
	EXPECT_STREQ(w.disk[1], "file=/etc/rv/b.img,snapshot=off");
	EXPECT_TRUE(w.has_vif);
	EXPECT_STREQ(w.bridge, "br1");
	EXPECT_TRUE(w.has_mac);
	EXPECT_EQ(w.mac[5], 0x01);
	EXPECT_EQ(w.on_crash, DOMAIN_RESTART);
	ASSERT_EQ(w.nplugin, 2u);
	EXPECT_STREQ(w.plugin[0], "/etc/rv/p.so,out=/tmp/x,k=v")
		<< "the file resolved, not the rest";
	EXPECT_STREQ(w.plugin[1], "/abs/q.so");
	EXPECT_EQ(w.on_poweroff, DOMAIN_DESTROY) << "xl's defaults";
	EXPECT_EQ(w.on_reboot, DOMAIN_RESTART);
	EXPECT_STREQ(p.c.dom[1].kernel, "/etc/rv/k");
	EXPECT_FALSE(p.c.dom[1].has_vif);
}

TEST(Domcfg, RefusesWithFileAndLine)
{
	const struct {
		const char *text, *want;
	} cases[] = {
		{ "name = \"a\"\nkernel = \"k\"\ncolour = 3\n",
		  "sys.cfg:3: unknown domain key 'colour'" },
		{ "colour = 3\n", "sys.cfg:1: unknown key 'colour' before the first domain" },
		{ "name = \"a\"\nkernel = \"k\"\nname = \"a\"\n",
		  "sys.cfg:3: domain 'a' is defined twice (first on line 1)" },
		{ "name = \"a\"\n", "sys.cfg:1: domain 'a' has no kernel" },
		{ "name = \"a b\"\n", "sys.cfg:1: domain name 'a b'" },
		{ "name = \"a\"\nkernel = 5\n", "sys.cfg:2: 'kernel' takes a \"string\"" },
		{ "name = \"a\"\nkernel = \"k\nx\"\n",
		  "sys.cfg:2: a string is not closed on its line" },
		{ "name = \"a\"\nkernel = \"k\"\nmemory = 0\n",
		  "sys.cfg:3: domain 'a': memory = 0 MiB" },
		{ "name = \"a\"\nkernel = \"k\"\nvcpus = 33\n",
		  "sys.cfg:3: domain 'a': vcpus = 33" },
		{ "name = \"a\"\nkernel = \"k\"\ndisk = [ 'x',\n 5 ]\n",
		  "sys.cfg:4: a list holds \"strings\"" },
		{ "name = \"a\"\nkernel = \"k\"\nvif = [ 'mac=01:00:00:00:00:01,bridge=b' ]\n",
		  "sys.cfg:3: domain 'a': mac=01:00:00:00:00:01 is not a unicast address" },
		{ "name = \"a\"\nkernel = \"k\"\nvif = [ 'bridge=b', 'bridge=c' ]\n",
		  "sys.cfg:3: domain 'a': one vif per domain" },
		{ "bridge = [ 'b,drop=2000000' ]\n",
		  "sys.cfg:1: bridge 'b': drop is in parts per million" },
		{ "bridge = [ 'b,speed=9' ]\n",
		  "sys.cfg:1: bridge 'b': unknown or malformed setting 'speed'" },
		{ "bridge = [ 'b', 'b' ]\n", "sys.cfg:1: bridge 'b' is defined twice" },
		{ "epoch_us = 0\n", "sys.cfg:1: epoch_us = 0" },
		{ "name = \"a\"\nkernel = \"k\" kernel\n", "sys.cfg:2: one key = value per line" },
		{ "= 3\n", "sys.cfg:1: a line starts with a key" },
		{ "name \"a\"\n", "sys.cfg:1: 'name' is not followed by '='" },
		{ "name = \"a\"\nkernel = \"k\"\nmemory = 12x\n",
		  "sys.cfg:3: '12x' is not a whole number" },
		{ "name = \"a\"\nkernel = \"k\"\non_reboot = \"halt\"\n",
		  "sys.cfg:3: on_reboot = \"halt\": use destroy, restart or preserve" },
		{ "\x01", "sys.cfg:1: unexpected byte 0x01" },
		{ "name = \"a\"\nkernel = \"k\"\nweight = 0\n",
		  "sys.cfg:3: domain 'a': weight = 0: 1 to 65535" },
		{ "name = \"a\"\nkernel = \"k\"\nweight = 65536\n",
		  "sys.cfg:3: domain 'a': weight = 65536: 1 to 65535" },
		{ "name = \"a\"\nkernel = \"k\"\ncap = \"25\"\n",
		  "sys.cfg:3: 'cap' takes a number" },
		{ "name = \"a\"\nkernel = \"k\"\ncap = 101\n",
		  "sys.cfg:3: domain 'a': cap = 101 is more than its 1 vcpus' 100" },
		{ "name = \"a\"\ncap = 250\nkernel = \"k\"\nvcpus = 2\n",
		  "sys.cfg:2: domain 'a': cap = 250 is more than its 2 vcpus' 200" },
		{ "name = \"a\"\nkernel = \"k\"\ncap = 3201\n",
		  "sys.cfg:3: domain 'a': cap = 3201: 0 to 100 per vcpu" },
		{ "cpus = 5000\n", "sys.cfg:1: cpus = 5000: 0 (as many as the vcpus) to 2048" },
		{ "", "sys.cfg:1: no domain is defined" },
	};
	for (const auto &c : cases) {
		Parsed p(c.text);
		EXPECT_EQ(p.r, -1) << c.text;
		EXPECT_EQ(std::string(p.err.msg).rfind(std::string("/etc/rv/") + c.want, 0), 0u)
			<< "got: " << p.err.msg << "\nwant: " << c.want;
	}
}

TEST(Domcfg, ReadsABridgesUplink)
{
	Parsed p("bridge = [ 'br0,uplink=user,hostfwd=tcp::8080-10.0.2.15:80,"
		 "hostfwd=udp:0.0.0.0:5353-:53', 'br1' ]\n"
		 "name = \"a\"; kernel = \"k\"\n");
	ASSERT_EQ(p.r, 0) << p.err.msg;
	EXPECT_TRUE(p.c.bridge[0].uplink);
	EXPECT_FALSE(p.c.bridge[1].uplink);
	const struct net_opts *o = &p.c.bridge[0].uplink_net;
	EXPECT_EQ(o->mode, NET_USER);
	ASSERT_EQ(o->nhostfwd, 2u);
	EXPECT_FALSE(o->hostfwd[0].udp);
	EXPECT_EQ(o->hostfwd[0].host_addr, NET_SLIRP_LOOPBACK) << "as run's --net user";
	EXPECT_EQ(o->hostfwd[0].host_port, 8080);
	EXPECT_EQ(o->hostfwd[0].guest_addr, NET_SLIRP_GUEST);
	EXPECT_EQ(o->hostfwd[0].guest_port, 80);
	EXPECT_TRUE(o->hostfwd[1].udp);
	EXPECT_EQ(o->hostfwd[1].host_addr, 0u);
	EXPECT_EQ(o->hostfwd[1].guest_port, 53);
	const struct {
		const char *text, *want;
	} bad[] = {
		{ "bridge = [ 'b,uplink=tap' ]\n", "sys.cfg:1: bridge 'b': uplink= comes once" },
		{ "bridge = [ 'b,uplink=user,uplink=user' ]\n",
		  "sys.cfg:1: bridge 'b': uplink= comes once" },
		{ "bridge = [ 'b,hostfwd=tcp::80-:80' ]\n",
		  "sys.cfg:1: bridge 'b': hostfwd= follows uplink=user" },
		{ "bridge = [ 'b,uplink=user,hostfwd=tcp::0-:80' ]\n",
		  "sys.cfg:1: bridge 'b''s uplink: --net: " },
	};
	for (const auto &c : bad) {
		Parsed q(c.text);
		EXPECT_EQ(q.r, -1) << c.text;
		EXPECT_EQ(std::string(q.err.msg).rfind(std::string("/etc/rv/") + c.want, 0), 0u)
			<< "got: " << q.err.msg << "\nwant: " << c.want;
	}
}

TEST(Domcfg, ReadsWeightCapAndCpus)
{
	Parsed p("cpus = 1\n"
		 "name = \"fast\"; kernel = \"k\"; weight = 512; vcpus = 2; cap = 150\n"
		 "name = \"slow\"; kernel = \"k\"\n");
	ASSERT_EQ(p.r, 0) << p.err.msg;
	EXPECT_EQ(p.c.cpus, 1u);
	EXPECT_EQ(p.c.dom[0].weight, 512u);
	EXPECT_EQ(p.c.dom[0].cap, 150u) << "up to 100 per vcpu";
	EXPECT_EQ(p.c.dom[1].weight, 256u) << "Xen's default";
	EXPECT_EQ(p.c.dom[1].cap, 0u) << "no cap";
	Parsed q("name = \"a\"; kernel = \"k\"\n");
	ASSERT_EQ(q.r, 0) << q.err.msg;
	EXPECT_EQ(q.c.cpus, 0u) << "as many as the vcpus: no contention";
}

TEST(Domcfg, NothingUnboundedFromTheText)
{
	std::string big = "name = \"a\"\nkernel = \"" + std::string(5000, 'k') + "\"\n";
	Parsed p(big);
	EXPECT_EQ(p.r, -1);
	EXPECT_NE(std::string(p.err.msg).find("a string longer than 4095 bytes"),
		  std::string::npos);
	std::string list = "name = \"a\"\nkernel = \"k\"\ndisk = [";
	for (int i = 0; i < 20; i++)
		list += "'d', ";
	list += "'d' ]\n";
	Parsed q(list);
	EXPECT_EQ(q.r, -1);
	EXPECT_NE(std::string(q.err.msg).find("a list of more than 16 items"), std::string::npos);
	std::string nul("name = \"a\0\"\n", 12);
	Parsed n(nul);
	EXPECT_EQ(n.r, -1);
	EXPECT_NE(std::string(n.err.msg).find("NUL"), std::string::npos);
}
