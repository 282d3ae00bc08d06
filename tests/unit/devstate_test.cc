// SPDX-License-Identifier: MIT
/*
 * Tests of device state save and restore (hv/devstate.c and the save /
 * restore ops of the UART, PLIC, RTC and virtio devices).
 *
 * The reader and writer: round trips of every field width, and every
 * way an input can be short. For each device: drive it into a
 * non-trivial state through the bus as a guest would, save it, restore
 * the record into the same device of a second, fresh machine, and check
 * that the two devices are indistinguishable: the same register values
 * (read in the same order on both, so read side effects apply alike),
 * the same device digest, the same interrupt lines, and the same result
 * of a following identical operation. Restore is fed untrusted bytes, so
 * every prefix of a saved record, records with one bad field, and random
 * bytes must be rejected with -1 and leave the device as it was.
 */
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <string>

#include "tests/unit/virtio_testutil.h"

extern "C" {
#include "hv/devstate.h"
#include "hv/dev/backend/disk.h"
#include "hv/dev/plic.h"
#include "hv/dev/rtc.h"
#include "hv/dev/uart.h"
#include "hv/dev/virtio/virtio_blk.h"
#include "hv/dev/virtio/virtio_net.h"
#include "hv/dev/virtio/virtio_rng.h"
}

namespace {

using Bytes = std::vector<uint8_t>;

/* ---- reader and writer ---- */

TEST(DevstateIo, RoundTripsEveryWidthLittleEndian)
{
	struct devstate_w w;
	devstate_w_init(&w);
	devstate_put_u8(&w, 0xa5);
	devstate_put_u16(&w, 0x1234);
	devstate_put_u32(&w, 0xdeadbeef);
	devstate_put_u64(&w, 0x0102030405060708ull);
	devstate_put_bytes(&w, "xyz", 3);
	devstate_put_u8(&w, 1);
	ASSERT_FALSE(w.error);
	ASSERT_EQ(w.len, 1u + 2 + 4 + 8 + 3 + 1);
	EXPECT_EQ(w.buf[1], 0x34);
	EXPECT_EQ(w.buf[2], 0x12);
	EXPECT_EQ(w.buf[7], 0x08);

	struct devstate_r r;
	devstate_r_init(&r, w.buf, w.len);
	EXPECT_EQ(devstate_get_u8(&r), 0xa5);
	EXPECT_EQ(devstate_get_u16(&r), 0x1234);
	EXPECT_EQ(devstate_get_u32(&r), 0xdeadbeefu);
	EXPECT_EQ(devstate_get_u64(&r), 0x0102030405060708ull);
	char s[3];
	devstate_get_bytes(&r, s, 3);
	EXPECT_EQ(std::string(s, 3), "xyz");
	EXPECT_TRUE(devstate_get_bool(&r));
	EXPECT_EQ(devstate_r_left(&r), 0u);
	EXPECT_EQ(devstate_r_finish(&r), 0);
	EXPECT_FALSE(r.error);
	devstate_w_free(&w);
}

TEST(DevstateIo, WriterGrowsPastItsFirstBuffer)
{
	struct devstate_w w;
	devstate_w_init(&w);
	for (uint32_t i = 0; i < 100000; i++)
		devstate_put_u32(&w, i);
	ASSERT_FALSE(w.error);
	ASSERT_EQ(w.len, 400000u);
	struct devstate_r r;
	devstate_r_init(&r, w.buf, w.len);
	for (uint32_t i = 0; i < 100000; i++)
		ASSERT_EQ(devstate_get_u32(&r), i);
	EXPECT_EQ(devstate_r_finish(&r), 0);
	devstate_w_free(&w);
}

/* Each width read from each too-short input fails, returns zero and
 * poisons every later read. */
TEST(DevstateIo, ShortReadsOfEveryWidthSetTheErrorAndReturnZero)
{
	const uint8_t src[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const unsigned widths[] = { 1, 2, 4, 8 };
	for (unsigned wd : widths) {
		for (unsigned have = 0; have < wd; have++) {
			struct devstate_r r;
			devstate_r_init(&r, src, have);
			uint64_t v = 1;
			switch (wd) {
			case 1:
				v = devstate_get_u8(&r);
				break;
			case 2:
				v = devstate_get_u16(&r);
				break;
			case 4:
				v = devstate_get_u32(&r);
				break;
			default:
				v = devstate_get_u64(&r);
				break;
			}
			EXPECT_EQ(v, 0u) << wd << " from " << have;
			EXPECT_TRUE(r.error) << wd << " from " << have;
			EXPECT_EQ(r.pos, 0u);
			EXPECT_NE(std::string(r.msg), "");
			/* Sticky: even a read that would fit now fails. */
			r.len = 8;
			EXPECT_EQ(devstate_get_u8(&r), 0u);
			EXPECT_EQ(devstate_r_left(&r), 0u);
			EXPECT_EQ(devstate_r_finish(&r), -1);
		}
	}
}

TEST(DevstateIo, ShortBytesAreZeroFilled)
{
	const uint8_t src[4] = { 1, 2, 3, 4 };
	struct devstate_r r;
	devstate_r_init(&r, src, sizeof(src));
	uint8_t dst[5] = { 9, 9, 9, 9, 9 };
	devstate_get_bytes(&r, dst, sizeof(dst));
	EXPECT_TRUE(r.error);
	EXPECT_EQ(Bytes(dst, dst + 5), Bytes(5, 0));
}

TEST(DevstateIo, HugeLengthsDoNotWrapTheBoundsCheck)
{
	const uint8_t src[4] = { 1, 2, 3, 4 };
	struct devstate_r r, sub;
	devstate_r_init(&r, src, sizeof(src));
	devstate_get_u8(&r);
	EXPECT_FALSE(devstate_r_sub(&r, SIZE_MAX, &sub));
	EXPECT_TRUE(r.error);
	EXPECT_EQ(sub.len, 0u);
	EXPECT_EQ(devstate_get_u8(&sub), 0u);
	EXPECT_TRUE(sub.error);
}

TEST(DevstateIo, SubReaderSeesOnlyItsBytes)
{
	const uint8_t src[6] = { 2, 0xaa, 0xbb, 7, 0, 0 };
	struct devstate_r r, sub;
	devstate_r_init(&r, src, sizeof(src));
	ASSERT_TRUE(devstate_r_sub(&r, devstate_get_u8(&r), &sub));
	EXPECT_EQ(devstate_get_u16(&sub), 0xbbaa);
	EXPECT_EQ(devstate_r_finish(&sub), 0);
	EXPECT_EQ(devstate_get_u8(&sub), 0u);
	EXPECT_TRUE(sub.error);
	EXPECT_EQ(devstate_get_u8(&r), 7u);
	EXPECT_FALSE(r.error);
}

TEST(DevstateIo, FinishRejectsTrailingBytes)
{
	const uint8_t src[3] = { 1, 2, 3 };
	struct devstate_r r;
	devstate_r_init(&r, src, sizeof(src));
	devstate_get_u16(&r);
	EXPECT_EQ(devstate_r_finish(&r), -1);
	EXPECT_EQ(r.err_pos, 2u);
}

TEST(DevstateIo, BoolRejectsValuesOtherThanZeroAndOne)
{
	const uint8_t src[3] = { 0, 1, 2 };
	struct devstate_r r;
	devstate_r_init(&r, src, sizeof(src));
	EXPECT_FALSE(devstate_get_bool(&r));
	EXPECT_TRUE(devstate_get_bool(&r));
	EXPECT_FALSE(r.error);
	EXPECT_FALSE(devstate_get_bool(&r));
	EXPECT_TRUE(r.error);
	EXPECT_EQ(r.err_pos, 2u);
}

/* Members of every width, stored in table order, not struct order. */
struct FieldDemo {
	uint64_t d;
	uint8_t b;
	bool flag;
	uint16_t h;
	uint32_t s;
};

const struct devstate_field kDemoFields[] = {
	{ offsetof(FieldDemo, b), 1, false },   { offsetof(FieldDemo, h), 2, false },
	{ offsetof(FieldDemo, s), 4, false },   { offsetof(FieldDemo, d), 8, false },
	{ offsetof(FieldDemo, flag), 1, true },
};

TEST(DevstateIo, FieldTablesWriteAndReadMembersInTableOrder)
{
	const FieldDemo in = { 0x0102030405060708ull, 0xa5, true, 0x1234, 0xdeadbeef };
	struct devstate_w w;
	devstate_w_init(&w);
	devstate_put_fields(&w, &in, kDemoFields, 5);
	ASSERT_FALSE(w.error);
	const Bytes want = { 0xa5, 0x34, 0x12, 0xef, 0xbe, 0xad, 0xde, 8, 7, 6, 5, 4, 3, 2, 1, 1 };
	EXPECT_EQ(Bytes(w.buf, w.buf + w.len), want);

	FieldDemo out = {};
	struct devstate_r r;
	devstate_r_init(&r, w.buf, w.len);
	devstate_get_fields(&r, &out, kDemoFields, 5);
	EXPECT_EQ(devstate_r_finish(&r), 0);
	EXPECT_EQ(out.b, in.b);
	EXPECT_EQ(out.h, in.h);
	EXPECT_EQ(out.s, in.s);
	EXPECT_EQ(out.d, in.d);
	EXPECT_TRUE(out.flag);

	/* A flag must be 0 or 1, like devstate_get_bool. */
	w.buf[w.len - 1] = 2;
	devstate_r_init(&r, w.buf, w.len);
	devstate_get_fields(&r, &out, kDemoFields, 5);
	EXPECT_TRUE(r.error);
	EXPECT_EQ(r.err_pos, w.len - 1);
	devstate_w_free(&w);
}

TEST(DevstateIo, FirstFailureIsKept)
{
	struct devstate_r r;
	devstate_r_init(&r, nullptr, 0);
	EXPECT_EQ(devstate_r_fail(&r, "first %d", 1), -1);
	EXPECT_EQ(devstate_r_fail(&r, "second"), -1);
	EXPECT_EQ(std::string(r.msg), "first 1");
}

/* ---- helpers for the device tests ---- */

Bytes save(struct hv_dev *d)
{
	struct devstate_w w;
	devstate_w_init(&w);
	EXPECT_NE(d->ops->save, nullptr);
	d->ops->save(d->opaque, &w);
	EXPECT_FALSE(w.error);
	Bytes out(w.buf, w.buf + w.len);
	devstate_w_free(&w);
	return out;
}

int restore(struct hv_dev *d, const Bytes &b, std::string *why = nullptr)
{
	struct devstate_r r;
	devstate_r_init(&r, b.data(), b.size());
	int ret = d->ops->restore(d->opaque, &r);
	if (ret) {
		EXPECT_TRUE(r.error) << "a rejected record must say why";
	}
	if (why)
		*why = r.msg;
	return ret;
}

uint64_t digest(struct hv_dev *d)
{
	return d->ops->digest(d->opaque);
}

uint32_t get32(const Bytes &b, size_t off)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < 4; i++)
		v |= static_cast<uint32_t>(b.at(off + i)) << (8 * i);
	return v;
}

Bytes put32(Bytes b, size_t off, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		b.at(off + i) = static_cast<uint8_t>(v >> (8 * i));
	return b;
}

Bytes put8(Bytes b, size_t off, uint8_t v)
{
	b.at(off) = v;
	return b;
}

/* Every strict prefix, the record with a byte appended, and random
 * inputs are rejected, and none changes the device (its digest). Then
 * records with random bit flips must not crash, and a rejected one must
 * not change the device either. */
void expect_rejects_garbage(struct hv_dev *d, const Bytes &good)
{
	uint64_t before = digest(d);
	for (size_t n = 0; n < good.size(); n++) {
		Bytes prefix(good.begin(), good.begin() + static_cast<long>(n));
		ASSERT_EQ(restore(d, prefix), -1) << "prefix of " << n << " bytes";
		ASSERT_EQ(digest(d), before) << "prefix of " << n << " bytes";
	}
	Bytes longer = good;
	longer.push_back(0);
	EXPECT_EQ(restore(d, longer), -1);
	EXPECT_EQ(digest(d), before);

	std::mt19937_64 rng(12345);
	for (int i = 0; i < 500; i++) {
		Bytes junk(rng() % (2 * good.size() + 8));
		for (auto &c : junk)
			c = static_cast<uint8_t>(rng());
		ASSERT_EQ(restore(d, junk), -1) << "random input " << i;
		ASSERT_EQ(digest(d), before);
	}
	for (int i = 0; i < 2000; i++) {
		Bytes flipped = good;
		size_t bit = rng() % (8 * good.size());
		flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
		if (restore(d, flipped) != 0) {
			ASSERT_EQ(digest(d), before) << "bit " << bit;
		}
		/* Accepted flips are states a guest could reach; put the
		 * reference state back for the next round. */
		ASSERT_EQ(restore(d, good), 0);
		before = digest(d);
	}
}

bool plic_pending(struct machine *m, unsigned src)
{
	uint64_t v = 0;
	EXPECT_TRUE(bus_read(m, HV_PLIC_BASE + 0x1000 + 4 * (src / 32), 4, &v));
	return (v >> (src % 32)) & 1;
}

uint64_t rd(struct machine *m, uint64_t pa, unsigned size)
{
	uint64_t v = 0;
	EXPECT_TRUE(bus_read(m, pa, size, &v));
	return v;
}

void wr(struct machine *m, uint64_t pa, unsigned size, uint64_t v)
{
	EXPECT_TRUE(bus_write(m, pa, size, v));
}

/* ---- UART ---- */

enum { RBR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

uint8_t urd(tu::TestVm &vm, unsigned reg)
{
	return static_cast<uint8_t>(rd(vm.m, HV_UART_BASE + reg, 1));
}

void uwr(tu::TestVm &vm, unsigned reg, uint8_t v)
{
	wr(vm.m, HV_UART_BASE + reg, 1, v);
}

/* Divisor, line format, FIFO at trigger 8, every interrupt enabled, a
 * scratch value and five received bytes. */
void uart_busy(tu::TestVm &vm)
{
	uwr(vm, LCR, 0x80);
	uwr(vm, RBR, 0x12);
	uwr(vm, IER, 0x34);
	uwr(vm, LCR, 0x1b);
	uwr(vm, 2, 0x81); /* FCR: FIFO on, trigger 8 */
	uwr(vm, IER, 0x07);
	uwr(vm, MCR, 0x0b);
	uwr(vm, SCR, 0x5a);
	for (uint8_t c : { 'h', 'e', 'l', 'l', 'o' })
		ASSERT_TRUE(uart_push_rx(vm.m->uart, c));
}

/* Everything a driver can read, in an order that exercises the read
 * side effects (IIR clearing THRE, RBR popping) identically. */
std::vector<uint8_t> uart_read_all(tu::TestVm &vm)
{
	std::vector<uint8_t> v;
	for (unsigned reg : { IIR, IIR, LSR, IER, LCR, MCR, MSR, SCR })
		v.push_back(urd(vm, reg));
	for (int i = 0; i < 7; i++)
		v.push_back(urd(vm, RBR)), v.push_back(urd(vm, LSR)), v.push_back(urd(vm, IIR));
	uwr(vm, LCR, urd(vm, LCR) | 0x80);
	v.push_back(urd(vm, RBR));
	v.push_back(urd(vm, IER));
	uwr(vm, LCR, urd(vm, LCR) & 0x7f);
	return v;
}

TEST(DevstateUart, RestoredUartIsIndistinguishable)
{
	tu::TestVm a, b;
	ASSERT_NE(a.m, nullptr) << a.error;
	ASSERT_NE(b.m, nullptr) << b.error;
	uart_busy(a);
	uwr(b, SCR, 0x99); /* b starts different */
	struct hv_dev *da = a.m->uart_dev, *db = b.m->uart_dev;
	ASSERT_NE(digest(da), digest(db));
	ASSERT_TRUE(plic_pending(a.m, HV_UART_IRQ));
	ASSERT_FALSE(plic_pending(b.m, HV_UART_IRQ));

	Bytes st = save(da);
	EXPECT_EQ(get32(st, 0), DEVSTATE_VERSION);
	ASSERT_EQ(restore(db, st), 0);
	EXPECT_EQ(digest(da), digest(db));
	EXPECT_TRUE(plic_pending(b.m, HV_UART_IRQ)) << "the line follows the restored state";
	EXPECT_EQ(save(db), st);

	EXPECT_EQ(uart_read_all(a), uart_read_all(b));
	EXPECT_EQ(digest(da), digest(db));
	/* The same transmission and reception on both. */
	uwr(a, RBR, 'X');
	uwr(b, RBR, 'X');
	EXPECT_EQ(a.console, b.console);
	for (int i = 0; i < 20; i++)
		EXPECT_EQ(uart_push_rx(a.m->uart, 'z'), uart_push_rx(b.m->uart, 'z'));
	EXPECT_EQ(digest(da), digest(db));
	EXPECT_EQ(plic_pending(a.m, HV_UART_IRQ), plic_pending(b.m, HV_UART_IRQ));
}

TEST(DevstateUart, RestoreLowersALineTheStateDoesNotRaise)
{
	tu::TestVm a, b;
	uart_busy(b); /* b's line is up */
	ASSERT_TRUE(plic_pending(b.m, HV_UART_IRQ));
	ASSERT_EQ(restore(b.m->uart_dev, save(a.m->uart_dev)), 0);
	EXPECT_FALSE(plic_pending(b.m, HV_UART_IRQ));
	EXPECT_EQ(digest(a.m->uart_dev), digest(b.m->uart_dev));
}

TEST(DevstateUart, RejectsFifoCountAboveCapacity)
{
	tu::TestVm a, b;
	uart_busy(a);
	Bytes st = save(a.m->uart_dev);
	constexpr size_t kCount = 4 + 8 + 1; /* version, registers, THRE flag */
	ASSERT_EQ(st.at(kCount), 5u);
	std::string why;
	/* 17 bytes claimed (only 5 follow) and 17 real bytes: both rejected. */
	EXPECT_EQ(restore(b.m->uart_dev, put8(st, kCount, 17), &why), -1);
	Bytes full = put8(st, kCount, 17);
	full.resize(kCount + 1 + 17, 'q');
	EXPECT_EQ(restore(b.m->uart_dev, full, &why), -1);
	EXPECT_NE(why.find("more than"), std::string::npos) << why;
	Bytes sixteen = put8(st, kCount, 16);
	sixteen.resize(kCount + 1 + 16, 'q');
	EXPECT_EQ(restore(b.m->uart_dev, sixteen), 0);
	/* With the FIFO off the receiver holds one byte. */
	Bytes nofifo = put8(st, 4 + 3, 0);
	EXPECT_EQ(restore(b.m->uart_dev, nofifo), -1);
	nofifo = put8(nofifo, kCount, 1);
	nofifo.resize(kCount + 2);
	EXPECT_EQ(restore(b.m->uart_dev, nofifo), 0);
}

TEST(DevstateUart, RejectsBitsTheRegistersCannotHold)
{
	tu::TestVm a, b;
	uart_busy(a);
	Bytes st = save(a.m->uart_dev);
	EXPECT_EQ(restore(b.m->uart_dev, put8(st, 4 + 0, 0x17)), -1); /* IER */
	EXPECT_EQ(restore(b.m->uart_dev, put8(st, 4 + 2, 0x2b)), -1); /* MCR */
	EXPECT_EQ(restore(b.m->uart_dev, put8(st, 4 + 3, 0x83)), -1); /* FCR */
	EXPECT_EQ(restore(b.m->uart_dev, put8(st, 4 + 7, 0x01)), -1); /* LSR */
	EXPECT_EQ(restore(b.m->uart_dev, put8(st, 4 + 8, 2)), -1);    /* THRE */
	EXPECT_EQ(restore(b.m->uart_dev, put32(st, 0, 2)), -1);       /* version */
}

TEST(DevstateUart, RejectsTruncatedAndGarbledState)
{
	tu::TestVm a, b;
	uart_busy(a);
	expect_rejects_garbage(b.m->uart_dev, save(a.m->uart_dev));
}

/* ---- PLIC ---- */

constexpr uint64_t kPrio = HV_PLIC_BASE;
constexpr uint64_t kPend = HV_PLIC_BASE + 0x1000;
constexpr uint64_t kEnable = HV_PLIC_BASE + 0x2000;
constexpr uint64_t kCtx = HV_PLIC_BASE + 0x200000;

void irq(tu::TestVm &vm, unsigned src, bool level)
{
	struct hv_irq line = { vm.m->plic, src };
	hv_irq_set(&line, level);
}

/* Priorities, enables of both contexts, thresholds, three raised lines
 * (one of them then claimed by the M context). */
void plic_busy(tu::TestVm &vm)
{
	for (unsigned s = 1; s < 40; s++)
		wr(vm.m, kPrio + 4 * s, 4, s % 8);
	wr(vm.m, kEnable + 0x00, 4, 0x0000fff0);
	wr(vm.m, kEnable + 0x04, 4, 0x00000003);
	wr(vm.m, kEnable + 0x80, 4, 0xffff0000);
	wr(vm.m, kCtx + 0x0000, 4, 1);
	wr(vm.m, kCtx + 0x1000, 4, 3);
	irq(vm, 7, true);
	irq(vm, 5, true);
	irq(vm, 20, true);
	irq(vm, 33, true);
	EXPECT_EQ(rd(vm.m, kCtx + 4, 4), 7u); /* priority 7 beats 5 */
}

std::vector<uint64_t> plic_read_all(tu::TestVm &vm)
{
	std::vector<uint64_t> v;
	for (unsigned s = 0; s < PLIC_NSRC; s++)
		v.push_back(rd(vm.m, kPrio + 4 * s, 4));
	for (unsigned w = 0; w < 3; w++)
		v.push_back(rd(vm.m, kPend + 4 * w, 4));
	for (unsigned c = 0; c < 2 * vm.m->nharts; c++) {
		for (unsigned w = 0; w < 3; w++)
			v.push_back(rd(vm.m, kEnable + 0x80 * c + 4 * w, 4));
		v.push_back(rd(vm.m, kCtx + 0x1000 * c, 4));
	}
	for (unsigned c = 0; c < 2 * vm.m->nharts; c++) {
		struct hart *h = vm.m->hart[c / 2];
		v.push_back((c & 1) ? (h->mip_ext & MIP_SEIP) : (h->mip & MIP_MEIP));
	}
	return v;
}

TEST(DevstatePlic, RestoredPlicIsIndistinguishableAndDrivesTheHarts)
{
	tu::TestVm a, b;
	plic_busy(a);
	struct hv_dev *da = plic_dev(a.m->plic), *db = plic_dev(b.m->plic);
	ASSERT_NE(digest(da), digest(db));
	ASSERT_TRUE(a.h()->mip & MIP_MEIP);     /* source 5 (prio 5) > threshold 1 */
	ASSERT_TRUE(a.h()->mip_ext & MIP_SEIP); /* source 20 (prio 4) > 3 */
	ASSERT_FALSE(b.h()->mip & MIP_MEIP);

	Bytes st = save(da);
	ASSERT_EQ(restore(db, st), 0);
	EXPECT_TRUE(b.h()->mip & MIP_MEIP);
	EXPECT_TRUE(b.h()->mip_ext & MIP_SEIP);
	EXPECT_EQ(digest(da), digest(db));
	EXPECT_EQ(plic_read_all(a), plic_read_all(b));
	EXPECT_EQ(save(db), st);

	/* The same claims and completes on both. */
	for (unsigned c : { 0u, 1u, 0u, 1u }) {
		uint64_t ca = rd(a.m, kCtx + 0x1000 * c + 4, 4);
		uint64_t cb = rd(b.m, kCtx + 0x1000 * c + 4, 4);
		EXPECT_EQ(ca, cb);
		EXPECT_EQ(plic_read_all(a), plic_read_all(b));
	}
	for (unsigned src : { 7u, 5u, 20u }) {
		wr(a.m, kCtx + 4, 4, src);
		wr(b.m, kCtx + 4, 4, src);
		wr(a.m, kCtx + 0x1000 + 4, 4, src);
		wr(b.m, kCtx + 0x1000 + 4, 4, src);
		EXPECT_EQ(plic_read_all(a), plic_read_all(b));
	}
	irq(a, 7, false);
	irq(b, 7, false);
	EXPECT_EQ(digest(da), digest(db));
}

TEST(DevstatePlic, RestoreClearsHartLinesTheStateDoesNotRaise)
{
	tu::TestVm a, b;
	plic_busy(b);
	ASSERT_TRUE(b.h()->mip & MIP_MEIP);
	ASSERT_EQ(restore(plic_dev(b.m->plic), save(plic_dev(a.m->plic))), 0);
	EXPECT_FALSE(b.h()->mip & MIP_MEIP);
	EXPECT_FALSE(b.h()->mip_ext & MIP_SEIP);
	EXPECT_EQ(digest(plic_dev(a.m->plic)), digest(plic_dev(b.m->plic)));
}

TEST(DevstatePlic, RejectsOutOfRangeAndInconsistentValues)
{
	tu::TestVm a, b;
	plic_busy(a);
	struct hv_dev *db = plic_dev(b.m->plic);
	Bytes st = save(plic_dev(a.m->plic));
	uint64_t before = digest(db);
	constexpr size_t kPrio1 = 12; /* priority of source 1 */
	constexpr size_t kLevel = kPrio1 + PLIC_NSRC - 1;
	constexpr size_t kPending = kLevel + 12;
	constexpr size_t kClaimed = kPending + 12;
	constexpr size_t kEnable0 = kClaimed + 12;
	ASSERT_EQ(st.at(kPrio1 + 6), 7u) << "layout as documented in plic.c";
	EXPECT_EQ(restore(db, put8(st, kPrio1 + 3, 8)), -1);
	/* Source 0 cannot be raised, pend, be claimed or enabled. */
	EXPECT_EQ(restore(db, put32(st, kLevel, get32(st, kLevel) | 1)), -1);
	EXPECT_EQ(restore(db, put32(st, kEnable0, get32(st, kEnable0) | 1)), -1);
	/* Pending must be level and not in service. */
	EXPECT_EQ(restore(db, put32(st, kPending, get32(st, kPending) ^ (1u << 5))), -1);
	EXPECT_EQ(restore(db, put32(st, kClaimed, get32(st, kClaimed) | (1u << 5))), -1);
	/* Threshold above 7. */
	EXPECT_EQ(restore(db, put8(st, kEnable0 + 12, 8)), -1);
	EXPECT_EQ(restore(db, put32(st, 0, 0)), -1);
	EXPECT_EQ(digest(db), before);
	EXPECT_FALSE(b.h()->mip & MIP_MEIP);
}

TEST(DevstatePlic, RejectsStateOfAMachineWithAnotherHartCount)
{
	tu::TestVm a, two(2);
	plic_busy(a);
	std::string why;
	EXPECT_EQ(restore(plic_dev(two.m->plic), save(plic_dev(a.m->plic)), &why), -1);
	EXPECT_NE(why.find("contexts"), std::string::npos) << why;
}

TEST(DevstatePlic, RejectsTruncatedAndGarbledState)
{
	tu::TestVm a, b;
	plic_busy(a);
	expect_rejects_garbage(plic_dev(b.m->plic), save(plic_dev(a.m->plic)));
}

/* ---- RTC ---- */

constexpr uint64_t kRtc = HV_RTC_BASE;

void rtc_busy(tu::TestVm &vm)
{
	wr(vm.m, kRtc + 0x04, 4, 0x17000000); /* set the clock (high half) */
	wr(vm.m, kRtc + 0x10, 4, 1);          /* IRQ enabled */
	wr(vm.m, kRtc + 0x0c, 4, 0);          /* an alarm in the past: fires */
	wr(vm.m, kRtc + 0x08, 4, 5);
	wr(vm.m, kRtc + 0x0c, 4, 0x20000000); /* a future one, armed */
	wr(vm.m, kRtc + 0x08, 4, 0x1234);
	(void)rd(vm.m, kRtc + 0x00, 4); /* latch TIME_HIGH */
}

std::vector<uint64_t> rtc_read_all(tu::TestVm &vm)
{
	std::vector<uint64_t> v;
	for (uint64_t off : { 0x04, 0x08, 0x0c, 0x10, 0x18, 0x00, 0x04 })
		v.push_back(rd(vm.m, kRtc + off, 4));
	v.push_back(plic_pending(vm.m, HV_RTC_IRQ));
	return v;
}

TEST(DevstateRtc, RestoredRtcIsIndistinguishable)
{
	tu::TestVm a, b;
	ASSERT_NE(a.m->rtc, nullptr);
	rtc_busy(a);
	struct hv_dev *da = rtc_dev(a.m->rtc), *db = rtc_dev(b.m->rtc);
	ASSERT_TRUE(plic_pending(a.m, HV_RTC_IRQ));
	ASSERT_EQ(rd(a.m, kRtc + 0x18, 4), 1u);
	ASSERT_NE(digest(da), digest(db));

	Bytes st = save(da);
	ASSERT_EQ(restore(db, st), 0);
	EXPECT_EQ(digest(da), digest(db));
	EXPECT_TRUE(plic_pending(b.m, HV_RTC_IRQ));
	EXPECT_EQ(rtc_read_all(a), rtc_read_all(b));
	EXPECT_EQ(save(db), st);

	/* Clear the interrupt, re-arm in the past: the same on both. */
	for (tu::TestVm *vm : { &a, &b }) {
		wr(vm->m, kRtc + 0x1c, 4, 1);
		wr(vm->m, kRtc + 0x0c, 4, 0);
		wr(vm->m, kRtc + 0x08, 4, 9);
	}
	EXPECT_EQ(rtc_read_all(a), rtc_read_all(b));
	EXPECT_EQ(digest(da), digest(db));
	uint64_t ma = 0, mb = 0;
	EXPECT_EQ(rtc_next_deadline(a.m->rtc, &ma), rtc_next_deadline(b.m->rtc, &mb));
	EXPECT_EQ(ma, mb);
}

TEST(DevstateRtc, RejectsFlagsOtherThanZeroAndOne)
{
	tu::TestVm a, b;
	rtc_busy(a);
	Bytes st = save(rtc_dev(a.m->rtc));
	constexpr size_t kFlags = 4 + 4 * 8 + 4;
	ASSERT_EQ(st.size(), kFlags + 3);
	for (size_t i = 0; i < 3; i++)
		EXPECT_EQ(restore(rtc_dev(b.m->rtc), put8(st, kFlags + i, 2)), -1);
	EXPECT_FALSE(plic_pending(b.m, HV_RTC_IRQ));
}

TEST(DevstateRtc, RejectsTruncatedAndGarbledState)
{
	tu::TestVm a, b;
	rtc_busy(a);
	expect_rejects_garbage(rtc_dev(b.m->rtc), save(rtc_dev(a.m->rtc)));
}

/* ---- virtio ---- */

constexpr uint16_t NEXT = VIRTQ_DESC_F_NEXT;
constexpr uint16_t WRITE = VIRTQ_DESC_F_WRITE;
/* Offset of queue 0 in a transport record with no config bytes. */
constexpr size_t kQueue0 = 4 + 4 + 4 + 8 + 4 + 8 + 4 + 4 + 4 + 1 + 4 + 4;
/* Bytes per queue in it. */
constexpr size_t kQueueLen = 4 + 1 + 8 + 8 + 8 + 2 + 2 + 4;

/* Copy the guest RAM the test driver uses (rings and buffers): the
 * snapshot's RAM part, which is not this module's. */
void copy_ram(tu::TestVm &from, tu::TestVm &to)
{
	Bytes ram(0x400000);
	machine_read_phys(from.m, vt::kDesc, ram.data(), ram.size());
	machine_write_phys(to.m, vt::kDesc, ram.data(), ram.size());
}

std::vector<uint32_t> virtio_read_all(vt::Driver &d)
{
	std::vector<uint32_t> v;
	for (uint32_t off = 0; off < 0x100; off += 4)
		if (off != VIRTIO_MMIO_QUEUE_SEL)
			v.push_back(d.rd(off));
	for (uint32_t sel = 0; sel < 3; sel++) {
		d.wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
		v.push_back(d.rd(VIRTIO_MMIO_DEVICE_FEATURES));
		d.wr(VIRTIO_MMIO_QUEUE_SEL, sel);
		for (uint32_t off = VIRTIO_MMIO_QUEUE_NUM_MAX; off <= VIRTIO_MMIO_QUEUE_DEVICE_HIGH;
		     off += 4)
			v.push_back(d.rd(off));
	}
	for (uint32_t off = 0x100; off < 0x140; off += 4)
		v.push_back(d.rd(off));
	return v;
}

struct RngVm {
	explicit RngVm(uint64_t seed, bool init)
	{
		struct hv_err err;
		vd = virtio_rng_attach(vm.m, vt::kSlot, seed, &err);
		EXPECT_NE(vd, nullptr) << err.msg;
		if (init)
			drv.init(8);
	}
	~RngVm() { virtio_dev_destroy(vd); }
	struct hv_dev *dev() { return virtio_dev_mmio(vd); }

	/* One request of n bytes; the bytes and the used element. */
	Bytes take(uint32_t n)
	{
		drv.fill(vt::kBuf, 0, n);
		drv.desc(0, vt::kBuf, n, WRITE);
		drv.submit(0);
		Bytes out = drv.get(vt::kBuf, n);
		uint16_t idx = drv.used_idx();
		out.push_back(static_cast<uint8_t>(idx));
		out.push_back(static_cast<uint8_t>(drv.used_len(idx - 1u)));
		return out;
	}

	tu::TestVm vm;
	vt::Driver drv{ vm };
	struct virtio_dev *vd = nullptr;
};

TEST(DevstateVirtio, RestoredRngContinuesTheSameStream)
{
	RngVm a(42, true), b(7, false);
	a.take(13); /* leaves part of a word unused */
	a.drv.wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	ASSERT_TRUE(a.drv.irq_pending());
	ASSERT_NE(digest(a.dev()), digest(b.dev()));

	Bytes st = save(a.dev());
	ASSERT_EQ(restore(b.dev(), st), 0);
	EXPECT_EQ(digest(a.dev()), digest(b.dev()));
	EXPECT_TRUE(b.drv.irq_pending());
	EXPECT_EQ(save(b.dev()), st);
	EXPECT_EQ(virtio_read_all(a.drv), virtio_read_all(b.drv));

	copy_ram(a.vm, b.vm);
	b.drv.set_avail_idx(1); /* the test driver's own count, as in a's */
	a.drv.wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	b.drv.wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	a.drv.wr(VIRTIO_MMIO_INTERRUPT_ACK, 1);
	b.drv.wr(VIRTIO_MMIO_INTERRUPT_ACK, 1);
	EXPECT_FALSE(b.drv.irq_pending());
	Bytes xa = a.take(29), xb = b.take(29);
	EXPECT_EQ(xa, xb);
	EXPECT_EQ(a.take(64), b.take(64));
	EXPECT_EQ(digest(a.dev()), digest(b.dev()));
	EXPECT_EQ(a.drv.irq_pending(), b.drv.irq_pending());
}

TEST(DevstateVirtio, RejectsBadQueueSizesAndAddresses)
{
	RngVm a(42, true), b(7, false);
	Bytes st = save(a.dev());
	ASSERT_EQ(get32(st, kQueue0), 8u) << "layout as documented in virtio.c";
	ASSERT_EQ(st.at(kQueue0 + 4), 1u);
	uint64_t before = digest(b.dev());
	EXPECT_EQ(restore(b.dev(), put32(st, kQueue0, 6)), -1);   /* not a power of 2 */
	EXPECT_EQ(restore(b.dev(), put32(st, kQueue0, 128)), -1); /* above QueueNumMax */
	EXPECT_EQ(restore(b.dev(), put32(st, kQueue0, 0)), -1);
	EXPECT_EQ(restore(b.dev(), put8(st, kQueue0 + 5, 0x08)), -1); /* desc misaligned */
	EXPECT_EQ(restore(b.dev(), put32(st, kQueue0 + 5 + 16 + 4, 0x7fff)),
		  -1); /* used high: off RAM */
	/* The same sizes in a queue that is not ready are only numbers. */
	EXPECT_EQ(restore(b.dev(), put8(put32(st, kQueue0, 6), kQueue0 + 4, 0)), 0);
	EXPECT_NE(digest(b.dev()), before);
}

TEST(DevstateVirtio, RejectsImpossibleStatusAndInterruptBits)
{
	RngVm a(42, true), b(7, false);
	Bytes st = save(a.dev());
	constexpr size_t kStatus = kQueue0 - 9;
	constexpr size_t kIsr = kQueue0 - 8;
	ASSERT_EQ(st.at(kStatus), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					  VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	EXPECT_EQ(restore(b.dev(), put32(st, kIsr, 4)), -1);
	EXPECT_EQ(restore(b.dev(), put8(st, kStatus, VIRTIO_STATUS_DRIVER_OK)), -1);
	/* Accepted features outside the offer with FEATURES_OK. */
	EXPECT_EQ(restore(b.dev(), put8(st, kStatus - 20, 0xff)), -1);
	/* A device that needed a reset stays broken after restore. */
	ASSERT_EQ(restore(b.dev(), put8(st, kStatus, st.at(kStatus) | VIRTIO_STATUS_NEEDS_RESET)),
		  0);
	EXPECT_TRUE(b.drv.needs_reset());
	b.drv.desc(0, vt::kBuf, 8, WRITE);
	b.drv.submit(0);
	EXPECT_EQ(b.drv.used_idx(), 0u);
}

TEST(DevstateVirtio, RejectsAllZeroGeneratorState)
{
	RngVm a(42, true), b(7, false);
	Bytes st = save(a.dev());
	size_t sub = kQueue0 + kQueueLen;
	ASSERT_EQ(get32(st, sub), 4u + 32 + 1 + 8);
	Bytes zero = st;
	for (size_t i = sub + 8; i < sub + 40; i++)
		zero[i] = 0;
	std::string why;
	EXPECT_EQ(restore(b.dev(), zero, &why), -1);
	EXPECT_NE(why.find("zero"), std::string::npos) << why;
	EXPECT_EQ(restore(b.dev(), put8(st, sub + 40, 9)), -1); /* 9 of 8 bytes left */
}

TEST(DevstateVirtio, RejectsStateOfAnotherDeviceType)
{
	RngVm a(42, true);
	tu::TestVm other;
	struct hv_err err;
	struct virtio_net *n = virtio_net_create(other.m, vt::kSlot, nullptr, &err);
	ASSERT_NE(n, nullptr);
	std::string why;
	EXPECT_EQ(restore(virtio_dev_mmio(virtio_net_dev(n)), save(a.dev()), &why), -1);
	EXPECT_NE(why.find("another"), std::string::npos) << why;
	EXPECT_EQ(restore(a.dev(), save(virtio_dev_mmio(virtio_net_dev(n)))), -1);
	virtio_net_destroy(n);
}

TEST(DevstateVirtio, RejectsTruncatedAndGarbledRngState)
{
	RngVm a(42, true), b(7, false);
	a.take(5);
	expect_rejects_garbage(b.dev(), save(a.dev()));
}

TEST(DevstateVirtio, RestoredPlaceholderSlotIsIndistinguishable)
{
	tu::TestVm a, b;
	struct hv_dev *da = virtio_dev_mmio(a.m->virtio[0]), *db = virtio_dev_mmio(b.m->virtio[0]);
	Bytes st = save(da);
	ASSERT_EQ(restore(db, st), 0);
	EXPECT_EQ(digest(da), digest(db));
	expect_rejects_garbage(db, st);
}

/* An empty slot ignores every write, so a record with driver state is
 * corrupt; an interrupt restored into it could never be acknowledged. */
TEST(DevstateVirtio, RejectsDriverStateForAPlaceholderSlot)
{
	tu::TestVm a, b;
	struct hv_dev *db = virtio_dev_mmio(b.m->virtio[0]);
	Bytes st = save(virtio_dev_mmio(a.m->virtio[0]));
	constexpr size_t kStatus = kQueue0 - 9;
	constexpr size_t kIsr = kQueue0 - 8;
	ASSERT_EQ(st.size(), kQueue0 + 4);
	EXPECT_EQ(restore(db, put32(st, kIsr, VIRTIO_INT_USED)), -1);
	EXPECT_FALSE(plic_pending(b.m, HV_VIRTIO_IRQ0));
	EXPECT_EQ(restore(db, put8(st, kStatus, VIRTIO_STATUS_ACKNOWLEDGE)), -1);
	EXPECT_EQ(restore(db, put32(st, kStatus - 4, 1)), -1); /* QueueSel */
	EXPECT_EQ(restore(db, st), 0);
}

/* ---- virtio-blk ---- */

class DevstateBlk : public ::testing::Test {
protected:
	void SetUp() override
	{
		const char *dir = std::getenv("TEST_TMPDIR");
		path = std::string(dir ? dir : "/tmp") + "/devstate_blk_XXXXXX";
		int fd = mkstemp(&path[0]);
		ASSERT_GE(fd, 0);
		Bytes img(64 * 512);
		for (size_t i = 0; i < img.size(); i++)
			img[i] = static_cast<uint8_t>(i * 7 + (i >> 9));
		ASSERT_EQ(write(fd, img.data(), img.size()), static_cast<ssize_t>(img.size()));
		close(fd);
		va = attach(a);
		vb = attach(b);
	}
	void TearDown() override
	{
		virtio_dev_destroy(va);
		virtio_dev_destroy(vb);
		unlink(path.c_str());
	}
	struct virtio_dev *attach(tu::TestVm &vm)
	{
		struct hv_err err;
		struct disk *d = disk_open(path.c_str(), true, &err);
		EXPECT_NE(d, nullptr) << err.msg;
		struct virtio_dev *vd = virtio_blk_attach(vm.m, vt::kSlot, d, "x", &err);
		EXPECT_NE(vd, nullptr) << err.msg;
		return vd;
	}
	/* A read of one sector; the data, the status and the used element. */
	Bytes read_sector(vt::Driver &d, uint64_t sector)
	{
		uint8_t h[16] = { 0 };
		std::memcpy(h + 8, &sector, 8);
		d.put(vt::kBuf, h, 16);
		d.fill(vt::kBuf + 0x1000, 0xee, 513);
		d.desc(0, vt::kBuf, 16, NEXT, 1);
		d.desc(1, vt::kBuf + 0x1000, 512, NEXT | WRITE, 2);
		d.desc(2, vt::kBuf + 0x1000 + 512, 1, WRITE);
		d.submit(0);
		Bytes out = d.get(vt::kBuf + 0x1000, 513);
		uint16_t idx = d.used_idx();
		out.push_back(static_cast<uint8_t>(idx));
		out.push_back(static_cast<uint8_t>(d.used_len(idx - 1u)));
		return out;
	}

	std::string path;
	tu::TestVm a, b;
	vt::Driver da{ a }, db{ b };
	struct virtio_dev *va = nullptr, *vb = nullptr;
};

TEST_F(DevstateBlk, RestoredBlkServesTheNextRequestIdentically)
{
	da.init(16);
	Bytes first = read_sector(da, 3);
	ASSERT_EQ(first[512], VIRTIO_BLK_S_OK);
	struct hv_dev *ma = virtio_dev_mmio(va), *mb = virtio_dev_mmio(vb);
	ASSERT_NE(digest(ma), digest(mb));

	Bytes st = save(ma);
	ASSERT_EQ(get32(st, 4), VIRTIO_ID_BLOCK);
	ASSERT_EQ(restore(mb, st), 0);
	EXPECT_EQ(digest(ma), digest(mb));
	EXPECT_EQ(da.irq_pending(), db.irq_pending());
	EXPECT_TRUE(db.irq_pending());
	EXPECT_EQ(save(mb), st);
	EXPECT_EQ(virtio_read_all(da), virtio_read_all(db));

	copy_ram(a, b);
	db.set_avail_idx(1);
	da.wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	db.wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	Bytes ra = read_sector(da, 9), rb = read_sector(db, 9);
	EXPECT_EQ(ra, rb);
	EXPECT_EQ(ra[512], VIRTIO_BLK_S_OK);
	EXPECT_EQ(db.used_len(1), 513u);
	EXPECT_EQ(digest(ma), digest(mb));
}

TEST_F(DevstateBlk, RejectsTruncatedAndGarbledState)
{
	da.init(16);
	read_sector(da, 1);
	expect_rejects_garbage(virtio_dev_mmio(vb), save(virtio_dev_mmio(va)));
}

TEST_F(DevstateBlk, RejectsDeviceStateForADeviceThatHasNone)
{
	da.init(16);
	Bytes st = save(virtio_dev_mmio(va));
	ASSERT_EQ(get32(st, st.size() - 4), 0u);
	st = put32(st, st.size() - 4, 1);
	st.push_back(0);
	EXPECT_EQ(restore(virtio_dev_mmio(vb), st), -1);
}

/* ---- virtio-net ---- */

struct NetVm {
	explicit NetVm(const uint8_t *mac = nullptr)
	{
		struct hv_err err;
		n = virtio_net_create(vm.m, vt::kSlot, mac, &err);
		EXPECT_NE(n, nullptr) << err.msg;
	}
	~NetVm() { virtio_net_destroy(n); }
	struct hv_dev *dev() { return virtio_dev_mmio(virtio_net_dev(n)); }

	tu::TestVm vm;
	vt::Driver drv{ vm };
	struct virtio_net *n = nullptr;
};

Bytes frame(unsigned len, uint8_t seed)
{
	Bytes f(len);
	for (unsigned i = 0; i < len; i++)
		f[i] = static_cast<uint8_t>(seed + i * 3);
	return f;
}

void net_busy(NetVm &v)
{
	v.drv.init(8);
	for (unsigned i = 0; i < 3; i++) {
		Bytes f = frame(60 + 100 * i, static_cast<uint8_t>(i));
		virtio_net_input(v.n, f.data(), f.size());
	}
	virtio_net_input(v.n, "short", 5); /* counted as dropped */
	ASSERT_EQ(virtio_net_pending(v.n), 3u);
}

TEST(DevstateNet, RestoredNetDeliversTheQueuedFramesIdentically)
{
	NetVm a, b;
	net_busy(a);
	/* Two receive buffers offered and notified before the snapshot: the
	 * next poll may use them, in the restored machine too. */
	a.drv.desc(0, vt::kBuf, 2048, WRITE);
	a.drv.desc(1, vt::kBuf + 0x1000, 2048, WRITE);
	a.drv.submit(0);
	a.drv.submit(1);
	Bytes st = save(a.dev());
	ASSERT_EQ(restore(b.dev(), st), 0);
	EXPECT_EQ(virtio_net_pending(b.n), 3u);
	EXPECT_EQ(0, std::memcmp(virtio_net_get_stats(a.n), virtio_net_get_stats(b.n),
				 sizeof(struct virtio_net_stats)));
	EXPECT_EQ(digest(a.dev()), digest(b.dev()));
	EXPECT_EQ(save(b.dev()), st);
	EXPECT_EQ(virtio_read_all(a.drv), virtio_read_all(b.drv));

	copy_ram(a.vm, b.vm);
	b.drv.set_avail_idx(2);
	EXPECT_EQ(virtio_net_poll(a.n), 2u);
	EXPECT_EQ(virtio_net_poll(b.n), 2u);
	EXPECT_EQ(a.drv.get(vt::kBuf, 0x2000), b.drv.get(vt::kBuf, 0x2000));
	EXPECT_EQ(b.drv.used_idx(), 2u);
	EXPECT_EQ(b.drv.used_len(1), VIRTIO_NET_HDR_LEN + 160u);
	EXPECT_EQ(b.drv.get(vt::kBuf + 0x1000 + VIRTIO_NET_HDR_LEN, 160), frame(160, 1));
	EXPECT_EQ(virtio_net_pending(b.n), 1u);
	EXPECT_EQ(digest(a.dev()), digest(b.dev()));
	EXPECT_TRUE(b.drv.irq_pending());
	EXPECT_EQ(a.drv.irq_pending(), b.drv.irq_pending());
	EXPECT_EQ(0, std::memcmp(virtio_net_get_stats(a.n), virtio_net_get_stats(b.n),
				 sizeof(struct virtio_net_stats)));
}

TEST(DevstateNet, RejectsAnotherMacAddress)
{
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
	NetVm a, b(mac);
	net_busy(a);
	std::string why;
	EXPECT_EQ(restore(b.dev(), save(a.dev()), &why), -1);
	EXPECT_NE(why.find("config byte"), std::string::npos) << why;
}

TEST(DevstateNet, RejectsBadFifoCountsAndFrameLengths)
{
	NetVm a, b;
	net_busy(a);
	Bytes st = save(a.dev());
	/* Start of the net record: after the config, two queues and the length. */
	size_t sub = kQueue0 + VIRTIO_NET_CFG_LEN + 2 * kQueueLen + 4;
	size_t count = sub + 4 + 7 * 8;
	ASSERT_EQ(get32(st, count), 3u) << "layout as documented in virtio_net.c";
	EXPECT_EQ(restore(b.dev(), put32(st, count, VIRTIO_NET_FIFO_FRAMES + 1)), -1);
	EXPECT_EQ(restore(b.dev(), put32(st, count, 4)), -1);
	EXPECT_EQ(restore(b.dev(), put8(put8(st, count + 4, 13), count + 5, 0)), -1);
	EXPECT_EQ(restore(b.dev(), put8(put8(st, count + 4, 0xff), count + 5, 0xff)), -1);
	/* Fewer frames than the bytes hold: trailing bytes. */
	EXPECT_EQ(restore(b.dev(), put32(st, count, 2)), -1);
	EXPECT_EQ(virtio_net_pending(b.n), 0u);
}

TEST(DevstateNet, RejectsTruncatedAndGarbledState)
{
	NetVm a, b;
	net_busy(a);
	expect_rejects_garbage(b.dev(), save(a.dev()));
	/* The last restore there was of the good record. */
	EXPECT_EQ(virtio_net_pending(b.n), 3u);
}

} // namespace
