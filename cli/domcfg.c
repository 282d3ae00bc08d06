// SPDX-License-Identifier: MIT
/*
 * The parser of `retrovisor up`'s configuration file (domcfg.h): a small
 * lexer (identifiers, '=', strings, integers, '[', ']', ',', line ends)
 * and one statement per line, `key = value`. The text is untrusted: the
 * lexer is bounded by the text's length, strings and lists by fixed
 * limits, and every refusal is one sentence that starts with PATH:LINE.
 */
#include "cli/domcfg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DOMCFG_FILE_MAX (1u << 20)
#define DOMCFG_STR_MAX 4096
#define DOMCFG_LIST_MAX 16

enum tok { T_EOF, T_EOL, T_IDENT, T_EQ, T_STR, T_NUM, T_LBR, T_RBR, T_COMMA, T_BAD };

struct lex {
	const char *path;
	const char *p, *end;
	unsigned line;
	int depth; /* inside [ ]: line ends are blanks */
	enum tok t;
	char s[DOMCFG_STR_MAX];
	uint64_t num;
	struct hv_err *err;
	bool failed;
};

static void fail(struct lex *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct lex *l, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (l->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hv_err_set(l->err, "%.200s:%u: %s", l->path, l->line, msg);
	l->failed = true;
}

static enum tok next(struct lex *l)
{
	for (;;) {
		while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\r'))
			l->p++;
		if (l->p < l->end && *l->p == '#')
			while (l->p < l->end && *l->p != '\n')
				l->p++;
		if (l->p < l->end && *l->p == '\n' && l->depth > 0) {
			l->p++;
			l->line++;
			continue;
		}
		break;
	}
	if (l->p >= l->end)
		return l->t = T_EOF;
	char c = *l->p++;
	switch (c) {
	case '\n':
		l->line++;
		return l->t = T_EOL;
	case ';':
		return l->t = T_EOL;
	case '=':
		return l->t = T_EQ;
	case '[':
		l->depth++;
		return l->t = T_LBR;
	case ']':
		l->depth--;
		return l->t = T_RBR;
	case ',':
		return l->t = T_COMMA;
	case '"':
	case '\'': {
		size_t n = 0;
		while (l->p < l->end && *l->p != c && *l->p != '\n') {
			if (n + 1 >= sizeof(l->s)) {
				fail(l, "a string longer than %d bytes", DOMCFG_STR_MAX - 1);
				return l->t = T_BAD;
			}
			if (*l->p == '\0') {
				fail(l, "a string holds a NUL byte");
				return l->t = T_BAD;
			}
			l->s[n++] = *l->p++;
		}
		if (l->p >= l->end || *l->p != c) {
			fail(l, "a string is not closed on its line (%c expected)", c);
			return l->t = T_BAD;
		}
		l->p++;
		l->s[n] = '\0';
		return l->t = T_STR;
	}
	default:
		break;
	}
	if (isdigit((unsigned char)c)) {
		const char *start = l->p - 1;
		size_t n = 1;
		while (l->p < l->end && isalnum((unsigned char)*l->p))
			l->p++, n++;
		if (n >= 32) {
			fail(l, "a number of %zu characters", n);
			return l->t = T_BAD;
		}
		char buf[32];
		memcpy(buf, start, n);
		buf[n] = '\0';
		char *e;
		errno = 0;
		l->num = strtoull(buf, &e, 0);
		if (errno || *e) {
			fail(l, "'%s' is not a whole number", buf);
			return l->t = T_BAD;
		}
		return l->t = T_NUM;
	}
	if (isalpha((unsigned char)c) || c == '_') {
		size_t n = 0;
		l->s[n++] = c;
		while (l->p < l->end && (isalnum((unsigned char)*l->p) || *l->p == '_')) {
			if (n + 1 >= 64) {
				fail(l, "a key longer than 63 characters");
				return l->t = T_BAD;
			}
			l->s[n++] = *l->p++;
		}
		l->s[n] = '\0';
		return l->t = T_IDENT;
	}
	if (isprint((unsigned char)c))
		fail(l, "unexpected '%c'", c);
	else
		fail(l, "unexpected byte 0x%02x", (unsigned char)c);
	return l->t = T_BAD;
}

/* A value: a string, a number, or a list of strings. */
struct value {
	enum { V_STR, V_NUM, V_LIST } kind;
	char *item[DOMCFG_LIST_MAX]; /* V_STR: item[0] */
	unsigned n;
	uint64_t num;
};

static void value_free(struct value *v)
{
	for (unsigned i = 0; i < v->n; i++)
		free(v->item[i]);
	v->n = 0;
}

static char *dup_or_fail(struct lex *l, const char *s)
{
	char *d = strdup(s);
	if (!d)
		fail(l, "out of host memory");
	return d;
}

static int parse_value(struct lex *l, struct value *v)
{
	memset(v, 0, sizeof(*v));
	next(l);
	if (l->t == T_STR) {
		v->kind = V_STR;
		v->item[v->n] = dup_or_fail(l, l->s);
		return v->item[v->n++] ? 0 : -1;
	}
	if (l->t == T_NUM) {
		v->kind = V_NUM;
		v->num = l->num;
		return 0;
	}
	if (l->t != T_LBR) {
		if (!l->failed)
			fail(l, "a value (\"string\", number or [ list ]) is missing");
		return -1;
	}
	v->kind = V_LIST;
	for (;;) {
		next(l);
		if (l->t == T_RBR)
			return 0;
		if (l->t != T_STR)
			fail(l, "a list holds \"strings\" separated by commas");
		else if (v->n == DOMCFG_LIST_MAX)
			fail(l, "a list of more than %d items", DOMCFG_LIST_MAX);
		else if ((v->item[v->n] = dup_or_fail(l, l->s)))
			v->n++;
		if (l->failed) {
			value_free(v);
			return -1;
		}
		next(l);
		if (l->t == T_RBR)
			return 0;
		if (l->t != T_COMMA) {
			if (!l->failed)
				fail(l,
				     "a list's items are separated by commas and it ends with ]");
			value_free(v);
			return -1;
		}
	}
}

/* The folder of path joined with p, unless p is absolute. */
static char *resolve(struct lex *l, const char *p)
{
	const char *slash = strrchr(l->path, '/');
	size_t dir = slash && p[0] != '/' ? (size_t)(slash - l->path) + 1 : 0;
	char *r = malloc(dir + strlen(p) + 1);

	if (!r) {
		fail(l, "out of host memory");
		return NULL;
	}
	memcpy(r, l->path, dir);
	strcpy(r + dir, p);
	return r;
}

static bool want(struct lex *l, const struct value *v, int kind, const char *key)
{
	static const char *const what[] = { "a \"string\"", "a number", "a [ list ]" };

	if ((int)v->kind == kind)
		return true;
	fail(l, "'%s' takes %s", key, what[kind]);
	return false;
}

static int parse_policy(struct lex *l, const char *key, const char *s, enum domain_policy *p)
{
	if (!strcmp(s, "destroy"))
		*p = DOMAIN_DESTROY;
	else if (!strcmp(s, "restart"))
		*p = DOMAIN_RESTART;
	else if (!strcmp(s, "preserve"))
		*p = DOMAIN_PRESERVE;
	else {
		fail(l, "%s = \"%.64s\": use destroy, restart or preserve", key, s);
		return -1;
	}
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6 ||
	    strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return (mac[0] & 1) ? -1 : 0; /* a station needs a unicast address */
}

/* Splits "a,b=c,d" in place: *s advances past the next item. */
static char *item(char **s)
{
	char *start = *s, *comma = strchr(start, ',');

	if (comma) {
		*comma = '\0';
		*s = comma + 1;
	} else {
		*s = start + strlen(start);
	}
	return start;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *e;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*out = strtoull(s, &e, 0);
	return errno || *e || *out > max ? -1 : 0;
}

/* The checks of a new bridge's or domain's name: its length (below max),
 * not one of the n defined before (the array of their names starts at
 * name0 and its entries are stride bytes apart, each with its line at
 * line0's place), room for one more of cap. */
static int new_name(struct lex *l, const char *what, const char *name, size_t max,
		    const char *name0, const unsigned *line0, size_t stride, unsigned n,
		    unsigned cap)
{
	if (!name[0] || strlen(name) >= max) {
		fail(l, "a %s's name must have 1 to %zu characters", what, max - 1);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!strcmp(name0 + i * stride, name)) {
			fail(l, "%s '%s' is defined twice (first on line %u)", what, name,
			     *(const unsigned *)((const char *)line0 + i * stride));
			return -1;
		}
	}
	if (n == cap) {
		fail(l, "more than %u %ss", cap, what);
		return -1;
	}
	return 0;
}

static int parse_bridge(struct lex *l, struct domcfg *c, char *spec)
{
	struct domcfg_bridge *b;
	char *rest = spec, *name = item(&rest);

	if (new_name(l, "bridge", name, sizeof(b->name), c->bridge[0].name, &c->bridge[0].line,
		     sizeof(c->bridge[0]), c->nbridge, DOMCFG_MAX_BRIDGES) != 0)
		return -1;
	b = &c->bridge[c->nbridge];
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->line = l->line;
	b->latency = 1;
	char net[1200] = ""; /* uplink=user,hostfwd=RULE...: run's --net value */
	size_t nlen = 0;
	while (*rest) {
		char *kv = item(&rest), *eq = strchr(kv, '=');
		uint64_t v = 0, v2 = 0;
		if (!eq) {
			fail(l, "bridge '%s': '%.64s' is not KEY=VALUE", name, kv);
			return -1;
		}
		*eq++ = '\0';
		if (!strcmp(kv, "uplink") || !strcmp(kv, "hostfwd")) {
			bool first = kv[0] == 'u';
			if (first != !nlen || (first && strcmp(eq, "user")) ||
			    nlen + strlen(eq) + 10 >= sizeof(net)) {
				fail(l, "bridge '%s': %s", name,
				     first ? "uplink= comes once, as uplink=user" :
					     "hostfwd= follows uplink=user (at most 16)");
				return -1;
			}
			nlen += (size_t)snprintf(net + nlen, sizeof(net) - nlen, "%s%s",
						 first ? "" : ",hostfwd=", eq);
			continue;
		}
		char *colon = !strcmp(kv, "delay") ? strchr(eq, ':') : NULL;
		if (colon)
			*colon++ = '\0';
		if (parse_u64(eq, UINT32_MAX, &v) != 0 ||
		    (colon && parse_u64(colon, 1000000, &v2) != 0)) {
			fail(l, "bridge '%s': %s=%.64s is not a number in range", name, kv, eq);
			return -1;
		}
		bool ppm = strcmp(kv, "latency") && strcmp(kv, "seed");
		if (ppm && v > 1000000) {
			fail(l, "bridge '%s': %s is in parts per million (0 to 1000000)", name, kv);
			return -1;
		}
		if (!strcmp(kv, "latency") && v >= 1 && v <= 1000000)
			b->latency = (unsigned)v;
		else if (!strcmp(kv, "seed"))
			b->seed = v;
		else if (!strcmp(kv, "drop"))
			b->faults.drop_ppm = (uint32_t)v;
		else if (!strcmp(kv, "duplicate"))
			b->faults.dup_ppm = (uint32_t)v;
		else if (!strcmp(kv, "reorder"))
			b->faults.reorder_ppm = (uint32_t)v;
		else if (!strcmp(kv, "delay") && colon) {
			b->faults.delay_ppm = (uint32_t)v;
			b->faults.delay_epochs = (uint32_t)v2;
		} else {
			fail(l,
			     "bridge '%s': unknown or malformed setting '%s' (latency=1..1000000, "
			     "drop, duplicate, reorder, delay=PPM:EPOCHS, seed, uplink=user, "
			     "hostfwd=RULE)",
			     name, kv);
			return -1;
		}
	}
	if (nlen) {
		struct hv_err e = { { 0 } };
		net_opts_init(&b->uplink_net);
		if (net_parse_opts(net, &b->uplink_net, &e) != 0) {
			fail(l, "bridge '%s''s uplink: %s", name, e.msg);
			return -1;
		}
		b->uplink = true;
	}
	c->nbridge++;
	return 0;
}

static int parse_vif(struct lex *l, struct domcfg_domain *d, char *spec)
{
	char *rest = spec;

	while (*rest) {
		char *kv = item(&rest), *eq = strchr(kv, '=');
		if (eq && !strncmp(kv, "bridge=", 7) && eq[1] &&
		    strlen(eq + 1) < sizeof(d->bridge)) {
			snprintf(d->bridge, sizeof(d->bridge), "%s", eq + 1);
		} else if (eq && !strncmp(kv, "mac=", 4)) {
			if (parse_mac(eq + 1, d->mac) != 0) {
				fail(l,
				     "domain '%s': mac=%.32s is not a unicast address like "
				     "52:54:00:12:34:56",
				     d->name, eq + 1);
				return -1;
			}
			d->has_mac = true;
		} else {
			fail(l,
			     "domain '%s': vif setting '%.64s' is not bridge=NAME or mac=ADDRESS",
			     d->name, kv);
			return -1;
		}
	}
	if (!d->bridge[0]) {
		fail(l, "domain '%s': its vif names no bridge (bridge=NAME)", d->name);
		return -1;
	}
	d->has_vif = true;
	return 0;
}

/* A disk entry as run's --drive value, its file resolved. */
static int parse_disk(struct lex *l, struct domcfg_domain *d, const char *spec)
{
	const char *file = !strncmp(spec, "file=", 5) ? spec + 5 : spec;
	const char *opts = strncmp(spec, "file=", 5) ? "" : strchr(file, ',');
	size_t flen = opts && *opts ? (size_t)(opts - file) : strlen(file);
	char path[DOMCFG_STR_MAX];

	if (!flen || flen >= sizeof(path)) {
		fail(l, "domain '%s': a disk without a file", d->name);
		return -1;
	}
	if (d->ndisk == DOMCFG_MAX_DISKS) {
		fail(l, "domain '%s': more than %d disks", d->name, DOMCFG_MAX_DISKS);
		return -1;
	}
	memcpy(path, file, flen);
	path[flen] = '\0';
	char *full = resolve(l, path);
	if (!full)
		return -1;
	char *drive = malloc(strlen(full) + strlen(opts ? opts : "") + 8);
	if (!drive) {
		free(full);
		fail(l, "out of host memory");
		return -1;
	}
	sprintf(drive, "file=%s%s", full, opts ? opts : "");
	free(full);
	d->disk[d->ndisk++] = drive;
	return 0;
}

/* key takes a list: each item goes to fn (which fails l on a bad one). */
static int for_items(struct lex *l, const struct value *v, const char *key,
		     int (*fn)(struct lex *l, void *ctx, char *item), void *ctx)
{
	if (!want(l, v, V_LIST, key))
		return -1;
	for (unsigned i = 0; i < v->n; i++)
		if (fn(l, ctx, v->item[i]) != 0)
			return -1;
	return 0;
}

static int disk_item(struct lex *l, void *d, char *item)
{
	return parse_disk(l, d, item);
}

/* A plugin spec, its file resolved (what follows the first comma kept). */
static int plugin_item(struct lex *l, void *dv, char *item)
{
	struct domcfg_domain *d = dv;
	char *comma = strchr(item, ',');

	if (d->nplugin == DOMCFG_MAX_PLUGINS) {
		fail(l, "domain '%s': more than %d plugins", d->name, DOMCFG_MAX_PLUGINS);
		return -1;
	}
	if (comma)
		*comma = '\0';
	char *file = item[0] ? resolve(l, item) : NULL;
	if (!file) {
		fail(l, "domain '%s': a plugin without a file", d->name);
		return -1;
	}
	char *spec = malloc(strlen(file) + (comma ? strlen(comma + 1) + 2 : 1));
	if (!spec) {
		free(file);
		fail(l, "out of host memory");
		return -1;
	}
	sprintf(spec, "%s%s%s", file, comma ? "," : "", comma ? comma + 1 : "");
	free(file);
	d->plugin[d->nplugin++] = spec;
	return 0;
}

static int bridge_item(struct lex *l, void *c, char *item)
{
	return parse_bridge(l, c, item);
}

static int set_path(struct lex *l, const struct value *v, const char *key, char **dst)
{
	if (!want(l, v, V_STR, key))
		return -1;
	free(*dst);
	*dst = strcmp(key, "cmdline") && strcmp(v->item[0], "none") ? resolve(l, v->item[0]) :
								      dup_or_fail(l, v->item[0]);
	return *dst ? 0 : -1;
}

static int domain_key(struct lex *l, struct domcfg_domain *d, const char *key,
		      const struct value *v)
{
	if (!strcmp(key, "kernel") || !strcmp(key, "initrd") || !strcmp(key, "cmdline") ||
	    !strcmp(key, "bios"))
		return set_path(l, v, key,
				key[0] == 'k' ? &d->kernel :
				key[0] == 'i' ? &d->initrd :
				key[0] == 'c' ? &d->cmdline :
						&d->bios);
	if (!strcmp(key, "memory") || !strcmp(key, "vcpus") || !strcmp(key, "rng_seed")) {
		if (!want(l, v, V_NUM, key))
			return -1;
		if (key[0] == 'm' && (v->num < 1 || v->num > (1u << 20))) {
			fail(l, "domain '%s': memory = %" PRIu64 " MiB is out of range", d->name,
			     v->num);
			return -1;
		}
		if (key[0] == 'v' && (v->num < 1 || v->num > HV_MAX_HARTS)) {
			fail(l, "domain '%s': vcpus = %" PRIu64 ": a domain has 1 to %d", d->name,
			     v->num, HV_MAX_HARTS);
			return -1;
		}
		if (key[0] == 'm')
			d->memory_mib = v->num;
		else if (key[0] == 'v')
			d->vcpus = (unsigned)v->num;
		else
			d->rng_seed = v->num;
		return 0;
	}
	if (!strcmp(key, "weight") || !strcmp(key, "cap")) {
		if (!want(l, v, V_NUM, key))
			return -1;
		if (key[0] == 'w' && (v->num < 1 || v->num > SYSTEM_MAX_WEIGHT)) {
			fail(l, "domain '%s': weight = %" PRIu64 ": 1 to %d", d->name, v->num,
			     SYSTEM_MAX_WEIGHT);
			return -1;
		}
		if (key[0] == 'c' && v->num > 100 * HV_MAX_HARTS) {
			fail(l, "domain '%s': cap = %" PRIu64 ": 0 to 100 per vcpu", d->name,
			     v->num);
			return -1;
		}
		if (key[0] == 'w') {
			d->weight = (unsigned)v->num;
		} else {
			d->cap = (unsigned)v->num;
			d->cap_line = l->line;
		}
		return 0;
	}
	if (!strcmp(key, "disk"))
		return for_items(l, v, key, disk_item, d);
	if (!strcmp(key, "plugin"))
		return for_items(l, v, key, plugin_item, d);
	if (!strcmp(key, "vif")) {
		if (!want(l, v, V_LIST, key))
			return -1;
		if (v->n != 1 || d->has_vif) {
			fail(l, "domain '%s': one vif per domain", d->name);
			return -1;
		}
		return parse_vif(l, d, v->item[0]);
	}
	if (!strcmp(key, "on_poweroff") || !strcmp(key, "on_reboot") || !strcmp(key, "on_crash"))
		return want(l, v, V_STR, key) ? parse_policy(l, key, v->item[0],
							     key[3] == 'p' ? &d->on_poweroff :
							     key[3] == 'r' ? &d->on_reboot :
									     &d->on_crash) :
						-1;
	fail(l,
	     "unknown domain key '%s' (name, kernel, initrd, cmdline, bios, memory, vcpus, "
	     "disk, vif, plugin, rng_seed, on_poweroff, on_reboot, on_crash, weight, cap)",
	     key);
	return -1;
}

static int system_key(struct lex *l, struct domcfg *c, const char *key, const struct value *v)
{
	if (!strcmp(key, "epoch_us") || !strcmp(key, "threads")) {
		if (!want(l, v, V_NUM, key))
			return -1;
		if (key[0] == 'e' && (v->num < 1 || v->num > 1000000)) {
			fail(l, "epoch_us = %" PRIu64 ": 1 to 1000000 guest microseconds", v->num);
			return -1;
		}
		if (key[0] == 't' && (v->num < 1 || v->num > SYSTEM_MAX_DOMAINS)) {
			fail(l, "threads = %" PRIu64 ": 1 to %d", v->num, SYSTEM_MAX_DOMAINS);
			return -1;
		}
		if (key[0] == 'e')
			c->epoch_us = v->num;
		else
			c->threads = (unsigned)v->num;
		return 0;
	}
	if (!strcmp(key, "bridge"))
		return for_items(l, v, key, bridge_item, c);
	if (!strcmp(key, "cpus")) {
		if (!want(l, v, V_NUM, key))
			return -1;
		if (v->num > SYSTEM_MAX_CPUS) {
			fail(l, "cpus = %" PRIu64 ": 0 (as many as the vcpus) to %d", v->num,
			     SYSTEM_MAX_CPUS);
			return -1;
		}
		c->cpus = (unsigned)v->num;
		return 0;
	}
	fail(l,
	     "unknown key '%s' before the first domain (epoch_us, threads, cpus, bridge; a domain "
	     "starts with name = \"...\")",
	     key);
	return -1;
}

static int new_domain(struct lex *l, struct domcfg *c, const struct value *v)
{
	if (!want(l, v, V_STR, "name"))
		return -1;
	const char *name = v->item[0];
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.') {
			fail(l, "domain name '%.64s': letters, digits, '-', '_' and '.' only",
			     name);
			return -1;
		}
	if (new_name(l, "domain", name, DOMAIN_NAME_MAX, c->dom[0].name, &c->dom[0].line,
		     sizeof(c->dom[0]), c->ndom, SYSTEM_MAX_DOMAINS) != 0)
		return -1;
	struct domcfg_domain *d = &c->dom[c->ndom++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->line = l->line;
	d->on_poweroff = DOMAIN_DESTROY;
	d->on_reboot = DOMAIN_RESTART;
	d->on_crash = DOMAIN_DESTROY;
	d->weight = SYSTEM_DEFAULT_WEIGHT;
	return 0;
}

static int check_file(struct lex *l, const struct domcfg_domain *d, const char *what,
		      const char *path)
{
	if (!path || !strcmp(path, "none") || access(path, R_OK) == 0)
		return 0;
	l->line = d->line;
	fail(l, "domain '%s': %s '%.300s' cannot be read (%s)", d->name, what, path,
	     strerror(errno));
	return -1;
}

/* What only the whole file can say: every domain has a kernel, its vif's
 * bridge exists, its images can be read. */
static int check_all(struct lex *l, const struct domcfg *c, bool check_files)
{
	for (unsigned i = 0; i < c->ndom; i++) {
		const struct domcfg_domain *d = &c->dom[i];
		l->line = d->line;
		if (!d->kernel) {
			fail(l, "domain '%s' has no kernel", d->name);
			return -1;
		}
		/* vcpus may follow cap; run's default is 1 */
		unsigned vcpus = d->vcpus ? d->vcpus : 1;
		if (d->cap > 100 * vcpus) {
			l->line = d->cap_line;
			fail(l, "domain '%s': cap = %u is more than its %u vcpus' %u", d->name,
			     d->cap, vcpus, 100 * vcpus);
			return -1;
		}
		if (d->has_vif) {
			unsigned b = 0;
			while (b < c->nbridge && strcmp(c->bridge[b].name, d->bridge))
				b++;
			if (b == c->nbridge) {
				fail(l,
				     "domain '%s': its vif's bridge '%s' is not defined (bridge = "
				     "[ '%s' ] before the first domain)",
				     d->name, d->bridge, d->bridge);
				return -1;
			}
		}
		if (!check_files)
			continue;
		if (check_file(l, d, "kernel", d->kernel) ||
		    check_file(l, d, "initrd", d->initrd) || check_file(l, d, "bios", d->bios))
			return -1;
		for (unsigned k = 0; k < d->ndisk; k++) {
			char path[DOMCFG_STR_MAX];
			const char *f = d->disk[k] + 5, *comma = strchr(f, ',');
			size_t n = comma ? (size_t)(comma - f) : strlen(f);
			snprintf(path, sizeof(path), "%.*s", (int)n, f);
			if (check_file(l, d, "disk", path))
				return -1;
		}
	}
	if (!c->ndom) {
		fail(l, "no domain is defined (a domain starts with name = \"...\")");
		return -1;
	}
	return 0;
}

int domcfg_parse(const char *path, const char *text, size_t len, bool check_files, struct domcfg *c,
		 struct hv_err *err)
{
	struct lex *l = calloc(1, sizeof(*l));

	memset(c, 0, sizeof(*c));
	c->epoch_us = 500;
	if (!l) {
		hv_err_set(err, "out of host memory");
		return -1;
	}
	l->path = path;
	l->p = text;
	l->end = text + len;
	l->line = 1;
	l->err = err;
	while (!l->failed) {
		next(l);
		if (l->t == T_EOF)
			break;
		if (l->t == T_EOL)
			continue;
		if (l->t != T_IDENT) {
			if (!l->failed)
				fail(l, "a line starts with a key (key = value)");
			break;
		}
		char key[64];
		snprintf(key, sizeof(key), "%.63s", l->s);
		if (next(l) != T_EQ) {
			if (!l->failed)
				fail(l, "'%s' is not followed by '='", key);
			break;
		}
		unsigned line = l->line;
		struct value v;
		if (parse_value(l, &v) != 0)
			break;
		unsigned after = l->line;
		l->line = line;
		int r = !strcmp(key, "name") ? new_domain(l, c, &v) :
			c->ndom              ? domain_key(l, &c->dom[c->ndom - 1], key, &v) :
					       system_key(l, c, key, &v);
		l->line = after;
		value_free(&v);
		if (r != 0)
			break;
		next(l);
		if (l->t != T_EOL && l->t != T_EOF && !l->failed)
			fail(l, "one key = value per line (or separated by ';')");
		if (l->t == T_EOF)
			break;
	}
	if (!l->failed)
		check_all(l, c, check_files);
	bool failed = l->failed;
	free(l);
	if (failed) {
		domcfg_free(c);
		return -1;
	}
	return 0;
}

int domcfg_load(const char *path, struct domcfg *c, struct hv_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		hv_err_set(err, "cannot open the domain configuration '%.300s': %s", path,
			   strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > DOMCFG_FILE_MAX) {
		hv_err_set(err, "'%.300s' is not a regular file of at most %u bytes", path,
			   DOMCFG_FILE_MAX);
		close(fd);
		return -1;
	}
	char *text = malloc((size_t)st.st_size + 1);
	ssize_t n = text ? read(fd, text, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		hv_err_set(err, "cannot read '%.300s'", path);
		free(text);
		return -1;
	}
	int r = domcfg_parse(path, text, (size_t)n, true, c, err);
	free(text);
	return r;
}

void domcfg_free(struct domcfg *c)
{
	for (unsigned i = 0; i < c->ndom; i++) {
		struct domcfg_domain *d = &c->dom[i];
		free(d->kernel);
		free(d->initrd);
		free(d->cmdline);
		free(d->bios);
		for (unsigned k = 0; k < d->ndisk; k++)
			free(d->disk[k]);
		for (unsigned k = 0; k < d->nplugin; k++)
			free(d->plugin[k]);
	}
	memset(c, 0, sizeof(*c));
}
