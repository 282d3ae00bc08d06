// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a bridge's state in a saved system's system.state
 * (switch_read_line, read by `retrovisor up --restore DIR`). Each line of
 * the input goes to a switch of four ports (the file's port 2 is gone
 * here); a refusal must be one sentence on one line naming the bridge.
 * What was accepted must then route and deliver without fault, and what
 * switch_write writes of it must be read back whole.
 */
#include "hv/dev/virtio/virtio_net.h"
#include "hv/platform/switch.h"
#include "tests/fuzz/fuzz.h"

#include <stdio.h>

static void fuzz_fail(const char *what)
{
	fprintf(stderr, "switch state: %s\n", what);
	abort();
}

static void deliver(void *opaque, const void *frame, size_t len)
{
	(void)opaque;
	if (len < 14 || len > SWITCH_FRAME_MAX || !frame)
		fuzz_fail("a frame out of bounds was delivered");
}

static struct hv_switch *make(void)
{
	struct hv_err err = { { 0 } };
	struct hv_switch *sw = switch_create("br0", 1, 7, &err);
	struct net_backend be;

	for (int i = 0; sw && i < 4; i++)
		if (switch_add_port(sw, deliver, NULL, &be, &err) != i)
			fuzz_fail("a port could not be added");
	return sw;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int map[] = { 0, 1, -1, 3, 2 };
	static const int same[] = { 0, 1, 2, 3 };
	struct hv_switch *sw = make(), *again = make();
	char line[4096];
	size_t k = 0;

	if (!sw || !again)
		fuzz_fail("no switch");
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n' && k + 1 < sizeof(line)) {
			line[k++] = data[i] ? (char)data[i] : ' ';
			continue;
		}
		line[k] = '\0';
		k = 0;
		struct hv_err err = { { 0 } };
		if (switch_read_line(sw, line, map, 5, 100, &err) != 0 &&
		    (!err.msg[0] || strchr(err.msg, '\n') || strncmp(err.msg, "bridge 'br0'", 12)))
			fuzz_fail("refused without a one-line sentence naming the bridge");
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return 0;
	switch_write(sw, f, 100);
	fclose(f);
	for (char *p = text, *nl; p && *p; p = nl + 1) {
		struct hv_err err = { { 0 } };
		if (!(nl = strchr(p, '\n')))
			fuzz_fail("an unfinished line written");
		*nl = '\0';
		if (switch_read_line(again, p, same, 4, 100, &err) != 0)
			fuzz_fail("what switch_write wrote was refused");
	}
	for (uint64_t e = 100; e < 110; e++)
		switch_barrier(sw, e);
	free(text);
	switch_destroy(sw);
	switch_destroy(again);
	return 0;
}
