// SPDX-License-Identifier: MIT
/*
 * Tests of the --net option parser and the libslirp backend
 * (hv/dev/backend/net_slirp.c), without a guest: the tests build Ethernet frames by
 * hand, feed them to the stack as a guest's driver would, and read the
 * frames it sends back.
 *
 *   - parsing: accepted forms fill net_opts as documented; every rejected
 *     form gets a sentence naming the offending part;
 *   - DHCP: a hand-made DHCPDISCOVER (RFC 2131 over BOOTP, RFC 951) gets a
 *     DHCPOFFER of 10.0.2.15, which proves the libslirp integration;
 *   - 10.0.2.2 is the host's loopback: a UDP datagram the guest sends
 *     there reaches a socket the test bound on 127.0.0.1;
 *   - hostfwd: a connection to the forwarded host port makes the stack
 *     send a TCP SYN to 10.0.2.15:GUESTPORT (after resolving the guest's
 *     MAC with ARP, which the test answers);
 *   - reset (a machine put back to a snapshot): connections are forgotten,
 *     the same SYN connects again, forwards are reopened.
 *
 * The host-network tests use only 127.0.0.1 and ports the kernel picked,
 * so they run in a sandbox without network access.
 */
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "hv/dev/backend/net_slirp.h"
}

namespace {

using Frame = std::vector<uint8_t>;

const uint8_t kGuestMac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* ---- parsing ---- */

struct Parsed {
	int rc;
	struct net_opts o;
	std::string err;
};

Parsed parse(const char *s)
{
	Parsed p;
	struct hv_err err;

	net_opts_init(&p.o);
	std::memset(&err, 0, sizeof(err));
	p.rc = net_parse_opts(s, &p.o, &err);
	p.err = err.msg;
	return p;
}

TEST(NetOpts, DefaultsAreNoNetworkAndQemuMac)
{
	struct net_opts o;
	net_opts_init(&o);
	EXPECT_EQ(o.mode, NET_NONE);
	EXPECT_EQ(o.nhostfwd, 0u);
	EXPECT_EQ(0, std::memcmp(o.mac, kGuestMac, 6));
}

TEST(NetOpts, AcceptsNoneAndPlainUser)
{
	Parsed p = parse("none");
	ASSERT_EQ(p.rc, 0) << p.err;
	EXPECT_EQ(p.o.mode, NET_NONE);
	p = parse("user");
	ASSERT_EQ(p.rc, 0) << p.err;
	EXPECT_EQ(p.o.mode, NET_USER);
	EXPECT_EQ(p.o.nhostfwd, 0u);
}

TEST(NetOpts, HostfwdFillsEveryField)
{
	Parsed p = parse("user,hostfwd=tcp:127.0.0.1:8080-:80");
	ASSERT_EQ(p.rc, 0) << p.err;
	ASSERT_EQ(p.o.nhostfwd, 1u);
	const struct net_hostfwd &f = p.o.hostfwd[0];
	EXPECT_FALSE(f.udp);
	EXPECT_EQ(f.host_addr, 0x7f000001u);
	EXPECT_EQ(f.host_port, 8080);
	EXPECT_EQ(f.guest_addr, NET_SLIRP_GUEST);
	EXPECT_EQ(f.guest_port, 80);
}

TEST(NetOpts, EmptyHostAddressMeansLoopbackAndEmptyProtocolTcp)
{
	Parsed p = parse("user,hostfwd=::2222-:22");
	ASSERT_EQ(p.rc, 0) << p.err;
	ASSERT_EQ(p.o.nhostfwd, 1u);
	EXPECT_FALSE(p.o.hostfwd[0].udp);
	EXPECT_EQ(p.o.hostfwd[0].host_addr, NET_SLIRP_LOOPBACK);
	EXPECT_EQ(p.o.hostfwd[0].host_port, 2222);
}

TEST(NetOpts, AcceptsUdpExplicitAddressesPortLimitsAndMac)
{
	Parsed p = parse("user,hostfwd=udp:0.0.0.0:65535-10.0.2.16:1,"
			 "hostfwd=tcp::1-10.0.2.254:65535,mac=02:aB:cd:EF:01:23");
	ASSERT_EQ(p.rc, 0) << p.err;
	ASSERT_EQ(p.o.nhostfwd, 2u);
	EXPECT_TRUE(p.o.hostfwd[0].udp);
	EXPECT_EQ(p.o.hostfwd[0].host_addr, 0u);
	EXPECT_EQ(p.o.hostfwd[0].host_port, 65535);
	EXPECT_EQ(p.o.hostfwd[0].guest_addr, 0x0a000210u);
	EXPECT_EQ(p.o.hostfwd[0].guest_port, 1);
	EXPECT_EQ(p.o.hostfwd[1].host_port, 1);
	EXPECT_EQ(p.o.hostfwd[1].guest_addr, 0x0a0002feu);
	EXPECT_EQ(p.o.hostfwd[1].guest_port, 65535);
	const uint8_t mac[6] = { 0x02, 0xab, 0xcd, 0xef, 0x01, 0x23 };
	EXPECT_EQ(0, std::memcmp(p.o.mac, mac, 6));
}

TEST(NetOpts, SameHostPortIsAllowedForTcpAndUdp)
{
	Parsed p = parse("user,hostfwd=tcp::5000-:5000,hostfwd=udp::5000-:5000");
	EXPECT_EQ(p.rc, 0) << p.err;
	EXPECT_EQ(p.o.nhostfwd, 2u);
}

struct Reject {
	const char *in;
	const char *needle; /* part of the error sentence */
};

TEST(NetOpts, RejectsBadValuesWithASentence)
{
	const Reject cases[] = {
		{ "", "needs a value" },
		{ "tap", "'tap' is not supported" },
		{ "user2", "'user2' is not supported" },
		{ "none,hostfwd=tcp::1-:1", "takes no options" },
		{ "user,", "option '' has no value" },
		{ "user,hostfwd", "option 'hostfwd' has no value" },
		{ "user,restrict=on", "unknown option 'restrict'" },
		{ "user,hostfwd=tcp:127.0.0.1:8080:80", "is not of the form" },
		{ "user,hostfwd=8080-:80", "is not of the form" },
		{ "user,hostfwd=tcp::8080", "is not of the form" },
		{ "user,hostfwd=sctp::1-:2", "protocol 'sctp'" },
		{ "user,hostfwd=TCP::1-:2", "protocol 'TCP'" },
		{ "user,hostfwd=tcp::0-:80", "host port '0'" },
		{ "user,hostfwd=tcp::65536-:80", "host port '65536'" },
		{ "user,hostfwd=tcp::99999999-:80", "host port '99999999'" },
		{ "user,hostfwd=tcp::80a-:80", "host port '80a'" },
		{ "user,hostfwd=tcp::+80-:80", "host port '+80'" },
		{ "user,hostfwd=tcp:: 80-:80", "host port ' 80'" },
		{ "user,hostfwd=tcp::-:80", "host port ''" },
		{ "user,hostfwd=tcp:localhost:80-:80", "host address 'localhost'" },
		{ "user,hostfwd=tcp:1.2.3:80-:80", "host address '1.2.3'" },
		{ "user,hostfwd=tcp:1.2.3.256:80-:80", "host address '1.2.3.256'" },
		{ "user,hostfwd=tcp:1.2.3.4.5:80-:80", "host address '1.2.3.4.5'" },
		{ "user,hostfwd=tcp:1..3.4:80-:80", "host address '1..3.4'" },
		{ "user,hostfwd=tcp:0001.2.3.4:80-:80", "host address '0001.2.3.4'" },
		{ "user,hostfwd=tcp::80-10.0.3.15:80", "guest address '10.0.3.15'" },
		{ "user,hostfwd=tcp::80-10.0.2.2:80", "guest address '10.0.2.2'" },
		{ "user,hostfwd=tcp::80-10.0.2.3:80", "guest address '10.0.2.3'" },
		{ "user,hostfwd=tcp::80-10.0.2.0:80", "guest address '10.0.2.0'" },
		{ "user,hostfwd=tcp::80-10.0.2.255:80", "guest address '10.0.2.255'" },
		{ "user,hostfwd=tcp::80-:0", "guest port '0'" },
		{ "user,hostfwd=tcp::80-:70000", "guest port '70000'" },
		{ "user,hostfwd=tcp::80-:", "guest port ''" },
		{ "user,hostfwd=tcp::80-:22,hostfwd=tcp:127.0.0.1:80-:23", "a second time" },
		{ "user,mac=01:00:5e:00:00:01", "not a unicast MAC" },
		{ "user,mac=52:54:00:12:34", "not a unicast MAC" },
		{ "user,mac=52-54-00-12-34-56", "not a unicast MAC" },
		{ "user,mac=52:54:00:12:34:5g", "not a unicast MAC" },
		{ "user,mac=52:54:00:12:34:56,mac=52:54:00:12:34:57", "given twice" },
	};
	for (const Reject &c : cases) {
		Parsed p = parse(c.in);
		EXPECT_EQ(p.rc, -1) << c.in;
		EXPECT_NE(p.err.find(c.needle), std::string::npos)
			<< "input '" << c.in << "' gave: " << p.err;
		EXPECT_EQ(p.err.find('\n'), std::string::npos) << p.err;
	}
	Parsed p = parse(nullptr);
	EXPECT_EQ(p.rc, -1);
}

TEST(NetOpts, RejectsMoreThanTheRuleLimit)
{
	std::string s = "user";
	for (int i = 0; i < NET_MAX_HOSTFWD; i++)
		s += ",hostfwd=tcp::" + std::to_string(1000 + i) + "-:22";
	Parsed ok = parse(s.c_str());
	ASSERT_EQ(ok.rc, 0) << ok.err;
	EXPECT_EQ(ok.o.nhostfwd, static_cast<unsigned>(NET_MAX_HOSTFWD));
	s += ",hostfwd=tcp::2000-:22";
	Parsed p = parse(s.c_str());
	EXPECT_EQ(p.rc, -1);
	EXPECT_NE(p.err.find("more than"), std::string::npos) << p.err;
}

/* ---- frames ---- */

void put16(Frame &f, size_t at, uint16_t v)
{
	f[at] = static_cast<uint8_t>(v >> 8);
	f[at + 1] = static_cast<uint8_t>(v);
}
void put32(Frame &f, size_t at, uint32_t v)
{
	put16(f, at, static_cast<uint16_t>(v >> 16));
	put16(f, at + 2, static_cast<uint16_t>(v));
}
uint16_t get16(const Frame &f, size_t at)
{
	return static_cast<uint16_t>(f[at] << 8 | f[at + 1]);
}
uint32_t get32(const Frame &f, size_t at)
{
	return static_cast<uint32_t>(get16(f, at)) << 16 | get16(f, at + 2);
}

/* RFC 791 header checksum over the 20 bytes at off. */
uint16_t ip_checksum(const Frame &f, size_t off)
{
	uint32_t sum = 0;
	for (size_t i = 0; i < 20; i += 2)
		sum += get16(f, off + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return static_cast<uint16_t>(~sum);
}

constexpr size_t kEth = 14;
constexpr size_t kIp = kEth;
constexpr size_t kL4 = kIp + 20;

/* Ethernet + IPv4 + UDP (checksum 0: none, allowed over IPv4). */
Frame udp_frame(const uint8_t *dst_mac, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		const Frame &payload)
{
	Frame f(kL4 + 8 + payload.size(), 0);
	std::memcpy(&f[0], dst_mac, 6);
	std::memcpy(&f[6], kGuestMac, 6);
	put16(f, 12, 0x0800);
	f[kIp] = 0x45;
	put16(f, kIp + 2, static_cast<uint16_t>(20 + 8 + payload.size()));
	f[kIp + 8] = 64;
	f[kIp + 9] = 17;
	put32(f, kIp + 12, src);
	put32(f, kIp + 16, dst);
	put16(f, kIp + 10, ip_checksum(f, kIp));
	put16(f, kL4, sport);
	put16(f, kL4 + 2, dport);
	put16(f, kL4 + 4, static_cast<uint16_t>(8 + payload.size()));
	std::memcpy(&f[kL4 + 8], payload.data(), payload.size());
	return f;
}

/* Ethernet + IPv4 + a 20-byte TCP header with flags and no payload; the
 * checksum covers the RFC 793 pseudo-header. */
Frame tcp_frame(const uint8_t *dst_mac, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		uint32_t seq, uint32_t ack, uint8_t flags)
{
	Frame f(kL4 + 20, 0);
	std::memcpy(&f[0], dst_mac, 6);
	std::memcpy(&f[6], kGuestMac, 6);
	put16(f, 12, 0x0800);
	f[kIp] = 0x45;
	put16(f, kIp + 2, 40);
	f[kIp + 8] = 64;
	f[kIp + 9] = 6;
	put32(f, kIp + 12, src);
	put32(f, kIp + 16, dst);
	put16(f, kIp + 10, ip_checksum(f, kIp));
	put16(f, kL4, sport);
	put16(f, kL4 + 2, dport);
	put32(f, kL4 + 4, seq);
	put32(f, kL4 + 8, ack);
	f[kL4 + 12] = 5 << 4;
	f[kL4 + 13] = flags;
	put16(f, kL4 + 14, 65535);
	uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 + 20;
	for (size_t i = 0; i < 20; i += 2)
		sum += get16(f, kL4 + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(f, kL4 + 16, static_cast<uint16_t>(~sum));
	return f;
}

const uint8_t kBroadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* DHCPDISCOVER: BOOTP request (236 bytes) with the 312-byte options field
 * holding the magic cookie and message type 1. */
Frame dhcp_discover(uint32_t xid)
{
	Frame b(236 + 312, 0);
	b[0] = 1; /* BOOTREQUEST */
	b[1] = 1; /* Ethernet */
	b[2] = 6;
	put32(b, 4, xid);
	put16(b, 10, 0x8000); /* broadcast reply */
	std::memcpy(&b[28], kGuestMac, 6);
	const uint8_t opts[] = { 99, 130, 83, 99, 53, 1, 1, 255 };
	std::memcpy(&b[236], opts, sizeof(opts));
	return udp_frame(kBroadcast, 0, 0xffffffffu, 68, 67, b);
}

/* Value of DHCP option code in a BOOTP reply at off, or -1. */
int dhcp_option(const Frame &f, size_t bootp, uint8_t code)
{
	size_t i = bootp + 240;
	while (i + 1 < f.size() && f[i] != 255) {
		if (f[i] == 0) {
			i++;
			continue;
		}
		if (f[i] == code && i + 2 < f.size())
			return f[i + 2];
		i += 2 + f[i + 1];
	}
	return -1;
}

bool is_ipv4(const Frame &f, uint8_t proto)
{
	return f.size() >= kL4 + 8 && get16(f, 12) == 0x0800 && (f[kIp] >> 4) == 4 &&
	       f[kIp + 9] == proto;
}

/* ---- the stack ---- */

class NetSlirpTest : public ::testing::Test {
protected:
	void TearDown() override { net_slirp_destroy(s); }

	void start(const char *opts)
	{
		Parsed p = parse(opts);
		ASSERT_EQ(p.rc, 0) << p.err;
		struct hv_err err;
		std::memset(&err, 0, sizeof(err));
		s = net_slirp_new(&p.o, &NetSlirpTest::rx, this, &err);
		ASSERT_NE(s, nullptr) << err.msg;
	}
	void send(const Frame &f) { net_slirp_input(s, f.data(), f.size()); }

	/* Poll until pred holds for a received frame (it may answer frames
	 * by sending), or 3 s of host time pass. */
	template <typename Pred> bool wait_for(Pred pred)
	{
		auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
		size_t seen = 0;
		for (;;) {
			for (; seen < got.size(); seen++)
				if (pred(got[seen]))
					return true;
			if (std::chrono::steady_clock::now() > end)
				return false;
			struct hv_err err;
			EXPECT_GE(net_slirp_wait(s, -1, 20, &err), 0) << err.msg;
		}
	}

	/* ARP "who has 10.0.2.15": answer as the guest would. */
	bool answer_arp(const Frame &f)
	{
		if (f.size() < 42 || get16(f, 12) != 0x0806 || get16(f, 20) != 1 ||
		    get32(f, 38) != NET_SLIRP_GUEST)
			return false;
		Frame rep(42, 0);
		std::memcpy(&rep[0], &f[6], 6);
		std::memcpy(&rep[6], kGuestMac, 6);
		put16(rep, 12, 0x0806);
		put16(rep, 14, 1);
		put16(rep, 16, 0x0800);
		rep[18] = 6;
		rep[19] = 4;
		put16(rep, 20, 2);
		std::memcpy(&rep[22], kGuestMac, 6);
		put32(rep, 28, NET_SLIRP_GUEST);
		std::memcpy(&rep[32], &f[22], 10); /* sender MAC and IP */
		send(rep);
		return true;
	}

	static void rx(void *opaque, const void *frame, size_t len)
	{
		auto *t = static_cast<NetSlirpTest *>(opaque);
		const uint8_t *p = static_cast<const uint8_t *>(frame);
		t->got.emplace_back(p, p + len);
	}

	struct net_slirp *s = nullptr;
	std::vector<Frame> got;
};

TEST_F(NetSlirpTest, RefusesModeNone)
{
	struct net_opts o;
	struct hv_err err;
	net_opts_init(&o);
	EXPECT_EQ(net_slirp_new(&o, &NetSlirpTest::rx, this, &err), nullptr);
	EXPECT_NE(std::string(err.msg).find("--net user"), std::string::npos) << err.msg;
}

TEST_F(NetSlirpTest, DhcpDiscoverGetsAnOfferOfTheFirstLease)
{
	start("user");
	send(dhcp_discover(0x1234abcd));
	Frame offer;
	ASSERT_TRUE(wait_for([&](const Frame &f) {
		if (!is_ipv4(f, 17) || get16(f, kL4) != 67 || get16(f, kL4 + 2) != 68)
			return false;
		offer = f;
		return true;
	}));
	size_t bootp = kL4 + 8;
	ASSERT_GE(offer.size(), bootp + 244);
	EXPECT_EQ(offer[bootp], 2);                           /* BOOTREPLY */
	EXPECT_EQ(get32(offer, bootp + 4), 0x1234abcdu);      /* xid */
	EXPECT_EQ(get32(offer, bootp + 16), NET_SLIRP_GUEST); /* yiaddr */
	EXPECT_EQ(0, std::memcmp(&offer[bootp + 28], kGuestMac, 6));
	EXPECT_EQ(dhcp_option(offer, bootp, 53), 2);       /* DHCPOFFER */
	EXPECT_EQ(get32(offer, kIp + 12), NET_SLIRP_HOST); /* from the gateway */
	EXPECT_EQ(ip_checksum(offer, kIp), 0);             /* valid header */
}

TEST_F(NetSlirpTest, GuestUdpToHostAddressReachesHostLoopback)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_GE(u, 0);
	struct sockaddr_in a;
	std::memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(bind(u, reinterpret_cast<sockaddr *>(&a), sizeof(a)), 0);
	socklen_t alen = sizeof(a);
	ASSERT_EQ(getsockname(u, reinterpret_cast<sockaddr *>(&a), &alen), 0);
	uint16_t port = ntohs(a.sin_port);

	start("user");
	const uint8_t gw_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
	Frame payload = { 'h', 'e', 'l', 'l', 'o' };
	send(udp_frame(gw_mac, NET_SLIRP_GUEST, NET_SLIRP_HOST, 40000, port, payload));

	struct pollfd p = { u, POLLIN, 0 };
	ASSERT_EQ(poll(&p, 1, 3000), 1);
	char buf[64];
	ssize_t n = recv(u, buf, sizeof(buf), 0);
	close(u);
	ASSERT_EQ(n, 5);
	EXPECT_EQ(std::string(buf, 5), "hello");
}

TEST_F(NetSlirpTest, GuestTcpConnectToHostAddressReachesHostLoopback)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_GE(l, 0);
	struct sockaddr_in a;
	std::memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(bind(l, reinterpret_cast<sockaddr *>(&a), sizeof(a)), 0);
	ASSERT_EQ(listen(l, 1), 0);
	socklen_t alen = sizeof(a);
	ASSERT_EQ(getsockname(l, reinterpret_cast<sockaddr *>(&a), &alen), 0);
	uint16_t port = ntohs(a.sin_port);

	start("user");
	const uint8_t gw_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
	send(tcp_frame(gw_mac, NET_SLIRP_GUEST, NET_SLIRP_HOST, 40001, port, 1000, 0, 0x02));
	bool synack = wait_for([&](const Frame &f) {
		if (answer_arp(f))
			return false;
		return is_ipv4(f, 6) && get32(f, kIp + 12) == NET_SLIRP_HOST &&
		       get16(f, kL4) == port && get16(f, kL4 + 2) == 40001 && f[kL4 + 13] == 0x12 &&
		       get32(f, kL4 + 8) == 1001;
	});
	/* The stack answers only once the host connection exists. */
	struct pollfd p = { l, POLLIN, 0 };
	EXPECT_EQ(poll(&p, 1, 0), 1);
	int c = accept(l, nullptr, nullptr);
	EXPECT_GE(c, 0);
	if (c >= 0)
		close(c);
	close(l);
	EXPECT_TRUE(synack);
}

TEST_F(NetSlirpTest, HostfwdConnectionBecomesSynToGuestPort)
{
	/* A port that was free a moment ago. */
	int probe = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_GE(probe, 0);
	struct sockaddr_in a;
	std::memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr *>(&a), sizeof(a)), 0);
	socklen_t alen = sizeof(a);
	ASSERT_EQ(getsockname(probe, reinterpret_cast<sockaddr *>(&a), &alen), 0);
	close(probe);
	uint16_t port = ntohs(a.sin_port);

	std::string opts = "user,hostfwd=tcp:127.0.0.1:" + std::to_string(port) + "-:2222";
	start(opts.c_str());

	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_GE(c, 0);
	int r = connect(c, reinterpret_cast<sockaddr *>(&a), sizeof(a));
	ASSERT_TRUE(r == 0 || errno == EINPROGRESS) << std::strerror(errno);

	bool syn = wait_for([&](const Frame &f) {
		if (answer_arp(f))
			return false;
		if (!is_ipv4(f, 6) || get32(f, kIp + 16) != NET_SLIRP_GUEST ||
		    get16(f, kL4 + 2) != 2222)
			return false;
		uint8_t flags = f[kL4 + 13];
		return (flags & 0x02) && !(flags & 0x10); /* SYN, not ACK */
	});
	close(c);
	EXPECT_TRUE(syn);
	EXPECT_EQ(0, std::memcmp(&got.back()[0], kGuestMac, 6));
}

TEST_F(NetSlirpTest, HostfwdOnPortInUseFailsWithASentence)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_GE(l, 0);
	struct sockaddr_in a;
	std::memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(bind(l, reinterpret_cast<sockaddr *>(&a), sizeof(a)), 0);
	ASSERT_EQ(listen(l, 1), 0);
	socklen_t alen = sizeof(a);
	ASSERT_EQ(getsockname(l, reinterpret_cast<sockaddr *>(&a), &alen), 0);

	std::string opts = "user,hostfwd=tcp::" + std::to_string(ntohs(a.sin_port)) + "-:22";
	Parsed p = parse(opts.c_str());
	ASSERT_EQ(p.rc, 0) << p.err;
	struct hv_err err;
	std::memset(&err, 0, sizeof(err));
	EXPECT_EQ(net_slirp_new(&p.o, &NetSlirpTest::rx, this, &err), nullptr);
	close(l);
	std::string msg = err.msg;
	EXPECT_NE(msg.find("cannot forward tcp host port 127.0.0.1:" +
			   std::to_string(ntohs(a.sin_port))),
		  std::string::npos)
		<< msg;
}

TEST_F(NetSlirpTest, WaitReportsExtraFdAndTimesOut)
{
	start("user");
	int pfd[2];
	ASSERT_EQ(pipe(pfd), 0);
	struct hv_err err;
	auto t0 = std::chrono::steady_clock::now();
	EXPECT_EQ(net_slirp_wait(s, pfd[0], 30, &err) & NET_SLIRP_WAIT_FD, 0);
	EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(25));
	ASSERT_EQ(write(pfd[1], "x", 1), 1);
	EXPECT_EQ(net_slirp_wait(s, pfd[0], 1000, &err) & NET_SLIRP_WAIT_FD, NET_SLIRP_WAIT_FD);
	close(pfd[0]);
	close(pfd[1]);
}

TEST_F(NetSlirpTest, StackWithoutSocketsIsQuietAndDoesNotBlock)
{
	start("user");
	struct hv_err err;
	auto t0 = std::chrono::steady_clock::now();
	EXPECT_EQ(net_slirp_wait(s, -1, -1, &err), NET_SLIRP_WAIT_QUIET);
	EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
}

TEST_F(NetSlirpTest, ForwardedPortKeepsTheStackAwake)
{
	/* A listening socket means a host connection may come at any time. */
	int probe = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_GE(probe, 0);
	struct sockaddr_in a;
	std::memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr *>(&a), sizeof(a)), 0);
	socklen_t alen = sizeof(a);
	ASSERT_EQ(getsockname(probe, reinterpret_cast<sockaddr *>(&a), &alen), 0);
	close(probe);
	std::string opts = "user,hostfwd=tcp::" + std::to_string(ntohs(a.sin_port)) + "-:22";
	start(opts.c_str());
	struct hv_err err;
	EXPECT_EQ(net_slirp_wait(s, -1, 10, &err), 0);
}

/* A machine put back to a snapshot sends the SYN it sent before, same
 * ports and sequence number: after a reset the stack has forgotten the
 * first connection (its host side is closed) and makes a new one, and
 * the forwards are open again. */
TEST_F(NetSlirpTest, ResetForgetsConnectionsAndReopensForwards)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_GE(l, 0);
	struct sockaddr_in a;
	std::memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(bind(l, reinterpret_cast<sockaddr *>(&a), sizeof(a)), 0);
	ASSERT_EQ(listen(l, 2), 0);
	socklen_t alen = sizeof(a);
	ASSERT_EQ(getsockname(l, reinterpret_cast<sockaddr *>(&a), &alen), 0);
	uint16_t port = ntohs(a.sin_port);
	struct sockaddr_in fa = a;
	int probe = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_GE(probe, 0);
	fa.sin_port = 0;
	ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr *>(&fa), sizeof(fa)), 0);
	alen = sizeof(fa);
	ASSERT_EQ(getsockname(probe, reinterpret_cast<sockaddr *>(&fa), &alen), 0);
	close(probe);
	std::string opts = "user,hostfwd=tcp:127.0.0.1:" + std::to_string(ntohs(fa.sin_port)) +
			   "-:2222";
	start(opts.c_str());

	const uint8_t gw_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
	Frame syn = tcp_frame(gw_mac, NET_SLIRP_GUEST, NET_SLIRP_HOST, 40002, port, 1000, 0, 0x02);
	auto synack = [&](const Frame &f) {
		if (answer_arp(f))
			return false;
		return is_ipv4(f, 6) && get16(f, kL4) == port && get16(f, kL4 + 2) == 40002 &&
		       f[kL4 + 13] == 0x12 && get32(f, kL4 + 8) == 1001;
	};
	send(syn);
	ASSERT_TRUE(wait_for(synack));
	int c1 = accept(l, nullptr, nullptr);
	ASSERT_GE(c1, 0);

	struct hv_err err;
	std::memset(&err, 0, sizeof(err));
	ASSERT_EQ(net_slirp_reset(s, &err), 0) << err.msg;
	struct pollfd p = { c1, POLLIN, 0 };
	char byte;
	EXPECT_EQ(poll(&p, 1, 3000), 1);
	EXPECT_EQ(recv(c1, &byte, 1, 0), 0) << "the first connection's host side is closed";
	close(c1);

	got.clear();
	send(syn);
	EXPECT_TRUE(wait_for(synack)) << "the same SYN makes a new connection";
	p = { l, POLLIN, 0 };
	EXPECT_EQ(poll(&p, 1, 3000), 1);
	int c2 = accept(l, nullptr, nullptr);
	EXPECT_GE(c2, 0);
	if (c2 >= 0)
		close(c2);
	close(l);

	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_GE(c, 0);
	int r = connect(c, reinterpret_cast<sockaddr *>(&fa), sizeof(fa));
	ASSERT_TRUE(r == 0 || errno == EINPROGRESS) << std::strerror(errno);
	EXPECT_TRUE(wait_for([&](const Frame &f) {
		if (answer_arp(f))
			return false;
		return is_ipv4(f, 6) && get16(f, kL4 + 2) == 2222 && (f[kL4 + 13] & 0x02);
	})) << "the forward is open again";
	close(c);
}

} // namespace
