// SPDX-License-Identifier: MIT
// The gdb stub (gdbstub/gdbstub.c) against the fake machine of
// fake_backend.c over a real loopback TCP connection: every packet kind it
// serves, stop replies, interrupts, sessions that end and restart, and
// every kind of malformed input. The test is the gdb side: it writes raw
// bytes, lets the stub serve them on this same thread, and parses the
// stub's answers with its own (independent) little framing parser.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "gdbstub/gdbstub.h"
#include "tests/gdbstub/fake_backend.h"
}

namespace {

std::string Frame(const std::string &payload)
{
	unsigned sum = 0;
	char tail[4];

	for (unsigned char c : payload)
		sum += c;
	snprintf(tail, sizeof(tail), "#%02x", sum & 0xff);
	return "$" + payload + tail;
}

std::string Hex(const std::string &s)
{
	static const char d[] = "0123456789abcdef";
	std::string out;

	for (unsigned char c : s) {
		out += d[c >> 4];
		out += d[c & 15];
	}
	return out;
}

std::string Unhex(const std::string &h)
{
	std::string out;

	for (size_t i = 0; i + 1 < h.size(); i += 2)
		out += (char)std::stoi(h.substr(i, 2), nullptr, 16);
	return out;
}

// The stub's output split into acks ('+', '-') and packet payloads; a
// packet with a wrong checksum becomes "<BAD CHECKSUM>".
struct Output {
	std::string acks;
	std::vector<std::string> packets;
};

Output Parse(const std::string &raw)
{
	Output out;
	size_t i = 0;

	while (i < raw.size()) {
		char c = raw[i];

		if (c == '+' || c == '-') {
			out.acks += c;
			i++;
			continue;
		}
		if (c != '$') {
			out.packets.push_back("<GARBAGE>");
			i++;
			continue;
		}
		size_t end = raw.find('#', i);
		if (end == std::string::npos || end + 2 >= raw.size()) {
			out.packets.push_back("<TRUNCATED>");
			break;
		}
		unsigned sum = 0;
		std::string payload;
		for (size_t j = i + 1; j < end; j++) {
			sum += (unsigned char)raw[j];
			if (raw[j] == '}' && j + 1 < end) {
				sum += (unsigned char)raw[j + 1];
				payload += (char)(raw[++j] ^ 0x20);
			} else {
				payload += raw[j];
			}
		}
		unsigned want = (unsigned)std::stoul(raw.substr(end + 1, 2), nullptr, 16);
		out.packets.push_back((sum & 0xff) == want ? payload : "<BAD CHECKSUM>");
		i = end + 3;
	}
	return out;
}

class Stub : public ::testing::Test {
protected:
	void SetUp() override
	{
		hv_err err = {};

		fake_init(&m);
		srv = gdb_server_open("tcp:127.0.0.1:0", false, &err);
		ASSERT_NE(srv, nullptr) << err.msg;
		gdb_server_set_backend(srv, &fake_ops, &m);
		ASSERT_NE(gdb_server_port(srv), 0u);
		Connect();
	}

	void TearDown() override
	{
		if (cli >= 0)
			close(cli);
		gdb_server_close(srv);
	}

	void Connect()
	{
		hv_err err = {};
		sockaddr_in a = {};

		cli = socket(AF_INET, SOCK_STREAM, 0);
		ASSERT_GE(cli, 0);
		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)gdb_server_port(srv));
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ASSERT_EQ(connect(cli, (sockaddr *)&a, sizeof(a)), 0);
		ASSERT_EQ(gdb_server_accept(srv, 2000, &err), 1) << err.msg;
	}

	void Send(const std::string &bytes)
	{
		ASSERT_EQ(write(cli, bytes.data(), bytes.size()), (ssize_t)bytes.size());
	}

	// Everything the stub wrote so far (waits briefly for stragglers).
	std::string Drain()
	{
		std::string out;
		char buf[65536];
		pollfd p = { cli, POLLIN, 0 };

		while (poll(&p, 1, 5) > 0) {
			ssize_t n = read(cli, buf, sizeof(buf));
			if (n <= 0)
				break;
			out.append(buf, (size_t)n);
		}
		return out;
	}

	// Sends raw bytes, serves them, returns what gdb resumed with.
	gdb_resume Serve(const std::string &bytes)
	{
		gdb_resume r = {};

		Send(bytes);
		gdb_server_serve(srv, &r);
		return r;
	}

	// Sends packets followed by a continue, serves them, and returns the
	// replies (the continue has none).
	Output Exchange(const std::vector<std::string> &packets)
	{
		std::string raw;

		for (const auto &p : packets)
			raw += Frame(p);
		gdb_resume r = Serve(raw + Frame("c"));
		EXPECT_EQ(r.kind, GDB_RESUME_CONTINUE);
		return Parse(Drain());
	}

	// The one reply to one packet.
	std::string Reply(const std::string &packet)
	{
		Output o = Exchange({ packet });

		EXPECT_EQ(o.packets.size(), 1u) << packet.substr(0, 80);
		return o.packets.empty() ? "<NONE>" : o.packets[0];
	}

	fake_machine m;
	gdb_server *srv = nullptr;
	int cli = -1;
};

TEST_F(Stub, QSupportedAdvertisesPacketSizeAndFeatures)
{
	std::string r = Reply("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");

	EXPECT_NE(r.find("PacketSize=4000"), std::string::npos) << r;
	EXPECT_NE(r.find("qXfer:features:read+"), std::string::npos);
	EXPECT_NE(r.find("QStartNoAckMode+"), std::string::npos);
	EXPECT_NE(r.find("swbreak+"), std::string::npos);
	EXPECT_EQ(r.find("Reverse"), std::string::npos);
	EXPECT_EQ(r.find("multiprocess"), std::string::npos);
}

TEST_F(Stub, QSupportedAdvertisesReverseWhenTheBackendCan)
{
	m.can_reverse = true;
	std::string r = Reply("qSupported:swbreak+");

	EXPECT_NE(r.find("ReverseStep+"), std::string::npos) << r;
	EXPECT_NE(r.find("ReverseContinue+"), std::string::npos);
}

TEST_F(Stub, TargetDescriptionReadInChunksIsTheWholeDocument)
{
	std::string doc;
	size_t want_len;
	const char *want = tdesc_xml(&want_len);

	for (int i = 0; i < 100; i++) {
		char q[80];
		snprintf(q, sizeof(q), "qXfer:features:read:target.xml:%zx,1f0", doc.size());
		std::string r = Reply(q);
		ASSERT_FALSE(r.empty());
		ASSERT_TRUE(r[0] == 'm' || r[0] == 'l') << r;
		EXPECT_LE(r.size() - 1, 0x1f0u);
		doc += r.substr(1);
		if (r[0] == 'l')
			break;
	}
	EXPECT_EQ(doc, std::string(want, want_len));
	EXPECT_NE(doc.find("<architecture>riscv:rv64</architecture>"), std::string::npos);
	for (const char *f : { "org.gnu.gdb.riscv.cpu", "org.gnu.gdb.riscv.fpu",
			       "org.gnu.gdb.riscv.csr", "org.gnu.gdb.riscv.virtual" })
		EXPECT_NE(doc.find(f), std::string::npos) << f;
	EXPECT_NE(doc.find("name=\"pc\" bitsize=\"64\" regnum=\"32\""), std::string::npos);
	EXPECT_NE(doc.find("name=\"ft0\" bitsize=\"64\" regnum=\"33\""), std::string::npos);
	EXPECT_NE(doc.find("name=\"fcsr\" bitsize=\"32\" regnum=\"68\""), std::string::npos);
	EXPECT_NE(doc.find("name=\"sstatus\" bitsize=\"64\" regnum=\"321\""), std::string::npos);
	EXPECT_NE(doc.find("name=\"satp\" bitsize=\"64\" regnum=\"449\""), std::string::npos);
	EXPECT_NE(doc.find("name=\"mip\" bitsize=\"64\" regnum=\"901\""), std::string::npos);
	EXPECT_NE(doc.find("name=\"priv\" bitsize=\"64\" regnum=\"4161\""), std::string::npos);
}

TEST_F(Stub, TargetDescriptionRejectsBadAnnexAndOffsets)
{
	EXPECT_EQ(Reply("qXfer:features:read:other.xml:0,100"), "E00");
	EXPECT_EQ(Reply("qXfer:features:read:target.xml:0"), "E00");
	EXPECT_EQ(Reply("qXfer:features:read:target.xml:fffffff,10"), "E01");
	/* An object the stub never advertised: not supported. */
	EXPECT_EQ(Reply("qXfer:threads:read::0,100"), "");
	/* Reading exactly at the end is an empty last chunk. */
	size_t len;
	tdesc_xml(&len);
	char q[80];
	snprintf(q, sizeof(q), "qXfer:features:read:target.xml:%zx,10", len);
	EXPECT_EQ(Reply(q), "l");
}

TEST_F(Stub, ListsHartsAsThreads)
{
	Output o = Exchange({ "qfThreadInfo", "qsThreadInfo", "qC", "T1", "T2", "T3", "T0", "Tzz",
			      "qAttached" });

	ASSERT_EQ(o.packets.size(), 9u);
	EXPECT_EQ(o.packets[0], "m1,2");
	EXPECT_EQ(o.packets[1], "l");
	EXPECT_EQ(o.packets[2], "QC1");
	EXPECT_EQ(o.packets[3], "OK");
	EXPECT_EQ(o.packets[4], "OK");
	EXPECT_EQ(o.packets[5], "E02");
	EXPECT_EQ(o.packets[6], "E02");
	EXPECT_EQ(o.packets[7], "E02");
	EXPECT_EQ(o.packets[8], "1");
}

TEST_F(Stub, ThreadExtraInfoIsTheBackendsTextInHex)
{
	m.hart[1].priv = 3;
	EXPECT_EQ(Unhex(Reply("qThreadExtraInfo,2")), "hart 1, fake, priv 3");
	EXPECT_EQ(Reply("qThreadExtraInfo,5"), "E02");
	EXPECT_EQ(Reply("qThreadExtraInfo,"), "E02");
}

// The id follows a comma. Without one the old parser read the id from
// past the packet's end (here the stale "2" the previous packet left in
// the buffer) and answered "no such thread"; a missing id is malformed.
TEST_F(Stub, ThreadExtraInfoWithoutACommaIsMalformed)
{
	Output o = Exchange({ "qThreadExtraInfo,2", "qThreadExtraInfo", "qThreadExtraInfo;2",
			      "qThreadExtraInfo:2" });

	ASSERT_EQ(o.packets.size(), 4u);
	EXPECT_EQ(Unhex(o.packets[0]), "hart 1, fake, priv 1");
	EXPECT_EQ(o.packets[1], "E01");
	EXPECT_EQ(o.packets[2], "E01");
	EXPECT_EQ(o.packets[3], "E01");
}

TEST_F(Stub, HgSelectsTheHartForRegistersAndMemory)
{
	m.hart[0].pc = 0x80000010;
	m.hart[1].pc = 0x80000abc;
	Output o = Exchange({ "p20", "Hg2", "p20", "qC", "Hg0", "p20", "Hg9", "Hx1" });

	ASSERT_EQ(o.packets.size(), 8u);
	EXPECT_EQ(o.packets[0], "1000008000000000");
	EXPECT_EQ(o.packets[1], "OK");
	EXPECT_EQ(o.packets[2], "bc0a008000000000");
	EXPECT_EQ(o.packets[3], "QC2");
	EXPECT_EQ(o.packets[4], "OK"); /* any thread: the one that stopped */
	EXPECT_EQ(o.packets[5], "1000008000000000");
	EXPECT_EQ(o.packets[6], "E02");
	EXPECT_EQ(o.packets[7], "E01");
}

TEST_F(Stub, GReadsGeneralRegistersAndPcLittleEndian)
{
	m.hart[0].x[1] = 0x1122334455667788ull;
	m.hart[0].x[0] = 0xdead; /* x0 reads as zero whatever is stored */
	std::string g = Reply("g");

	ASSERT_EQ(g.size(), 33u * 16);
	EXPECT_EQ(g.substr(0, 16), "0000000000000000");
	EXPECT_EQ(g.substr(16, 16), "8877665544332211");
	EXPECT_EQ(g.substr(32 * 16), "0000008000000000");
}

TEST_F(Stub, GWritesRegistersAndRejectsBadLengthsBeforeWriting)
{
	std::string regs;
	for (int r = 0; r < 33; r++) {
		char b[17];
		snprintf(b, sizeof(b), "%02x00000000000000", r);
		regs += b;
	}
	EXPECT_EQ(Reply("G" + regs), "OK");
	EXPECT_EQ(m.hart[0].x[5], 5u);
	EXPECT_EQ(m.hart[0].pc, 32u);

	EXPECT_EQ(Reply("G" + regs.substr(0, 17)), "E01");            /* partial register */
	EXPECT_EQ(Reply("G" + regs + "0000000000000000"), "E01");     /* too many */
	EXPECT_EQ(Reply("G11111111111111110000000z00000000"), "E01"); /* bad hex */
	EXPECT_EQ(m.hart[0].x[0 + 1], 1u);                            /* untouched */
	EXPECT_EQ(Reply("G"), "E01");
}

TEST_F(Stub, PReadsAndWritesCsrsFpAndPriv)
{
	m.hart[0].csr[0x100] = 0x8000000200006000ull;
	Output o = Exchange({ "p141", "P141=2200000000000000", "p141", "P22=0100000000000000",
			      "P44=0300000000000000", "P44=03000000", "p44", "p1041",
			      "P1041=0300000000000000" });

	ASSERT_EQ(o.packets.size(), 9u);
	EXPECT_EQ(o.packets[0], "0060000002000080");
	EXPECT_EQ(o.packets[1], "OK");
	EXPECT_EQ(m.hart[0].csr[0x100], 0x22u);
	EXPECT_EQ(o.packets[3], "OK");
	EXPECT_EQ(m.hart[0].f[1], 1u);
	EXPECT_EQ(o.packets[4], "E01"); /* fcsr has 4 bytes */
	EXPECT_EQ(o.packets[5], "OK");
	EXPECT_EQ(o.packets[6], "03000000");
	EXPECT_EQ(m.hart[0].csr[3], 3u);             /* fcsr is CSR 3, regno 68 */
	EXPECT_EQ(o.packets[7], "0100000000000000"); /* priv = S */
	EXPECT_EQ(o.packets[8], "OK");
	EXPECT_EQ(m.hart[0].priv, 3u);
}

TEST_F(Stub, PRejectsBadRegisterNumbersAndValues)
{
	Output o = Exchange({ "p", "pzz", "p2000", "p10000000000000000", "P20=12", "P20=1234567z",
			      "P20", "P=00", "P20=00000000000000001", "P99=0000000000000000" });

	ASSERT_EQ(o.packets.size(), 10u);
	for (const auto &r : o.packets)
		EXPECT_EQ(r, "E01");
	EXPECT_EQ(m.hart[0].pc, FAKE_MEM_BASE);
}

TEST_F(Stub, InaccessibleRegisterIsUnavailableOnReadAndAnErrorOnWrite)
{
	m.fail_reg = 0x141; /* sstatus */
	Output o = Exchange({ "p141", "P141=0000000000000000", "p181" });
	ASSERT_EQ(o.packets.size(), 3u);
	EXPECT_EQ(o.packets[0], "xxxxxxxxxxxxxxxx");
	EXPECT_EQ(o.packets[1], "E03");
	EXPECT_EQ(o.packets[2], "0000000000000000");

	m.fail_reg = 1;
	std::string g = Reply("g");
	ASSERT_EQ(g.size(), 33u * 16);
	EXPECT_EQ(g.substr(16, 16), "xxxxxxxxxxxxxxxx");
	EXPECT_EQ(g.substr(32, 16), "f0ff008000000000"); /* sp still readable */
	EXPECT_EQ(Reply("G" + std::string(33 * 16, '0')), "E03");
}

TEST_F(Stub, ReadsAndWritesMemoryInHexAndBinary)
{
	Output o = Exchange({ "M80000100,4:deadbeef", "m80000100,4", "m80000100,2" });
	ASSERT_EQ(o.packets.size(), 3u);
	EXPECT_EQ(o.packets[0], "OK");
	EXPECT_EQ(o.packets[1], "deadbeef");
	EXPECT_EQ(o.packets[2], "dead");

	/* X data escapes $ # } * and carries 0x03 raw. */
	std::string x = "X80000200,6:";
	x += std::string("\x01}\x04}\x03}]}\x0a\x03", 10);
	o = Exchange({ x, "m80000200,6", "X80000200,0:" });
	ASSERT_EQ(o.packets.size(), 3u);
	EXPECT_EQ(o.packets[0], "OK");
	EXPECT_EQ(o.packets[1], "0124237d2a03");
	EXPECT_EQ(o.packets[2], "OK"); /* gdb's probe for X support */
}

TEST_F(Stub, MemoryReadStopsShortAtTheEndOfMemory)
{
	char q[64];
	snprintf(q, sizeof(q), "m%llx,10", (unsigned long long)(FAKE_MEM_BASE + FAKE_MEM_SIZE - 4));
	EXPECT_EQ(Reply(q), "13000000");
}

TEST_F(Stub, MemoryOutsideTheMachineIsAnError)
{
	Output o = Exchange({ "m0,4", "M0,1:00", "X0,1:a", "mffffffffffffffff,8" });

	ASSERT_EQ(o.packets.size(), 4u);
	for (const auto &r : o.packets)
		EXPECT_EQ(r, "E0e");
}

TEST_F(Stub, MalformedMemoryPacketsAreArgumentErrors)
{
	Output o = Exchange({ "m", "m80000000", "m80000000,", "m,4", "m80000000,4,", "mzz,4",
			      "m10000000000000000,4", "M80000000,4:dead", "M80000000,2:dea",
			      "M80000000,2:zzzz", "M80000000,2", "X80000000,4:ab",
			      "M80000000,100000:00" });

	ASSERT_EQ(o.packets.size(), 13u);
	for (size_t i = 0; i < o.packets.size(); i++)
		EXPECT_EQ(o.packets[i], "E01") << i;
	EXPECT_EQ(m.mem[0], 0x13);
}

TEST_F(Stub, LargeMemoryReadIsCutToFitAReply)
{
	std::string r = Reply("m80000000,ffff");

	EXPECT_GT(r.size(), 1000u);
	EXPECT_LE(r.size(), (size_t)GDB_PACKET_SIZE);
	EXPECT_EQ(r.size() % 2, 0u);
}

TEST_F(Stub, InsertsAndRemovesBreakpointsAndWatchpoints)
{
	Output o = Exchange({ "Z0,80000100,4", "Z1,80000104,2", "Z2,80001000,4", "z0,80000100,4",
			      "z0,80000100,4", "Z3,80001000,4", "Z4,80001000,4", "Z5,0,4",
			      "Z0,zz,4", "Z0,80000100", "Z0,80000108,4;X1,20" });

	ASSERT_EQ(o.packets.size(), 11u);
	EXPECT_EQ(o.packets[0], "OK");
	EXPECT_EQ(o.packets[1], "OK");
	EXPECT_EQ(o.packets[2], "OK");
	EXPECT_EQ(o.packets[3], "OK");
	EXPECT_EQ(o.packets[4], "E05"); /* the backend has no such point */
	EXPECT_EQ(o.packets[5], "");    /* unsupported kind: empty */
	EXPECT_EQ(o.packets[6], "");
	EXPECT_EQ(o.packets[7], "E01");
	EXPECT_EQ(o.packets[8], "E01");
	EXPECT_EQ(o.packets[9], "E01");
	EXPECT_EQ(o.packets[10], "OK"); /* a condition list is ignored */
	EXPECT_TRUE(m.points[1].used);
	EXPECT_EQ(m.points[1].type, GDB_POINT_HW_BREAK);
	EXPECT_EQ(m.points[1].kind, 2u);
	EXPECT_EQ(m.points[2].addr, FAKE_COUNTER_ADDR);
	for (const auto &p : m.points) /* the z0 removed it */
		EXPECT_FALSE(p.used && p.addr == 0x80000100 && p.type == GDB_POINT_SW_BREAK);
	EXPECT_EQ(m.points[0].addr, 0x80000108u); /* ...and its slot was reused */
}

TEST_F(Stub, LegacyContinueAndStepResume)
{
	gdb_resume r = Serve(Frame("c"));
	EXPECT_EQ(r.kind, GDB_RESUME_CONTINUE);
	EXPECT_EQ(r.hart, -1);

	r = Serve(Frame("Hc2") + Frame("s"));
	EXPECT_EQ(r.kind, GDB_RESUME_STEP);
	EXPECT_EQ(r.hart, 1);

	r = Serve(Frame("Hc-1") + Frame("Hg2") + Frame("s80000040"));
	EXPECT_EQ(r.kind, GDB_RESUME_STEP);
	EXPECT_EQ(r.hart, 1);
	EXPECT_EQ(m.hart[1].pc, 0x80000040u);

	r = Serve(Frame("C02;80000080"));
	EXPECT_EQ(r.kind, GDB_RESUME_CONTINUE);
	EXPECT_EQ(m.hart[1].pc, 0x80000080u);

	Output o = Parse(Drain());
	EXPECT_EQ(o.packets, (std::vector<std::string>{ "OK", "OK", "OK" }));
	r = Serve(Frame("Czz") + Frame("s8000000x") + Frame("c"));
	o = Parse(Drain());
	EXPECT_EQ(o.packets, (std::vector<std::string>{ "E01", "E01" }));
}

TEST_F(Stub, VContIsAdvertisedAndParsedPerThread)
{
	EXPECT_EQ(Reply("vCont?"), "vCont;c;C;s;S;t");

	gdb_resume r = Serve(Frame("vCont;s:2;c"));
	EXPECT_EQ(r.kind, GDB_RESUME_STEP);
	EXPECT_EQ(r.hart, 1);
	EXPECT_TRUE(r.others_run);

	r = Serve(Frame("vCont;s:1"));
	EXPECT_EQ(r.kind, GDB_RESUME_STEP);
	EXPECT_EQ(r.hart, 0);
	EXPECT_FALSE(r.others_run); /* scheduler-locking */

	r = Serve(Frame("vCont;c:2"));
	EXPECT_EQ(r.kind, GDB_RESUME_CONTINUE);
	EXPECT_EQ(r.hart, 1);
	EXPECT_FALSE(r.others_run);

	r = Serve(Frame("vCont;C05:-1"));
	EXPECT_EQ(r.kind, GDB_RESUME_CONTINUE);
	EXPECT_EQ(r.hart, -1);

	r = Serve(Frame("vCont;S05:2;c:1"));
	EXPECT_EQ(r.kind, GDB_RESUME_STEP);
	EXPECT_EQ(r.hart, 1);
	EXPECT_TRUE(r.others_run);
	EXPECT_TRUE(Parse(Drain()).packets.empty()); /* a resume has no reply */
}

TEST_F(Stub, MalformedVContIsAnError)
{
	Output o = Exchange({ "vCont", "vCont;", "vCont;x", "vCont;s:9", "vCont;c:zz", "vCont;t",
			      "vCont;r80000000,80000010", "vCont;Czz", "vContc" });

	ASSERT_EQ(o.packets.size(), 9u);
	for (size_t i = 0; i + 1 < o.packets.size(); i++)
		EXPECT_EQ(o.packets[i], "E01") << i;
	EXPECT_EQ(o.packets[8], ""); /* not a vCont packet at all */
}

TEST_F(Stub, ReversePacketsNeedABackendThatCanReverse)
{
	Output o = Exchange({ "bs", "bc" });
	EXPECT_EQ(o.packets, (std::vector<std::string>{ "", "" }));

	m.can_reverse = true;
	Reply("qSupported");
	gdb_resume r = Serve(Frame("Hg2") + Frame("bs"));
	EXPECT_EQ(r.kind, GDB_RESUME_REVERSE_STEP);
	EXPECT_EQ(r.hart, 1);
	r = Serve(Frame("bc"));
	EXPECT_EQ(r.kind, GDB_RESUME_REVERSE_CONTINUE);
	EXPECT_EQ(r.hart, -1);
}

TEST_F(Stub, StopRepliesNameTheThreadAndTheReason)
{
	Reply("qSupported:swbreak+;hwbreak+");
	m.hart[1].pc = 0x80000100;
	gdb_stop st = {};
	st.hart = 1;
	st.signal = GDB_SIGTRAP;
	st.reason = GDB_STOP_SW_BREAK;
	gdb_server_report_stop(srv, &st);
	st.reason = GDB_STOP_HW_BREAK;
	gdb_server_report_stop(srv, &st);
	st.reason = GDB_STOP_WATCH;
	st.addr = 0x80001000;
	gdb_server_report_stop(srv, &st);
	st.reason = GDB_STOP_READ_WATCH;
	gdb_server_report_stop(srv, &st);
	st.reason = GDB_STOP_ACCESS_WATCH;
	gdb_server_report_stop(srv, &st);
	st.reason = GDB_STOP_HISTORY_BEGIN;
	gdb_server_report_stop(srv, &st);
	st.reason = GDB_STOP_HISTORY_END;
	gdb_server_report_stop(srv, &st);
	st.reason = GDB_STOP_SIGNAL;
	st.signal = GDB_SIGINT;
	st.hart = 0;
	gdb_server_report_stop(srv, &st);
	st.reason = GDB_STOP_EXITED;
	st.exit_status = 3;
	gdb_server_report_stop(srv, &st);

	Output o = Parse(Drain());
	const std::string pc1 = "20:0001008000000000;", pc0 = "20:0000008000000000;";
	ASSERT_EQ(o.packets.size(), 9u);
	EXPECT_EQ(o.packets[0], "T05swbreak:;thread:2;" + pc1);
	EXPECT_EQ(o.packets[1], "T05hwbreak:;thread:2;" + pc1);
	EXPECT_EQ(o.packets[2], "T05watch:80001000;thread:2;" + pc1);
	EXPECT_EQ(o.packets[3], "T05rwatch:80001000;thread:2;" + pc1);
	EXPECT_EQ(o.packets[4], "T05awatch:80001000;thread:2;" + pc1);
	EXPECT_EQ(o.packets[5], "T05replaylog:begin;thread:2;" + pc1);
	EXPECT_EQ(o.packets[6], "T05replaylog:end;thread:2;" + pc1);
	EXPECT_EQ(o.packets[7], "T02thread:1;" + pc0);
	EXPECT_EQ(o.packets[8], "W03");
}

TEST_F(Stub, BreakReasonIsOmittedForAGdbThatDidNotAskForIt)
{
	gdb_stop st = {};
	st.hart = 1;
	st.signal = GDB_SIGTRAP;
	st.reason = GDB_STOP_SW_BREAK;
	gdb_server_report_stop(srv, &st);

	Output o = Parse(Drain());
	ASSERT_EQ(o.packets.size(), 1u);
	EXPECT_EQ(o.packets[0], "T05thread:2;20:0000008000000000;");
	/* The stopped hart becomes gdb's current thread, and `?` repeats it. */
	EXPECT_EQ(Reply("qC"), "QC2");
	EXPECT_EQ(Reply("?"), "T05thread:2;20:0000008000000000;");
}

// An exit's stop names no hart (gdbstub.h: its hart is ignored). "Any
// thread" after it used to mean that hart, here 7 of 2, which the backend
// was then asked for (found by tests/fuzz/gdb:gdb_packets).
TEST_F(Stub, AnyThreadAfterAnExitIsAHartThatExists)
{
	gdb_stop st = {};

	st.reason = GDB_STOP_EXITED;
	st.hart = 7;
	st.exit_status = 3;
	gdb_server_report_stop(srv, &st);
	EXPECT_EQ(Parse(Drain()).packets, std::vector<std::string>{ "W03" });
	gdb_resume r = Serve(Frame("vCont;s:0"));
	EXPECT_EQ(r.kind, GDB_RESUME_STEP);
	EXPECT_EQ(r.hart, 0);
	Output o = Exchange({ "Hg0", "qC" });
	ASSERT_EQ(o.packets.size(), 2u);
	EXPECT_EQ(o.packets[0], "OK");
	EXPECT_EQ(o.packets[1], "QC1");
}

TEST_F(Stub, QuestionMarkAnswersTheInitialStop)
{
	EXPECT_EQ(Reply("?"), "T05thread:1;20:0000008000000000;");
}

TEST_F(Stub, CtrlCWhileRunningIsAnInterrupt)
{
	gdb_resume r = Serve(Frame("vCont;c"));
	ASSERT_EQ(r.kind, GDB_RESUME_CONTINUE);
	EXPECT_FALSE(gdb_server_poll_interrupt(srv));
	Send("\x03");
	usleep(20000);
	EXPECT_TRUE(gdb_server_poll_interrupt(srv));
	EXPECT_TRUE(gdb_server_connected(srv));
	EXPECT_FALSE(gdb_server_poll_interrupt(srv));
}

TEST_F(Stub, PacketsWhileRunningAreDroppedButCtrlCStillSeen)
{
	Serve(Frame("c"));
	Drain();
	Send(Frame("g") + "+\x03");
	usleep(20000);
	EXPECT_TRUE(gdb_server_poll_interrupt(srv));
	Output o = Parse(Drain());
	EXPECT_TRUE(o.packets.empty());
	EXPECT_EQ(o.acks, "+");
}

TEST_F(Stub, CtrlCWhileHaltedIsIgnored)
{
	Output o = Exchange({ "qC" });
	EXPECT_EQ(o.packets.size(), 1u);
	Send("\x03\x03");
	o = Exchange({ "qC" });
	EXPECT_EQ(o.packets, std::vector<std::string>{ "QC1" });
}

TEST_F(Stub, MonitorCommandOutputComesBackAsHex)
{
	m.icount = 42;
	EXPECT_EQ(Unhex(Reply("qRcmd," + Hex("icount"))), "icount 42 (hart 0)\n");
	EXPECT_EQ(std::string(m.last_monitor), "icount");
	EXPECT_EQ(Reply("qRcmd," + Hex("big 0")), "OK");
}

TEST_F(Stub, LongMonitorOutputIsSentAsOPackets)
{
	Output o = Exchange({ "qRcmd," + Hex("big 5000") });
	std::string all;

	ASSERT_GE(o.packets.size(), 2u);
	for (size_t i = 0; i + 1 < o.packets.size(); i++) {
		ASSERT_EQ(o.packets[i][0], 'O') << i;
		all += Unhex(o.packets[i].substr(1));
	}
	all += Unhex(o.packets.back());
	ASSERT_EQ(all.size(), 5000u);
	EXPECT_EQ(all.substr(0, 12), "012345678901");
}

TEST_F(Stub, MonitorErrorsAndUnknownCommands)
{
	Output o = Exchange({ "qRcmd," + Hex("fail"), "qRcmd," + Hex("nonsense"), "qRcmd,6",
			      "qRcmd,zz", "qRcmd," + Hex(std::string("a\0b", 3)) });

	ASSERT_EQ(o.packets.size(), 6u);
	EXPECT_EQ(o.packets[0], "O" + Hex("failed\n"));
	EXPECT_EQ(o.packets[1], "E05");
	EXPECT_EQ(o.packets[2], ""); /* gdb: "Target does not support this command." */
	EXPECT_EQ(o.packets[3], "E01");
	EXPECT_EQ(o.packets[4], "E01");
	EXPECT_EQ(o.packets[5], "E01");
}

// The command follows a comma; anything else is malformed and never
// reaches the backend.
TEST_F(Stub, MonitorCommandWithoutACommaIsMalformed)
{
	Output o = Exchange({ "qRcmd", "qRcmd;" + Hex("echo hi"), "qRcmd:" + Hex("echo hi") });

	EXPECT_EQ(o.packets, (std::vector<std::string>{ "E01", "E01", "E01" }));
	EXPECT_EQ(std::string(m.last_monitor), "");
}

TEST_F(Stub, VeryLongMonitorCommandReachesTheBackendOrIsRefused)
{
	std::string text(7000, 'x');
	Output o = Exchange({ "qRcmd," + Hex("echo " + text) });
	std::string got;
	for (size_t i = 0; i < o.packets.size(); i++)
		got += Unhex(o.packets[i].substr(i + 1 < o.packets.size() ? 1 : 0));
	EXPECT_EQ(got, text + "\n");
	EXPECT_EQ(std::string(m.last_monitor).size(), 255u); /* the fake keeps a prefix */

	/* Longer than PacketSize: dropped with an error, then the session
	 * goes on. */
	o = Exchange({ "qRcmd," + Hex("echo " + std::string(9000, 'y')), "qC" });
	EXPECT_EQ(o.packets, (std::vector<std::string>{ "E04", "QC1" }));
}

TEST_F(Stub, DetachEndsTheSessionAndANewGdbCanAttach)
{
	gdb_resume r = Serve(Frame("D"));
	EXPECT_EQ(r.kind, GDB_RESUME_DETACH);
	EXPECT_FALSE(gdb_server_connected(srv));
	EXPECT_EQ(Parse(Drain()).packets, std::vector<std::string>{ "OK" });
	close(cli);

	hv_err err = {};
	EXPECT_EQ(gdb_server_accept(srv, 0, &err), 0);
	Connect();
	EXPECT_EQ(Reply("qC"), "QC1");
}

TEST_F(Stub, KillEndsTheSession)
{
	gdb_resume r = Serve(Frame("k"));
	EXPECT_EQ(r.kind, GDB_RESUME_KILL);
	EXPECT_FALSE(gdb_server_connected(srv));
	EXPECT_TRUE(Parse(Drain()).packets.empty());
	/* Serving without a session reports the disconnect at once. */
	gdb_server_serve(srv, &r);
	EXPECT_EQ(r.kind, GDB_RESUME_DISCONNECTED);
}

TEST_F(Stub, VKillRepliesAndEndsTheSession)
{
	gdb_resume r = Serve(Frame("vKill;1"));
	EXPECT_EQ(r.kind, GDB_RESUME_KILL);
	EXPECT_EQ(Parse(Drain()).packets, std::vector<std::string>{ "OK" });
}

TEST_F(Stub, AcksEveryGoodPacketUntilNoAckMode)
{
	Output o = Exchange({ "qC", "QStartNoAckMode", "qC", "qC" });

	EXPECT_EQ(o.packets, (std::vector<std::string>{ "QC1", "OK", "QC1", "QC1" }));
	EXPECT_EQ(o.acks, "++");
	/* Without acks, a corrupt packet is dropped silently. */
	Send("$qC#00");
	o = Exchange({ "qC" });
	EXPECT_EQ(o.acks, "");
	EXPECT_EQ(o.packets, std::vector<std::string>{ "QC1" });
}

TEST_F(Stub, BadChecksumIsNakedAndThePacketIgnored)
{
	Send("$P20=0000000000000000#00");
	Output o = Exchange({ "qC" });

	EXPECT_EQ(o.acks, "-++");
	EXPECT_EQ(o.packets, std::vector<std::string>{ "QC1" });
	EXPECT_EQ(m.hart[0].pc, FAKE_MEM_BASE);
}

TEST_F(Stub, NakRetransmitsTheLastReplyBoundedly)
{
	Output o = Exchange({ "qC" });
	ASSERT_EQ(o.packets.size(), 1u);
	/* The continue ended the exchange; a later nak resends the last
	 * reply, but only a bounded number of times. */
	Send(std::string(20, '-'));
	o = Exchange({});
	EXPECT_EQ(o.packets.size(), 8u);
	for (const auto &p : o.packets)
		EXPECT_EQ(p, "QC1");
}

TEST_F(Stub, OversizePacketGetsAnErrorAndTheNextOneIsServed)
{
	Output o = Exchange({ "M80000000,2000:" + std::string(2 * GDB_PACKET_SIZE, '0'), "qC" });

	EXPECT_EQ(o.packets, (std::vector<std::string>{ "E04", "QC1" }));
	EXPECT_EQ(o.acks, "+++"); /* the oversize packet arrived intact */
	EXPECT_EQ(m.mem[0], 0x13);
}

TEST_F(Stub, MalformedRunLengthGetsAnError)
{
	Output o = Exchange({ "*!qC" });
	EXPECT_EQ(o.packets, std::vector<std::string>{ "E01" });
}

TEST_F(Stub, UnknownPacketsGetTheEmptyReply)
{
	Output o = Exchange({ "vMustReplyEmpty", "qFooBar", "Qbar", "!", "vFile:open:2f,0,0", "A",
			      "\x7f\x01", "qOffsets", "bx", "QStartNoAckModeX" });

	ASSERT_EQ(o.packets.size(), 10u);
	for (const auto &p : o.packets)
		EXPECT_EQ(p, "");
}

TEST_F(Stub, EmptyPacketGetsTheEmptyReply)
{
	EXPECT_EQ(Reply(""), "");
}

TEST_F(Stub, GarbageBetweenPacketsIsIgnored)
{
	Send("junk\r\n#12\x01\xff}*");
	Output o = Exchange({ "qC" });

	EXPECT_EQ(o.packets, std::vector<std::string>{ "QC1" });
}

TEST_F(Stub, DisconnectMidPacketEndsTheSessionCleanly)
{
	Send("$m80000000,");
	close(cli);
	cli = -1;
	gdb_resume r = {};
	gdb_server_serve(srv, &r);
	EXPECT_EQ(r.kind, GDB_RESUME_DISCONNECTED);
	EXPECT_FALSE(gdb_server_connected(srv));

	/* A new gdb starts from a clean decoder. */
	Connect();
	EXPECT_EQ(Reply("qC"), "QC1");
}

TEST_F(Stub, DisconnectWhileRunningIsSeenByThePoll)
{
	Serve(Frame("c"));
	close(cli);
	cli = -1;
	usleep(20000);
	EXPECT_TRUE(gdb_server_poll_interrupt(srv));
	EXPECT_FALSE(gdb_server_connected(srv));
	gdb_stop st = {};
	gdb_server_report_stop(srv, &st); /* no session: nothing to do */
	Connect();
	EXPECT_EQ(Reply("qC"), "QC1");
}

// Random packets (well-formed framing around random commands, corrupt
// checksums, escapes, run-length bytes) and garbage between them: the stub
// answers each chunk and the session survives. Commands that resume or
// end the session are left out so that each chunk ends at the final `c`;
// "#00" first closes any packet the chunk left open.
TEST_F(Stub, RandomInputIsAnsweredWithoutCrashing)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	auto rnd = [&seed](unsigned n) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		return (unsigned)(seed % n);
	};
	const std::string cmds = "?gGpPmMXZzqQTH";
	const std::string chars = "0123456789abcdef,:;=-xX}*qSupportedRcmdfThreadInfo";

	for (int iter = 0; iter < 300; iter++) {
		std::string chunk;

		for (int k = rnd(6); k >= 0; k--) {
			std::string payload(1, cmds[rnd((unsigned)cmds.size())]);
			unsigned len = rnd(8) == 0 ? 20000 : rnd(48);

			for (unsigned i = 0; i < len; i++)
				payload += rnd(16) == 0 ? (char)rnd(256) :
							  chars[rnd((unsigned)chars.size())];
			std::string f = Frame(payload);
			if (f.find_first_of("$#", 1) < f.size() - 3)
				continue; /* a stray $ or # would split it */
			if (rnd(5) == 0)
				f[f.size() - 1] = f[f.size() - 1] == '0' ? '1' : '0';
			chunk += f;
			for (int g = rnd(3); g > 0; g--)
				chunk += (char)rnd(256);
		}
		for (char &c : chunk)
			if (c == 0x03 || c == '-')
				c = ' '; /* no interrupts or naks: both are tested elsewhere */
		gdb_resume r = Serve(chunk + "#00" + Frame("c"));
		ASSERT_EQ(r.kind, GDB_RESUME_CONTINUE) << "iteration " << iter;
		ASSERT_TRUE(gdb_server_connected(srv));
		for (const auto &p : Parse(Drain()).packets)
			ASSERT_NE(p, "<TRUNCATED>");
	}
	EXPECT_EQ(Reply("qC").substr(0, 2), "QC");
}

TEST(GdbServerOpen, RefusesNonLoopbackAddressesUnlessAllowed)
{
	hv_err err = {};
	gdb_server *s = gdb_server_open("tcp:0.0.0.0:0", false, &err);

	EXPECT_EQ(s, nullptr);
	EXPECT_NE(std::string(err.msg).find("not a loopback address"), std::string::npos)
		<< err.msg;
	s = gdb_server_open("tcp:0.0.0.0:0", true, &err);
	ASSERT_NE(s, nullptr) << err.msg;
	gdb_server_close(s);
}

TEST(GdbServerOpen, AcceptsLoopbackForms)
{
	for (const char *spec :
	     { "tcp::0", "tcp:127.0.0.1:0", "tcp:127.1.2.3:0", "tcp:[::1]:0", "tcp:localhost:0" }) {
		hv_err err = {};
		gdb_server *s = gdb_server_open(spec, false, &err);

		EXPECT_NE(s, nullptr) << spec << ": " << err.msg;
		gdb_server_close(s);
	}
}

TEST(GdbServerOpen, RejectsMalformedSpecs)
{
	for (const char *spec :
	     { "", "tcp", "tcp:", "tcp:127.0.0.1", "tcp:127.0.0.1:", "tcp::65536", "tcp::-1",
	       "tcp::12ab", "tcp::123456", "udp::1234", "unix:", "tcp:no.such.host.invalid:0" }) {
		hv_err err = {};
		gdb_server *s = gdb_server_open(spec, false, &err);

		EXPECT_EQ(s, nullptr) << spec;
		EXPECT_NE(err.msg[0], '\0') << spec;
		gdb_server_close(s);
	}
}

TEST(GdbServerOpen, UnixSocketIsPrivateReplacesStaleAndRefusesLive)
{
	char dir[] = "/tmp/gdbstub_testXXXXXX";
	ASSERT_NE(mkdtemp(dir), nullptr);
	std::string path = std::string(dir) + "/gdb.sock";
	std::string spec = "unix:" + path;
	hv_err err = {};
	struct stat st;

	/* A stale socket file: bound, then its listener closed. */
	int stale = socket(AF_UNIX, SOCK_STREAM, 0);
	sockaddr_un a = {};
	a.sun_family = AF_UNIX;
	strcpy(a.sun_path, path.c_str());
	ASSERT_EQ(bind(stale, (sockaddr *)&a, sizeof(a)), 0);
	close(stale);

	gdb_server *s = gdb_server_open(spec.c_str(), false, &err);
	ASSERT_NE(s, nullptr) << err.msg;
	ASSERT_EQ(stat(path.c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0600u);
	EXPECT_EQ(gdb_server_port(s), 0u);

	/* A gdb can talk to it. */
	fake_machine *m = new fake_machine;
	fake_init(m);
	gdb_server_set_backend(s, &fake_ops, m);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_EQ(connect(c, (sockaddr *)&a, sizeof(a)), 0);
	ASSERT_EQ(gdb_server_accept(s, 1000, &err), 1);
	std::string req = Frame("qC") + Frame("k");
	ASSERT_EQ(write(c, req.data(), req.size()), (ssize_t)req.size());
	gdb_resume r;
	gdb_server_serve(s, &r);
	EXPECT_EQ(r.kind, GDB_RESUME_KILL);
	char buf[64];
	ssize_t n = read(c, buf, sizeof(buf));
	ASSERT_GT(n, 0);
	EXPECT_EQ(Parse(std::string(buf, (size_t)n)).packets, std::vector<std::string>{ "QC1" });
	close(c);
	delete m;

	/* A live socket is not taken over. (The probe that finds out is a
	 * connection the live server sees open and close.) */
	gdb_server *t = gdb_server_open(spec.c_str(), false, &err);
	EXPECT_EQ(t, nullptr);
	EXPECT_NE(std::string(err.msg).find("listening"), std::string::npos) << err.msg;

	gdb_server_close(s);
	EXPECT_NE(stat(path.c_str(), &st), 0); /* removed */

	/* A file that is not a socket is left alone. */
	FILE *f = fopen(path.c_str(), "w");
	fclose(f);
	EXPECT_EQ(gdb_server_open(spec.c_str(), false, &err), nullptr);
	EXPECT_NE(std::string(err.msg).find("not a socket"), std::string::npos) << err.msg;
	unlink(path.c_str());
	rmdir(dir);
}

// A caller's transport: what the peer "sent" is a string, what the stub
// sends accumulates in another, and the end of input is the peer leaving.
struct MemPeer {
	std::string in, out;
	size_t pos = 0, chunk = 3;
	bool closed = false;
	bool quiet = false; /* the end of input is a peer with nothing to say yet */
};

long MemRead(void *ctx, uint8_t *buf, size_t cap, bool block)
{
	MemPeer *p = (MemPeer *)ctx;
	size_t n = std::min({ cap, p->chunk, p->in.size() - p->pos });

	if (n == 0)
		return p->quiet && !block ? 0 : -1;
	memcpy(buf, p->in.data() + p->pos, n);
	p->pos += n;
	return (long)n;
}

bool MemWrite(void *ctx, const uint8_t *b, size_t n)
{
	((MemPeer *)ctx)->out.append((const char *)b, n);
	return true;
}

void MemClose(void *ctx)
{
	((MemPeer *)ctx)->closed = true;
}

TEST(GdbServerTransport, ServesASessionFromMemoryUntilThePeerLeaves)
{
	const gdb_transport io = { MemRead, MemWrite, MemClose };
	MemPeer peer;
	fake_machine *m = new fake_machine;
	hv_err err = {};
	gdb_resume r;

	fake_init(m);
	peer.in = Frame("qC") + Frame("Hg2") + Frame("qC") + Frame("c") + Frame("?");
	gdb_server *s = gdb_server_open_transport(&io, &peer);
	ASSERT_NE(s, nullptr);
	gdb_server_set_backend(s, &fake_ops, m);
	EXPECT_TRUE(gdb_server_connected(s));
	gdb_server_serve(s, &r);
	EXPECT_EQ(r.kind, GDB_RESUME_CONTINUE);
	gdb_server_serve(s, &r);
	EXPECT_EQ(r.kind, GDB_RESUME_DISCONNECTED);
	EXPECT_FALSE(gdb_server_connected(s));
	EXPECT_TRUE(peer.closed);
	Output o = Parse(peer.out);
	EXPECT_EQ(o.acks, "+++++");
	ASSERT_EQ(o.packets.size(), 4u);
	EXPECT_EQ(o.packets[0], "QC1");
	EXPECT_EQ(o.packets[1], "OK");
	EXPECT_EQ(o.packets[2], "QC2");
	EXPECT_EQ(o.packets[3].substr(0, 3), "T05");
	/* No listener: nobody else can attach. */
	EXPECT_EQ(gdb_server_accept(s, 0, &err), 0);
	gdb_server_close(s);
	delete m;
}

TEST(GdbServerTransport, ServeReadyAnswersWhatArrivedWithoutBlocking)
{
	const gdb_transport io = { MemRead, MemWrite, MemClose };
	MemPeer peer;
	fake_machine *m = new fake_machine;
	gdb_resume r;

	fake_init(m);
	peer.quiet = true;
	peer.chunk = 64; /* one read per call, as from a socket's buffer */
	peer.in = Frame("qC");
	gdb_server *s = gdb_server_open_transport(&io, &peer);
	ASSERT_NE(s, nullptr);
	gdb_server_set_backend(s, &fake_ops, m);
	/* Answered, and nothing more to read: back to the caller. */
	EXPECT_FALSE(gdb_server_serve_ready(s, &r));
	EXPECT_EQ(Parse(peer.out).packets, std::vector<std::string>{ "QC1" });
	/* Half a packet waits for its other half. */
	std::string c = Frame("c");
	peer.in += c.substr(0, 3);
	EXPECT_FALSE(gdb_server_serve_ready(s, &r));
	peer.in += c.substr(3);
	EXPECT_TRUE(gdb_server_serve_ready(s, &r));
	EXPECT_EQ(r.kind, GDB_RESUME_CONTINUE);
	/* The peer leaves. */
	peer.quiet = false;
	EXPECT_TRUE(gdb_server_serve_ready(s, &r));
	EXPECT_EQ(r.kind, GDB_RESUME_DISCONNECTED);
	EXPECT_FALSE(gdb_server_connected(s));
	gdb_server_close(s);
	delete m;
}

} // namespace
