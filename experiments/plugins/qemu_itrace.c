// SPDX-License-Identifier: MIT
/*
 * An instruction trace as a QEMU TCG plugin, the counterpart of
 * plugins/examples/itrace.so for experiments/plugin-bench (QEMU's own
 * contrib/plugins/execlog is not packaged by Debian).
 *
 *   -plugin qemu_itrace.so,out=FILE,count=N
 *
 * One line per executed instruction while fewer than N were traced (N
 * default: no limit), the fields of itrace.so:
 *
 *   VCPU COUNT PC DISASSEMBLY
 *
 * COUNT is the number of instructions traced before this one; QEMU's
 * disassembly begins with the encoding. As in
 * itrace.so, every translated instruction is subscribed and its text made
 * once, at translation, into a table keyed by (pc, encoding) that the
 * execution callback receives; the trace stops writing, not being
 * called, after N.
 *
 * Input not trusted: the arguments (unknown keys and bad numbers refused).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

struct qitrace_insn {
	uint64_t vaddr;
	uint32_t raw;
	struct qitrace_insn *next; /* hash chain */
	char text[96];
};

static FILE *out;
static uint64_t count = UINT64_MAX, traced;
static struct qitrace_insn *buckets[1 << 20];
static char buf[1 << 16];

static void qitrace_exec(unsigned int vcpu, void *userdata)
{
	const struct qitrace_insn *in = userdata;

	if (traced >= count)
		return;
	fprintf(out, "%u %" PRIu64 " %s\n", vcpu, traced, in->text);
	traced++;
}

static struct qitrace_insn *qitrace_find(const struct qemu_plugin_insn *insn)
{
	uint64_t vaddr = qemu_plugin_insn_vaddr(insn);
	size_t size = qemu_plugin_insn_size(insn);
	uint32_t raw = 0;

	memcpy(&raw, qemu_plugin_insn_data(insn), size < 4 ? size : 4);
	if (size < 4)
		raw &= 0xffff;
	size_t h = (size_t)((vaddr * 0x9e3779b97f4a7c15ull) ^ raw) & ((1u << 20) - 1);
	for (struct qitrace_insn *e = buckets[h]; e; e = e->next)
		if (e->vaddr == vaddr && e->raw == raw)
			return e;
	struct qitrace_insn *e = calloc(1, sizeof(*e));
	if (!e)
		abort();
	char *dis = qemu_plugin_insn_disas(insn);
	snprintf(e->text, sizeof(e->text), "%016" PRIx64 " %s", vaddr, dis ? dis : "?");
	free(dis);
	e->vaddr = vaddr;
	e->raw = raw;
	e->next = buckets[h];
	buckets[h] = e;
	return e;
}

static void qitrace_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	for (size_t i = 0, n = qemu_plugin_tb_n_insns(tb); i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		qemu_plugin_register_vcpu_insn_exec_cb(insn, qitrace_exec, QEMU_PLUGIN_CB_NO_REGS,
						       qitrace_find(insn));
	}
}

static void qitrace_exit(qemu_plugin_id_t id, void *userdata)
{
	(void)id;
	(void)userdata;
	fflush(out);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info,
					   int argc, char **argv)
{
	const char *path = NULL;

	(void)info;
	for (int i = 0; i < argc; i++) {
		char *end;
		if (!strncmp(argv[i], "out=", 4)) {
			path = argv[i] + 4;
		} else if (!strncmp(argv[i], "count=", 6)) {
			count = strtoull(argv[i] + 6, &end, 10);
			if (end == argv[i] + 6 || *end) {
				fprintf(stderr, "qemu_itrace: bad count '%s'\n", argv[i] + 6);
				return -1;
			}
		} else {
			fprintf(stderr, "qemu_itrace: unknown argument '%s'\n", argv[i]);
			return -1;
		}
	}
	out = path ? fopen(path, "w") : stdout;
	if (!out) {
		perror(path);
		return -1;
	}
	setvbuf(out, buf, _IOFBF, sizeof(buf));
	qemu_plugin_register_vcpu_tb_trans_cb(id, qitrace_translate);
	qemu_plugin_register_atexit_cb(id, qitrace_exit, NULL);
	return 0;
}
