// SPDX-License-Identifier: MIT
/*
 * Tests of virtio placement (machine_virtio_place in hv/platform/machine.c, and
 * the slot= values it reads): devices that name a slot get it, the others
 * fill the highest free slots in QEMU's order (drives, network, entropy),
 * a machine is wired as the placement says (DeviceID at each slot's
 * address), a legacy disk's record restores only where the placement is
 * the same, and bad placements are refused with one sentence.
 */
#include <gtest/gtest.h>

#include <unistd.h>

#include <string>
#include <vector>

#include "tests/unit/testutil.h"

extern "C" {
#include "hv/devstate.h"
#include "hv/dev/backend/net_slirp.h"
#include "hv/dev/virtio/virtio.h"
}

using namespace tu;

namespace {

constexpr int E = MACHINE_SLOT_EMPTY, NET = MACHINE_SLOT_NET, RNG = MACHINE_SLOT_RNG;

struct Slots {
	std::vector<struct machine_drive> drives;
	struct net_opts net;
	struct machine_config cfg;

	/* Drive i asks for slot pins[i] (-1: any). */
	Slots(std::vector<int> pins, bool rng, int net_pin = -2)
	{
		std::memset(&cfg, 0, sizeof(cfg));
		net_opts_init(&net);
		for (int pin : pins) {
			struct machine_drive d = { "img", true, pin >= 0,
						   pin >= 0 ? (unsigned)pin : 0 };
			drives.push_back(d);
		}
		if (net_pin != -2) {
			net.mode = NET_USER;
			net.has_slot = net_pin >= 0;
			net.slot = net_pin >= 0 ? (unsigned)net_pin : 0;
		}
		cfg.drives = drives.data();
		cfg.ndrives = (unsigned)drives.size();
		cfg.net = &net;
		cfg.rng = rng;
	}
	std::vector<int> place(std::string *err_out = nullptr)
	{
		int p[HV_VIRTIO_SLOTS];
		struct hv_err err = {};
		int rc = machine_virtio_place(&cfg, p, &err);
		if (err_out)
			*err_out = err.msg;
		if (rc != 0)
			return {};
		return std::vector<int>(p, p + HV_VIRTIO_SLOTS);
	}
};

TEST(VirtioSlots, UnplacedDevicesFillFromTheHighestSlotDown)
{
	/* As QEMU's virt: the first -device without bus= lands on
	 * virtio-mmio-bus.7; drives, then the network, then entropy. */
	EXPECT_EQ(Slots({ -1, -1 }, true, -1).place(),
		  (std::vector<int>{ E, E, E, E, RNG, NET, 1, 0 }));
	EXPECT_EQ(Slots({}, true).place(), (std::vector<int>{ E, E, E, E, E, E, E, RNG }));
	EXPECT_EQ(Slots({}, false).place(), (std::vector<int>{ E, E, E, E, E, E, E, E }));
}

TEST(VirtioSlots, PlacedDevicesTakeTheirSlotsFirst)
{
	/* xv6-riscv's disk in slot 0; the rest fill from the top. */
	EXPECT_EQ(Slots({ 0 }, true, -1).place(), (std::vector<int>{ 0, E, E, E, E, E, RNG, NET }));
	/* A later drive's pin is honoured before an earlier drive is placed. */
	EXPECT_EQ(Slots({ -1, 7, -1 }, true, 6).place(),
		  (std::vector<int>{ E, E, E, RNG, 2, 0, NET, 1 }));
	EXPECT_EQ(Slots({ 3, 0, 5 }, true, 1).place(),
		  (std::vector<int>{ 1, NET, E, 0, E, 2, E, RNG }));
	/* Every slot full. */
	EXPECT_EQ(Slots({ 0, -1, -1, -1, -1, -1 }, true, 7).place(),
		  (std::vector<int>{ 0, RNG, 5, 4, 3, 2, 1, NET }));
}

TEST(VirtioSlots, RefusesClashesRangeAndTooManyDevices)
{
	std::string err;
	EXPECT_TRUE(Slots({ 2, 2 }, true).place(&err).empty());
	EXPECT_NE(err.find("both ask for virtio slot 2"), std::string::npos) << err;
	EXPECT_TRUE(Slots({ 4 }, true, 4).place(&err).empty());
	EXPECT_NE(err.find("drive 'img' and the network both ask for virtio slot 4"),
		  std::string::npos)
		<< err;
	EXPECT_TRUE(Slots({ 8 }, true).place(&err).empty());
	EXPECT_NE(err.find("slot 8; the machine has slots 0 to 7"), std::string::npos) << err;
	EXPECT_TRUE(Slots({}, true, 1000).place(&err).empty());
	EXPECT_NE(err.find("the network asks for virtio slot 1000"), std::string::npos) << err;
	EXPECT_TRUE(Slots({ -1, -1, -1, -1, -1, -1, -1 }, true, -1).place(&err).empty());
	EXPECT_NE(err.find("more than the machine's 8 virtio slots"), std::string::npos) << err;
	/* machine_create refuses what the placement refuses. */
	Slots s({ 1, 1 }, false);
	s.cfg.ram_size = 16 * kMiB;
	s.cfg.nharts = 1;
	s.cfg.boot = BOOT_BARE;
	struct hv_err herr = {};
	EXPECT_EQ(machine_create(&s.cfg, &herr), nullptr);
	EXPECT_NE(std::string(herr.msg).find("both ask for virtio slot 1"), std::string::npos)
		<< herr.msg;
}

TEST(VirtioSlots, SlotValuesAreOneDecimalDigitInRange)
{
	unsigned s = 99;
	EXPECT_TRUE(machine_slot_parse("0", 1, &s));
	EXPECT_EQ(s, 0u);
	EXPECT_TRUE(machine_slot_parse("7,x", 1, &s));
	EXPECT_EQ(s, 7u);
	for (const char *bad : { "8", "9", "", "00", "-1", "a", " 1", "10" })
		EXPECT_FALSE(machine_slot_parse(bad, strlen(bad), &s)) << bad;
}

TEST(VirtioSlots, NetOptionTakesASlot)
{
	struct net_opts o;
	struct hv_err err = {};
	net_opts_init(&o);
	ASSERT_EQ(net_parse_opts("user,slot=2,mac=52:54:00:00:00:01", &o, &err), 0) << err.msg;
	EXPECT_TRUE(o.has_slot);
	EXPECT_EQ(o.slot, 2u);
	net_opts_init(&o);
	ASSERT_EQ(net_parse_opts("user", &o, &err), 0) << err.msg;
	EXPECT_FALSE(o.has_slot);
	net_opts_init(&o);
	EXPECT_EQ(net_parse_opts("user,slot=9", &o, &err), -1);
	net_opts_init(&o);
	EXPECT_EQ(net_parse_opts("user,slot=1,slot=1", &o, &err), -1);
	EXPECT_NE(std::string(err.msg).find("slot is given twice"), std::string::npos) << err.msg;
}

/* A machine with one 4 KiB drive asking for slot `pin` (-1: any) and the
 * entropy device. */
class SlotVm {
public:
	explicit SlotVm(int pin) : s_({ pin }, true)
	{
		int fd = mkstemp(path_);
		EXPECT_GE(fd, 0);
		std::vector<uint8_t> zero(4096, 0);
		EXPECT_EQ(write(fd, zero.data(), zero.size()), (ssize_t)zero.size());
		close(fd);
		s_.drives[0].file = path_;
		s_.cfg.ram_size = 16 * kMiB;
		s_.cfg.nharts = 1;
		s_.cfg.boot = BOOT_BARE;
		struct hv_err err = {};
		m = machine_create(&s_.cfg, &err);
		EXPECT_NE(m, nullptr) << err.msg;
	}
	~SlotVm()
	{
		machine_destroy(m);
		unlink(path_);
	}
	uint32_t rd(unsigned slot, uint64_t off)
	{
		uint64_t v = 0;
		EXPECT_TRUE(bus_read(m, HV_VIRTIO_BASE + slot * HV_VIRTIO_STRIDE + off, 4, &v));
		return (uint32_t)v;
	}
	void wr(unsigned slot, uint64_t off, uint32_t v)
	{
		EXPECT_TRUE(bus_write(m, HV_VIRTIO_BASE + slot * HV_VIRTIO_STRIDE + off, 4, v));
	}
	struct hv_dev *dev(unsigned slot)
	{
		for (unsigned i = 0; i < m->ndev; i++)
			if (m->dev[i]->base == HV_VIRTIO_BASE + slot * HV_VIRTIO_STRIDE)
				return m->dev[i];
		return nullptr;
	}

	struct machine *m = nullptr;

private:
	char path_[32] = "/tmp/virtio_slots_XXXXXX";
	Slots s_;
};

/* The machine puts each device where the placement says: a drive pinned
 * to slot 0 answers DeviceID 2 at 0x10001000, the entropy device takes
 * slot 7, the rest are empty. */
TEST(VirtioSlots, MachineWiresThePlacement)
{
	SlotVm vm(0);
	ASSERT_NE(vm.m, nullptr);
	const uint32_t want[HV_VIRTIO_SLOTS] = { VIRTIO_ID_BLOCK,  0, 0, 0, 0, 0, 0,
						 VIRTIO_ID_ENTROPY };
	for (unsigned i = 0; i < HV_VIRTIO_SLOTS; i++)
		EXPECT_EQ(vm.rd(i, VIRTIO_MMIO_DEVICE_ID), want[i]) << "slot " << i;
	EXPECT_NE(vm.m->disk[0], nullptr);
}

/* A legacy driver's disk in slot 0 (xv6-riscv's bring-up: low feature
 * bits only, FEATURES_OK, DRIVER_OK): its record restores into a machine
 * of the same placement, still legacy, and is refused where the slot
 * holds another device. */
TEST(VirtioSlots, LegacyDiskInSlotZeroRestoresOnlyIntoTheSamePlacement)
{
	SlotVm a(0), same(0), other(-1);
	ASSERT_TRUE(a.m && same.m && other.m);
	a.wr(0, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	a.wr(0, VIRTIO_MMIO_DRIVER_FEATURES, a.rd(0, VIRTIO_MMIO_DEVICE_FEATURES));
	a.wr(0, VIRTIO_MMIO_STATUS,
	     VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		     VIRTIO_STATUS_DRIVER_OK);
	ASSERT_EQ(a.rd(0, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0u);
	ASSERT_TRUE(virtio_dev_legacy(a.m->virtio[0]));

	struct devstate_w w;
	devstate_w_init(&w);
	struct hv_dev *d = a.dev(0);
	d->ops->save(d->opaque, &w);
	struct devstate_r r;
	devstate_r_init(&r, w.buf, w.len);
	struct hv_dev *to = same.dev(0);
	EXPECT_EQ(to->ops->restore(to->opaque, &r), 0) << r.msg;
	EXPECT_TRUE(virtio_dev_legacy(same.m->virtio[0]));
	EXPECT_EQ(same.rd(0, VIRTIO_MMIO_STATUS), a.rd(0, VIRTIO_MMIO_STATUS));

	/* Without slot= the drive is in slot 7; slot 0 is empty. */
	devstate_r_init(&r, w.buf, w.len);
	to = other.dev(0);
	EXPECT_NE(to->ops->restore(to->opaque, &r), 0);
	EXPECT_NE(std::string(r.msg).find("state of another device"), std::string::npos) << r.msg;
	devstate_w_free(&w);
}

} // namespace
