// SPDX-License-Identifier: MIT
/*
 * The engine options and the JIT's log (interface in engine.h, user
 * documentation in docs/cli.md).
 *
 * The log has one paragraph per translation: a header line, the host
 * code of the block's entry, then each guest instruction (virtual pc,
 * encoding, the ISA table's disassembly, isa_disasm) followed by the host
 * instructions made for it (host address, bytes, Capstone's Intel
 * syntax), then the host code of the block's exits and their stubs:
 *
 *   block pc 0x80200008 pa 0x80200008 guest 5 host 498 bytes at 0x7f0baf194000
 *     host  7f0baf194000  53                            push    rbx
 *     ...
 *     guest 0000000080200008  00533023  sd      t0,0(t1)
 *     host  7f0baf19404a  48 8b 83 30 00 00 00          mov     rax, qword ptr [rbx + 0x30]
 *     ...
 *     exits
 *     host  ...
 *
 * Nothing in it is trusted from the guest beyond what the translator
 * already accepted: instruction counts come from the block, lengths are
 * bounded by the buffers below.
 */
#include "cli/engine.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "hv/cpu/block.h"
#include "hv/cpu/insn.h"

enum cli_engine_opt {
	ENGINE_OPT_ENGINE,
	ENGINE_OPT_CACHE,
	ENGINE_OPT_LOG,
	ENGINE_OPT_STATS,
	ENGINE_OPT_COUNT
};

static const char *const cli_engine_opts[ENGINE_OPT_COUNT] = {
	[ENGINE_OPT_ENGINE] = "engine",
	[ENGINE_OPT_CACHE] = "jit-cache",
	[ENGINE_OPT_LOG] = "jit-log",
	[ENGINE_OPT_STATS] = "jit-stats",
};

/* --jit-stats: the translator's figures on stderr at the end. */
static bool cli_jit_stats;

/* Which engine option arg is (with its "=VALUE" if any), or -1. */
static int cli_engine_lookup(const char *arg, const char **val)
{
	if (strncmp(arg, "--", 2) != 0)
		return -1;
	for (int k = 0; k < ENGINE_OPT_COUNT; k++) {
		size_t n = strlen(cli_engine_opts[k]);

		if (strncmp(arg + 2, cli_engine_opts[k], n) != 0)
			continue;
		if (arg[2 + n] == '\0') {
			*val = NULL;
			return k;
		}
		if (arg[2 + n] == '=') {
			*val = arg + 3 + n;
			return k;
		}
	}
	return -1;
}

static int cli_engine_value(struct cli_engine *e, int k, const char *val, struct hv_err *err)
{
	switch (k) {
	case ENGINE_OPT_ENGINE:
		if (strcmp(val, "jit") != 0 && strcmp(val, "interp") != 0) {
			hv_err_set(err, "--engine '%s': expected jit or interp", val);
			return -1;
		}
		e->engine = strcmp(val, "jit") == 0 ? ENGINE_JIT : ENGINE_INTERP;
		e->engine_set = true;
		return 0;
	case ENGINE_OPT_CACHE:
		if (!jit_parse_size(val, &e->cache_bytes)) {
			hv_err_set(err,
				   "--jit-cache '%s': expected a size from 256K to 4G (bytes, or "
				   "with K, M or G)",
				   val);
			return -1;
		}
		e->cache_set = true;
		return 0;
	default:
		if (val[0] == '\0') {
			hv_err_set(err, "--jit-log needs a file name, not an empty string");
			return -1;
		}
		e->log = val;
		return 0;
	}
}

int cli_engine_take(int *argc, char **argv, int first, struct cli_engine *e, struct hv_err *err)
{
	bool seen[ENGINE_OPT_COUNT] = { false };
	int out = first;

	memset(e, 0, sizeof(*e));
	for (int i = first; i < *argc; i++) {
		const char *val;
		int k = cli_engine_lookup(argv[i], &val);

		if (k < 0) {
			argv[out++] = argv[i];
			continue;
		}
		if (seen[k]) {
			hv_err_set(err, "--%s given twice; give it once", cli_engine_opts[k]);
			return -1;
		}
		seen[k] = true;
		if (k == ENGINE_OPT_STATS) {
			if (val) {
				hv_err_set(err, "--jit-stats takes no value");
				return -1;
			}
			e->stats = true;
			continue;
		}
		if (!val) {
			if (i + 1 >= *argc) {
				hv_err_set(err, "--%s needs a value", cli_engine_opts[k]);
				return -1;
			}
			val = argv[++i];
		}
		if (cli_engine_value(e, k, val, err) != 0)
			return -1;
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

/* ---- the log ---- */

static struct cli_jitlog {
	pthread_mutex_t lock;
	FILE *f;
	const char *path;
	csh cs;
	int write_errno; /* the first failed write's errno, 0: none */
} cli_jitlog = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* One guest instruction's line. */
static void cli_jitlog_guest(FILE *f, const struct insn *in, uint64_t pc)
{
	char text[96];

	isa_disasm(in->raw, pc + in->pcoff, text, sizeof(text));
	char *tab = strchr(text, '\t');
	if (tab)
		*tab = '\0';
	fprintf(f, "  guest %016" PRIx64 "  %0*" PRIx32 "%s  %-7s %s\n", pc + in->pcoff,
		in->len == 2 ? 4 : 8, in->raw, in->len == 2 ? "    " : "", text,
		tab ? tab + 1 : "");
}

static void cli_jitlog_host(FILE *f, const uint8_t *code, size_t len, uint64_t host_addr)
{
	cs_insn *insn;
	size_t n = cs_disasm(cli_jitlog.cs, code, len, host_addr, 0, &insn);
	size_t done = 0;

	for (size_t i = 0; i < n; i++) {
		char bytes[3 * 16 + 1] = "";
		size_t w = 0;

		for (unsigned k = 0; k < insn[i].size && k < 16; k++)
			w += (size_t)snprintf(bytes + w, sizeof(bytes) - w, k ? " %02x" : "%02x",
					      insn[i].bytes[k]);
		fprintf(f, "  host  %012" PRIx64 "  %-29s %-7s %s\n", insn[i].address, bytes,
			insn[i].mnemonic, insn[i].op_str);
		done += insn[i].size;
	}
	if (n)
		cs_free(insn, n);
	if (done < len)
		fprintf(f, "  host  %012" PRIx64 "  (%zu bytes Capstone cannot decode)\n",
			host_addr + done, len - done);
}

static void cli_jitlog_block(void *opaque, const struct block *b, uint64_t pc,
			     const uint32_t *insn_at, const uint8_t *code, size_t len,
			     uint64_t host_addr)
{
	FILE *f = cli_jitlog.f;

	(void)opaque;
	pthread_mutex_lock(&cli_jitlog.lock);
	if (!cli_jitlog.write_errno) {
		fprintf(f,
			"block pc %#" PRIx64 " pa %#" PRIx64 " guest %" PRIu32 " host %zu bytes "
			"at %#" PRIx64 "\n",
			pc, (uint64_t)b->pa, b->n, len, host_addr);
		/* Entries: the block's instructions and, before a subscribed
		 * one, a plugin's pseudo instruction (length 0). */
		uint32_t n = b->n <= BLOCK_MAX_INSNS ? b->n : BLOCK_MAX_INSNS;
		uint32_t at = 0, seen = 0;
		for (uint32_t i = 0; i <= 2 * BLOCK_MAX_INSNS; i++) {
			uint32_t next = insn_at[i] < len ? insn_at[i] : (uint32_t)len;
			if (next > at)
				cli_jitlog_host(f, code + at, next - at, host_addr + at);
			at = next > at ? next : at;
			if (seen == n)
				break;
			if (b->insn[i].len == 0) {
				fprintf(f,
					"  guest (a plugin's callback for the next instruction)\n");
				continue;
			}
			cli_jitlog_guest(f, &b->insn[i], pc);
			seen++;
		}
		fprintf(f, "  exits\n");
		cli_jitlog_host(f, code + at, len - at, host_addr + at);
		if (fputc('\n', f) == EOF || ferror(f))
			cli_jitlog.write_errno = errno ? errno : EIO;
	}
	pthread_mutex_unlock(&cli_jitlog.lock);
}

static int cli_jitlog_open(const char *path, struct hv_err *err)
{
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cli_jitlog.cs) != CS_ERR_OK) {
		hv_err_set(err, "--jit-log: Capstone cannot disassemble x86-64 on this host");
		return -1;
	}
	cli_jitlog.f = fopen(path, "w");
	if (!cli_jitlog.f) {
		hv_err_set(err, "--jit-log %s: cannot create the file: %s", path, strerror(errno));
		cs_close(&cli_jitlog.cs);
		return -1;
	}
	cli_jitlog.path = path;
	cli_jitlog.write_errno = 0;
	jit_settings.log = cli_jitlog_block;
	jit_settings.log_opaque = &cli_jitlog;
	return 0;
}

int cli_engine_apply(const struct cli_engine *e, struct hv_err *err)
{
	char msg[256];

	if (!jit_settings_from_env(msg, sizeof(msg))) {
		hv_err_set(err, "%s", msg);
		return -1;
	}
	if (e->engine_set) {
		if (e->engine == ENGINE_JIT && !jit_supported()) {
			hv_err_set(err,
				   "--engine jit: this build has no translator for this host (x86-64 "
				   "Linux only); use --engine interp");
			return -1;
		}
		jit_settings.engine = e->engine;
	}
	if (e->cache_set)
		jit_settings.cache_bytes = e->cache_bytes;
	cli_jit_stats = e->stats;
	return e->log ? cli_jitlog_open(e->log, err) : 0;
}

int cli_engine_finish(struct hv_err *err)
{
	if (cli_jit_stats) {
		struct jit_stats st;
		jit_get_total_stats(&st);
		fprintf(stderr,
			"retrovisor: jit: %" PRIu64 " blocks translated (%" PRIu64
			" guest instructions) "
			"in %.3f s, %.1f us a block; %" PRIu64
			" KiB of host code, %.1f bytes a guest "
			"instruction; largest buffer in use %zu KiB of %zu; %" PRIu64
			" flushes, %" PRIu64 " links\n",
			st.blocks, st.insns, (double)st.ns / 1e9,
			st.blocks ? (double)st.ns / 1e3 / (double)st.blocks : 0.0, st.bytes >> 10,
			st.insns ? (double)st.bytes / (double)st.insns : 0.0, st.used >> 10,
			st.size >> 10, st.flushes, st.links);
	}
	if (!cli_jitlog.f)
		return 0;
	pthread_mutex_lock(&cli_jitlog.lock);
	jit_settings.log = NULL;
	jit_settings.log_opaque = NULL;
	if (fflush(cli_jitlog.f) != 0 && !cli_jitlog.write_errno)
		cli_jitlog.write_errno = errno ? errno : EIO;
	if (fclose(cli_jitlog.f) != 0 && !cli_jitlog.write_errno)
		cli_jitlog.write_errno = errno ? errno : EIO;
	cli_jitlog.f = NULL;
	cs_close(&cli_jitlog.cs);
	int e = cli_jitlog.write_errno;
	pthread_mutex_unlock(&cli_jitlog.lock);
	if (!e)
		return 0;
	hv_err_set(err, "--jit-log %s: writing the log failed: %s", cli_jitlog.path, strerror(e));
	return -1;
}
