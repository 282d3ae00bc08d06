// SPDX-License-Identifier: MIT
/*
 * NS16550A UART (National Semiconductor / TI PC16550D data sheet), the
 * console of QEMU's virt machine that Linux's 8250 driver and OpenSBI's
 * uart8250 driver program:
 *
 *   0 RBR (read) / THR (write), DLL when LCR.DLAB
 *   1 IER, DLM when LCR.DLAB
 *   2 IIR (read) / FCR (write)
 *   3 LCR   4 MCR   5 LSR   6 MSR   7 SCR
 *
 * Transmission is instantaneous: a byte written to THR reaches the console
 * sink at once (or the receiver, in loopback), so LSR.THRE and LSR.TEMT
 * always read 1, and the THR-empty interrupt condition is re-armed by
 * every write, exactly as if the shift register drained in zero time.
 * Baud rate and line format are stored for the guest to read back but
 * have no effect. The receiver is a FIFO of UART_FIFO_SIZE bytes (one
 * byte when FCR.FIFOE is 0) fed by uart_push_rx(); the input funnel
 * holds bytes back while it is full, so input is never lost.
 *
 * Interrupt identification follows the data sheet's priority: receiver
 * line status, then received data (reported as "character timeout" while
 * the FIFO holds less than the trigger level, since without a baud clock
 * the timeout is considered elapsed), then THR empty, then modem status
 * (which never changes here, so never fires). Reading IIR while it
 * reports THR empty clears that condition. The PLIC line is the OR of
 * the enabled conditions; MCR.OUT2 does not gate it (as in QEMU).
 *
 * All register accesses come from the guest: anything but a 1-byte access
 * to offsets 0..7 reads as zero and is ignored on write.
 */
#include "hv/dev/uart.h"

#include "hv/devstate.h"
#include "hv/cpu/hart.h"
#include "hv/mem/mem.h"

#include <stdlib.h>

enum {
	UART_RBR = 0,
	UART_THR = 0,
	UART_DLL = 0,
	UART_IER = 1,
	UART_DLM = 1,
	UART_IIR = 2,
	UART_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define UART_IER_RDI 0x01  /* received data available */
#define UART_IER_THRI 0x02 /* THR empty */
#define UART_IER_RLSI 0x04 /* receiver line status */
#define UART_IER_MASK 0x0f

#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_RLSI 0x06
#define UART_IIR_TIMEOUT 0x0c
#define UART_IIR_FIFO_ON 0xc0

#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_DMA 0x08
#define UART_FCR_TRIGGER 0xc0
#define UART_FCR_STORED (UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIGGER)

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
#define UART_MCR_MASK 0x1f

#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

struct uart {
	struct hv_dev dev;
	struct machine *m;
	struct hv_irq irq;
	bool irq_level;

	uint8_t rx[UART_FIFO_SIZE];
	unsigned rx_head, rx_count;

	uint8_t ier, lcr, mcr, fcr, scr, dll, dlm;
	uint8_t lsr_errors; /* sticky LSR error bits, cleared by reading */
	bool thr_ipending;  /* THR-empty interrupt condition armed */
};

static unsigned uart_rx_capacity(const struct uart *u)
{
	return (u->fcr & UART_FCR_ENABLE) ? UART_FIFO_SIZE : 1;
}

/* Receiver trigger level selected by FCR bits 7:6 (data sheet, FCR). */
static unsigned uart_rx_trigger(const struct uart *u)
{
	static const unsigned level[4] = { 1, 4, 8, 14 };

	return level[(u->fcr & UART_FCR_TRIGGER) >> 6];
}

static uint8_t uart_iir_id(const struct uart *u)
{
	if ((u->ier & UART_IER_RLSI) && u->lsr_errors)
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && u->rx_count) {
		if ((u->fcr & UART_FCR_ENABLE) && u->rx_count < uart_rx_trigger(u))
			return UART_IIR_TIMEOUT;
		return UART_IIR_RDI;
	}
	if ((u->ier & UART_IER_THRI) && u->thr_ipending)
		return UART_IIR_THRI;
	return UART_IIR_NO_INT;
}

static void uart_update_irq(struct uart *u)
{
	bool level = uart_iir_id(u) != UART_IIR_NO_INT;

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	hv_irq_set(&u->irq, level);
}

static void uart_rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

static bool uart_rx_put(struct uart *u, uint8_t byte)
{
	if (u->rx_count >= uart_rx_capacity(u))
		return false;
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
	return true;
}

static uint8_t uart_rx_pop(struct uart *u)
{
	uint8_t byte;

	if (!u->rx_count)
		return 0;
	byte = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	return byte;
}

static void uart_transmit(struct uart *u, uint8_t byte)
{
	if (u->mcr & UART_MCR_LOOP) {
		/* Loopback wires the transmitter to the receiver; a full
		 * receiver loses the byte and flags an overrun. */
		if (!uart_rx_put(u, byte))
			u->lsr_errors |= UART_LSR_OE;
	} else {
		machine_console_write(u->m, &byte, 1);
	}
	/* The transmitter drained at once: THR is empty again. */
	u->thr_ipending = true;
}

static uint8_t uart_msr(const struct uart *u)
{
	/* Loopback routes the modem outputs to the inputs (data sheet,
	 * MCR bit 4); otherwise the line is a connected, ready terminal. */
	if (u->mcr & UART_MCR_LOOP) {
		uint8_t msr = 0;

		if (u->mcr & UART_MCR_DTR)
			msr |= UART_MSR_DSR;
		if (u->mcr & UART_MCR_RTS)
			msr |= UART_MSR_CTS;
		if (u->mcr & UART_MCR_OUT1)
			msr |= UART_MSR_RI;
		if (u->mcr & UART_MCR_OUT2)
			msr |= UART_MSR_DCD;
		return msr;
	}
	return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
}

static uint64_t uart_read(void *opaque, uint64_t off, unsigned size)
{
	struct uart *u = opaque;
	uint8_t val = 0;

	if (size != 1 || off > UART_SCR)
		return 0;
	switch (off) {
	case UART_RBR:
		val = (u->lcr & UART_LCR_DLAB) ? u->dll : uart_rx_pop(u);
		break;
	case UART_IER:
		val = (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
		break;
	case UART_IIR:
		val = uart_iir_id(u);
		if (val == UART_IIR_THRI)
			u->thr_ipending = false;
		if (u->fcr & UART_FCR_ENABLE)
			val |= UART_IIR_FIFO_ON;
		break;
	case UART_LCR:
		val = u->lcr;
		break;
	case UART_MCR:
		val = u->mcr;
		break;
	case UART_LSR:
		val = UART_LSR_THRE | UART_LSR_TEMT | u->lsr_errors;
		if (u->rx_count)
			val |= UART_LSR_DR;
		u->lsr_errors = 0;
		break;
	case UART_MSR:
		val = uart_msr(u);
		break;
	case UART_SCR:
		val = u->scr;
		break;
	}
	uart_update_irq(u);
	return val;
}

static void uart_write(void *opaque, uint64_t off, unsigned size, uint64_t val64)
{
	struct uart *u = opaque;
	uint8_t val = (uint8_t)val64;

	if (size != 1 || off > UART_SCR)
		return;
	switch (off) {
	case UART_THR:
		if (u->lcr & UART_LCR_DLAB)
			u->dll = val;
		else
			uart_transmit(u, val);
		break;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB) {
			u->dlm = val;
			break;
		}
		/* Enabling the THR-empty interrupt while THR is empty (it
		 * always is) raises it at once; drivers probe for this. */
		if ((val & ~u->ier) & UART_IER_THRI)
			u->thr_ipending = true;
		u->ier = val & UART_IER_MASK;
		break;
	case UART_FCR:
		/* Toggling FIFOE resets both FIFOs (data sheet, FCR bit 0). */
		if ((val ^ u->fcr) & UART_FCR_ENABLE)
			uart_rx_clear(u);
		if (val & UART_FCR_CLEAR_RX)
			uart_rx_clear(u);
		u->fcr = val & UART_FCR_STORED;
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & UART_MCR_MASK;
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default:
		/* LSR and MSR writes are factory test modes: ignored. */
		break;
	}
	uart_update_irq(u);
}

static uint64_t uart_digest(void *opaque)
{
	const struct uart *u = opaque;
	uint64_t d = hv_mix(0x75617274, u->rx_count);

	for (unsigned i = 0; i < u->rx_count; i++)
		d = hv_mix(d, u->rx[(u->rx_head + i) % UART_FIFO_SIZE]);
	d = hv_mix(d, (uint64_t)u->ier | (uint64_t)u->lcr << 8 | (uint64_t)u->mcr << 16 |
			      (uint64_t)u->fcr << 24 | (uint64_t)u->scr << 32 |
			      (uint64_t)u->dll << 40 | (uint64_t)u->dlm << 48 |
			      (uint64_t)u->lsr_errors << 56);
	return hv_mix(d, (uint64_t)u->thr_ipending << 1 | u->irq_level);
}

/*
 * Snapshot record, version 1: u32 version; u8 IER, LCR, MCR, FCR, SCR,
 * DLL, DLM, sticky LSR errors; u8 THR-empty condition (0/1); u8 receive
 * count, then that many bytes, oldest first. The interrupt level is not
 * stored: it follows from the rest (uart_iir_id).
 */
static const struct devstate_field uart_fields[] = {
	DEVSTATE_FIELD(struct uart, ier),          DEVSTATE_FIELD(struct uart, lcr),
	DEVSTATE_FIELD(struct uart, mcr),          DEVSTATE_FIELD(struct uart, fcr),
	DEVSTATE_FIELD(struct uart, scr),          DEVSTATE_FIELD(struct uart, dll),
	DEVSTATE_FIELD(struct uart, dlm),          DEVSTATE_FIELD(struct uart, lsr_errors),
	DEVSTATE_FIELD(struct uart, thr_ipending),
};

static void uart_save(void *opaque, struct devstate_w *w)
{
	const struct uart *u = opaque;

	devstate_put_u32(w, DEVSTATE_VERSION);
	devstate_put_fields(w, u, uart_fields, HV_ARRAY_LEN(uart_fields));
	devstate_put_u8(w, (uint8_t)u->rx_count);
	for (unsigned i = 0; i < u->rx_count; i++)
		devstate_put_u8(w, u->rx[(u->rx_head + i) % UART_FIFO_SIZE]);
}

static int uart_restore(void *opaque, struct devstate_r *r)
{
	struct uart *u = opaque;
	struct uart n = *u;

	if (devstate_get_version(r, "UART") != 0)
		return -1;
	devstate_get_fields(r, &n, uart_fields, HV_ARRAY_LEN(uart_fields));
	n.rx_head = 0;
	n.rx_count = devstate_get_u8(r);
	if (r->error)
		return -1;
	/* Only values a guest could have produced (uart_write masks them). */
	if ((n.ier & ~UART_IER_MASK) || (n.mcr & ~UART_MCR_MASK) || (n.fcr & ~UART_FCR_STORED) ||
	    (n.lsr_errors & ~UART_LSR_OE))
		return devstate_r_fail(r,
				       "UART registers IER 0x%x MCR 0x%x FCR 0x%x LSR "
				       "0x%x have bits the device never sets",
				       n.ier, n.mcr, n.fcr, n.lsr_errors);
	if (n.rx_count > uart_rx_capacity(&n))
		return devstate_r_fail(r, "UART receiver holds %u bytes, more than its %u",
				       n.rx_count, uart_rx_capacity(&n));
	devstate_get_bytes(r, n.rx, n.rx_count);
	if (devstate_r_finish(r))
		return -1;
	n.irq_level = uart_iir_id(&n) != UART_IIR_NO_INT;
	*u = n;
	/* Drive the line even if unchanged: the PLIC may hold another
	 * machine's level for it. */
	hv_irq_set(&u->irq, u->irq_level);
	return 0;
}

static const struct hv_dev_ops uart_ops = HV_DEV_OPS(uart);

struct uart *uart_create(struct machine *m, const struct hv_irq *irq, struct hv_err *err)
{
	struct uart *u = HV_DEV_NEW(struct uart, m, "uart", HV_UART_BASE, UART_MMIO_SIZE, &uart_ops,
				    "the UART", err);

	if (!u)
		return NULL;
	u->irq = *irq;
	return u;
}

HV_DEV_DEFINE_ACCESSORS(uart)

bool uart_rx_room(const struct uart *u)
{
	return u->rx_count < uart_rx_capacity(u);
}

bool uart_push_rx(struct uart *u, uint8_t byte)
{
	if (!uart_rx_put(u, byte))
		return false;
	uart_update_irq(u);
	return true;
}
