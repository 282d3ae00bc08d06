/* SPDX-License-Identifier: MIT */
/*
 * What every example plugin shares (example.c, compiled into each): the
 * ABI range it declares, its machine handle, whole-number arguments, the
 * sentences it refuses with, and its out= file.
 *
 * The examples are written against ABI 4 (rv_machine_* queries and
 * changes through the machine handle). Built with RV_PLUGIN_ABI_BUILD
 * below 4 (the examples' BUILD does it for the old/ builds, tests/plugins
 * runs them), this header maps the rv_machine_* functions they call onto
 * the forms of versions 1-3, with the plugin handle standing for the
 * machine: the same source then exercises the old entry points, and the
 * result must be the same.
 */
#ifndef PLUGINS_EXAMPLES_EXAMPLE_H
#define PLUGINS_EXAMPLES_EXAMPLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "retrovisor/plugin.h"

/* rv_plugin_abi's initialiser: ABI 4 from 4 on; built against an older
 * version, from the oldest whose functions the plugin calls. */
/* clang-format off */
#if RV_PLUGIN_ABI_BUILD >= 4
#define EXAMPLE_ABI(oldest) { 4u, RV_PLUGIN_ABI_BUILD }
#else
#define EXAMPLE_ABI(oldest) { (oldest), RV_PLUGIN_ABI_BUILD }
#endif
/* clang-format on */

/* The machine the plugin runs on (info->machine). */
rv_machine *example_machine(rv_plugin *self, const rv_plugin_info *info);
/* A whole number (decimal, 0x hex, 0 octal; no sign) that is all of s. */
bool example_parse_u64(const char *s, uint64_t *v);
/* Leave why as the plugin's refusal; returns -1 (rv_plugin_init's). */
int example_refuse(rv_plugin *self, const char *why);
/* Refuse argument a: "bad argument 'KEY=VALUE' (USAGE)"; returns -1. */
int example_bad_arg(rv_plugin *self, const rv_plugin_arg *a, const char *usage);
/* The out= file (path NULL or "": fallback), fully buffered with buf of
 * cap bytes if buf is not NULL; NULL after refusing ("cannot create"). */
FILE *example_open_out(rv_plugin *self, const char *path, FILE *fallback, char *buf, size_t cap);
/* Flush f and close it unless it is stdout or stderr. */
void example_close_out(FILE *f);

#if RV_PLUGIN_ABI_BUILD < 4
/* The ABI 1-3 forms behind the names the examples use. */
static inline rv_plugin *example_plugin_of(rv_machine *m)
{
	return (rv_plugin *)(void *)m;
}

static inline int rv_machine_reg_read(rv_machine *m, uint32_t hart, uint32_t reg, uint64_t *v)
{
	(void)m;
	return rv_reg_read(hart, reg, v);
}

static inline uint64_t rv_machine_icount(rv_machine *m, uint32_t hart)
{
	(void)m;
	return rv_icount(hart);
}

static inline uint64_t rv_machine_total_icount(rv_machine *m)
{
	(void)m;
	return rv_total_icount();
}

#if RV_PLUGIN_ABI_BUILD >= 2
static inline uint64_t rv_machine_time_ns(rv_machine *m, uint32_t hart)
{
	(void)m;
	return rv_time_ns(hart);
}
#endif

static inline size_t rv_machine_mem_read_phys(rv_machine *m, uint64_t paddr, void *buf, size_t len)
{
	(void)m;
	return rv_mem_read_phys(paddr, buf, len);
}

static inline int rv_machine_translate(rv_machine *m, uint32_t hart, uint64_t vaddr,
				       uint64_t *paddr)
{
	(void)m;
	return rv_translate(hart, vaddr, paddr);
}

static inline const char *rv_machine_symbol(rv_machine *m, uint64_t vaddr, uint64_t *offset)
{
	return rv_symbol(example_plugin_of(m), vaddr, offset);
}

static inline int rv_machine_symbol_addr(rv_machine *m, const char *name, uint64_t *vaddr)
{
	return rv_symbol_addr(example_plugin_of(m), name, vaddr);
}

static inline int rv_machine_reg_write(rv_machine *m, uint32_t hart, uint32_t reg, uint64_t v)
{
	return rv_reg_write(example_plugin_of(m), hart, reg, v);
}

static inline int rv_machine_mem_write_phys(rv_machine *m, uint64_t paddr, const void *buf,
					    size_t len)
{
	return rv_mem_write_phys(example_plugin_of(m), paddr, buf, len);
}

#if RV_PLUGIN_ABI_BUILD >= 3
static inline int rv_machine_blk_fault(rv_machine *m, uint32_t kind, uint64_t arg)
{
	return rv_blk_fault(example_plugin_of(m), kind, arg);
}
#endif

/* Versions 1-3 cannot unsubscribe: the subscription stays. */
static inline int rv_unsubscribe(rv_plugin *self, rv_sub sub)
{
	(void)self;
	(void)sub;
	return -1;
}
#endif

#endif
