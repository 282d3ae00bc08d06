// SPDX-License-Identifier: MIT
//
// Tests for the QEMU command line (cli/qemu.c, cli/qemu_devs.c): every
// accepted option becomes the `retrovisor run` options it should, those
// options parse (cli_parse) into the machine QEMU's line describes, and
// every refusal is one sentence naming the option.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern "C" {
#include "cli/options.h"
#include "cli/qemu.h"
}

namespace {

using Args = std::vector<std::string>;

struct Translated {
	int rc;
	enum cli_qemu_what what;
	Args run;  // the options after "retrovisor run", less "--rng none"
	Args full; // all of them
	std::string err;
};

Translated Translate(Args args)
{
	args.insert(args.begin(), "qemu-system-riscv64");
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(&a[0]);
	argv.push_back(nullptr);
	struct cli_qemu q;
	struct hv_err err = {};
	Translated t{};
	t.rc = cli_qemu_translate((int)args.size(), argv.data(), &q, &err);
	t.what = q.what;
	t.err = err.msg;
	if (t.rc == 0 && q.what == CLI_QEMU_RUN) {
		EXPECT_STREQ(q.argv[0], "retrovisor");
		EXPECT_STREQ(q.argv[1], "run");
		EXPECT_EQ(q.argv[q.argc], nullptr);
		for (int i = 2; i < q.argc; i++)
			t.run.push_back(q.argv[i]);
		t.full = t.run;
		// Every translation leaves the entropy device out, as QEMU's
		// virt has none unless asked; the expectations below omit it.
		auto rng = std::find(t.run.begin(), t.run.end(), std::string("--rng"));
		EXPECT_TRUE(rng != t.run.end() && rng + 1 != t.run.end() && rng[1] == "none");
		if (rng != t.run.end() && rng + 1 != t.run.end())
			t.run.erase(rng, rng + 2);
	}
	cli_qemu_free(&q);
	return t;
}

// The translation of a line that must be accepted.
Args Translation(const Args &args)
{
	Translated t = Translate(args);
	EXPECT_EQ(t.rc, 0) << t.err;
	EXPECT_EQ(t.what, CLI_QEMU_RUN);
	return t.run;
}

// The machine `retrovisor run` makes of a translation: cli_parse's view.
struct Parsed {
	int rc;
	struct cli_opts o;
	std::string err;
	std::shared_ptr<Args> store; // cli_opts points into it
};

Parsed Parse(const Args &qemu_args)
{
	Parsed p{};
	Translated t = Translate(qemu_args);
	EXPECT_EQ(t.rc, 0) << t.err;
	p.store = std::make_shared<Args>(t.full);
	p.store->insert(p.store->begin(), { "retrovisor", "run" });
	std::vector<char *> argv;
	for (auto &a : *p.store)
		argv.push_back(&a[0]);
	argv.push_back(nullptr);
	struct hv_err err = {};
	p.rc = cli_parse((int)p.store->size(), argv.data(), &p.o, &err);
	p.err = err.msg;
	return p;
}

void ExpectRefused(const Args &args, const std::string &what)
{
	Translated t = Translate(args);
	EXPECT_EQ(t.rc, -1) << "accepted: " << ::testing::PrintToString(args);
	EXPECT_NE(t.err.find(what), std::string::npos) << t.err;
	EXPECT_EQ(t.err.find('\n'), std::string::npos) << t.err;
	EXPECT_TRUE(t.run.empty());
}

// A line with -machine virt and a kernel, plus args.
Args Line(const Args &args)
{
	Args a = { "-machine", "virt", "-kernel", "k" };
	a.insert(a.end(), args.begin(), args.end());
	return a;
}

// ---- handouts ----

TEST(CliQemu, Xv6MakefileLine)
{
	EXPECT_EQ(Translation({ "-machine", "virt", "-bios", "none", "-kernel", "kernel/kernel",
				"-m", "128M", "-smp", "3", "-nographic", "-global",
				"virtio-mmio.force-legacy=false", "-drive",
				"file=fs.img,if=none,format=raw,id=x0", "-device",
				"virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0" }),
		  (Args{ "--kernel", "kernel/kernel", "--memory", "128M", "--harts", "3", "--bios",
			 "none", "--drive", "file=fs.img,snapshot=off,slot=0" }));
	Parsed p = Parse({ "-machine", "virt", "-bios", "none", "-kernel", "kernel/kernel", "-m",
			   "128M", "-smp", "3", "-nographic", "-global",
			   "virtio-mmio.force-legacy=false", "-drive",
			   "file=fs.img,if=none,format=raw,id=x0", "-device",
			   "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0" });
	ASSERT_EQ(p.rc, 0) << p.err;
	EXPECT_STREQ(p.o.bios, "none");
	EXPECT_EQ(p.o.memory, 128ull << 20);
	EXPECT_EQ(p.o.harts, 3u);
	ASSERT_EQ(p.o.ndrives, 1u);
	EXPECT_STREQ(p.o.drive[0].file, "fs.img");
	EXPECT_FALSE(p.o.drive[0].snapshot); // QEMU writes through
	EXPECT_TRUE(p.o.drive[0].has_slot);
	EXPECT_EQ(p.o.drive[0].slot, 0u); // virtio-mmio-bus.0, 0x10001000
	EXPECT_TRUE(p.o.rng_off);         // QEMU's virt has no entropy device unless asked
}

TEST(CliQemu, LinuxHandoutLineParsesIntoTheMachine)
{
	Parsed p = Parse({ "-machine", "virt", "-m", "512M", "-smp", "2", "-nographic", "-kernel",
			   "Image", "-initrd", "rd.cpio", "-append", "console=ttyS0 quiet",
			   "-netdev", "user,id=n0,hostfwd=tcp::2222-:22", "-device",
			   "virtio-net-device,netdev=n0" });
	ASSERT_EQ(p.rc, 0) << p.err;
	EXPECT_STREQ(p.o.kernel, "Image");
	EXPECT_STREQ(p.o.initrd, "rd.cpio");
	EXPECT_STREQ(p.o.append, "console=ttyS0 quiet");
	EXPECT_EQ(p.o.bios, nullptr); // Retrovisor's own SBI for QEMU's default
	EXPECT_EQ(p.o.memory, 512ull << 20);
	EXPECT_EQ(p.o.harts, 2u);
	ASSERT_EQ(p.o.net.mode, NET_USER);
	ASSERT_EQ(p.o.net.nhostfwd, 1u);
	// An empty host address is loopback, not QEMU's every interface.
	EXPECT_EQ(p.o.net.hostfwd[0].host_addr, NET_SLIRP_LOOPBACK);
	EXPECT_EQ(p.o.net.hostfwd[0].host_port, 2222);
	EXPECT_EQ(p.o.net.hostfwd[0].guest_port, 22);
	EXPECT_EQ(p.o.ndrives, 0u);
	EXPECT_EQ(p.o.gdb, nullptr);
}

// ---- each option ----

TEST(CliQemu, DoubleDashSpellingsAndMachineAliases)
{
	Args want = { "--kernel", "k", "--append", "a b" };
	EXPECT_EQ(Translation({ "--machine", "virt", "--kernel", "k", "--append", "a b" }), want);
	EXPECT_EQ(Translation({ "-M", "virt", "-kernel", "k", "-append", "a b" }), want);
	EXPECT_EQ(Translation({ "--M", "virt", "--kernel", "k", "--append", "a b" }), want);
}

TEST(CliQemu, BiosModes)
{
	EXPECT_EQ(Translation(Line({ "-bios", "none" })),
		  (Args{ "--kernel", "k", "--bios", "none" }));
	EXPECT_EQ(Translation(Line({ "-bios", "fw.bin" })),
		  (Args{ "--kernel", "k", "--bios", "fw.bin" }));
	EXPECT_EQ(Translation(Line({ "-bios", "default" })), (Args{ "--kernel", "k" }));
	EXPECT_EQ(Translation(Line({})), (Args{ "--kernel", "k" }));
}

TEST(CliQemu, MemoryAndSmpWithTheirImpliedKeys)
{
	EXPECT_EQ(Translation(Line({ "-m", "size=256", "-smp", "cpus=4" })),
		  (Args{ "--kernel", "k", "--memory", "256", "--harts", "4" }));
	Parsed p = Parse(Line({ "-m", "2G", "-smp", "8" }));
	ASSERT_EQ(p.rc, 0) << p.err;
	EXPECT_EQ(p.o.memory, 2ull << 30);
	EXPECT_EQ(p.o.harts, 8u);
	p = Parse(Line({ "-m", "256" })); // a bare number is MiB on both
	EXPECT_EQ(p.o.memory, 256ull << 20);
}

TEST(CliQemu, ConsoleOptionsNeedNothing)
{
	EXPECT_EQ(Translation(Line({ "-nographic", "-serial", "mon:stdio", "-display", "none",
				     "-global", "virtio-mmio.force-legacy=false" })),
		  (Args{ "--kernel", "k" }));
	EXPECT_EQ(Translation(
			  Line({ "-serial", "stdio", "-global", "virtio-mmio.force-legacy=off" })),
		  (Args{ "--kernel", "k" }));
}

TEST(CliQemu, DrivesWriteThroughUnlessSnapshot)
{
	Args dev = { "-device", "virtio-blk-device,drive=a" };
	Args a = Line({ "-drive", "file=a.img,if=none,id=a" });
	a.insert(a.end(), dev.begin(), dev.end());
	EXPECT_EQ(Translation(a), (Args{ "--kernel", "k", "--drive", "file=a.img,snapshot=off" }));
	Args s = a;
	s.push_back("-snapshot");
	EXPECT_EQ(Translation(s), (Args{ "--kernel", "k", "--drive", "file=a.img,snapshot=on" }));
	EXPECT_EQ(Translation(Line({ "-drive", "file=a.img,if=none,id=a,snapshot=on,media=disk",
				     "-device", "virtio-blk-device,drive=a,id=disk0" })),
		  (Args{ "--kernel", "k", "--drive", "file=a.img,snapshot=on" }));
	EXPECT_EQ(Translation(Line({ "-snapshot", "-drive", "file=a.img,if=none,id=a,snapshot=off",
				     "-device", "virtio-blk-device,drive=a" })),
		  (Args{ "--kernel", "k", "--drive", "file=a.img,snapshot=off" }));

	Parsed p = Parse(a);
	ASSERT_EQ(p.rc, 0) << p.err;
	ASSERT_EQ(p.o.ndrives, 1u);
	EXPECT_STREQ(p.o.drive[0].file, "a.img");
	EXPECT_FALSE(p.o.drive[0].snapshot);
}

TEST(CliQemu, DevicesInTheirOrderWhereverTheirBackEndsAre)
{
	EXPECT_EQ(Translation(Line({ "-device", "virtio-blk-device,drive=b,bus=virtio-mmio-bus.7",
				     "-device", "virtio-blk-device,drive=a", "-drive",
				     "file=a.img,if=none,format=raw,id=a", "-drive",
				     "file=b.img,if=none,format=raw,id=b", "-drive",
				     "file=unused.img,if=none,id=c" })),
		  (Args{ "--kernel", "k", "--drive", "file=b.img,snapshot=off,slot=7", "--drive",
			 "file=a.img,snapshot=off" }));
}

TEST(CliQemu, NetworkDevice)
{
	EXPECT_EQ(
		Translation(Line(
			{ "-netdev", "user,id=n0", "-device",
			  "virtio-net-device,netdev=n0,bus=virtio-mmio-bus.1,mac=52:54:00:12:34:57" })),
		(Args{ "--kernel", "k", "--net", "user,mac=52:54:00:12:34:57,slot=1" }));
	EXPECT_EQ(Translation(Line({ "-netdev",
				     "user,id=n0,hostfwd=tcp::2222-:22,hostfwd=udp:0.0.0.0:53-:53",
				     "-device", "virtio-net-device,netdev=n0" })),
		  (Args{ "--kernel", "k", "--net",
			 "user,hostfwd=tcp::2222-:22,hostfwd=udp:0.0.0.0:53-:53" }));
	Parsed p = Parse(Line({ "-netdev", "user,id=n0", "-device",
				"virtio-net-device,netdev=n0,bus=virtio-mmio-bus.2" }));
	ASSERT_EQ(p.rc, 0) << p.err;
	EXPECT_EQ(p.o.net.mode, NET_USER);
	EXPECT_TRUE(p.o.net.has_slot);
	EXPECT_EQ(p.o.net.slot, 2u);
	// A back end no device uses makes no device, as on QEMU.
	EXPECT_EQ(Translation(Line({ "-netdev", "user,id=n0" })), (Args{ "--kernel", "k" }));
}

TEST(CliQemu, GdbStub)
{
	EXPECT_EQ(Translation(Line({ "-s" })), (Args{ "--kernel", "k", "--gdb", "tcp::1234" }));
	EXPECT_EQ(Translation(Line({ "-s", "-S" })),
		  (Args{ "--kernel", "k", "--gdb", "tcp::1234", "--paused" }));
	EXPECT_EQ(Translation(Line({ "-S", "-gdb", "tcp::5678,server,nowait" })),
		  (Args{ "--kernel", "k", "--gdb", "tcp::5678", "--paused" }));
	EXPECT_EQ(Translation(Line({ "-gdb", "tcp:127.0.0.1:1,server=on,wait=off,nodelay=on" })),
		  (Args{ "--kernel", "k", "--gdb", "tcp:127.0.0.1:1" }));
	EXPECT_EQ(Translation(Line({ "-gdb", "tcp:localhost:1" })),
		  (Args{ "--kernel", "k", "--gdb", "tcp:localhost:1" }));
	EXPECT_EQ(Translation(Line({ "-gdb", "tcp:[::1]:1" })),
		  (Args{ "--kernel", "k", "--gdb", "tcp:[::1]:1" }));
	EXPECT_EQ(Translation(Line({ "-gdb", "unix:/tmp/g.sock,server=on,wait=off" })),
		  (Args{ "--kernel", "k", "--gdb", "unix:/tmp/g.sock" }));
	EXPECT_EQ(Translation(Line({ "-gdb", "none" })), (Args{ "--kernel", "k" }));
	Parsed p = Parse(Line({ "-s", "-S" }));
	ASSERT_EQ(p.rc, 0) << p.err;
	EXPECT_STREQ(p.o.gdb, "tcp::1234");
	EXPECT_TRUE(p.o.paused);
	EXPECT_FALSE(p.o.gdb_allow_remote);
}

TEST(CliQemu, NoReboot)
{
	Parsed p = Parse(Line({ "-no-reboot" }));
	ASSERT_EQ(p.rc, 0) << p.err;
	EXPECT_TRUE(p.o.reboot_exit);
}

// TCG, QEMU's translator, is what Retrovisor's engine stands for: accepted,
// adding nothing (the engine is the environment's or the default).
TEST(CliQemu, AccelTcgIsAcceptedAndAddsNothing)
{
	EXPECT_EQ(Translation(Line({ "-accel", "tcg" })), (Args{ "--kernel", "k" }));
	EXPECT_EQ(Translation(Line({ "--accel", "tcg" })), (Args{ "--kernel", "k" }));
	ExpectRefused(Line({ "-accel", "kvm" }), "only '-accel tcg' is accepted, not '-accel kvm'");
	ExpectRefused(Line({ "-accel", "tcg,thread=multi" }), "not '-accel tcg,thread=multi'");
	ExpectRefused(Line({ "-accel", "tcg", "-accel", "tcg" }), "-accel given twice");
}

TEST(CliQemu, HelpAndVersionWhereverTheyAre)
{
	for (const char *h : { "-help", "--help", "-h" }) {
		Translated t = Translate({ "-cpu", "x", h });
		EXPECT_EQ(t.rc, -1) << "an option before it is still refused: " << h;
		t = Translate({ "-M", "virt", h, "-cpu", "x" });
		EXPECT_EQ(t.rc, 0) << h << ": " << t.err;
		EXPECT_EQ(t.what, CLI_QEMU_HELP);
	}
	Translated t = Translate({ "-version" });
	EXPECT_EQ(t.rc, 0);
	EXPECT_EQ(t.what, CLI_QEMU_VERSION);
}

// ---- refusals ----

TEST(CliQemu, RefusesOtherMachinesAndMissingPieces)
{
	ExpectRefused({ "-kernel", "k" }, "QEMU's default RISC-V machine is spike");
	ExpectRefused({ "-machine", "sifive_u", "-kernel", "k" }, "only QEMU's virt machine");
	ExpectRefused({ "-machine", "virt,aia=aplic", "-kernel", "k" }, "property 'aia'");
	ExpectRefused({ "-machine", "type=virt", "-kernel", "k" }, "machine type first");
	ExpectRefused({ "-machine", "virt" }, "no -kernel given");
	ExpectRefused({ "-machine", "virt", "-append", "x" }, "-append needs -kernel");
	ExpectRefused({ "-machine", "virt", "-initrd", "x" }, "-initrd needs -kernel");
}

TEST(CliQemu, RefusesTheShapeOfTheLine)
{
	ExpectRefused(Line({ "-m=512M" }), "write '-m 512M'");
	ExpectRefused(Line({ "--smp=2" }), "write '-smp 2'");
	ExpectRefused(Line({ "disk.img" }), "unexpected argument 'disk.img'");
	ExpectRefused(Line({ "-" }), "unexpected argument '-'");
	ExpectRefused(Line({ "-frobnicate" }), "QEMU option '-frobnicate' is not offered");
	ExpectRefused(Line({ "-append" }), "-append needs a value");
	ExpectRefused(Line({ "-kernel", "k2" }), "-kernel given twice");
	ExpectRefused({ "-M", "virt", "-machine", "virt", "-kernel", "k" }, "given twice");
	ExpectRefused({ "-M", "virt", "-kernel", "" }, "-kernel needs a file name");
	ExpectRefused(Line({ "-initrd", "" }), "-initrd needs a file name");
	ExpectRefused(Line({ "-bios", "" }), "-bios needs a file name");
	ExpectRefused(Line({ "-nographic", "-nographic" }), "-nographic given twice");
	// A value with a line break is quoted on one line.
	ExpectRefused(Line({ "-smp", "2\nx" }), "-smp '2?x'");
}

TEST(CliQemu, RefusesOptionsWithAHint)
{
	const std::vector<std::pair<std::string, std::string>> cases = {
		{ "-hda", "-drive file=IMG" },
		{ "-nic", "-netdev user" },
		{ "-net", "-netdev user" },
		{ "-cpu", "leave -cpu out" },
		{ "-accel", "in software" },
		{ "-enable-kvm", "in software" },
		{ "-icount", "instruction count" },
		{ "-object", "--rng-seed" },
		{ "-monitor", "Ctrl-A x" },
		{ "-qmp", "Ctrl-A x" },
		{ "-d", "--plugin" },
		{ "-D", "--plugin" },
		{ "-dtb", "device tree" },
		{ "-rtc", "--rtc" },
		{ "-loadvm", "--restore" },
	};
	for (const auto &c : cases) {
		ExpectRefused(Line({ c.first, "x" }),
			      "QEMU option '" + c.first + "' is not offered: ");
		ExpectRefused(Line({ c.first, "x" }), c.second);
	}
}

TEST(CliQemu, RefusesBadValues)
{
	ExpectRefused(Line({ "-m", "12X" }), "-m '12X': unknown size suffix");
	ExpectRefused(Line({ "-m", "8M" }), "-m '8M': too small");
	ExpectRefused(Line({ "-m", "512M,slots=2,maxmem=1G" }), "'slots' is not offered");
	ExpectRefused(Line({ "-m", "" }), "-m needs a value");
	ExpectRefused(Line({ "-m", std::string(64, '0') + "512M" }), "the value is too long");
	ExpectRefused(Line({ "-smp", "99" }), "-smp '99': expected a number of harts");
	ExpectRefused(Line({ "-smp", "4,sockets=2" }), "'sockets' is not offered");
	ExpectRefused(Line({ "-smp", "2,4" }), "'4' is not offered");
	ExpectRefused(Line({ "-serial", "file:out.txt" }), "-serial 'file:out.txt'");
	ExpectRefused(Line({ "-display", "gtk" }), "-display 'gtk'");
	ExpectRefused(Line({ "-global", "virtio-mmio.force-legacy=true" }),
		      "version 2 (virtio 1.x) only");
	ExpectRefused(Line({ "-global", "virtio-mmio.force-legacy=on" }), "version 2");
	ExpectRefused(Line({ "-global", "driver=virtio-mmio" }), "-global 'driver=virtio-mmio'");
}

TEST(CliQemu, RefusesBadDrives)
{
	const std::vector<std::pair<std::string, std::string>> cases = {
		{ "file=x,if=virtio,id=d", "only if=none" },
		{ "file=x,id=d", "only if=none" },
		{ "file=x,if=none,id=d,format=qcow2", "format=qcow2 is not offered" },
		{ "if=none,id=d", "missing file=IMG" },
		{ "file=,if=none,id=d", "missing file=IMG" },
		{ "file=x,if=none", "missing id=ID" },
		{ "file=x,if=none,id=d,cache=none", "'cache' is not offered" },
		{ "file=x,if=none,id=d,readonly", "'readonly' is not offered" },
		{ "file=x,if=none,id=d,id=e", "id= is given twice" },
		{ "file=x,if=none,id=d,snapshot=maybe", "snapshot= must be on or off" },
		{ "file=x,if=none,id=d,media=cdrom", "only media=disk" },
		{ "file=a,,b,if=none,id=d", "',,'" },
	};
	for (const auto &c : cases)
		ExpectRefused(Line({ "-drive", c.first }), c.second);
	ExpectRefused(Line({ "-drive", "file=a,if=none,id=d", "-drive", "file=b,if=none,id=d" }),
		      "another -drive has id=d");
	Args nine = Line({});
	for (int i = 0; i < 9; i++) {
		nine.push_back("-drive");
		nine.push_back("file=x,if=none,id=d" + std::to_string(i));
	}
	ExpectRefused(nine, "more than 8 -drive options");
}

TEST(CliQemu, RefusesBadDevices)
{
	Args d = Line({ "-drive", "file=a,if=none,id=a", "-drive", "file=b,if=none,id=b" });
	auto with = [&](const Args &more) {
		Args a = d;
		a.insert(a.end(), more.begin(), more.end());
		return a;
	};
	ExpectRefused(with({ "-device", "virtio-blk-device" }), "missing drive=ID");
	ExpectRefused(with({ "-device", "virtio-blk-device,drive=c" }), "no -drive has that id");
	ExpectRefused(with({ "-device", "drive=a" }), "device type first");
	ExpectRefused(with({ "-device", "virtio-blk-pci,drive=a" }), "no PCI");
	ExpectRefused(with({ "-device", "virtio-rng-device" }), "has no entropy device");
	ExpectRefused(with({ "-device", "e1000" }), "'e1000' is not offered");
	ExpectRefused(with({ "-device", "virtio-blk-device,drive=a,bus=pci.0" }),
		      "bus=pci.0 is not a bus of the virt machine");
	ExpectRefused(with({ "-device", "virtio-blk-device,drive=a,bus=virtio-mmio-bus.8" }),
		      "from 0 to 7");
	ExpectRefused(with({ "-device", "virtio-blk-device,drive=a,serial=x" }),
		      "'serial' is not offered");
	ExpectRefused(with({ "-device", "virtio-blk-device,drive=a,drive=b" }),
		      "drive= is given twice");
	ExpectRefused(with({ "-device", "virtio-blk-device,drive=a,bus=virtio-mmio-bus.0",
			     "-device", "virtio-blk-device,drive=b,bus=virtio-mmio-bus.0" }),
		      "another -device is on virtio-mmio-bus.0");
	ExpectRefused(with({ "-device", "virtio-blk-device,drive=a", "-device",
			     "virtio-blk-device,drive=a" }),
		      "another -device uses that -drive");
	ExpectRefused(with({ "-device", "virtio-blk-device,mac=52:54:00:12:34:56,drive=a" }),
		      "'mac' is not offered");

	Args eight = Line({});
	for (int i = 0; i < 8; i++) {
		std::string id = "d" + std::to_string(i);
		eight.insert(eight.end(), { "-drive", "file=x,if=none,id=" + id, "-device",
					    "virtio-blk-device,drive=" + id });
	}
	ExpectRefused(eight, "more than 7 disks");
	eight.insert(eight.end(), { "-device", "virtio-blk-device,drive=d0" });
	ExpectRefused(eight, "more than 8 -device options");
}

TEST(CliQemu, RefusesBadNetworks)
{
	ExpectRefused(Line({ "-netdev", "tap,id=n0" }), "only user networking");
	ExpectRefused(Line({ "-netdev", "user" }), "missing id=ID");
	ExpectRefused(Line({ "-netdev", "user,id=n0,net=10.0.0.0/8" }), "'net' is not offered");
	ExpectRefused(Line({ "-netdev", "user,id=n0,restrict" }), "'restrict' is not offered");
	ExpectRefused(Line({ "-netdev", "user,id=n0", "-netdev", "user,id=n0" }),
		      "another -netdev has id=n0");
	ExpectRefused(Line({ "-netdev", "user,id=n0,id=n1" }), "id= is given twice");
	ExpectRefused(Line({ "-device", "virtio-net-device,netdev=n9" }), "no -netdev has that id");
	ExpectRefused(Line({ "-device", "virtio-net-device" }), "missing netdev=ID");
	ExpectRefused(Line({ "-netdev", "user,id=n0", "-netdev", "user,id=n1", "-device",
			     "virtio-net-device,netdev=n0", "-device",
			     "virtio-net-device,netdev=n1" }),
		      "one virtio-net-device");
	ExpectRefused(Line({ "-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0",
			     "-device", "virtio-net-device,netdev=n0" }),
		      "another -device uses that -netdev");
	ExpectRefused(Line({ "-netdev", "user,id=n0,hostfwd=tcp::99999-:22", "-device",
			     "virtio-net-device,netdev=n0" }),
		      "-netdev: hostfwd rule 'tcp::99999-:22'");
	ExpectRefused(Line({ "-netdev", "user,id=n0", "-device",
			     "virtio-net-device,netdev=n0,mac=ff:ff:ff:ff:ff:ff" }),
		      "-netdev/-device: mac 'ff:ff:ff:ff:ff:ff'");
	Args five = Line({});
	for (int i = 0; i < 5; i++)
		five.insert(five.end(), { "-netdev", "user,id=n" + std::to_string(i) });
	ExpectRefused(five, "more than 4 -netdev options");
}

TEST(CliQemu, RefusesGdbThatWouldListenBeyondLoopback)
{
	ExpectRefused(Line({ "-gdb", "tcp:0.0.0.0:1234" }), "loopback only");
	ExpectRefused(Line({ "-gdb", "tcp:192.168.1.2:1234" }), "--gdb-allow-remote");
	ExpectRefused(Line({ "-gdb", "tcp:[::]:1234" }), "loopback only");
	ExpectRefused(Line({ "-gdb", "stdio" }), "expected tcp::PORT");
	ExpectRefused(Line({ "-gdb", "tcp::1,wait=on" }), "the setting 'wait=on' is not offered");
	ExpectRefused(Line({ "-gdb", "tcp::1,server=off" }), "'server=off'");
	ExpectRefused(Line({ "-s", "-gdb", "tcp::1" }), "-s and -gdb");
	ExpectRefused(Line({ "-gdb", "tcp::1", "-s" }), "-s and -gdb");
	ExpectRefused(Line({ "-S" }), "-S without -s or -gdb");
	ExpectRefused(Line({ "-S", "-gdb", "none" }), "-S without -s or -gdb");
}

} // namespace
