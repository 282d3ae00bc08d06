// SPDX-License-Identifier: MIT
// --plugin FILE[,key=value...] parsing (plugins/spec.c), before anything
// is loaded.
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "plugins/spec.h"
}

namespace {

TEST(PluginSpec, SplitsFileAndArgumentsInOrder)
{
	plugin_spec s;
	hv_err err = {};

	ASSERT_EQ(plugin_spec_parse("dir/sub/trace.so,out=t.txt,verbose,,limit=", &s, &err), 0)
		<< err.msg;
	EXPECT_STREQ(s.path, "dir/sub/trace.so");
	EXPECT_STREQ(s.name, "trace.so");
	ASSERT_EQ(s.nargs, 3);
	EXPECT_STREQ(s.args[0].key, "out");
	EXPECT_STREQ(s.args[0].value, "t.txt");
	EXPECT_STREQ(s.args[1].key, "verbose");
	EXPECT_STREQ(s.args[1].value, "");
	EXPECT_STREQ(s.args[2].key, "limit");
	EXPECT_STREQ(s.args[2].value, "");
	EXPECT_EQ(s.vmlinux, nullptr);
	plugin_spec_free(&s);
}

TEST(PluginSpec, VmlinuxIsTheValueOfItsArgument)
{
	plugin_spec s;
	hv_err err = {};

	ASSERT_EQ(plugin_spec_parse("s.so,vmlinux=/boot/vmlinux,x=a=b", &s, &err), 0);
	EXPECT_STREQ(s.vmlinux, "/boot/vmlinux");
	EXPECT_STREQ(s.name, "s.so");
	EXPECT_STREQ(s.args[1].value, "a=b");
	plugin_spec_free(&s);
	ASSERT_EQ(plugin_spec_parse("s.so,vmlinux", &s, &err), 0);
	EXPECT_EQ(s.vmlinux, nullptr); /* a bare key names no file */
	plugin_spec_free(&s);
}

TEST(PluginSpec, RefusesNoFileNoKeyAndTooMuch)
{
	plugin_spec s;
	hv_err err = {};

	EXPECT_EQ(plugin_spec_parse("", &s, &err), -1);
	EXPECT_EQ(plugin_spec_parse(",a.so", &s, &err), -1);
	EXPECT_NE(std::string(err.msg).find("no FILE"), std::string::npos) << err.msg;
	EXPECT_EQ(plugin_spec_parse("a.so,=v", &s, &err), -1);
	EXPECT_NE(std::string(err.msg).find("'=v' has no key"), std::string::npos) << err.msg;

	std::string many = "a.so";
	for (int i = 0; i < PLUGIN_SPEC_MAX_ARGS; i++)
		many += ",k" + std::to_string(i);
	ASSERT_EQ(plugin_spec_parse(many.c_str(), &s, &err), 0);
	EXPECT_EQ(s.nargs, PLUGIN_SPEC_MAX_ARGS);
	plugin_spec_free(&s);
	EXPECT_EQ(plugin_spec_parse((many + ",one_more").c_str(), &s, &err), -1);
	EXPECT_NE(std::string(err.msg).find("more than 32 arguments"), std::string::npos);

	std::string longest = "a.so,k=" + std::string(PLUGIN_SPEC_MAX_LEN - 7, 'v');
	ASSERT_EQ(plugin_spec_parse(longest.c_str(), &s, &err), 0);
	plugin_spec_free(&s);
	EXPECT_EQ(plugin_spec_parse((longest + "v").c_str(), &s, &err), -1);
	EXPECT_NE(std::string(err.msg).find("longer than 8192 bytes"), std::string::npos);
}

} // namespace
