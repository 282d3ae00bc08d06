// SPDX-License-Identifier: MIT
/*
 * The `run` command (and the run that record, replay and the QEMU front
 * end make): create the machine from the options, load the images
 * (hv/platform/loader.c) or a snapshot (cli/snapshot.c), wire the services
 * the options ask for (recorder, replayer, plugins, gdb), run, and turn
 * the reason the run ended into one line on stderr and an exit status
 * (table in options.h and docs/cli.md).
 *
 * The console is stdout and stdin. The machine asks for input through
 * the machine's host_poll at round boundaries and when every hart waits; main_host_poll
 * hands it whatever stdin has (machine_console_input stamps it, the
 * determinism contract's input funnel). When stdin is a terminal it is
 * switched to raw mode for the run, so that every key, Ctrl-C included,
 * goes to the guest; Ctrl-A is the escape key as in QEMU: Ctrl-A x quits,
 * Ctrl-A Ctrl-A sends one Ctrl-A, other Ctrl-A pairs are ignored. Input
 * from a pipe or a file is passed on untouched. The
 * terminal is restored on every way out: normal exit, exit(), and the
 * signals that would otherwise kill the process with the terminal left
 * raw (SIGPIPE included: `retrovisor ... | head`). Output post-processing
 * (OPOST) stays on, as QEMU leaves it, so a guest that prints a bare "\n"
 * still gets a carriage return.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/options.h"
#include "hv/platform/control.h"
#include "hv/platform/loader.h"
#include "hv/platform/machine.h"
#include "cli/main.h"
#include "cli/qemu.h"
#include "hv/platform/reset.h"
#include "cli/snapshot.h"
#include "hv/dev/virtio/virtio_net.h"
#include "gdbstub/session.h"
#include "plugins/host.h"
#include "replay/session.h"

#define MAIN_ESCAPE 0x01 /* Ctrl-A */

_Static_assert(PLUGIN_HOST_CRASH_STATUS == CLI_EXIT_INTERNAL,
	       "a plugin's crash is an internal failure (docs/cli.md)");

struct main_console {
	bool raw;    /* stdin is the terminal we put in raw mode */
	bool escape; /* the previous key was Ctrl-A */
	bool eof;    /* no input can come any more */
	bool quit;   /* the user typed Ctrl-A x */
};

static struct termios main_saved_tio;
static volatile sig_atomic_t main_tio_active;

/* Async-signal-safe: only tcsetattr and a flag. */
static void main_term_restore(void)
{
	if (main_tio_active) {
		tcsetattr(STDIN_FILENO, TCSANOW, &main_saved_tio);
		main_tio_active = 0;
	}
}

static void main_term_on_signal(int sig)
{
	main_term_restore();
	/* A plugin that crashed in a callback is named (and the run ends). */
	plugin_host_crash_check(sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Put the terminal on stdin in raw mode if there is one; returns whether
 * it did. */
static bool main_term_raw(void)
{
	static const int sigs[] = { SIGINT,  SIGTERM, SIGHUP, SIGQUIT, SIGPIPE,
				    SIGABRT, SIGSEGV, SIGBUS, SIGFPE };
	struct termios tio;
	struct sigaction sa;

	/* A background job leaves the terminal alone (changing it would stop
	 * the process with SIGTTOU). */
	if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != getpgrp() ||
	    tcgetattr(STDIN_FILENO, &main_saved_tio) != 0)
		return false;
	tio = main_saved_tio;
	tio.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL |
				   IXON);
	tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	tio.c_cflag |= CS8;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &tio) != 0)
		return false;
	main_tio_active = 1;
	atexit(main_term_restore);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_term_on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < HV_ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	return true;
}

/* m->host_poll (hv/platform/machine.h): pass what stdin has to the guest, waiting
 * up to timeout_ms for it (-1: without limit) and, with a network, for its
 * frames. Returns 1 when input came, 0 when none did, -1 once stdin is at
 * its end (or unusable) and the network quiet. */
static int main_host_poll(struct machine *m, int timeout_ms)
{
	struct main_console *c = m->host_opaque;
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	uint8_t in[256], out[256];
	size_t nout = 0;
	ssize_t n;
	int r;

	if (timeout_ms != 0 && m->net) {
		/* Everyone waits: wake for console input or network frames. */
		for (;;) {
			int w = virtio_net_wait(m->net, c->eof ? -1 : STDIN_FILENO, timeout_ms);
			if (w < 0 || (c->eof && (w & VIRTIO_NET_WAIT_QUIET)))
				return -1;
			if (w & VIRTIO_NET_WAIT_FRAMES)
				return 1; /* the next round delivers them */
			if (w & VIRTIO_NET_WAIT_FD)
				break;
			if (timeout_ms > 0)
				return 0;
		}
		timeout_ms = 0;
	}
	if (c->eof)
		return -1;
	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	n = r < 0 ? -1 : read(STDIN_FILENO, in, sizeof(in));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		c->eof = true;
		return -1;
	}
	for (ssize_t i = 0; i < n; i++) {
		uint8_t b = in[i];

		if (!c->raw) {
			out[nout++] = b;
		} else if (c->escape) {
			c->escape = false;
			if (b == MAIN_ESCAPE) {
				out[nout++] = b;
			} else if (b == 'x' || b == 'X') {
				c->quit = true;
				machine_stop(m, STOP_SHUTDOWN, 0);
				break;
			}
		} else if (b == MAIN_ESCAPE) {
			c->escape = true;
		} else {
			out[nout++] = b;
		}
	}
	if (!nout)
		return 0;
	machine_console_input(m, out, nout);
	return 1;
}

/* The wall clock at power-on: an input of the determinism contract
 * (ARCHITECTURE.md section 1), which the guest sees only through the RTC. */
static uint64_t main_wall_clock_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void main_discard(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	(void)len;
}

char *main_config_with_clock(const char *config, uint64_t rtc_ns)
{
	size_t len = strlen(config) + 64;
	char *out = malloc(len);

	if (out)
		snprintf(out, len, "%srtc_ns %llu\n", config, (unsigned long long)rtc_ns);
	return out;
}

#ifdef RETROVISOR_TEST_HOOKS
/* RETROVISOR_TEST_HOST_ERROR=N: at the first round boundary at or past
 * instruction N the host fails, as when a copy-on-write page cannot be
 * copied (tests/hosterror). */
static void main_test_host_error(void *opaque, struct machine *m)
{
	const icount_t *at = opaque;

	if (m->total_insns >= *at)
		machine_host_error(m,
				   "out of host memory (injected by RETROVISOR_TEST_HOST_ERROR "
				   "at instruction %llu)",
				   (unsigned long long)*at);
}

void main_test_hooks(struct machine *m)
{
	static icount_t at;
	const char *s = getenv("RETROVISOR_TEST_HOST_ERROR");

	if (!s)
		return;
	at = strtoull(s, NULL, 10);
	machine_set_round_hook(m, main_test_host_error, &at);
}
#endif

static const struct hart *main_stopped_hart(const struct machine *m)
{
	return m->cur ? m->cur : m->hart[0];
}

/* One line on stderr for the way the run ended; returns the exit status. */
static int main_report(struct machine *m, const struct main_console *con, enum hv_stop why)
{
	if (con->quit) {
		fprintf(stderr, "retrovisor: quit (Ctrl-A x)\n");
		return CLI_EXIT_OK;
	}
	return main_stop_status(m, why);
}

int main_stop_status(struct machine *m, enum hv_stop why)
{
	const struct hart *h = main_stopped_hart(m);

	switch (why) {
	case STOP_SHUTDOWN:
		return m->exit_status & 0xff;
	case STOP_REBOOT:
		if (m->panic_msg[0])
			goto panic; /* panic=N: the kernel reboots after a panic */
		fprintf(stderr,
			"retrovisor: the guest asked to reboot at instruction %llu "
			"(--on-reboot exit)\n",
			(unsigned long long)m->total_insns);
		return CLI_EXIT_REBOOT;
	case STOP_MAX_INSNS:
		fprintf(stderr,
			"retrovisor: stopped after %llu instructions (--max-instructions) "
			"at pc 0x%llx on hart %u\n",
			(unsigned long long)m->total_insns, (unsigned long long)h->pc, h->id);
		return CLI_EXIT_MAX_INSNS;
	case STOP_PANIC:
panic:
		fprintf(stderr, "retrovisor: guest kernel panic at pc 0x%llx on hart %u: %s\n",
			(unsigned long long)h->pc, h->id, m->panic_msg);
		return CLI_EXIT_PANIC;
	case STOP_WATCHDOG:
		fprintf(stderr,
			"retrovisor: the guest printed nothing for %llu seconds of guest "
			"time (--watchdog); stopped at pc 0x%llx on hart %u\n",
			(unsigned long long)(m->cfg.watchdog_ticks / HV_TIMEBASE_HZ),
			(unsigned long long)h->pc, h->id);
		return CLI_EXIT_WATCHDOG;
	case STOP_PLUGIN: {
		const char *msg = plugin_host_stop_message(plugin_host_of(m));
		fprintf(stderr, "retrovisor: %s (at instruction %llu, pc 0x%llx on hart %u)\n",
			msg ? msg : "a plugin stopped the run", (unsigned long long)m->total_insns,
			(unsigned long long)h->pc, h->id);
		return CLI_EXIT_PLUGIN;
	}
	case STOP_DIVERGED:
	case STOP_LOG_END:
		return CLI_EXIT_OK; /* the replay's own report follows */
	case STOP_HOST_ERROR:
		if (m->host_error[0])
			fprintf(stderr,
				"retrovisor: %s; the run cannot go on (at instruction %llu)\n",
				m->host_error, (unsigned long long)m->total_insns);
		return CLI_EXIT_INTERNAL;
	case STOP_DEADLOCK:
		fprintf(stderr, "retrovisor: all harts wait for an interrupt that can never "
				"arrive (");
		for (unsigned i = 0; i < m->nharts; i++) {
			const struct hart *t = m->hart[i];
			fprintf(stderr, "%shart %u at pc 0x%llx", i ? ", " : "", i,
				(unsigned long long)t->pc);
			if (t->trap_loop)
				fprintf(stderr, " in a trap loop (cause 0x%llx)",
					(unsigned long long)(t->priv == PRIV_M ? t->mcause :
										 t->scause));
		}
		fprintf(stderr, ")\n");
		return CLI_EXIT_DEADLOCK;
	default:
		fprintf(stderr,
			"retrovisor: the machine stopped without a reason (stop code %d) "
			"at pc 0x%llx on hart %u\n",
			(int)why, (unsigned long long)h->pc, h->id);
		return CLI_EXIT_INTERNAL;
	}
}

int main_run(const struct cli_opts *cmd, struct main_session *sess)
{
	struct machine_drive drives[CLI_MAX_DRIVES];
	struct hv_err err = { { 0 } };
	struct snapcli sc;
	struct cli_opts eff;
	const struct cli_opts *o = &eff;

	if (snapcli_options(cmd, &sc, &eff, &err) != 0) {
		snapcli_free(&sc);
		return main_fail(&err);
	}
	/* A replay writes the snapshots its own command line asks for, not
	 * the recorded run's (main_replay passes them in cmd). */

	struct machine_config cfg;
	cli_machine_config(o, drives,
			   sess && sess->rtc_ns_set ? sess->rtc_ns :
			   o->rtc_set               ? o->rtc_s * 1000000000ull :
						      main_wall_clock_ns(),
			   &cfg);
	cfg.replaying = sess && sess->replay;
	if (sess && sess->stop_at)
		cfg.max_insns = sess->stop_at;
#ifdef RETROVISOR_TEST_HOOKS
	/* Test builds: RETROVISOR_TEST_NONDET=N injects a nondeterminism into
	 * every odd-numbered machine this process runs (see machine.h). */
	static unsigned machines_run;
	const char *nondet = getenv("RETROVISOR_TEST_NONDET");
	if (nondet && (++machines_run & 1))
		cfg.perturb_at = strtoull(nondet, NULL, 10);
#endif
	struct loader_opts lo = { .kernel = o->kernel, .initrd = o->initrd, .bios = o->bios };
	struct main_console con = { 0 };
	struct machine *m;
	enum hv_stop why;
	int status;

	m = machine_create(&cfg, &err);
	if (!m) {
		snapcli_free(&sc);
		return main_fail(&err);
	}
#ifdef RETROVISOR_TEST_HOOKS
	main_test_hooks(m);
#endif
	if (snapcli_attach(&sc, m, &lo, &err) != 0) {
		snapcli_free(&sc);
		machine_destroy(m);
		return main_fail(&err);
	}

	struct recorder *rec = NULL;
	if (sess && sess->record_log) {
		char *config = main_config_with_clock(sess->config, cfg.rtc_boot_ns);
		if (config)
			rec = recorder_start(m, sess->record_log, config, sess->digest_interval,
					     &err);
		else
			hv_err_set(&err, "out of host memory");
		free(config);
		if (!rec) {
			snapcli_free(&sc);
			machine_destroy(m);
			return main_fail(&err);
		}
	}
	if (sess && sess->replay) {
		replayer_attach(sess->replay, m, sess->go_live);
		/* replay --from SNAPSHOT: the log from the snapshot's point on. */
		if (sess->replay_from && replayer_seek(sess->replay, m, &err) != 0) {
			snapcli_free(&sc);
			machine_destroy(m);
			return main_fail(&err);
		}
	}
	struct plugin_host *ph = plugin_host_create(m, &err);
	int loaded = ph ? 0 : -1;
	for (unsigned i = 0; loaded == 0 && i < o->nplugins; i++)
		loaded = plugin_host_load(ph, o->plugin[i], &err);
	if (loaded != 0 || plugin_host_attach(ph, sess && sess->replay, rec != NULL, &err) != 0) {
		plugin_host_destroy(ph);
		if (rec)
			recorder_abandon(rec, m);
		snapcli_free(&sc);
		machine_destroy(m);
		return main_fail(&err);
	}

	if (sess && sess->quiet)
		machine_set_console_sink(m, main_discard, m->console_opaque);
	con.raw = !(sess && sess->quiet) && main_term_raw();
	machine_set_host_poll(m, main_host_poll, &con);
	/* --clock (hv/platform/pace.h): by default a run or recording on a terminal is
	 * paced, a replay never; the choice is the command line's alone. */
	machine_set_paced(m, cmd->clock == CLI_CLOCK_REALTIME ||
				     (cmd->clock == CLI_CLOCK_AUTO && !(sess && sess->replay) &&
				      isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)));
	struct gdbsess *gs = NULL;
	if (o->gdb) {
		struct gdbsess_opts go = {
			.spec = o->gdb,
			.allow_remote = o->gdb_allow_remote,
			.paused = o->paused,
			.replay = sess ? sess->replay : NULL,
		};
		main_term_restore();
		gs = gdbsess_open(m, &go, &err);
		if (!gs) {
			snapcli_free(&sc);
			machine_destroy(m);
			return main_fail(&err);
		}
		con.raw = !(sess && sess->quiet) && main_term_raw();
	}
	bool snap_failed = false;
	pace_start(m);
	for (;;) {
		why = gs ? gdbsess_run(gs) : machine_run(m);
		if (why == STOP_DEBUG && sess && sess->replay &&
		    replayer_debug_stop(sess->replay, m))
			continue;
		if (why == STOP_REBOOT && !m->panic_msg[0] && !o->reboot_exit) {
			/* QEMU's default: the machine restarts (hv/platform/reset.h). */
			if (snapcli_reboot_check(&sc, &err) == 0 &&
			    machine_reset(m, &lo, &err) == 0)
				continue;
			main_term_restore();
			fprintf(stderr,
				"retrovisor: the guest asked to reboot and the machine "
				"could not restart: %s\n",
				err.msg);
			snap_failed = true;
			break;
		}
		int r = snapcli_stop(&sc, why, &err);
		if (r > 0)
			continue;
		if (r < 0) {
			main_term_restore();
			fprintf(stderr, "retrovisor: %s\n", err.msg);
			snap_failed = true;
		}
		break;
	}
	main_term_restore();
	fflush(stdout);

	if (sess && sess->stop_at) {
		/* A probe: the state is all the caller wants. */
		const struct hart *last = m->last_run ? m->last_run : m->hart[0];
		sess->digest_out = machine_digest(m);
		sess->hart_out = last->id;
		sess->pc_out = last->pc;
		if (sess->want_pages) {
			sess->pages_out = malloc(m->ram.npages * sizeof(uint64_t));
			if (sess->pages_out) {
				machine_page_hashes(m, sess->pages_out);
				sess->npages_out = m->ram.npages;
			}
		}
		machine_set_funnel(m, NULL);
		gdbsess_close(gs, 0);
		plugin_host_destroy(ph);
		machine_destroy(m);
		snapcli_free(&sc);
		return why == STOP_MAX_INSNS ? CLI_EXIT_OK : CLI_EXIT_INTERNAL;
	}
	status = snap_failed ? CLI_EXIT_ERROR : main_report(m, &con, why);
	gdbsess_close(gs, status);
	plugin_host_exit(ph, status);
	if (rec && recorder_finish(rec, m, status, &err) != 0) {
		fprintf(stderr, "retrovisor: %s\n", err.msg);
		status = CLI_EXIT_ERROR;
	} else if (rec) {
		fprintf(stderr, "retrovisor: recorded %llu instructions to %s\n",
			(unsigned long long)m->total_insns, sess->record_log);
	}
	if (sess && sess->replay) {
		int r = replayer_finish(sess->replay, m, status, stderr, &err);
		if (r < 0) {
			fprintf(stderr, "retrovisor: %s\n", err.msg);
			status = CLI_EXIT_ERROR;
		} else if (r > 0) {
			status = CLI_EXIT_DIVERGED;
		} else if (replayer_went_live(sess->replay)) {
			fprintf(stderr, "retrovisor: replay went live at instruction %llu\n",
				(unsigned long long)sess->go_live);
		} else if (why == STOP_LOG_END) {
			fprintf(stderr,
				"retrovisor: replayed the interrupted log to its last whole "
				"chunk: %llu instructions, %llu digests matched\n",
				(unsigned long long)m->total_insns,
				(unsigned long long)replayer_digests_checked(sess->replay));
			status = CLI_EXIT_OK;
		} else {
			fprintf(stderr,
				"retrovisor: replay matched the recording: %llu instructions, "
				"%llu digests\n",
				(unsigned long long)m->total_insns,
				(unsigned long long)replayer_digests_checked(sess->replay));
		}
	}
	if (o->print_digest)
		fprintf(stderr, "digest %016llx\nicount %llu\n",
			(unsigned long long)machine_digest(m), (unsigned long long)m->total_insns);
	plugin_host_destroy(ph);
	machine_destroy(m);
	snapcli_free(&sc);
	return status;
}

/*
 * The commands with their own command line, by the word after the
 * program's name. Each reads argv as given, argv[1] its own name, except
 * QEMU's, which takes the command's name as its argv[0] (as it has when run
 * through a link of that name). Anything else is run's command line.
 */
