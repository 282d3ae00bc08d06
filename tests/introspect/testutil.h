/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the introspection tests: where the test images are
 * (the fake kernel built by BUILD.bazel, the project-built vmlinux named
 * by RV_BUILT_KERNEL), running an oracle tool and capturing its output,
 * and writing scratch files (corrupted copies of an ELF).
 */
#ifndef TESTS_INTROSPECT_TESTUTIL_H
#define TESTS_INTROSPECT_TESTUTIL_H

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace introtest {

/* An image from the environment, or "" (outside Bazel, set it by hand). */
inline std::string EnvPath(const char *var)
{
	const char *v = getenv(var);
	return v ? v : "";
}

inline std::string FakeKernel()
{
	return EnvPath("INTRO_FAKE_KERNEL");
}
inline std::string FakeKernelNoDebug()
{
	return EnvPath("INTRO_FAKE_KERNEL_NODEBUG");
}
inline std::string FakeKernelStripped()
{
	return EnvPath("INTRO_FAKE_KERNEL_STRIPPED");
}

/* The vmlinux next to the Image that RV_BUILT_KERNEL names. */
inline std::string BuiltVmlinux()
{
	std::string k = EnvPath("RV_BUILT_KERNEL");
	if (k.empty())
		return "";
	size_t slash = k.rfind('/');
	std::string dir = slash == std::string::npos ? "." : k.substr(0, slash);
	std::string vmlinux = dir + "/vmlinux";
	std::ifstream f(vmlinux);
	return f.good() ? vmlinux : "";
}

/* stdout of a shell command ("" if it could not run). */
inline std::string Run(const std::string &cmd)
{
	std::string out;
	FILE *p = popen(cmd.c_str(), "r");
	if (!p)
		return out;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		out.append(buf, n);
	pclose(p);
	return out;
}

inline std::vector<char> ReadFile(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	return std::vector<char>(std::istreambuf_iterator<char>(f),
				 std::istreambuf_iterator<char>());
}

/* Write bytes to a fresh file in the test's scratch directory. */
inline std::string WriteScratch(const std::string &name, const std::vector<char> &bytes)
{
	std::string path = ::testing::TempDir() + "/" + name;
	std::ofstream f(path, std::ios::binary | std::ios::trunc);
	f.write(bytes.data(), (std::streamsize)bytes.size());
	return path;
}

} // namespace introtest

/* Fail (never skip) when an input or oracle is missing: tools/setup
 * provides all of them, and a test that quietly did nothing would hide a
 * broken check (tests/README.md). */
#define REQUIRE_FAKE_KERNEL()                                                                 \
	do {                                                                                  \
		if (introtest::FakeKernel().empty())                                          \
			GTEST_FAIL() << "INTRO_FAKE_KERNEL is not set: run the test through " \
					"Bazel (tools/test), whose BUILD file sets it";       \
	} while (0)

#define REQUIRE_VMLINUX(var)                                                           \
	std::string var = introtest::BuiltVmlinux();                                   \
	if (var.empty())                                                               \
	GTEST_FAIL() << "RV_BUILT_KERNEL is not set or has no vmlinux beside it: run " \
			"tools/setup (it builds the kernel), then the tests through tools/test"

#define REQUIRE_TOOL(tool)                                                         \
	do {                                                                       \
		if (introtest::Run("command -v " tool).empty())                    \
			GTEST_FAIL() << tool " is not installed: run tools/setup"; \
	} while (0)

#endif
