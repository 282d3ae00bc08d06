// SPDX-License-Identifier: MIT
/*
 * Lab 3, starter: an SBI extension of our own, in the hypervisor.
 *
 * Retrovisor's firmware-specific extension (SBI spec, "Firmware Specific
 * Extension Space": EID 0x0A000000 | the low 24 bits of the
 * implementation ID "RETR", so 0x0A455452, SBI_EXT_FIRMWARE in
 * hv/platform/sbi.h), with two functions:
 *
 *   FID 0  LAB_GET_ICOUNT         value = instructions the calling hart
 *                                 has retired, the ECALL included
 *   FID 1  LAB_CHECKSUM(pa, len)  value = FNV-1a (32 bits) of guest
 *                                 physical memory [pa, pa + len);
 *                                 SBI_ERR_INVALID_PARAM for len > 4096,
 *                                 SBI_ERR_INVALID_ADDRESS where any byte
 *                                 is not RAM
 *   other FIDs                    SBI_ERR_NOT_SUPPORTED
 *
 * The file is linked into a variant binary (BUILD.bazel:
 * retrovisor_starter) and registers the extension from a constructor,
 * before main, with sbi_register_extension (hv/platform/sbi.h). The registration
 * is done; the functions are yours (README.md, tasks 2 and 3).
 */
#include <stdio.h>
#include <stdlib.h>

#include "hv/cpu/hart.h"
#include "hv/platform/machine.h"
#include "hv/platform/sbi.h"

enum { LAB_GET_ICOUNT = 0, LAB_CHECKSUM = 1 };
#define LAB_CHECKSUM_MAX 4096u

static int64_t lab_call(struct hart *h, uint64_t fid, const uint64_t args[6], uint64_t *value)
{
	(void)h;
	(void)args;
	(void)value;
	switch (fid) {
	/* TODO (task 2): LAB_GET_ICOUNT. Which field of struct hart
	 * (hv/cpu/hart.h) counts retired instructions? */
	/* TODO (task 3): LAB_CHECKSUM. Bound the length first, then read
	 * guest memory with machine_read_phys (hv/platform/machine.h); never trust a
	 * guest pointer. */
	default:
		return SBI_ERR_NOT_SUPPORTED;
	}
}

static const struct sbi_extension lab_extension = { SBI_EXT_FIRMWARE, lab_call };

__attribute__((constructor)) static void lab_register(void)
{
	if (!sbi_register_extension(&lab_extension)) {
		fprintf(stderr,
			"retrovisor: the lab's SBI extension 0x%x could not be registered "
			"(outside 0x0A000000-0x0AFFFFFF or registered twice): fix sbi_lab.c\n",
			lab_extension.eid);
		exit(2);
	}
}
