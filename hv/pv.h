/* SPDX-License-Identifier: MIT */
/*
 * The Retrovisor paravirtual SBI extension (ARCHITECTURE.md section 5):
 * what a guest may ask of the hypervisor beyond the SBI standard. One
 * extension in the SBI experimental range (0x08000000-0x08FFFFFF, SBI
 * spec chapter "Experimental SBI Extension Space"), called like any SBI
 * function: a7 = RV_PV_EXT, a6 = function, arguments in a0..a5; the
 * result is a0 = error (SBI_SUCCESS 0 or a negative SBI error), a1 =
 * value. A guest finds it with the BASE extension's probe_extension.
 *
 * This header is for guests as well as for the hypervisor: it uses
 * fixed-width types only. Stability rules, as the plugin ABI's: a function
 * number, once released, keeps its meaning; new functions get new
 * numbers; RV_PV_VERSION grows when functions are added. Changelog:
 *   1  GET_VERSION, SNAPSHOT, RESTORE, END_ITERATION, GET_INPUT.
 *
 * Functions:
 *
 *   GET_VERSION    a1 = RV_PV_VERSION.
 *   SNAPSHOT(tag)  the host takes an in-memory snapshot named "guest-TAG"
 *                  (replacing one of that name) right after this call
 *                  returns. Returns a1 = 0 when taken; when the snapshot
 *                  is later restored the call returns again, like setjmp,
 *                  with a1 = 1 + the number of restores of it so far.
 *   RESTORE(tag)   make the machine what snapshot "guest-TAG" was (the
 *                  SNAPSHOT call then returns again). Returns only on
 *                  failure: SBI_ERR_INVALID_PARAM if there is no such
 *                  snapshot.
 *   END_ITERATION(status)
 *                  in the host's reset loop (`retrovisor loop`): this
 *                  iteration is over, with status (the guest's verdict:
 *                  0 pass, anything else a finding); the host restores the
 *                  loop's snapshot and starts the next. Outside a loop:
 *                  SBI_ERR_NOT_SUPPORTED.
 *   GET_INPUT(pa, size)
 *                  copy this iteration's input to guest physical memory
 *                  [pa, pa + size); a1 = the input's full length (the
 *                  copy is cut at size). Outside a loop: a1 = 0.
 *                  SBI_ERR_INVALID_ADDRESS if the range is not RAM.
 *
 * Snapshot requests need a host that serves them (the retrovisor command
 * does); a machine embedded without one answers SBI_ERR_NOT_SUPPORTED.
 */
#ifndef HV_PV_H
#define HV_PV_H

#define RV_PV_EXT 0x08525653u /* experimental range, "RVS" */
#define RV_PV_VERSION 1u

#define RV_PV_GET_VERSION 0u
#define RV_PV_SNAPSHOT 1u
#define RV_PV_RESTORE 2u
#define RV_PV_END_ITERATION 3u
#define RV_PV_GET_INPUT 4u

#endif
