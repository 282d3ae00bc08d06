// SPDX-License-Identifier: MIT
/*
 * Tests of the log's configuration record parser (replay/config.c): the
 * lines a recorder writes come back, and untrusted text (unknown lines,
 * too many arguments or images, bad hashes, bad numbers, overlong lines)
 * is refused naming the line.
 */
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "replay/config.h"
}

namespace {

TEST(ReplayConfig, ParsesWhatTheRecorderWrites)
{
	std::string text = "retrovisor 0.9\narg --kernel\narg /k\nimage kernel /k " +
			   std::string(64, 'a') + "\nrtc_ns 1767225600000000000\n";
	struct replay_config c;
	struct hv_err err = {};
	ASSERT_EQ(replay_config_parse("x.rlog", text.c_str(), &c, &err), 0) << err.msg;
	ASSERT_EQ(c.nargs, 2);
	EXPECT_STREQ(c.args[0], "--kernel");
	EXPECT_STREQ(c.args[1], "/k");
	ASSERT_EQ(c.nimages, 1u);
	EXPECT_STREQ(c.images[0].role, "kernel");
	EXPECT_STREQ(c.images[0].path, "/k");
	EXPECT_TRUE(c.have_rtc);
	EXPECT_EQ(c.rtc_ns, 1767225600000000000ull);
	ASSERT_EQ(replay_config_subst(&c, "/k", "/tmp/bundle/kernel"), 0);
	EXPECT_STREQ(c.args[1], "/tmp/bundle/kernel");
	replay_config_free(&c);
}

/* The digest version: absent in logs older than version 2 (they are of
 * version 1), given by newer ones; a version this build does not know is
 * refused in a sentence that says what to do. */
TEST(ReplayConfig, DigestVersionIsOneUnlessTheLogSaysOtherwise)
{
	struct replay_config c;
	struct hv_err err = {};

	ASSERT_EQ(replay_config_parse("x.rlog", "retrovisor 0.1.0\narg a\n", &c, &err), 0);
	EXPECT_EQ(c.digest_version, 1u);
	replay_config_free(&c);
	ASSERT_EQ(replay_config_parse("x.rlog", "retrovisor 0.1.0\ndigest 2\narg a\n", &c, &err),
		  0);
	EXPECT_EQ(c.digest_version, 2u);
	replay_config_free(&c);
	ASSERT_EQ(replay_config_parse("x.rlog", "retrovisor 0.1.0\ndigest 1\n", &c, &err), 0);
	EXPECT_EQ(c.digest_version, 1u);
	replay_config_free(&c);
	EXPECT_EQ(replay_config_parse("x.rlog", "arg a\ndigest 3\n", &c, &err), -1);
	EXPECT_NE(std::string(err.msg).find("x.rlog: its digests are of version '3'"),
		  std::string::npos)
		<< err.msg;
	EXPECT_NE(std::string(err.msg).find("replay it with the retrovisor that recorded it"),
		  std::string::npos)
		<< err.msg;
	EXPECT_EQ(c.nargs, 0);
}

TEST(ReplayConfig, RefusesMalformedLinesByNumber)
{
	const char *bad[] = {
		"arg a\nbogus line\n",
		"arg a\nimage kernel /k deadbeef\n",
		"arg a\nrtc_ns 12x\n",
		"arg a\nrtc_ns \n",
		"arg a\nrtc_ns 99999999999999999999999\n",
	};
	for (const char *t : bad) {
		struct replay_config c;
		struct hv_err err = {};
		EXPECT_EQ(replay_config_parse("x.rlog", t, &c, &err), -1) << t;
		EXPECT_NE(std::string(err.msg).find("x.rlog: line 2"), std::string::npos)
			<< err.msg;
		EXPECT_EQ(c.nargs, 0);
	}
	std::string many;
	for (int i = 0; i <= REPLAY_CONFIG_MAX_ARGS; i++)
		many += "arg x\n";
	struct replay_config c;
	struct hv_err err = {};
	EXPECT_EQ(replay_config_parse("x.rlog", many.c_str(), &c, &err), -1);
	std::string longline = "arg " + std::string(9000, 'y') + "\n";
	EXPECT_EQ(replay_config_parse("x.rlog", longline.c_str(), &c, &err), -1);
}

} // namespace
