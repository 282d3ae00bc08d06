/* SPDX-License-Identifier: MIT */
/*
 * retrovisor/pv.h -- the Retrovisor paravirtual SBI extension.
 *
 * What an S-mode guest may ask of the hypervisor beyond the SBI standard
 * (ARCHITECTURE.md section 5, docs/snapshots.md): snapshots it takes and
 * restores itself, and the two calls of the host's fast reset loop. This
 * header is the whole contract. It is written for both sides:
 *
 *   - guests compile it freestanding (riscv64-unknown-elf-gcc
 *     -ffreestanding -nostdlib): it includes nothing but <stdint.h>,
 *     which C11 (4p6) requires of a freestanding implementation;
 *   - the hypervisor (hv/platform/sbi.c, cli/) compiles it as ordinary C.
 *
 * It declares numbers only: no functions, no structures, no host types.
 * Every value has a fixed-width type.
 *
 * Build: `deps = ["//hv:pv"]` and `#include <retrovisor/pv.h>`; guests
 * built by tools/riscv.bzl get hv/include on their include path.
 *
 *
 * CALLING CONVENTION (SBI v2.0, chapter 3 "Binary Encoding")
 * ==========================================================
 *
 * One extension in the SBI experimental range 0x08000000-0x08FFFFFF
 * (SBI v2.0, "Experimental SBI Extension Space"), called like any SBI
 * function with ECALL from S-mode:
 *
 *   IN   a7  RV_PV_EXT
 *        a6  the function (RV_PV_GET_VERSION ...)
 *        a0  first argument, a1 second argument (a2..a5 unused, ignored)
 *   OUT  a0  error: RV_PV_SUCCESS or a negative RV_PV_ERR_* value
 *        a1  value (meaningful only when a0 is RV_PV_SUCCESS)
 *        every other register is preserved, as for any SBI call.
 *
 * A guest finds the extension with the BASE extension's
 * probe_extension(RV_PV_EXT) (EID 0x10, FID 3), which returns 1 on
 * Retrovisor's paravirtual boot and 0 under other SBI implementations
 * (OpenSBI, or Retrovisor running a firmware image with --bios).
 *
 *
 * FUNCTIONS
 * =========
 *
 * RV_PV_GET_VERSION (0)
 *   IN   -
 *   OUT  a0 = RV_PV_SUCCESS, a1 = the host's RV_PV_VERSION.
 *   Always answered, with or without a host that serves requests.
 *
 * RV_PV_SNAPSHOT (1)
 *   IN   a0 = tag, 0 <= tag < RV_PV_TAGS.
 *   OUT  a0 = RV_PV_SUCCESS, a1 = 0: the host took an in-memory snapshot
 *             named "guest-TAG" (decimal; replacing one of that name)
 *             as the call returned.
 *        a0 = RV_PV_SUCCESS, a1 = n >= 1: the snapshot was restored (by
 *             RV_PV_RESTORE from any hart); this is the n-th restore since
 *             it was taken. Like setjmp, the call returns again, on the
 *             hart that made it, with memory and every hart as they were.
 *        RV_PV_ERR_INVALID_PARAM  tag >= RV_PV_TAGS.
 *        RV_PV_ERR_FAILED         the host could not take it.
 *        RV_PV_ERR_NOT_SUPPORTED  no host serves requests (below).
 *
 * RV_PV_RESTORE (2)
 *   IN   a0 = tag.
 *   OUT  none on success: the machine becomes what snapshot "guest-TAG"
 *             was, and that SNAPSHOT call returns again.
 *        RV_PV_ERR_INVALID_PARAM  no snapshot with this tag.
 *        RV_PV_ERR_NOT_SUPPORTED  no host serves requests.
 *
 * RV_PV_END_ITERATION (3)
 *   IN   a0 = status: the guest's verdict on this iteration, 0 pass,
 *             anything else a finding (`retrovisor loop` prints it).
 *   OUT  none inside the host's reset loop (`retrovisor loop`): the host
 *             restores the loop's start and begins the next iteration.
 *        RV_PV_ERR_NOT_SUPPORTED  outside a reset loop.
 *
 * RV_PV_GET_INPUT (4)
 *   IN   a0 = guest physical address pa, a1 = size in bytes.
 *   OUT  a0 = RV_PV_SUCCESS, a1 = the length of this iteration's input;
 *             min(length, size) bytes of it were copied to [pa, pa+size).
 *             Outside a reset loop the input is empty: a1 = 0.
 *        RV_PV_ERR_INVALID_ADDRESS  [pa, pa + size) is not all RAM.
 *        RV_PV_ERR_NOT_SUPPORTED    no host serves requests.
 *
 * Any other function number: RV_PV_ERR_NOT_SUPPORTED.
 *
 * Requests other than GET_VERSION need a host that serves them (the
 * retrovisor command does; a machine embedded without one answers
 * RV_PV_ERR_NOT_SUPPORTED). They are served between instructions, after
 * the ECALL has returned, so a snapshot captures the guest past the call.
 *
 *
 * STABILITY
 * =========
 *
 * - A function number, once released, keeps its meaning, its IN and its
 *   OUT registers for ever; it is never reused.
 * - New functions get new numbers, and RV_PV_VERSION grows by one with
 *   each release that adds any. A guest that needs function F checks
 *   GET_VERSION >= the version that introduced F (changelog below).
 * - RV_PV_EXT never changes. Should the extension ever be standardised
 *   in SBI, the standard extension will be a new EID, not this one.
 * - Error values are SBI v2.0's (chapter 3, table "Standard SBI Errors")
 *   and will stay so.
 *
 * CHANGELOG
 * =========
 *
 *   version 1  GET_VERSION, SNAPSHOT, RESTORE, END_ITERATION, GET_INPUT.
 */
#ifndef RETROVISOR_PV_H
#define RETROVISOR_PV_H

#include <stdint.h>

/* The extension ID: in the experimental range, ASCII "\bRVS". */
#define RV_PV_EXT UINT32_C(0x08525653)

/* The interface version GET_VERSION returns (see CHANGELOG). */
#define RV_PV_VERSION UINT32_C(1)

/* Function IDs (a6). */
#define RV_PV_GET_VERSION UINT32_C(0)   /* since version 1 */
#define RV_PV_SNAPSHOT UINT32_C(1)      /* since version 1 */
#define RV_PV_RESTORE UINT32_C(2)       /* since version 1 */
#define RV_PV_END_ITERATION UINT32_C(3) /* since version 1 */
#define RV_PV_GET_INPUT UINT32_C(4)     /* since version 1 */

/* Snapshot tags are 0 .. RV_PV_TAGS - 1. */
#define RV_PV_TAGS UINT32_C(64)

/* Values of a0 on return: SBI v2.0's standard errors (same numbers as
 * SBI_SUCCESS, SBI_ERR_FAILED, ... in the SBI specification). */
#define RV_PV_SUCCESS INT64_C(0)
#define RV_PV_ERR_FAILED INT64_C(-1)
#define RV_PV_ERR_NOT_SUPPORTED INT64_C(-2)
#define RV_PV_ERR_INVALID_PARAM INT64_C(-3)
#define RV_PV_ERR_INVALID_ADDRESS INT64_C(-5)

#endif
