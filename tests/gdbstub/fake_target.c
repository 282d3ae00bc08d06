// SPDX-License-Identifier: MIT
/*
 * A fake 2-hart target served over the gdb stub, for the real-gdb test
 * (gdb_test.py): `fake_target SPEC` listens on SPEC (e.g. tcp::0), prints
 * "port N" (the bound TCP port) on stdout, and serves one gdb session with
 * the machine of fake_backend.c, driving it the way the real machine loop
 * does: serve while halted, run with interrupt polls, report stops.
 * Reverse execution is enabled. Exits 0 when gdb detaches, kills or
 * leaves; 1 on a host error.
 *
 * A continue that hits nothing runs until gdb interrupts it, bounded by
 * FAKE_RUN_LIMIT instructions so that a broken test cannot spin forever.
 */
#include "tests/gdbstub/fake_backend.h"

#include <stdio.h>
#include <stdlib.h>

#define FAKE_RUN_LIMIT 100000000ull
#define FAKE_POLL_EVERY 4096u

static struct fake_machine machine;

/* Runs the harts as the resume asks until something stops them. */
static void fake_run(struct gdb_server *srv, const struct gdb_resume *r, struct gdb_stop *stop)
{
	bool back = r->kind == GDB_RESUME_REVERSE_STEP || r->kind == GDB_RESUME_REVERSE_CONTINUE;
	bool step = r->kind == GDB_RESUME_STEP || r->kind == GDB_RESUME_REVERSE_STEP;

	if (step) {
		if (!fake_step(&machine, (unsigned)r->hart, back, stop))
			*stop = (struct gdb_stop){ .reason = GDB_STOP_SIGNAL,
						   .hart = (unsigned)r->hart,
						   .signal = GDB_SIGTRAP };
		return;
	}
	for (unsigned long long n = 0; n < FAKE_RUN_LIMIT; n++) {
		for (unsigned h = 0; h < FAKE_HARTS; h++) {
			if (r->hart >= 0 && (unsigned)r->hart != h)
				continue;
			if (fake_step(&machine, h, back, stop))
				return;
		}
		if (n % FAKE_POLL_EVERY == 0 && gdb_server_poll_interrupt(srv))
			break;
	}
	*stop = (struct gdb_stop){ .reason = GDB_STOP_SIGNAL, .hart = 0, .signal = GDB_SIGINT };
}

int main(int argc, char **argv)
{
	struct hv_err err = { { 0 } };
	struct gdb_server *srv;
	struct gdb_resume r;
	struct gdb_stop stop = { .reason = GDB_STOP_SIGNAL, .signal = GDB_SIGTRAP };

	if (argc != 2) {
		fprintf(stderr, "usage: fake_target tcp:HOST:PORT|unix:PATH\n");
		return 1;
	}
	fake_init(&machine);
	machine.can_reverse = true;
	srv = gdb_server_open(argv[1], false, &err);
	if (!srv) {
		fprintf(stderr, "fake_target: %s\n", err.msg);
		return 1;
	}
	gdb_server_set_backend(srv, &fake_ops, &machine);
	printf("port %u\n", gdb_server_port(srv));
	fflush(stdout);
	if (gdb_server_wait_attach(srv, &err) != 1) {
		fprintf(stderr, "fake_target: %s\n", err.msg);
		gdb_server_close(srv);
		return 1;
	}
	gdb_server_set_stop(srv, &stop);
	for (;;) {
		gdb_server_serve(srv, &r);
		if (r.kind == GDB_RESUME_DETACH || r.kind == GDB_RESUME_KILL ||
		    r.kind == GDB_RESUME_DISCONNECTED)
			break;
		fake_run(srv, &r, &stop);
		if (!gdb_server_connected(srv))
			break;
		gdb_server_report_stop(srv, &stop);
	}
	gdb_server_close(srv);
	return 0;
}
