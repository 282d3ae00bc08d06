// SPDX-License-Identifier: MIT
/*
 * Lab 3, solution: an SBI extension of our own, in the hypervisor.
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
 * retrovisor_solution) and registers the extension from a constructor,
 * before main, with sbi_register_extension (hv/platform/sbi.h). hv/platform/sbi.c routes
 * an ECALL whose a7 is a registered EID here, and makes probe_extension
 * answer 1 for it.
 *
 * Untrusted input: every argument comes from the guest. The length is
 * bounded before anything is read, and machine_read_phys checks the whole
 * range against RAM (overflow-safe), so a wild pointer gets an SBI error,
 * never a host crash.
 */
#include <stdio.h>
#include <stdlib.h>

#include "hv/cpu/hart.h"
#include "hv/platform/machine.h"
#include "hv/platform/sbi.h"

enum { LAB_GET_ICOUNT = 0, LAB_CHECKSUM = 1 };
#define LAB_CHECKSUM_MAX 4096u

static int64_t lab_checksum(struct machine *m, uint64_t pa, uint64_t len, uint64_t *value)
{
	uint8_t buf[LAB_CHECKSUM_MAX];
	uint32_t h = 2166136261u; /* FNV-1a offset basis */

	if (len > LAB_CHECKSUM_MAX)
		return SBI_ERR_INVALID_PARAM;
	if (!machine_read_phys(m, pa, buf, len))
		return SBI_ERR_INVALID_ADDRESS;
	for (uint64_t i = 0; i < len; i++)
		h = (h ^ buf[i]) * 16777619u; /* FNV prime */
	*value = h;
	return SBI_SUCCESS;
}

static int64_t lab_call(struct hart *h, uint64_t fid, const uint64_t args[6], uint64_t *value)
{
	switch (fid) {
	case LAB_GET_ICOUNT:
		*value = h->icount;
		return SBI_SUCCESS;
	case LAB_CHECKSUM:
		return lab_checksum(h->m, args[0], args[1], value);
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
