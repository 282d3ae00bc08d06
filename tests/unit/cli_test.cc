// SPDX-License-Identifier: MIT
//
// Tests for the command-line parser (hv/cli.c): the commands, every
// option, the defaults, and that each bad value or usage mistake is
// refused with one sentence that says what to do.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern "C" {
#include "cli/options.h"
#include "hv/platform/machine.h"
}

namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kGiB = 1024 * kMiB;

struct Parsed {
	int rc;
	struct cli_opts o;
	std::string err;
	// cli_opts points into argv: keep the strings alive and unmoved.
	std::shared_ptr<std::vector<std::string>> argv_store;
};

Parsed Parse(std::vector<std::string> args)
{
	Parsed p{};
	p.argv_store = std::make_shared<std::vector<std::string>>(std::move(args));
	auto &store = *p.argv_store;
	store.insert(store.begin(), "retrovisor");
	std::vector<char *> argv;
	for (auto &a : store)
		argv.push_back(&a[0]);
	argv.push_back(nullptr);
	struct hv_err err = {};
	p.rc = cli_parse((int)store.size(), argv.data(), &p.o, &err);
	p.err = err.msg;
	return p;
}

void ExpectError(const Parsed &p, const std::string &what)
{
	EXPECT_EQ(p.rc, -1);
	EXPECT_NE(p.err.find(what), std::string::npos) << p.err;
	EXPECT_EQ(p.err.find('\n'), std::string::npos) << p.err;
}

uint64_t Size(const char *s)
{
	uint64_t v = 0;
	struct hv_err err = {};
	EXPECT_EQ(cli_parse_size(s, &v, &err), 0) << s << ": " << err.msg;
	return v;
}

std::string SizeError(const char *s)
{
	uint64_t v = 12345;
	struct hv_err err = {};
	EXPECT_EQ(cli_parse_size(s, &v, &err), -1) << s;
	EXPECT_EQ(v, 12345u) << "output written on error for " << s;
	return err.msg;
}

uint64_t Count(const char *s)
{
	uint64_t v = 0;
	struct hv_err err = {};
	EXPECT_EQ(cli_parse_count(s, &v, &err), 0) << s << ": " << err.msg;
	return v;
}

bool CountRejected(const char *s)
{
	uint64_t v = 0;
	struct hv_err err = {};
	return cli_parse_count(s, &v, &err) == -1 && err.msg[0] != '\0';
}

// ---- commands ----

TEST(Cli, RunWithKernelOnlyTakesQemuVirtDefaults)
{
	Parsed p = Parse({ "run", "--kernel", "vmlinux" });
	ASSERT_EQ(p.rc, 0) << p.err;
	EXPECT_EQ(p.o.cmd, CLI_CMD_RUN);
	EXPECT_STREQ(p.o.kernel, "vmlinux");
	EXPECT_EQ(p.o.initrd, nullptr);
	EXPECT_EQ(p.o.append, nullptr);
	EXPECT_EQ(p.o.bios, nullptr);
	EXPECT_EQ(p.o.memory, 128 * kMiB);
	EXPECT_EQ(p.o.harts, 1u);
	EXPECT_EQ(p.o.max_insns, 0u);
	EXPECT_FALSE(p.o.print_digest);
}

TEST(Cli, RunAcceptsEveryOptionInBothSpellings)
{
	Parsed p = Parse({ "run", "--kernel=Image", "--initrd", "rd.cpio",
			   "--append=console=ttyS0 quiet", "--bios", "none", "--memory=1G",
			   "--harts", "4", "--max-instructions=50M", "--print-digest" });
	ASSERT_EQ(p.rc, 0) << p.err;
	EXPECT_STREQ(p.o.kernel, "Image");
	EXPECT_STREQ(p.o.initrd, "rd.cpio");
	EXPECT_STREQ(p.o.append, "console=ttyS0 quiet");
	EXPECT_STREQ(p.o.bios, "none");
	EXPECT_EQ(p.o.memory, 1 * kGiB);
	EXPECT_EQ(p.o.harts, 4u);
	EXPECT_EQ(p.o.max_insns, 50000000u);
	EXPECT_TRUE(p.o.print_digest);
}

TEST(Cli, DriveAndNetTakeASlot)
{
	Parsed p = Parse({ "run", "--kernel", "k", "--drive", "file=a.img,slot=0", "--drive",
			   "slot=7,file=b.img,snapshot=off", "--drive", "file=c.img", "--net",
			   "user,slot=3" });
	ASSERT_EQ(p.rc, 0) << p.err;
	EXPECT_TRUE(p.o.drive[0].has_slot);
	EXPECT_EQ(p.o.drive[0].slot, 0u);
	EXPECT_TRUE(p.o.drive[1].has_slot);
	EXPECT_EQ(p.o.drive[1].slot, 7u);
	EXPECT_FALSE(p.o.drive[1].snapshot);
	EXPECT_FALSE(p.o.drive[2].has_slot);
	EXPECT_TRUE(p.o.net.has_slot);
	EXPECT_EQ(p.o.net.slot, 3u);

	struct machine_drive drives[CLI_MAX_DRIVES];
	struct machine_config cfg;
	cli_machine_config(&p.o, drives, 0, &cfg);
	EXPECT_TRUE(cfg.drives[0].has_slot);
	EXPECT_EQ(cfg.drives[1].slot, 7u);
	EXPECT_FALSE(cfg.drives[2].has_slot);
}

TEST(Cli, RngVirtioOrNone)
{
	struct machine_drive drives[CLI_MAX_DRIVES];
	struct machine_config cfg;

	Parsed d = Parse({ "run", "--kernel", "k" });
	ASSERT_EQ(d.rc, 0) << d.err;
	EXPECT_FALSE(d.o.rng_set);
	cli_machine_config(&d.o, drives, 0, &cfg);
	EXPECT_TRUE(cfg.rng); // on by default

	Parsed n = Parse({ "run", "--kernel", "k", "--rng", "none" });
	ASSERT_EQ(n.rc, 0) << n.err;
	EXPECT_TRUE(n.o.rng_set);
	cli_machine_config(&n.o, drives, 0, &cfg);
	EXPECT_FALSE(cfg.rng);

	Parsed v = Parse({ "run", "--kernel", "k", "--rng=virtio" });
	ASSERT_EQ(v.rc, 0) << v.err;
	cli_machine_config(&v.o, drives, 0, &cfg);
	EXPECT_TRUE(cfg.rng);

	Parsed bad = Parse({ "run", "--kernel", "k", "--rng", "off" });
	EXPECT_NE(bad.rc, 0);
	EXPECT_NE(bad.err.find("--rng 'off': expected virtio or none"), std::string::npos)
		<< bad.err;
}

TEST(Cli, RejectsBadSlots)
{
	const char *bad_drive[] = { "file=a,slot=8",  "file=a,slot=-1",  "file=a,slot=",
				    "file=a,slot=01", "file=a,slot=0x1", "file=a,slot=1 ",
				    "file=a,slot" };
	for (const char *d : bad_drive)
		ExpectError(Parse({ "run", "--kernel", "k", "--drive", d }), "slot");
	ExpectError(Parse({ "run", "--kernel", "k", "--drive", "file=a,slot=1,slot=1" }),
		    "slot= given twice");
	ExpectError(Parse({ "run", "--kernel", "k", "--net", "user,slot=8" }), "slot '8'");
	ExpectError(Parse({ "run", "--kernel", "k", "--net", "user,slot=1,slot=2" }),
		    "slot is given twice");
	ExpectError(Parse({ "run", "--kernel", "k", "--drive", "file=a,slot=2", "--drive",
			    "file=b,slot=2" }),
		    "drive 'a' and drive 'b' both ask for virtio slot 2");
	ExpectError(Parse({ "run", "--kernel", "k", "--drive", "file=a,slot=5", "--net",
			    "user,slot=5" }),
		    "drive 'a' and the network both ask for virtio slot 5");
	/* Seven drives, the network and the entropy device: nine devices. */
	std::vector<std::string> args = { "run", "--kernel", "k", "--net", "user" };
	for (int i = 0; i < 7; i++) {
		args.push_back("--drive");
		args.push_back("file=d" + std::to_string(i));
	}
	ExpectError(Parse(args), "need more than the machine's 8 virtio slots");
}

TEST(Cli, AppendMayBeEmptyAndMayStartWithDashes)
{
	Parsed p = Parse({ "run", "--kernel", "k", "--append", "--" });
	ASSERT_EQ(p.rc, 0) << p.err;
	EXPECT_STREQ(p.o.append, "--");
	p = Parse({ "run", "--kernel", "k", "--append=" });
	ASSERT_EQ(p.rc, 0) << p.err;
	EXPECT_STREQ(p.o.append, "");
}

TEST(Cli, HelpAndVersionCommands)
{
	EXPECT_EQ(Parse({ "--help" }).o.cmd, CLI_CMD_HELP);
	EXPECT_EQ(Parse({ "-h" }).o.cmd, CLI_CMD_HELP);
	EXPECT_EQ(Parse({ "--version" }).o.cmd, CLI_CMD_VERSION);
	EXPECT_EQ(Parse({ "run", "--help" }).o.cmd, CLI_CMD_RUN_HELP);
	// --help wins even when the rest of the line is wrong or incomplete.
	Parsed p = Parse({ "run", "--memory", "1G", "--help", "--bogus" });
	EXPECT_EQ(p.rc, 0) << p.err;
	EXPECT_EQ(p.o.cmd, CLI_CMD_RUN_HELP);
}

TEST(Cli, RejectsMissingCommandAndUnknownCommand)
{
	ExpectError(Parse({}), "no command given; run 'retrovisor --help'");
	ExpectError(Parse({ "boot" }), "unknown command 'boot'");
	ExpectError(Parse({ "--kernel", "k" }), "unknown option '--kernel'");
	ExpectError(Parse({ "--version", "extra" }), "unexpected argument 'extra'");
}

TEST(Cli, RejectsMissingKernelWithHint)
{
	ExpectError(Parse({ "run" }),
		    "missing --kernel FILE (or --restore SNAPSHOT); run 'retrovisor run --help'");
	ExpectError(Parse({ "run", "--memory", "256" }), "missing --kernel");
}

TEST(Cli, RejectsUnknownOptionWithHint)
{
	ExpectError(Parse({ "run", "--kernel", "k", "--smp", "2" }),
		    "unknown option '--smp'; run 'retrovisor run --help'");
	ExpectError(Parse({ "run", "--kernel", "k", "--kernelx=1" }), "unknown option '--kernelx'");
	ExpectError(Parse({ "run", "-m", "512" }), "unexpected argument '-m'");
}

TEST(Cli, RejectsPositionalArguments)
{
	ExpectError(Parse({ "run", "--kernel", "k", "vmlinux" }), "unexpected argument 'vmlinux'");
	ExpectError(Parse({ "run", "--kernel", "k", "--" }), "unexpected argument '--'");
}

TEST(Cli, RejectsOptionWithoutItsValue)
{
	ExpectError(Parse({ "run", "--kernel" }), "--kernel needs a value");
	ExpectError(Parse({ "run", "--kernel", "k", "--memory" }), "--memory needs a value");
}

TEST(Cli, RejectsEmptyFileNames)
{
	ExpectError(Parse({ "run", "--kernel", "" }), "--kernel needs a file name");
	ExpectError(Parse({ "run", "--kernel", "k", "--bios=" }), "--bios needs");
	ExpectError(Parse({ "run", "--kernel", "k", "--initrd", "" }), "--initrd needs");
	ExpectError(Parse({ "run", "--kernel", "k", "--restore=" }),
		    "--restore needs a snapshot file, not an empty string");
}

TEST(Cli, FlagsSetOnlyTheirOwnField)
{
	Parsed p = Parse({ "run", "--kernel", "k", "--paused", "--gdb", "tcp:127.0.0.1:1",
			   "--gdb-allow-remote", "--trust-stored-paths", "--snapshot-incremental",
			   "--restore", "s.snap" });
	ASSERT_EQ(p.rc, 0) << p.err;
	EXPECT_TRUE(p.o.paused);
	EXPECT_TRUE(p.o.gdb_allow_remote);
	EXPECT_TRUE(p.o.trust_stored_paths);
	EXPECT_TRUE(p.o.snap_incremental);
	EXPECT_FALSE(p.o.print_digest);
	EXPECT_STREQ(p.o.restore, "s.snap");
	EXPECT_STREQ(p.o.kernel, "k");
}

TEST(Cli, RejectsValueForFlag)
{
	ExpectError(Parse({ "run", "--kernel", "k", "--print-digest=yes" }),
		    "--print-digest takes no value");
}

TEST(Cli, RejectsRepeatedOption)
{
	ExpectError(Parse({ "run", "--kernel", "a", "--kernel", "b" }), "--kernel given twice");
}

TEST(Cli, RejectsBadHartCounts)
{
	Parsed ok = Parse({ "run", "--kernel", "k", "--harts", "32" });
	EXPECT_EQ(ok.rc, 0) << ok.err;
	EXPECT_EQ(ok.o.harts, (unsigned)HV_MAX_HARTS);
	for (const char *bad : { "0", "33", "-1", "1x", "", " 2", "99999999999999999999999" })
		ExpectError(Parse({ "run", "--kernel", "k", "--harts", bad }),
			    "expected a number of harts from 1 to 32");
}

TEST(Cli, BadValueErrorsNameTheOption)
{
	ExpectError(Parse({ "run", "--kernel", "k", "--memory", "lots" }), "--memory 'lots'");
	ExpectError(Parse({ "run", "--kernel", "k", "--max-instructions", "0" }),
		    "--max-instructions '0'");
}

// ---- sizes ----

TEST(CliSize, BareNumberIsMiBLikeQemu)
{
	EXPECT_EQ(Size("512"), 512 * kMiB);
	EXPECT_EQ(Size("16"), 16 * kMiB);
}

TEST(CliSize, SuffixesArePowersOf1024AndCaseInsensitive)
{
	EXPECT_EQ(Size("2G"), 2 * kGiB);
	EXPECT_EQ(Size("2g"), 2 * kGiB);
	EXPECT_EQ(Size("2GiB"), 2 * kGiB);
	EXPECT_EQ(Size("2GB"), 2 * kGiB);
	EXPECT_EQ(Size("256M"), 256 * kMiB);
	EXPECT_EQ(Size("256MiB"), 256 * kMiB);
	EXPECT_EQ(Size("16384K"), 16 * kMiB);
	EXPECT_EQ(Size("16388KiB"), 16388 * 1024u);
	EXPECT_EQ(Size("16777216B"), 16 * kMiB);
	EXPECT_EQ(Size("64G"), 64 * kGiB);
}

TEST(CliSize, RejectsGarbage)
{
	EXPECT_NE(SizeError("").find("expected a size"), std::string::npos);
	EXPECT_NE(SizeError("abc").find("expected a size"), std::string::npos);
	EXPECT_NE(SizeError("-512").find("expected a size"), std::string::npos);
	EXPECT_NE(SizeError(" 512").find("expected a size"), std::string::npos);
	EXPECT_NE(SizeError("1.5G").find("unknown size suffix '.5G'"), std::string::npos);
	EXPECT_NE(SizeError("512X").find("unknown size suffix 'X'"), std::string::npos);
	EXPECT_NE(SizeError("512 M").find("unknown size suffix"), std::string::npos);
	EXPECT_NE(SizeError("1Gx").find("unknown size suffix"), std::string::npos);
}

TEST(CliSize, RejectsOutOfRange)
{
	EXPECT_NE(SizeError("0").find("too small; at least 16 MiB"), std::string::npos);
	EXPECT_NE(SizeError("15").find("too small"), std::string::npos);
	EXPECT_NE(SizeError("65G").find("too large; at most 64 GiB"), std::string::npos);
	EXPECT_NE(SizeError("1T").find("too large"), std::string::npos);
}

TEST(CliSize, RejectsOverflowInsteadOfWrapping)
{
	// 2^54 MiB = 2^74 bytes would wrap to 0 without the check.
	EXPECT_NE(SizeError("18014398509481984").find("too large"), std::string::npos);
	EXPECT_NE(SizeError("99999999999999999999999999").find("too large"), std::string::npos);
	EXPECT_NE(SizeError("17179869184T").find("too large"), std::string::npos);
}

TEST(CliSize, RejectsSizeThatIsNotWholePages)
{
	EXPECT_NE(SizeError("16777217B").find("multiple of 4 KiB"), std::string::npos);
	EXPECT_NE(SizeError("16386K").find("multiple of 4 KiB"), std::string::npos);
}

// ---- instruction counts ----

TEST(CliCount, AcceptsPlainAndDecimalSuffixes)
{
	EXPECT_EQ(Count("1"), 1u);
	EXPECT_EQ(Count("1000000"), 1000000u);
	EXPECT_EQ(Count("5k"), 5000u);
	EXPECT_EQ(Count("50M"), 50000000u);
	EXPECT_EQ(Count("2G"), 2000000000u);
	EXPECT_EQ(Count("3T"), 3000000000000u);
	EXPECT_EQ(Count("18446744073709551615"), UINT64_MAX);
}

TEST(CliCount, RejectsZeroGarbageAndOverflow)
{
	for (const char *bad : { "0", "0K", "", "x", "-5", "+5", "5 M", "5Mi", "1e6",
				 "18446744073709551616", "18446744073709552K" })
		EXPECT_TRUE(CountRejected(bad)) << bad;
}

TEST(CliHelp, RunHelpDocumentsOptionsAndExitStatuses)
{
	char *buf = nullptr;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ASSERT_NE(f, nullptr);
	cli_print_run_help(f);
	fclose(f);
	std::string text(buf, len);
	free(buf);
	for (const char *s : { "--kernel", "--initrd", "--append", "--bios", "--memory", "--harts",
			       "--max-instructions", "--print-digest", "Ctrl-A x", "Exit status",
			       "3  --max-instructions reached" })
		EXPECT_NE(text.find(s), std::string::npos) << s;
}

} // namespace
