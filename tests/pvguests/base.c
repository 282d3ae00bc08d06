// SPDX-License-Identifier: MIT
/*
 * pvguest "base": the BASE extension (probe of every extension the
 * hypervisor implements, spec version), error codes for unknown
 * extensions/functions and reserved SRST values, and the DBCN console.
 *
 * Lines that need SBI v2.0 start with "[2.0]": firmware implementing an
 * older spec (QEMU 7.2 ships OpenSBI 1.1, SBI v1.0, no DBCN) prints them
 * differently, and the harness leaves them out of the QEMU comparison.
 */
#include "pvrt.h"

const char pv_guest_name[] = "base";

static const struct {
	const char *name;
	unsigned long eid;
	long want;
} pv_exts[] = {
	{ "BASE", SBI_EXT_BASE, 1 },
	{ "TIME", SBI_EXT_TIME, 1 },
	{ "IPI", SBI_EXT_IPI, 1 },
	{ "RFENCE", SBI_EXT_RFENCE, 1 },
	{ "HSM", SBI_EXT_HSM, 1 },
	{ "SRST", SBI_EXT_SRST, 1 },
	{ "legacy set_timer", 0x00, 1 },
	{ "legacy console_putchar", 0x01, 1 },
	{ "legacy console_getchar", 0x02, 1 },
	{ "legacy clear_ipi", 0x03, 1 },
	{ "legacy send_ipi", 0x04, 1 },
	{ "legacy remote_fence_i", 0x05, 1 },
	{ "legacy remote_sfence_vma", 0x06, 1 },
	{ "legacy remote_sfence_vma_asid", 0x07, 1 },
	{ "legacy shutdown", 0x08, 1 },
	{ "reserved legacy 0x09", 0x09, 0 },
	{ "reserved legacy 0x0f", 0x0f, 0 },
	{ "unknown 0x12345", 0x12345, 0 },
};

static char pv_dbcn_buf[64];

void guest_main(unsigned long dtb)
{
	static const char msg[] = "[2.0] dbcn: hello through console_write\n";
	unsigned long i, ver;
	struct sbiret r;

	(void)dtb;
	for (i = 0; i < sizeof(pv_exts) / sizeof(pv_exts[0]); i++) {
		r = sbi_call(SBI_EXT_BASE, 3, pv_exts[i].eid, 0, 0, 0, 0);
		pv_printf("probe %s: error=%ld value=%ld\n", pv_exts[i].name, r.error, r.value);
	}
	r = sbi_call(SBI_EXT_BASE, 3, SBI_EXT_DBCN, 0, 0, 0, 0);
	pv_printf("[2.0] probe DBCN: error=%ld value=%ld\n", r.error, r.value);

	r = sbi_call(SBI_EXT_BASE, 0, 0, 0, 0, 0, 0);
	ver = (unsigned long)r.value;
	pv_printf("spec version: error=%ld, reserved bits clear: %s\n", r.error,
		  ver >> 31 ? "no" : "yes");
	pv_printf("spec version >= 0.2: %s\n", ver >= ((0ul << 24) | 2) ? "ok" : "no");
	pv_printf("[2.0] spec version >= 2.0: %s\n", (ver >> 24) >= 2 ? "ok" : "no");
	for (i = 4; i <= 6; i++)
		pv_printf("machine id fid %ld: error=%ld\n", i,
			  sbi_call(SBI_EXT_BASE, i, 0, 0, 0, 0, 0).error);

	pv_printf("unknown extension: error=%ld\n", sbi_call(0x12345, 0, 0, 0, 0, 0, 0).error);
	pv_printf("unknown BASE function: error=%ld\n",
		  sbi_call(SBI_EXT_BASE, 7, 0, 0, 0, 0, 0).error);
	pv_printf("unknown TIME function: error=%ld\n",
		  sbi_call(SBI_EXT_TIME, 1, 0, 0, 0, 0, 0).error);
	pv_printf("unknown HSM function: error=%ld\n",
		  sbi_call(SBI_EXT_HSM, 9, 0, 0, 0, 0, 0).error);
	pv_printf("srst reserved type: error=%ld\n",
		  sbi_call(SBI_EXT_SRST, 0, 3, 0, 0, 0, 0).error);
	pv_printf("srst reserved reason: error=%ld\n",
		  sbi_call(SBI_EXT_SRST, 0, 0, 2, 0, 0, 0).error);
	pv_printf("legacy getchar without input: %ld\n", sbi_legacy(0x02, 0, 0, 0, 0));

	r = sbi_call(SBI_EXT_DBCN, 0, sizeof(msg) - 1, (unsigned long)msg, 0, 0, 0);
	pv_printf("[2.0] dbcn console_write: error=%ld value=%ld\n", r.error, r.value);
	pv_printf("[2.0] dbcn byte: ");
	r = sbi_call(SBI_EXT_DBCN, 2, '*', 0, 0, 0, 0);
	pv_printf("\n[2.0] dbcn console_write_byte: error=%ld value=%ld\n", r.error, r.value);
	r = sbi_call(SBI_EXT_DBCN, 1, sizeof(pv_dbcn_buf), (unsigned long)pv_dbcn_buf, 0, 0, 0);
	pv_printf("[2.0] dbcn console_read without input: error=%ld value=%ld\n", r.error, r.value);
	/* base_addr_hi = 1: an address at or above 2^64, never RAM. */
	r = sbi_call(SBI_EXT_DBCN, 0, 4, (unsigned long)msg, 1, 0, 0);
	pv_printf("[2.0] dbcn console_write outside RAM: error=%ld\n", r.error);
	r = sbi_call(SBI_EXT_DBCN, 1, 4, (unsigned long)pv_dbcn_buf, 1, 0, 0);
	pv_printf("[2.0] dbcn console_read outside RAM: error=%ld\n", r.error);
}
