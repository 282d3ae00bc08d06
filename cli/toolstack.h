/* SPDX-License-Identifier: MIT */
/*
 * The toolstack's control socket of `retrovisor up` (docs/domains.md,
 * "The toolstack"): a Unix stream socket, mode 0600 in a folder of mode
 * 0700, over which `retrovisor xl` (or any client) sends one request per
 * line, a flat JSON object, and gets one reply per line:
 *
 *   {"cmd":"list"}                      -> {"ok":true,"epoch":N,"domains":[
 *                                           {"id":0,"name":"web","state":"running",
 *                                            "restarts":0,"icount":N,"weight":256,
 *                                            "cap":0}, ...]}
 *   {"cmd":"pause","domain":"web"}      -> {"ok":true}     (also unpause,
 *                                           destroy, shutdown)
 *   {"cmd":"partition","bridge":"br0","domain":"web","group":1}
 *                                       -> {"ok":true}     (group 0 heals)
 *   {"cmd":"sched-credit","domain":"web"[,"weight":W][,"cap":C]}
 *                                       -> {"ok":true,"name":"web","id":0,
 *                                           "weight":W,"cap":C}
 *   {"cmd":"faults","bridge":"br0","drop":N,"duplicate":N,"reorder":N,
 *    "delay":N,"delay_epochs":E}       -> {"ok":true}     (rates in ppm;
 *                                           keys left out keep their value)
 *   {"cmd":"console","domain":"web"}    -> {"ok":true}, then the domain's
 *                                           console output as raw bytes; bytes
 *                                           the client sends are its input
 *   {"cmd":"create","file":"/ABS/PATH"} -> {"ok":true}     (its domains start)
 *   {"cmd":"save","domain":"web","file":"/ABS/PATH"[,"keep":true]}
 *                                       -> {"ok":true}     (destroyed unless keep)
 *   {"cmd":"restore","file":"/ABS/PATH"[,"name":"web2"]} -> {"ok":true}
 *   {"cmd":"fork","domain":"web","name":"web2"} -> {"ok":true}
 *   {"cmd":"save-system","file":"/ABS/DIR"} -> {"ok":true}  (up --restore DIR)
 *   {"cmd":"snapshot","tag":"T"[,"domain":"web"]} -> {"ok":true,"epoch":N}
 *   {"cmd":"snapshot-revert","tag":"T"} -> {"ok":true}     (also snapshot-delete)
 *   {"cmd":"snapshot-list"}             -> {"ok":true,"snapshots":[{"tag":"T",
 *                                           "epoch":N,"domain":""}, ...]}
 *   {"cmd":"quit"}                      -> {"ok":true}, and up ends
 *
 * Anything else gets {"ok":false,"error":"SENTENCE"}. create and restore
 * are recorded with the SHA-256 of the files they read ("sha256"), which a
 * replay checks. Requests are applied
 * between epochs, at the barrier, so each takes effect at an exact epoch
 * (that epoch is an input of the run, as console bytes are). The socket is
 * untrusted: a request is at most TOOLSTACK_LINE_MAX bytes, a client that
 * sends more or malformed JSON is answered with an error and closed, a
 * client that disconnects mid-request changes nothing, and console output
 * a client does not read is dropped rather than buffered without bound.
 */
#ifndef CLI_TOOLSTACK_H
#define CLI_TOOLSTACK_H

#include "hv/platform/domain.h"
#include "snapshot/system.h"

#define TOOLSTACK_LINE_MAX 1024
#define TOOLSTACK_MAX_CLIENTS 16
#define TOOLSTACK_PATH_MAX 512 /* the longest string value of a request */
#define TOOLSTACK_MAX_SNAPSHOTS 32

struct toolstack;

/* Listen at path (its folder is made with mode 0700 if missing; a stale
 * socket left by a dead process is replaced, a live one is refused).
 * path NULL: no socket, requests come only through toolstack_apply. */
struct toolstack *toolstack_open(const char *path, struct hv_system *s, struct hv_err *err);
void toolstack_close(struct toolstack *t);

/* Accept clients and serve the requests that arrived (never blocks).
 * Returns true once a client asked to quit. */
bool toolstack_poll(struct toolstack *t);

/* What the requests that make domains or write files need of the program
 * that runs the system (cli/updom.h gives them for up). Without them
 * (create NULL) those requests are refused. Each returns 0, or -1 with
 * err. create and restore put the SHA-256 (hex) of what they read in
 * sha_hex, and when expect is not NULL (a replay) refuse files whose
 * digest differs. */
struct toolstack_host {
	int (*create)(void *opaque, const char *path, const char *expect, char *sha_hex,
		      struct hv_err *err);
	int (*save)(void *opaque, unsigned id, const char *path, struct hv_err *err);
	int (*restore)(void *opaque, const char *path, const char *name, const char *expect,
		       char *sha_hex, struct hv_err *err);
	int (*fork)(void *opaque, unsigned id, const char *name, struct hv_err *err);
	system_remake_fn remake;
	int (*save_system)(void *opaque, const char *dir, struct hv_err *err);
	void *opaque;
};
void toolstack_set_host(struct toolstack *t, const struct toolstack_host *h);

/* A domain's console output, for the clients attached to it. */
void toolstack_console(struct toolstack *t, unsigned id, const uint8_t *buf, size_t len);

/* Every request applied and every console byte typed into a domain (the
 * system's inputs, cli/uplog.h): domain -1 for a request line. */
typedef void (*toolstack_input_fn)(void *opaque, int domain, const void *data, size_t len);
void toolstack_set_recorder(struct toolstack *t, toolstack_input_fn fn, void *opaque);
/* Apply a request line, or console input for domain id, as a client's
 * (a replay); replies go nowhere. */
void toolstack_apply(struct toolstack *t, const char *line);
void toolstack_apply_console(struct toolstack *t, unsigned id, const uint8_t *buf, size_t len);

/* The default socket path: $XDG_RUNTIME_DIR/retrovisor/NAME.sock, or
 * /tmp/retrovisor-UID/NAME.sock. */
void toolstack_default_path(const char *name, char *out, size_t n);

#endif
