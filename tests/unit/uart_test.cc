// SPDX-License-Identifier: MIT
/*
 * Tests of the NS16550A UART (hv/dev/uart.c): transmit to the console sink,
 * the receive FIFO with LSR.DR and back-pressure, IIR identification and
 * the PLIC line, the divisor latch, loopback, and harmless nonsense.
 *
 * The console sink is the machine's console_out hook; the interrupt line
 * is observed in the pending register of a real PLIC.
 */
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

extern "C" {
#include "hv/cpu/hart.h"
#include "hv/platform/machine.h"
#include "hv/dev/plic.h"
#include "hv/dev/uart.h"
}

namespace {

enum {
	RBR = 0,
	THR = 0,
	DLL = 0,
	IER = 1,
	DLM = 1,
	IIR = 2,
	FCR = 2,
	LCR = 3,
	MCR = 4,
	LSR = 5,
	MSR = 6,
	SCR = 7
};

void capture_console(void *opaque, const uint8_t *buf, size_t len)
{
	static_cast<std::string *>(opaque)->append(reinterpret_cast<const char *>(buf), len);
}

class UartTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		struct hv_err err;

		m = static_cast<struct machine *>(calloc(1, sizeof(*m)));
		m->nharts = 1;
		m->hart[0] = static_cast<struct hart *>(calloc(1, sizeof(struct hart)));
		m->hart[0]->m = m;
		m->cur = m->hart[0];
		m->console_out = capture_console;
		m->console_opaque = &console;
		plic = plic_create(m, 1, &err);
		ASSERT_NE(plic, nullptr) << err.msg;
		struct hv_irq irq = { plic, HV_UART_IRQ };
		u = uart_create(m, &irq, &err);
		ASSERT_NE(u, nullptr) << err.msg;
		dev = uart_dev(u);
	}

	void TearDown() override
	{
		uart_destroy(u);
		plic_destroy(plic);
		free(m->hart[0]);
		free(m);
	}

	uint8_t rd(uint64_t off)
	{
		return static_cast<uint8_t>(dev->ops->read(dev->opaque, off, 1));
	}
	void wr(uint64_t off, uint8_t val) { dev->ops->write(dev->opaque, off, 1, val); }
	bool line()
	{
		struct hv_dev *pd = plic_dev(plic);
		uint64_t pending = pd->ops->read(pd->opaque, 0x1000, 4);
		return (pending >> HV_UART_IRQ) & 1;
	}

	std::string console;
	struct machine *m = nullptr;
	struct plic *plic = nullptr;
	struct uart *u = nullptr;
	struct hv_dev *dev = nullptr;
};

TEST_F(UartTest, DeviceCoversTheVirtWindow)
{
	EXPECT_EQ(dev->base, HV_UART_BASE);
	EXPECT_EQ(dev->size, 0x100u);
}

TEST_F(UartTest, TransmitGoesToConsoleSink)
{
	for (char c : std::string("hello\n"))
		wr(THR, static_cast<uint8_t>(c));
	EXPECT_EQ(console, "hello\n");
}

TEST_F(UartTest, TransmitterAlwaysEmpty)
{
	EXPECT_EQ(rd(LSR) & 0x60, 0x60);
	wr(THR, 'x');
	EXPECT_EQ(rd(LSR) & 0x60, 0x60);
}

TEST_F(UartTest, ReceivedBytesSetDataReadyUntilDrained)
{
	wr(FCR, 0x01);
	EXPECT_EQ(rd(LSR) & 0x01, 0);
	EXPECT_TRUE(uart_push_rx(u, 'a'));
	EXPECT_TRUE(uart_push_rx(u, 'b'));
	EXPECT_EQ(rd(LSR) & 0x01, 1);
	EXPECT_EQ(rd(RBR), 'a');
	EXPECT_EQ(rd(LSR) & 0x01, 1);
	EXPECT_EQ(rd(RBR), 'b');
	EXPECT_EQ(rd(LSR) & 0x01, 0);
	EXPECT_EQ(rd(RBR), 0);
}

TEST_F(UartTest, FullFifoRefusesInputWithoutLosingIt)
{
	wr(FCR, 0x01);
	for (unsigned i = 0; i < UART_FIFO_SIZE; i++) {
		EXPECT_TRUE(uart_rx_room(u));
		EXPECT_TRUE(uart_push_rx(u, static_cast<uint8_t>('A' + i)));
	}
	EXPECT_FALSE(uart_rx_room(u));
	EXPECT_FALSE(uart_push_rx(u, '!'));
	EXPECT_EQ(rd(LSR) & 0x02, 0); /* refused, not overrun */
	for (unsigned i = 0; i < UART_FIFO_SIZE; i++)
		EXPECT_EQ(rd(RBR), 'A' + i);
	EXPECT_TRUE(uart_rx_room(u));
}

TEST_F(UartTest, WithoutFifoReceiverHoldsOneByte)
{
	EXPECT_TRUE(uart_push_rx(u, '1'));
	EXPECT_FALSE(uart_rx_room(u));
	EXPECT_FALSE(uart_push_rx(u, '2'));
	EXPECT_EQ(rd(RBR), '1');
	EXPECT_TRUE(uart_rx_room(u));
}

TEST_F(UartTest, FcrClearsReceiveFifo)
{
	wr(FCR, 0x01);
	uart_push_rx(u, 'z');
	wr(FCR, 0x03);
	EXPECT_EQ(rd(LSR) & 0x01, 0);
}

TEST_F(UartTest, IirReportsFifoEnabled)
{
	EXPECT_EQ(rd(IIR), 0x01);
	wr(FCR, 0x01);
	EXPECT_EQ(rd(IIR), 0xc1);
}

TEST_F(UartTest, ReceiveInterruptFollowsIerAndData)
{
	wr(FCR, 0x01);
	uart_push_rx(u, 'q');
	EXPECT_FALSE(line()); /* not enabled yet */
	EXPECT_EQ(rd(IIR) & 0x0f, 0x01);
	wr(IER, 0x01);
	EXPECT_TRUE(line());
	/* The default trigger level is one byte: "data available". */
	EXPECT_EQ(rd(IIR), 0xc4);
	rd(RBR);
	EXPECT_FALSE(line());
	EXPECT_EQ(rd(IIR), 0xc1);
}

TEST_F(UartTest, BelowTriggerLevelReportsCharacterTimeout)
{
	wr(FCR, 0x81); /* trigger at 8 bytes */
	wr(IER, 0x01);
	uart_push_rx(u, 'a');
	EXPECT_TRUE(line());
	EXPECT_EQ(rd(IIR), 0xcc);
	for (int i = 0; i < 7; i++)
		uart_push_rx(u, 'b');
	EXPECT_EQ(rd(IIR), 0xc4);
}

TEST_F(UartTest, ThrEmptyInterruptRaisedOnEnableAndClearedByIirRead)
{
	wr(IER, 0x02);
	EXPECT_TRUE(line());
	EXPECT_EQ(rd(IIR), 0x02);
	EXPECT_FALSE(line());
	EXPECT_EQ(rd(IIR), 0x01);
	/* Each transmitted byte empties THR again. */
	wr(THR, 'x');
	EXPECT_TRUE(line());
	wr(IER, 0x00);
	EXPECT_FALSE(line());
}

TEST_F(UartTest, ReceiveOutranksThrEmpty)
{
	wr(IER, 0x03);
	uart_push_rx(u, 'r');
	EXPECT_EQ(rd(IIR) & 0x0f, 0x04);
	rd(RBR);
	EXPECT_EQ(rd(IIR) & 0x0f, 0x02);
}

TEST_F(UartTest, DivisorLatchSharesOffsetsZeroAndOne)
{
	wr(IER, 0x05);
	wr(LCR, 0x83);
	wr(DLL, 0x0c);
	wr(DLM, 0x01);
	EXPECT_EQ(rd(DLL), 0x0c);
	EXPECT_EQ(rd(DLM), 0x01);
	EXPECT_TRUE(console.empty()); /* DLL write is not a transmit */
	wr(LCR, 0x03);
	EXPECT_EQ(rd(LCR), 0x03);
	EXPECT_EQ(rd(IER), 0x05);
	wr(THR, 'k');
	EXPECT_EQ(console, "k");
}

TEST_F(UartTest, LoopbackRoutesTransmitAndModemLines)
{
	wr(FCR, 0x01);
	wr(MCR, 0x10 | 0x0a);            /* loop, RTS, OUT2 */
	EXPECT_EQ(rd(MSR) & 0xf0, 0x90); /* DCD and CTS */
	wr(THR, 'L');
	EXPECT_TRUE(console.empty());
	EXPECT_EQ(rd(LSR) & 0x01, 1);
	EXPECT_EQ(rd(RBR), 'L');
	wr(MCR, 0x00);
	EXPECT_EQ(rd(MSR) & 0xf0, 0xb0);
}

TEST_F(UartTest, LoopbackOverrunSetsLsrOeUntilRead)
{
	wr(MCR, 0x10); /* loopback, FIFO off: one byte of room */
	wr(IER, 0x04);
	wr(THR, '1');
	EXPECT_FALSE(line());
	wr(THR, '2');
	EXPECT_TRUE(line());
	EXPECT_EQ(rd(IIR) & 0x0f, 0x06);
	EXPECT_EQ(rd(LSR) & 0x03, 0x03);
	EXPECT_EQ(rd(LSR) & 0x02, 0);
	EXPECT_FALSE(line());
	EXPECT_EQ(rd(RBR), '1');
}

TEST_F(UartTest, ScratchRegisterHoldsValue)
{
	wr(SCR, 0xa5);
	EXPECT_EQ(rd(SCR), 0xa5);
}

TEST_F(UartTest, WrongSizeAndOutOfRangeAccessesAreIgnored)
{
	dev->ops->write(dev->opaque, THR, 4, 'x');
	dev->ops->write(dev->opaque, THR, 2, 'x');
	dev->ops->write(dev->opaque, 8, 1, 'x');
	dev->ops->write(dev->opaque, 0xff, 1, 'x');
	dev->ops->write(dev->opaque, ~0ull, 1, 'x');
	EXPECT_TRUE(console.empty());
	uart_push_rx(u, 'd');
	EXPECT_EQ(dev->ops->read(dev->opaque, RBR, 4), 0u);
	EXPECT_EQ(dev->ops->read(dev->opaque, LSR, 8), 0u);
	EXPECT_EQ(dev->ops->read(dev->opaque, 0x10, 1), 0u);
	EXPECT_EQ(dev->ops->read(dev->opaque, ~0ull, 1), 0u);
	EXPECT_EQ(rd(RBR), 'd'); /* the wide read did not consume it */
	wr(LSR, 0xff);
	EXPECT_EQ(rd(LSR), 0x60);
}

} // namespace
