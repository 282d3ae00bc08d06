// SPDX-License-Identifier: MIT
// GDB remote protocol framing (gdbstub/rsp.c): the receive state machine
// on good, corrupt, oversize and hostile input; reply framing; the strict
// hex helpers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

extern "C" {
#include "gdbstub/rsp.h"
}

namespace {

struct Decoded {
	std::vector<rsp_event> events;
	std::vector<std::string> packets;
};

Decoded Feed(rsp_decoder *d, const std::string &bytes)
{
	Decoded out;

	for (unsigned char c : bytes) {
		rsp_event ev = rsp_decoder_feed(d, c);

		if (ev == RSP_EV_NONE)
			continue;
		out.events.push_back(ev);
		if (ev == RSP_EV_PACKET)
			out.packets.emplace_back(reinterpret_cast<char *>(d->buf), d->len);
	}
	return out;
}

std::string Frame(const std::string &payload)
{
	unsigned sum = 0;
	char tail[4];

	for (unsigned char c : payload)
		sum += c;
	snprintf(tail, sizeof(tail), "#%02x", sum & 0xff);
	return "$" + payload + tail;
}

struct Dec {
	uint8_t buf[64];
	rsp_decoder d;
	Dec() { rsp_decoder_init(&d, buf, sizeof(buf)); }
};

TEST(Rsp, DecodesPacketWithGoodChecksum)
{
	Dec dec;
	Decoded r = Feed(&dec.d, "$m80000000,4#55");

	ASSERT_EQ(r.packets.size(), 1u);
	EXPECT_EQ(r.packets[0], "m80000000,4");
	EXPECT_TRUE(rsp_decoder_idle(&dec.d));
}

TEST(Rsp, ChecksumDigitsMayBeUpperCase)
{
	Dec dec;
	Decoded r = Feed(&dec.d, "$qC#B4");

	ASSERT_EQ(r.packets.size(), 1u);
}

TEST(Rsp, ReportsBadChecksumAndDropsPacket)
{
	Dec dec;
	Decoded r = Feed(&dec.d, "$m80000000,4#da$g#zz" + Frame("g"));

	ASSERT_EQ(r.events.size(), 3u);
	EXPECT_EQ(r.events[0], RSP_EV_BAD_CHECKSUM);
	EXPECT_EQ(r.events[1], RSP_EV_BAD_CHECKSUM); /* non-hex digits */
	EXPECT_EQ(r.events[2], RSP_EV_PACKET);
	ASSERT_EQ(r.packets.size(), 1u);
	EXPECT_EQ(r.packets[0], "g");
}

TEST(Rsp, UnescapesEscapedBytes)
{
	Dec dec;
	/* } followed by c ^ 0x20 stands for $ # } *; a raw 0x03 is data. */
	std::string payload = "X0,5:}\x04}\x03}]}\x0a\x03";
	Decoded r = Feed(&dec.d, Frame(payload));

	ASSERT_EQ(r.packets.size(), 1u);
	EXPECT_EQ(r.packets[0], std::string("X0,5:$#}*\x03", 10));
}

TEST(Rsp, ExpandsRunLengthEncoding)
{
	Dec dec;
	/* "0* " is 0 repeated 32 - 29 = 3 more times. */
	Decoded r = Feed(&dec.d, Frame("a0* b"));

	ASSERT_EQ(r.packets.size(), 1u);
	EXPECT_EQ(r.packets[0], "a0000b");
}

TEST(Rsp, RejectsRunLengthWithNothingToRepeat)
{
	Dec dec;
	Decoded r = Feed(&dec.d, Frame("* ab") + Frame("a*\x05"));

	ASSERT_EQ(r.events.size(), 2u);
	EXPECT_EQ(r.events[0], RSP_EV_MALFORMED);
	EXPECT_EQ(r.events[1], RSP_EV_MALFORMED); /* count below ' ' */
	EXPECT_TRUE(r.packets.empty());
}

TEST(Rsp, RunLengthCannotWritePastTheBuffer)
{
	uint8_t buf[8 + 16];
	rsp_decoder d;

	memset(buf, 0xee, sizeof(buf));
	rsp_decoder_init(&d, buf, 8);
	/* '~' repeats 97 more times. */
	Decoded r = Feed(&d, Frame("a*~"));

	ASSERT_EQ(r.events.size(), 1u);
	EXPECT_EQ(r.events[0], RSP_EV_OVERSIZE);
	for (size_t i = 8; i < sizeof(buf); i++)
		EXPECT_EQ(buf[i], 0xee);
}

TEST(Rsp, OversizePacketIsConsumedToItsEndThenReported)
{
	uint8_t buf[16 + 16];
	rsp_decoder d;

	memset(buf, 0xee, sizeof(buf));
	rsp_decoder_init(&d, buf, 16);
	Decoded r = Feed(&d, Frame(std::string(1000, 'a')) + Frame("g"));

	ASSERT_EQ(r.events.size(), 2u);
	EXPECT_EQ(r.events[0], RSP_EV_OVERSIZE);
	EXPECT_EQ(r.events[1], RSP_EV_PACKET);
	EXPECT_EQ(r.packets[0], "g");
	for (size_t i = 16; i < sizeof(buf); i++)
		EXPECT_EQ(buf[i], 0xee);
}

TEST(Rsp, PacketOfExactlyTheLimitIsAccepted)
{
	uint8_t buf[16];
	rsp_decoder d;

	rsp_decoder_init(&d, buf, 16);
	Decoded r = Feed(&d, Frame(std::string(16, 'q')));

	ASSERT_EQ(r.packets.size(), 1u);
	EXPECT_EQ(r.packets[0].size(), 16u);
}

TEST(Rsp, DollarInsidePacketRestartsDecoding)
{
	Dec dec;
	Decoded r = Feed(&dec.d, "$m800" + Frame("g"));

	ASSERT_EQ(r.packets.size(), 1u);
	EXPECT_EQ(r.packets[0], "g");
}

TEST(Rsp, InterruptByteIsPayloadInsideAPacket)
{
	Dec dec;
	Decoded r = Feed(&dec.d, "\x03" + Frame(std::string("X0,1:\x03", 6)) + "\x03");

	ASSERT_EQ(r.events.size(), 3u);
	EXPECT_EQ(r.events[0], RSP_EV_INTERRUPT);
	EXPECT_EQ(r.events[1], RSP_EV_PACKET);
	EXPECT_EQ(r.events[2], RSP_EV_INTERRUPT);
	EXPECT_EQ(r.packets[0], std::string("X0,1:\x03", 6));
}

TEST(Rsp, ClassifiesBytesBetweenPackets)
{
	Dec dec;
	Decoded r = Feed(&dec.d, "+-x#\n");

	ASSERT_EQ(r.events.size(), 5u);
	EXPECT_EQ(r.events[0], RSP_EV_ACK);
	EXPECT_EQ(r.events[1], RSP_EV_NAK);
	EXPECT_EQ(r.events[2], RSP_EV_GARBAGE);
	EXPECT_EQ(r.events[3], RSP_EV_GARBAGE);
	EXPECT_EQ(r.events[4], RSP_EV_GARBAGE);
}

TEST(Rsp, PacketCutAfterEscapeStillEnds)
{
	Dec dec;
	Decoded r = Feed(&dec.d, "$ab}#00" + Frame("g"));

	ASSERT_EQ(r.events.size(), 2u);
	EXPECT_NE(r.events[0], RSP_EV_PACKET);
	EXPECT_EQ(r.events[1], RSP_EV_PACKET);
}

TEST(Rsp, EncodeEscapesSpecialBytesAndChecksumsTheWireBytes)
{
	uint8_t out[64];
	const uint8_t payload[] = { 'a', '$', '#', '}', '*', 'b' };
	size_t n = rsp_encode(payload, sizeof(payload), out, sizeof(out));
	std::string s(reinterpret_cast<char *>(out), n);

	EXPECT_EQ(s.substr(0, 11), "$a}\x04}\x03}]}\x0a"
				   "b");
	/* And our own decoder turns it back into the payload. */
	Dec dec;
	Decoded r = Feed(&dec.d, s);
	ASSERT_EQ(r.packets.size(), 1u);
	EXPECT_EQ(r.packets[0], std::string("a$#}*b"));
}

TEST(Rsp, EncodeRefusesABufferThatIsTooSmall)
{
	uint8_t out[8];
	const uint8_t payload[] = { '*', '*', '*' };

	EXPECT_EQ(rsp_encode(payload, 3, out, sizeof(out)), 0u); /* needs 10 */
	EXPECT_EQ(rsp_encode(payload, 2, out, sizeof(out)), 8u);
	EXPECT_EQ(rsp_encode(nullptr, 0, out, 4), 4u);
	EXPECT_EQ(std::string(reinterpret_cast<char *>(out), 4), "$#00");
}

TEST(Rsp, ParseHexRejectsEmptyNonHexAndOverflow)
{
	uint64_t v = 0;

	EXPECT_TRUE(rsp_parse_hex_u64("ffffffffffffffff", 16, &v));
	EXPECT_EQ(v, UINT64_MAX);
	EXPECT_TRUE(rsp_parse_hex_u64("00000000000000001", 17, &v)); /* leading zeros fit */
	EXPECT_EQ(v, 1u);
	EXPECT_FALSE(rsp_parse_hex_u64("10000000000000000", 17, &v));
	EXPECT_FALSE(rsp_parse_hex_u64("", 0, &v));
	EXPECT_FALSE(rsp_parse_hex_u64("12g4", 4, &v));
	EXPECT_FALSE(rsp_parse_hex_u64("-1", 2, &v));
	EXPECT_FALSE(rsp_parse_hex_u64(" 1", 2, &v));
}

TEST(Rsp, HexDecodeRejectsOddLengthNonHexAndOverlongInput)
{
	uint8_t out[4];

	EXPECT_EQ(hex_decode("0aFf", 4, out, sizeof(out)), 2);
	EXPECT_EQ(out[0], 0x0a);
	EXPECT_EQ(out[1], 0xff);
	EXPECT_EQ(hex_decode("0af", 3, out, sizeof(out)), -1);
	EXPECT_EQ(hex_decode("0x12", 4, out, sizeof(out)), -1);
	EXPECT_EQ(hex_decode("0011223344", 10, out, sizeof(out)), -1);
	EXPECT_EQ(hex_decode("", 0, out, sizeof(out)), 0);
}

TEST(Rsp, HexEncodeIsLowerCase)
{
	const uint8_t in[] = { 0x00, 0xab, 0x7f };
	char out[6];

	hex_encode(in, 3, out);
	EXPECT_EQ(std::string(out, 6), "00ab7f");
}

} // namespace
