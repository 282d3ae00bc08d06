/* SPDX-License-Identifier: MIT */
/*
 * NS16550A UART of the virt machine (1-byte registers, reg-shift 0).
 *
 * Transmitted bytes go to machine_console_write() as they are written.
 * Received bytes come from the machine's input funnel via uart_push_rx().
 */
#ifndef HV_UART_H
#define HV_UART_H

#include "hv/dev.h"
#include "hv/types.h"

/* Receive FIFO depth of a 16550A; with the FIFO disabled (16450 mode)
 * the receiver holds one byte. */
#define UART_FIFO_SIZE 16
#define UART_MMIO_SIZE 0x100

struct machine;
struct uart;

/* Create the UART; irq is its PLIC line (copied). Returns NULL and fills
 * err if out of host memory. */
struct uart *uart_create(struct machine *m, const struct hv_irq *irq, struct hv_err *err);
void uart_destroy(struct uart *u);

/* The MMIO window to register at HV_UART_BASE. */
struct hv_dev *uart_dev(struct uart *u);

/* Whether the receiver can take one more byte now. */
bool uart_rx_room(const struct uart *u);

/* Deliver one received byte. Returns false, and drops nothing, when the
 * receiver is full: the caller keeps the byte and retries later. */
bool uart_push_rx(struct uart *u, uint8_t byte);

#endif
