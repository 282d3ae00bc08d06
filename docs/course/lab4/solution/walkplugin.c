// SPDX-License-Identifier: MIT
/*
 * Lab 4, solution: the page-table walk of the introspection library
 * (introspect/walk.h) in a plugin, beside the machine's own translation.
 *
 *   retrovisor run --kernel sv39guest.elf --plugin walkplugin.so,va=VA[,va=VA...]
 *
 * When the guest writes satp with translation on (the rv_on_satp event,
 * after the write), the plugin translates every VA twice and prints to
 * stderr, per address,
 *
 *   walk va 0xffffffc012345678 library 0x80216678 perm VRWAD machine 0x80216678
 *
 * "library" is intro_translate() walking the tables satp names, reading
 * guest physical memory through the plugin ABI (rv_mem_read_phys); the
 * library never touches the machine itself, which is why the same walk
 * also serves offline tools reading a memory dump. "machine" is the
 * plugin ABI's translation query, rv_translate(), which asks the hart's
 * MMU (a debugger's view: no TLB fill, no A/D update). A failed walk
 * prints "fault" (and the library's error number) in place of an address.
 *
 * Input not trusted: the arguments (a va= that is not a number refuses
 * the run with one line).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "introspect/walk.h"
#include "retrovisor/plugin.h"

RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION };

#define WALK_MAX_VA 16

static uint64_t walk_va[WALK_MAX_VA];
static int walk_nva;

/* struct intro_mem's reader: all len bytes of guest physical memory, or -1. */
static int walk_read_phys(void *opaque, uint64_t pa, void *buf, size_t len)
{
	(void)opaque;
	return rv_mem_read_phys(pa, buf, len) == len ? 0 : -1;
}

static void walk_perm(unsigned perm, char *out)
{
	static const char names[] = "VRWXUGAD";

	for (int b = 0; b < 8; b++)
		if (perm >> b & 1)
			*out++ = names[b];
	*out = 0;
}

static void walk_on_satp(void *ud, uint32_t hart, uint64_t satp)
{
	const struct intro_mem mem = { .opaque = NULL, .read_phys = walk_read_phys };

	(void)ud;
	if (satp >> 60 == INTRO_SATP_BARE)
		return;
	for (int i = 0; i < walk_nva; i++) {
		uint64_t lib = 0, mach = 0;
		unsigned perm = 0;
		char p[9];
		int r = intro_translate(&mem, satp, walk_va[i], &lib, &perm);
		int m = rv_translate(hart, walk_va[i], &mach);

		walk_perm(perm, p);
		if (r == INTRO_OK)
			fprintf(stderr, "walk va 0x%" PRIx64 " library 0x%" PRIx64 " perm %s",
				walk_va[i], lib, p);
		else
			fprintf(stderr, "walk va 0x%" PRIx64 " library fault %d", walk_va[i], r);
		if (m == 0)
			fprintf(stderr, " machine 0x%" PRIx64 "\n", mach);
		else
			fprintf(stderr, " machine fault\n");
	}
}

RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	(void)info;
	for (int i = 0; i < argc; i++) {
		char *end;
		if (strcmp(argv[i].key, "va") != 0 || walk_nva == WALK_MAX_VA) {
			rv_plugin_fail(self, "arguments are va=ADDRESS, at most 16 of them");
			return -1;
		}
		walk_va[walk_nva++] = strtoull(argv[i].value, &end, 0);
		if (!*argv[i].value || *end) {
			rv_plugin_fail(self, "va= wants a number (0x... for hexadecimal)");
			return -1;
		}
	}
	rv_on_satp(self, walk_on_satp, NULL);
	return 0;
}
