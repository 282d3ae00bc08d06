// SPDX-License-Identifier: MIT
/*
 * Tests for the request schedule of `retrovisor up --inject FILE`
 * (cli/upinject.c): what a file means (epochs, requests, comments, blank
 * lines), how requests are handed out at the top of each epoch, and that
 * every refusal is one sentence naming FILE:LINE and the problem.
 */
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "cli/upinject.h"
}

namespace {

struct Parsed {
	struct upinject in = {};
	struct hv_err err = {};
	int r;
	explicit Parsed(const std::string &text)
	{
		r = upinject_parse("/tmp/f.inject", text.data(), text.size(), &in, &err);
	}
	~Parsed() { upinject_free(&in); }
};

void Refused(const std::string &text, const char *line, const char *why)
{
	Parsed p(text);
	EXPECT_EQ(p.r, -1) << text;
	EXPECT_EQ(std::string(p.err.msg).rfind(std::string("/tmp/f.inject:") + line + ": ", 0), 0u)
		<< p.err.msg;
	EXPECT_NE(std::string(p.err.msg).find(why), std::string::npos) << p.err.msg;
	EXPECT_EQ(std::string(p.err.msg).find('\n'), std::string::npos) << p.err.msg;
	EXPECT_EQ(p.in.n, 0u);
}

} // namespace

TEST(Upinject, ReadsRequestsInEpochOrder)
{
	Parsed p(
		"# a drop for a while\n"
		"\n"
		"4000 {\"cmd\":\"faults\",\"bridge\":\"br0\",\"drop\":300000}  \r\n"
		"4000\t{ \"cmd\" : \"partition\", \"bridge\":\"br0\", \"domain\":\"c\", \"group\":1 }\n"
		"  9000 {\"cmd\":\"faults\",\"bridge\":\"br0\",\"drop\":0,\"x\":true}");
	ASSERT_EQ(p.r, 0) << p.err.msg;
	ASSERT_EQ(p.in.n, 3u);
	EXPECT_EQ(p.in.req[0].epoch, 4000u);
	EXPECT_STREQ(p.in.req[0].line, "{\"cmd\":\"faults\",\"bridge\":\"br0\",\"drop\":300000}");
	EXPECT_EQ(p.in.req[2].epoch, 9000u);
	EXPECT_EQ(upinject_next(&p.in, 0), nullptr);
	EXPECT_EQ(upinject_next(&p.in, 3999), nullptr);
	EXPECT_STREQ(upinject_next(&p.in, 4000), p.in.req[0].line);
	EXPECT_STREQ(upinject_next(&p.in, 4000), p.in.req[1].line);
	EXPECT_EQ(upinject_next(&p.in, 4000), nullptr);
	EXPECT_STREQ(upinject_next(&p.in, 9500), p.in.req[2].line); /* late: handed out */
	EXPECT_EQ(upinject_next(&p.in, 100000), nullptr);
}

TEST(Upinject, EmptyFileIsNoRequest)
{
	Parsed p("# nothing\n\n");
	ASSERT_EQ(p.r, 0);
	EXPECT_EQ(p.in.n, 0u);
	EXPECT_EQ(upinject_next(&p.in, 0), nullptr);
}

TEST(Upinject, RefusesBadLinesNamingThem)
{
	const std::string ok = "1 {\"cmd\":\"quit\"}\n";
	Refused(ok + "{\"cmd\":\"quit\"}\n", "2", "starts with the request");
	Refused(ok + "x {\"cmd\":\"quit\"}\n", "2", "no epoch");
	Refused(ok + "-1 {\"cmd\":\"quit\"}\n", "2", "no epoch");
	Refused(ok + "99999999999999999999 {\"cmd\":\"quit\"}\n", "2", "below 2^64");
	Refused(ok + "12{\"cmd\":\"quit\"}\n", "2", "then a space");
	Refused("5 {\"cmd\":\"quit\"}\n4 {\"cmd\":\"quit\"}\n", "2", "must not decrease");
	Refused(ok + "3\n", "2", "then a space");
	Refused(ok + "3 \n", "2", "one JSON object");
	Refused(ok + "3 {\"cmd\":\"quit\"\n", "2", "one JSON object");
	Refused(ok + "3 {\"cmd\":\"quit\",}\n", "2", "one JSON object");
	Refused(ok + "3 {\"cmd\":\"quit\"} x\n", "2", "one JSON object");
	Refused(ok + "3 {\"cmd\":[1]}\n", "2", "one JSON object");
	Refused(ok + "3 {\"cmd\":\"faults\",\"drop\":1e5}\n", "2", "one JSON object");
	Refused(ok + "3 {\"cmd\":\"faults\",\"drop\":99999999999999999999}\n", "2",
		"one JSON object");
	Refused(ok + "3 {\"bridge\":\"br0\"}\n", "2", "names its command");
	Refused(ok + "3 {\"cmd\":\"fualts\"}\n", "2", "not a toolstack request");
	Refused(ok + "3 {\"cmd\":\"console\",\"domain\":\"a\"}\n", "2", "not a toolstack request");
	Refused(ok + "3 {\"cmd\":\"quit\",\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1,\"g\":1,"
		     "\"h\":1}\n",
		"2", "at most 8 keys");
	Refused(ok + "3 {\"cmd\":\"quit\",\"d\":\"\xc3\xa9\"}\n", "2", "one JSON object");
	Refused(ok + "3 {\"cmd\":\"quit\",\"d\":\"" + std::string(600, 'a') + "\"}\n", "2",
		"one JSON object");
	Refused(ok + "3 {\"cmd\":\"quit\",\"d\":\"" + std::string(2000, 'a') + "\"}\n", "2",
		"too long");
	Refused(ok + std::string("3 {\"cmd\":\"q\0uit\"}\n", 18), "2", "NUL byte");
}

TEST(Upinject, LoadNamesAMissingFile)
{
	struct upinject in;
	struct hv_err err = {};
	ASSERT_EQ(upinject_load("/nonexistent/f.inject", &in, &err), -1);
	EXPECT_NE(std::string(err.msg).find("/nonexistent/f.inject"), std::string::npos);
	EXPECT_EQ(in.n, 0u);
}
