// SPDX-License-Identifier: MIT
/*
 * lab5 driver (starter, with its bug): the configuration path of a small
 * network driver, as a paravirtual guest for `retrovisor loop` (README.md).
 *
 * A device hands the driver a configuration frame (here through the
 * paravirtual GET_INPUT request, <retrovisor/pv.h>, standing in for a
 * DMA buffer). The frame, little-endian:
 *
 *   offset 0  'R' 'V'          magic
 *          2  1                version
 *          3  n                number of records
 *          4  n records: type (1 byte), len (1 byte), len bytes of value
 *
 *   type 1  NAME  1..NCFG_NAME_WIRE bytes, the interface's name
 *   type 2  MTU   2 bytes, 68..9000
 *   type 3  MAC   6 bytes, not multicast (bit 0 of byte 0 clear)
 *
 * Records are applied in order, as they are read: a record that runs
 * past the frame, an unknown type, a bad length or value ends the parse
 * there, and the records before it stay applied (the device has been
 * programmed with them). Then the driver brings the link up through its
 * state's link_up callback.
 *
 *   boot -> SNAPSHOT(0) -> [every iteration starts here]
 *        -> GET_INPUT(frame) -> parse -> link_up -> END_ITERATION(0)
 *
 * A trap in the driver is a crash: the runtime's trap handler prints it
 * and powers the machine off with status 1 (`end shutdown status 1` in the
 * loop's line), as a kernel oops would take the machine down.
 */
#include "pvrt.h"

#define NCFG_MAX_FRAME 256
#define NCFG_NAME_WIRE 24 /* longest name the protocol allows */
#define NCFG_T_NAME 1
#define NCFG_T_MTU 2
#define NCFG_T_MAC 3

const char pv_guest_name[] = "lab5";

struct ncfg_dev {
	char name[16];
	void (*link_up)(struct ncfg_dev *dev);
	unsigned mtu;
	unsigned char mac[6];
	unsigned links;
};

static unsigned char ncfg_frame[NCFG_MAX_FRAME];
static struct ncfg_dev ncfg_dev;

static void ncfg_link_up(struct ncfg_dev *dev)
{
	dev->links++;
}

static void ncfg_defaults(struct ncfg_dev *dev)
{
	static const char def[] = "eth0";

	for (unsigned i = 0; i < sizeof(dev->name); i++)
		dev->name[i] = i < sizeof(def) ? def[i] : 0;
	dev->link_up = ncfg_link_up;
	dev->mtu = 1500;
	for (unsigned i = 0; i < sizeof(dev->mac); i++)
		dev->mac[i] = (unsigned char)(0x02 + i);
}

/* Apply one record; 0, or -1 to reject the frame. */
static int ncfg_record(struct ncfg_dev *dev, unsigned type, const unsigned char *v, unsigned len)
{
	switch (type) {
	case NCFG_T_NAME:
		if (len == 0 || len > NCFG_NAME_WIRE)
			return -1;
		for (unsigned i = 0; i < len; i++)
			dev->name[i] = (char)v[i];
		if (len < sizeof(dev->name))
			dev->name[len] = 0;
		return 0;
	case NCFG_T_MTU: {
		if (len != 2)
			return -1;
		unsigned mtu = (unsigned)v[0] | (unsigned)v[1] << 8;
		if (mtu < 68 || mtu > 9000)
			return -1;
		dev->mtu = mtu;
		return 0;
	}
	case NCFG_T_MAC:
		if (len != 6 || (v[0] & 1))
			return -1;
		for (unsigned i = 0; i < 6; i++)
			dev->mac[i] = v[i];
		return 0;
	default:
		return -1;
	}
}

/* Parse a frame of n bytes into dev; 0, or -1 at the first bad record
 * (the records before it stay applied). */
static int ncfg_parse(struct ncfg_dev *dev, const unsigned char *f, unsigned long n)
{
	unsigned long off = 4;

	if (n < 4 || n > NCFG_MAX_FRAME || f[0] != 'R' || f[1] != 'V' || f[2] != 1)
		return -1;
	for (unsigned r = 0; r < f[3]; r++) {
		if (off + 2 > n || off + 2 + f[off + 1] > n)
			return -1;
		if (ncfg_record(dev, f[off], &f[off + 2], f[off + 1]) != 0)
			return -1;
		off += 2 + f[off + 1];
	}
	return off == n ? 0 : -1;
}

void guest_main(unsigned long dtb)
{
	struct sbiret r;

	(void)dtb;
	ncfg_defaults(&ncfg_dev);
	sbi_call(RV_PV_EXT, RV_PV_SNAPSHOT, 0, 0, 0, 0, 0);
	/* Every iteration starts here. */
	r = sbi_call(RV_PV_EXT, RV_PV_GET_INPUT, (unsigned long)ncfg_frame, sizeof(ncfg_frame), 0,
		     0, 0);
	if (r.error == SBI_SUCCESS && ncfg_parse(&ncfg_dev, ncfg_frame, (unsigned long)r.value))
		pv_printf("lab5: frame rejected\n");
	ncfg_dev.link_up(&ncfg_dev);
	char name[sizeof(ncfg_dev.name) + 1] = { 0 };
	for (unsigned i = 0; i < sizeof(ncfg_dev.name); i++)
		name[i] = ncfg_dev.name[i];
	pv_printf("lab5: %s mtu %d up %d\n", name, ncfg_dev.mtu, ncfg_dev.links);
	sbi_call(RV_PV_EXT, RV_PV_END_ITERATION, 0, 0, 0, 0, 0);
	/* Outside a reset loop END_ITERATION returns: one frame, then off. */
}
