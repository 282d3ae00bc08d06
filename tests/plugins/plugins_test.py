#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The plugin ABI and the example plugins (issue "Part 6", items 1, 2, 6
and 8), one case per Bazel target:

    plugins_test.py RETROVISOR GUEST_ELF PLUGIN_H ITRACE_SO CASE

GUEST_ELF is tests/plugins/guest.S (sums 1..100 into s1, stores it at
`result`, prints "sum=5050", powers off); PLUGIN_H the public header;
ITRACE_SO one of the example plugins (plugins/examples), the others are
beside it (a directory path also works). The Debian
cases use the project-built kernel (RV_BUILT_KERNEL, its vmlinux beside
it) with the initramfs in RV_GUEST_INITRAMFS; tools/test passes both.
"""
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import rvtest  # noqa: E402
from rvtest import TMP, check, digest, env_path, run_case  # noqa: E402

RV, GUEST, PLUGIN_H, EXAMPLES, CASE = sys.argv[1:6]
if not os.path.isdir(EXAMPLES):
    EXAMPLES = os.path.dirname(EXAMPLES)
RTC = "1767225600"


def example(name):
    return os.path.join(EXAMPLES, name + ".so")


def run(args, timeout=900):
    return rvtest.run([RV] + args, timeout=timeout)


def run_bare(*plugins, extra=()):
    args = ["run", "--kernel", GUEST, "--rtc", RTC, "--print-digest", *extra]
    for p in plugins:
        args += ["--plugin", p]
    return run(args)


def debian_args(cmd, extra=()):
    kernel = env_path("RV_BUILT_KERNEL")
    return ["--kernel", kernel, "--initrd", env_path("RV_GUEST_INITRAMFS"),
            "--append", f'console=ttyS0 quiet rv.cmd="{cmd}"', "--memory", "512M",
            "--watchdog", "120", "--rtc", RTC, "--print-digest", *extra]


def vmlinux():
    path = os.path.join(os.path.dirname(env_path("RV_BUILT_KERNEL")), "vmlinux")
    if not os.path.exists(path):
        print(f"FAIL: no vmlinux beside RV_BUILT_KERNEL ({path}): run tools/setup "
              "(it builds the kernel)")
        sys.exit(1)
    return path


def run_debian(cmd, *plugins):
    args = ["run"] + debian_args(cmd)
    for p in plugins:
        args += ["--plugin", p]
    return run(args)


def guest_symbol(name):
    out = subprocess.run(["riscv64-linux-gnu-nm", GUEST], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] == name:
            return int(f[0], 16)
    raise SystemExit(f"FAIL: {GUEST} has no symbol {name}")


def kernel_symbol(path, name):
    out = subprocess.run(["riscv64-linux-gnu-nm", path], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] == name:
            return int(f[0], 16)
    return None


def build_plugin(name, source, include_dir=None, defines=()):
    """Compile SOURCE with cc against a copy of plugin.h alone (and -D
    DEFINES); returns the .so path (or the compiler's failure)."""
    if include_dir is None:
        include_dir = os.path.join(TMP, "include")
        os.makedirs(os.path.join(include_dir, "retrovisor"), exist_ok=True)
        shutil.copy(PLUGIN_H, os.path.join(include_dir, "retrovisor", "plugin.h"))
    src = os.path.join(TMP, name + ".c")
    so = os.path.join(TMP, name + ".so")
    with open(src, "w") as f:
        f.write(source)
    p = subprocess.run(["cc", "-std=c11", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror",
                        *["-D" + d for d in defines], "-I", include_dir, src, "-o", so],
                       capture_output=True, text=True)
    if p.returncode != 0:
        print(p.stderr)
        raise SystemExit(f"FAIL: cannot compile the test plugin {name}")
    return so


NOTHING = """
#include <retrovisor/plugin.h>
RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION };
RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	(void)self; (void)info; (void)argc; (void)argv;
	return 0;
}
"""


# ---- The ABI ----

def case_out_of_tree():
    """A plugin built with nothing but a copy of plugin.h (no Bazel, no
    other include path) loads and runs: it counts blocks and writes the
    count and the exit status to the file its argument names."""
    inc = os.path.join(TMP, "only-the-header")
    os.makedirs(os.path.join(inc, "retrovisor"))
    shutil.copy(PLUGIN_H, os.path.join(inc, "retrovisor", "plugin.h"))
    check(os.listdir(inc) == ["retrovisor"] and
          os.listdir(os.path.join(inc, "retrovisor")) == ["plugin.h"],
          "the include directory holds plugin.h and nothing else")
    so = build_plugin("outoftree", """
#include <stdio.h>
#include <string.h>
#include <retrovisor/plugin.h>
RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION };
static char path[512];
static unsigned long blocks;
static void on_block(void *ud, rv_block *b) { (void)ud; (void)b; blocks++; }
static void on_exit_cb(void *ud, int status)
{
	FILE *f = fopen(path, "w");
	(void)ud;
	if (f) {
		fprintf(f, "blocks %lu status %d harts %u\\n", blocks, status, rv_hart_count());
		fclose(f);
	}
}
RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	if (info->abi_version != RV_PLUGIN_ABI_VERSION || argc != 1 || strcmp(argv[0].key, "out"))
		return 1;
	snprintf(path, sizeof(path), "%s", argv[0].value);
	rv_on_block(self, on_block, NULL);
	rv_on_exit(self, on_exit_cb, NULL);
	return 0;
}
""", include_dir=inc)
    report = os.path.join(TMP, "outoftree.txt")
    status, out, err = run_bare(f"{so},out={report}")
    check(status == 0 and "sum=5050" in out, f"the guest runs with it (status {status})", err)
    text = open(report).read() if os.path.exists(report) else ""
    m = re.match(r"blocks (\d+) status 0 harts 1$", text.strip())
    check(m is not None and int(m.group(1)) > 5,
          f"the plugin saw the guest's blocks and the exit ({text.strip()!r})")


def case_refusal():
    """Each bad plugin is refused: exit status 2 and one line naming the
    file (the version mismatch names both ranges)."""
    abi = "RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { %s };\n"
    init_ok = """RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info,
				    int argc, const rv_plugin_arg *argv)
{ (void)self; (void)info; (void)argc; (void)argv; return 0; }
"""
    init_fail = """RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info,
				    int argc, const rv_plugin_arg *argv)
{ (void)info; (void)argc; (void)argv;
  rv_plugin_fail(self, "the frobnicator is not plugged in"); return 3; }
"""
    hdr = "#include <retrovisor/plugin.h>\n"
    cases = {
        "wrong_abi": hdr + abi % "7, 9" + init_ok,
        "no_abi": hdr + init_ok,
        "no_init": hdr + abi % "RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION",
        "init_fails": hdr + abi % "RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION" + init_fail,
    }
    files = {name: build_plugin(name, src) for name, src in cases.items()}
    text = os.path.join(TMP, "not_a_plugin.so")
    with open(text, "w") as f:
        f.write("this is not an ELF shared object\n")
    files["not_elf"] = text
    files["missing"] = os.path.join(TMP, "no_such_plugin.so")
    want = {
        "wrong_abi": [r"7 to 9", "%d to %d" % host_abi_range()],
        "no_abi": [r"rv_plugin_abi"],
        "no_init": [r"rv_plugin_init"],
        "init_fails": [r"the frobnicator is not plugged in"],
        "not_elf": [r"cannot be loaded"],
        "missing": [r"cannot be loaded"],
    }
    for name, path in files.items():
        status, out, err = run_bare(path)
        lines = [l for l in err.splitlines() if l.strip()]
        check(status == 2, f"{name}: exit status 2 (got {status})", err)
        check(len(lines) == 1, f"{name}: one line on stderr ({len(lines)})", err)
        check("sum=" not in out, f"{name}: the guest did not run", out)
        if lines:
            check(path in lines[0], f"{name}: the line names the file: {lines[0]}")
            for pat in want[name]:
                check(re.search(pat, lines[0]) is not None,
                      f"{name}: the line says {pat!r}")


def host_abi_range():
    """{RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION} as plugin.h defines them."""
    src = open(PLUGIN_H).read()
    lo = re.search(r"^#define RV_PLUGIN_ABI_MIN (\d+)u?$", src, re.M)
    hi = re.search(r"^#define RV_PLUGIN_ABI_VERSION (\d+)u?$", src, re.M)
    if not (lo and hi):
        raise SystemExit("FAIL: plugin.h does not define RV_PLUGIN_ABI_MIN/_VERSION")
    return int(lo.group(1)), int(hi.group(1))


def case_abi_ranges():
    """A plugin's {min, cur} ABI range against the host's: entirely below,
    entirely above, or inverted, it is refused (status 2, one line naming
    both ranges); overlapping the host's in any way, it runs, and the
    version agreed (rv_plugin_info.abi_version) is the highest both
    support."""
    hmin, hcur = host_abi_range()
    source = """#include <stdio.h>
#include <retrovisor/plugin.h>
RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { %d, %d };
RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info,
				    int argc, const rv_plugin_arg *argv)
{ (void)self; (void)argc; (void)argv;
  fprintf(stderr, "abi-agreed %%u\\n", info->abi_version); return 0; }
"""
    refused = {"below": (hmin - 1, hmin - 1), "above": (hcur + 1, hcur + 1),
               "well_above": (hcur + 1, hcur + 7), "inverted": (hcur + 2, hmin)}
    accepted = {"same": (hmin, hcur), "newest_only": (hcur, hcur), "oldest_only": (hmin, hmin),
                "min_below": (hmin - 1, hcur),
                "cur_above": (hmin, hcur + 3), "around": (hmin - 1, hcur + 3)}
    check(hmin >= 1, f"the host's range {hmin} to {hcur} leaves room below it")
    _, bare_out, bare_err = run_bare()
    for name, (lo, hi) in refused.items():
        so = build_plugin("abi_" + name, source % (lo, hi))
        status, out, err = run_bare(so)
        lines = [l for l in err.splitlines() if l.strip()]
        check(status == 2, f"{name} {{{lo}, {hi}}}: refused with status 2 (got {status})", err)
        check(len(lines) == 1 and so in lines[0] and f"{lo} to {hi}" in lines[0] and
              f"{hmin} to {hcur}" in lines[0],
              f"{name}: one line naming the file and both ranges: {lines}")
        check("sum=" not in out and "abi-agreed" not in err,
              f"{name}: neither the plugin nor the guest ran", out + err)
    for name, (lo, hi) in accepted.items():
        so = build_plugin("abi_" + name, source % (lo, hi))
        status, out, err = run_bare(so)
        want = min(hi, hcur)
        check(status == 0 and out == bare_out,
              f"{name} {{{lo}, {hi}}}: accepted; the guest runs as without it "
              f"(status {status})", out + err)
        check(f"abi-agreed {want}" in err.splitlines(),
              f"{name}: the version agreed is {want}", err)
        check(digest(err) == digest(bare_err), f"{name}: the same final digest", err)


# sizeof(rv_task) in ABI 4: size, reserved, addr, pid, tgid, comm[16].
RV_TASK_SIZE = 40

SIZED = """#include <stdio.h>
#include <string.h>
#include <retrovisor/plugin.h>
RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { 4, RV_PLUGIN_ABI_VERSION };
static rv_machine *m;
static const char *when = "init";
static void ask(void)
{
	rv_task t;
	memset(&t, 0, sizeof(t));
	t.size = 8; /* as if built against a header whose rv_task was 8 bytes */
	if (rv_machine_linux_current(m, 0, &t) != -1)
		fprintf(stderr, "sized: the host took the small struct\\n");
}
static void on_block(void *ud, rv_block *b)
{
	(void)ud; (void)b;
	ask();
}
RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	m = info->machine;
	if (argc == 1 && !strcmp(argv[0].key, "when"))
		when = argv[0].value;
	if (!strcmp(when, "init"))
		ask();
	else
		rv_on_block(self, on_block, NULL);
	return 0;
}
"""

UNSUBSCRIBE = """#include <stdio.h>
#include <string.h>
#include <retrovisor/plugin.h>
RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { 4, RV_PLUGIN_ABI_VERSION };
static rv_plugin *me;
static rv_sub a, b, blocks, bx, by;
static unsigned na, nb, nblocks, harts, nx, ny, bad_ids;
static int init_first, init_again, bogus, zero;
static char out[512];
static void on_sbi_a(void *ud, uint32_t hart, uint64_t ext, uint64_t fid, const uint64_t args[6])
{
	(void)ud; (void)hart; (void)ext; (void)fid; (void)args;
	if (++na == 1)
		rv_unsubscribe(me, b); /* b comes later in this same event: not called */
	if (na == 3)
		rv_unsubscribe(me, a); /* itself, inside its own callback */
}
static void on_sbi_b(void *ud, uint32_t hart, uint64_t ext, uint64_t fid, const uint64_t args[6])
{
	(void)ud; (void)hart; (void)ext; (void)fid; (void)args;
	nb++;
}
static void on_priv(void *ud, uint32_t hart, uint32_t from, uint32_t to)
{
	(void)ud; (void)hart; (void)from; (void)to;
	nb += 100; /* unsubscribed in init: never */
}
static void on_block(void *ud, rv_block *bl)
{
	(void)ud; (void)bl;
	if (++nblocks == 2)
		rv_unsubscribe(me, blocks);
}
/* x and y subscribe each block's first instruction (one slot, x's entry
 * first); x's first call removes y, whose entry in that slot is then
 * skipped, and y's callback never runs. */
static void on_exec_x(void *ud, uint32_t hart, uint64_t pc)
{
	(void)ud; (void)hart; (void)pc;
	if (++nx == 1)
		rv_unsubscribe(me, by);
}
static void on_exec_y(void *ud, uint32_t hart, uint64_t pc)
{
	(void)ud; (void)hart; (void)pc;
	ny++;
}
static void on_block_x(void *ud, rv_block *bl)
{
	(void)ud;
	bad_ids += rv_insn_on_exec(me, rv_block_insn(bl, 0), on_exec_x, NULL) != bx;
}
static void on_block_y(void *ud, rv_block *bl)
{
	(void)ud;
	bad_ids += rv_insn_on_exec(me, rv_block_insn(bl, 0), on_exec_y, NULL) != by;
}
static void on_exit_cb(void *ud, int status)
{
	FILE *f = fopen(out, "w");
	(void)ud; (void)status;
	if (f) {
		fprintf(f, "a %u b %u blocks %u init %d %d bogus %d zero %d harts %u "
			"x %s y %u ids %u\\n", na, nb, nblocks, init_first, init_again, bogus, zero,
			harts, nx > 1 ? "many" : "few", ny, bad_ids);
		fclose(f);
	}
}
RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	if (info->size < sizeof(*info) || info->abi_version != RV_PLUGIN_ABI_VERSION || !info->machine ||
	    argc != 1 || argv[0].size != sizeof(argv[0]) || strcmp(argv[0].key, "out"))
		return 1;
	me = self;
	snprintf(out, sizeof(out), "%s", argv[0].value);
	harts = rv_machine_hart_count(info->machine);
	zero = (int)rv_on_trap(self, NULL, NULL); /* no callback, no subscription */
	rv_sub c = rv_on_priv(self, on_priv, NULL);
	init_first = rv_unsubscribe(self, c);
	init_again = rv_unsubscribe(self, c);
	bogus = rv_unsubscribe(self, 12345);
	a = rv_on_sbi(self, on_sbi_a, NULL);
	b = rv_on_sbi(self, on_sbi_b, NULL);
	blocks = rv_on_block(self, on_block, NULL);
	bx = rv_on_block(self, on_block_x, NULL);
	by = rv_on_block(self, on_block_y, NULL);
	rv_on_exit(self, on_exit_cb, NULL);
	return a && b && blocks && bx && by && a != b && bx != by ? 0 : 1;
}
"""


def case_abi4():
    """ABI 4 (issue 12, item 4): a struct the plugin passes smaller than
    the host's is refused with one line naming both sizes, at init (status
    2) and in a callback (the run stops, status 8); subscriptions return
    distinct ids, rv_unsubscribe removes one once (from init, from inside
    another callback of the same event, from inside its own; a block
    subscription from inside its own block callback, or from inside
    another's instruction callback on the same instruction, which then
    skips it), and the run stays bit-identical; the machine handle and
    sized arguments arrive."""
    sized = build_plugin("sized", SIZED)
    want = (f"rv_machine_linux_current was given an rv_task of 8 bytes, where this "
            f"retrovisor's is {RV_TASK_SIZE} bytes")
    status, out, err = run_bare(sized)
    lines = [l for l in err.splitlines() if l.strip()]
    check(status == 2 and len(lines) == 1 and sized in lines[0] and want in lines[0],
          f"at init: refused (status {status}) with one line naming both sizes: {lines}")
    check("sum=" not in out, "the guest did not run", out)
    status, out, err = run_bare(f"{sized},when=block")
    lines = [l for l in err.splitlines() if "rv_task" in l]
    check(status == 8 and len(lines) == 1 and want in lines[0] and "sized.so" in lines[0]
          and "took the small struct" not in err,
          f"in a callback: the run stops (status {status}) with one line: {lines}", err)

    so = build_plugin("unsubscribe", UNSUBSCRIBE)
    report = os.path.join(TMP, "unsubscribe.txt")
    _, bare_out, bare_err = run_bare()
    status, out, err = run_bare(f"{so},out={report}")
    check(status == 0 and out == bare_out and digest(err) == digest(bare_err),
          f"the run is bit-identical with it (status {status})", err)
    text = open(report).read().strip() if os.path.exists(report) else ""
    check(text == "a 3 b 0 blocks 2 init 0 -1 bogus -1 zero 0 harts 1 x many y 0 ids 0",
          f"unsubscribing: {text!r}")


def case_init_crash():
    """A plugin whose rv_plugin_init crashes (a null pointer read) is
    refused with a clear message naming it (issue acceptance, item 8),
    not a silent SIGSEGV of the whole run."""
    so = build_plugin("crashes", """
#include <retrovisor/plugin.h>
RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION };
RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	(void)self; (void)info; (void)argc; (void)argv;
	return *(volatile int *)0;
}
""")
    status, out, err = run_bare(so)
    lines = [l for l in err.splitlines() if l.strip()]
    check(status == 2, f"exit status 2 (got {status})", err)
    check(len(lines) == 1 and so in lines[0], f"one line naming the plugin ({lines})", err)
    check("sum=" not in out, "the guest did not run", out)


CRASHER = """#include <stdlib.h>
#include <string.h>
#include <retrovisor/plugin.h>
RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION };
static rv_plugin *me;
static const char *where = "", *how = "";
static unsigned long execs;
static void crash(void)
{
	if (!strcmp(how, "segv")) {
		*(volatile int *)0 = 1;
	} else if (!strcmp(how, "fpe")) {
		volatile int zero = 0, one = 1;
		one /= zero;
	} else {
		abort();
	}
}
static void on_exec(void *ud, uint32_t hart, uint64_t pc)
{
	(void)ud; (void)hart; (void)pc;
	if (++execs == 50)
		crash();
}
static void on_block(void *ud, rv_block *b)
{
	(void)ud;
	if (!strcmp(where, "block"))
		crash();
	for (uint32_t i = 0; i < rv_block_insns(b); i++)
		rv_insn_on_exec(me, rv_block_insn(b, i), on_exec, NULL);
}
static void on_exit_cb(void *ud, int status)
{
	(void)ud; (void)status;
	crash();
}
RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	(void)info;
	me = self;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i].key, "where"))
			where = argv[i].value;
		if (!strcmp(argv[i].key, "how"))
			how = argv[i].value;
	}
	if (!strcmp(where, "exit"))
		rv_on_exit(self, on_exit_cb, NULL);
	else
		rv_on_block(self, on_block, NULL);
	return 0;
}
"""


def case_callback_crash():
    """A plugin that crashes in one of its callbacks ends the run with
    status 1 (an internal failure) and one line naming the plugin, the
    callback and the signal, not a bare crash of the hypervisor; a plugin
    loaded beside it that does not crash changes nothing."""
    so = build_plugin("crasher", CRASHER)
    quiet = build_plugin("quiet", NOTHING)
    for where, how, callback, sig in [("block", "segv", "rv_on_block", "SIGSEGV"),
                                      ("exec", "segv", "rv_insn_on_exec", "SIGSEGV"),
                                      ("exec", "fpe", "rv_insn_on_exec", "SIGFPE"),
                                      ("exit", "abort", "rv_on_exit", "SIGABRT")]:
        status, out, err = run_bare(quiet, f"{so},where={where},how={how}")
        lines = [l for l in err.splitlines() if l.strip()]
        want = (f"retrovisor: plugin '{so}' crashed in its {callback} callback "
                f"(signal {sig}); the run is abandoned")
        check(status == 1, f"{where}/{how}: exit status 1 (got {status})", err)
        check(lines == [want], f"{where}/{how}: the one line is {want!r}", err)
        if where != "exit":
            check("sum=" not in out, f"{where}/{how}: the guest did not finish", out)


def case_symbols():
    """The binary exports exactly the functions plugin.h declares."""
    src = open(PLUGIN_H).read()
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    declared = set(re.findall(r"\b(rv_[a-z0-9_]+)\s*\(", src))
    declared -= {"rv_plugin_init"}  # the plugin's, not the host's
    check(len(declared) > 30, f"plugin.h declares {len(declared)} functions")
    out = subprocess.run(["nm", "-D", "--defined-only", RV], capture_output=True, text=True,
                         check=True).stdout
    exported = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2].startswith("rv_"):
            exported.add(f[2])
    check(not declared - exported, f"no function of plugin.h is missing from the binary: "
          f"{sorted(declared - exported)}")
    check(not exported - declared, f"the binary exports no rv_ symbol plugin.h lacks: "
          f"{sorted(exported - declared)}")


def case_nothing():
    """A plugin that subscribes to nothing leaves the run bit-identical,
    on the bare guest and on a Debian boot."""
    so = build_plugin("nothing", NOTHING)
    _, _, e0 = run_bare()
    _, _, e1 = run_bare(so)
    check(digest(e0)[0] is not None and digest(e0) == digest(e1),
          f"bare guest: same digest and icount with and without ({digest(e0)}, {digest(e1)})")
    s0, o0, e0 = run_debian("true")
    s1, o1, e1 = run_debian("true", so)
    check(s0 == 0 and s1 == 0, f"Debian boots with and without it ({s0}, {s1})", e1)
    check(digest(e0)[0] is not None and digest(e0) == digest(e1),
          f"Debian: same digest and icount ({digest(e0)}, {digest(e1)})")


def case_observe():
    """A plugin that only observes (here hotspot: a callback at the first
    instruction of every block) leaves a Debian boot bit-identical: plugin
    callbacks are not inputs."""
    hs = os.path.join(TMP, "hotspot.txt")
    s0, _, e0 = run_debian("true")
    s1, _, e1 = run_debian("true", f"{example('hotspot')},vmlinux={vmlinux()},out={hs}")
    check(s0 == 0 and s1 == 0, f"Debian boots with and without ({s0}, {s1})", e1)
    check(digest(e0)[0] is not None and digest(e0) == digest(e1),
          f"same digest and icount with hotspot.so ({digest(e0)}, {digest(e1)})")


# ---- The example plugins ----

def objdump_insns():
    """pc -> (raw hex, mnemonic, operands) from objdump -M no-aliases."""
    out = subprocess.run(["riscv64-linux-gnu-objdump", "-d", "-M", "no-aliases", GUEST],
                         capture_output=True, text=True, check=True).stdout
    insns = {}
    for line in out.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+([0-9a-f]+)\s+(\S+)\s*(.*)$", line)
        if not m:
            continue
        ops = m.group(4).split("#")[0].strip()
        ops = re.sub(r"\s*<[^>]*>", "", ops)
        insns[int(m.group(1), 16)] = (m.group(2), m.group(3), ops)
    return insns


def same_operands(ours, theirs):
    """Operands equal, taking objdump's bare hex branch targets
    ("80200010") as our "0x80200010"."""
    a = [x.strip() for x in ours.split(",")] if ours else []
    b = [x.strip() for x in theirs.split(",")] if theirs else []
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x != y and not (x.startswith("0x") and re.fullmatch(r"[0-9a-f]+", y) and
                           int(x, 16) == int(y, 16)):
            return False
    return True


def case_itrace():
    """itrace's lines match objdump's disassembly of the guest; from= and
    count= select the window; the trace covers every instruction."""
    out = os.path.join(TMP, "itrace.txt")
    status, o, err = run_bare(f"{example('itrace')},out={out}")
    check(status == 0 and "sum=5050" in o, f"the guest runs under itrace (status {status})", err)
    lines = open(out).read().splitlines()
    ref = objdump_insns()
    bad = []
    last = -1
    for line in lines:
        m = re.match(r"(\d+) (\d+) ([0-9a-f]{16}) ([0-9a-f]+) (\S+)\s*(.*)$", line)
        if not m or int(m.group(2)) <= last:
            bad.append(("format/icount", line))
            continue
        last = int(m.group(2))
        pc = int(m.group(3), 16)
        if pc not in ref:
            bad.append(("pc not in objdump", line))
            continue
        raw, mn, ops = ref[pc]
        if m.group(4) != raw or m.group(5) != mn or not same_operands(m.group(6), ops):
            bad.append((f"objdump says {raw} {mn} {ops}", line))
    check(not bad, f"every line agrees with objdump -M no-aliases ({len(bad)} differ)",
          "\n".join(f"{why}: {l}" for why, l in bad[:20]))
    loop = guest_symbol("sum_loop")
    check(sum(1 for l in lines if int(l.split()[2], 16) == loop) == 100,
          "the loop's first instruction runs 100 times")

    # Every instruction has its line, with the counts 0, 1, 2...: this
    # includes straddle's addi, whose halves lie in two pages.
    icount = digest(err)[1]
    counts = [int(l.split()[1]) for l in lines if len(l.split()) > 1]
    missing = sorted(set(range(icount)) - set(counts))
    check(len(lines) == icount and not missing,
          f"one line per instruction ({len(lines)} lines, {icount} instructions; counts "
          f"without a line: {missing[:10]})")
    across = guest_symbol("straddle") + 2
    check(any(int(l.split()[2], 16) == across for l in lines),
          f"the instruction across the page boundary ({across:#x}) is traced",
          "\n".join(lines[-12:]))

    out2 = os.path.join(TMP, "itrace_window.txt")
    status, _, err = run_bare(f"{example('itrace')},out={out2},from=100,count=20")
    win = open(out2).read().splitlines()
    check(status == 0 and win == lines[100:120],
          f"from=100,count=20 gives exactly lines 100..119 ({len(win)} lines)", "\n".join(win))


def parse_drcov(path):
    """Parse a drcov version 2 file; returns (modules, blocks) or raises."""
    data = open(path, "rb").read()
    pos = 0

    def line():
        nonlocal pos
        end = data.index(b"\n", pos)
        text = data[pos:end].decode()
        pos = end + 1
        return text

    assert line() == "DRCOV VERSION: 2"
    assert line().startswith("DRCOV FLAVOR: ")
    m = re.fullmatch(r"Module Table: version 2, count (\d+)", line())
    assert m, "module table header"
    assert line() == "Columns: id, base, end, entry, checksum, timestamp, path"
    modules = []
    for _ in range(int(m.group(1))):
        f = [x.strip() for x in line().split(",", 6)]
        modules.append({"id": int(f[0]), "base": int(f[1], 16), "end": int(f[2], 16),
                        "path": f[6]})
    m = re.fullmatch(r"BB Table: (\d+) bbs", line())
    assert m, "BB table header"
    n = int(m.group(1))
    assert len(data) - pos == 8 * n, f"{len(data) - pos} bytes for {n} blocks"
    blocks = [struct.unpack_from("<IHH", data, pos + 8 * i) for i in range(n)]
    return modules, blocks


def case_drcov():
    """drcov files parse as drcov version 2; the bare guest's loop block is
    listed; on the project-built kernel start_kernel's first block is."""
    out = os.path.join(TMP, "bare.drcov")
    base = guest_symbol("_start")
    status, _, err = run_bare(f"{example('drcov')},out={out},base={base:#x},"
                              f"end={base + 0x1000:#x},path=guest.elf")
    check(status == 0, f"the guest runs under drcov (status {status})", err)
    try:
        mods, blocks = parse_drcov(out)
    except (AssertionError, ValueError, OSError) as e:
        check(False, f"the bare guest's file parses ({e})")
        return
    check(len(mods) == 1 and mods[0]["base"] == base and mods[0]["path"] == "guest.elf",
          f"one module, the guest ({mods})")
    starts = {s for s, _, _ in blocks}
    check(len(starts) == len(blocks), "no block is listed twice")
    check(all(mod == 0 and 0 < size and s + size <= 0x1000 for s, size, mod in blocks),
          "every block lies inside the module")
    loop = guest_symbol("sum_loop") - base
    check(loop in starts, f"the loop block (offset {loop:#x}) is listed")
    check(guest_symbol("put_dec") - base in starts, "put_dec's first block is listed")

    vml = vmlinux()
    out = os.path.join(TMP, "kernel.drcov")
    status, o, err = run_debian("true", f"{example('drcov')},out={out},vmlinux={vml}")
    check(status == 0, f"Debian boots under drcov (status {status})", err)
    try:
        mods, blocks = parse_drcov(out)
    except (AssertionError, ValueError, OSError) as e:
        check(False, f"the kernel's file parses ({e})")
        return
    stext = kernel_symbol(vml, "_stext")
    sk = kernel_symbol(vml, "start_kernel")
    end = max(kernel_symbol(vml, "_etext"), kernel_symbol(vml, "_einittext") or 0)
    check(mods[0]["base"] == stext and mods[0]["end"] == end,
          "the module is [_stext, _etext) with the init text")
    check(sk - stext in {s for s, _, _ in blocks},
          f"start_kernel's first block (offset {sk - stext:#x}) is listed; {len(blocks)} blocks")
    # Decoded but never executed: sysrq_handle_crash is not run by a boot.
    crash = kernel_symbol(vml, "sysrq_handle_crash")
    if crash is not None:
        check(crash - stext not in {s for s, _, _ in blocks},
              "a function the boot never calls is not listed")


def case_strace():
    """On the Debian boot (project-built kernel and its vmlinux) the
    tracer shows the execve of the shell running rv.cmd, with pid and
    comm; without vmlinux the task is "[? ?]"."""
    out = os.path.join(TMP, "strace.txt")
    status, o, err = run_debian("echo plugin-strace-ok",
                                f"{example('strace')},vmlinux={vmlinux()},out={out}")
    check(status == 0 and "plugin-strace-ok" in o, f"Debian boots under strace ({status})", err)
    text = open(out).read() if os.path.exists(out) else ""
    shell = [l for l in text.splitlines()
             if re.match(r'\[\d+ \S+\] execve\("[^"]+", \["sh", "-c", "echo plugin-strace-ok"\], '
                         r"0x[0-9a-f]+\) = 0$", l)]
    check(len(shell) == 1, "exactly one execve of the shell, with its argv and result 0", text)
    check(re.search(r"^\[1 init\] ", text, re.M) is not None, "PID 1 is init", text)
    check(re.search(r'openat\(0xffffffffffffff9c, "[^"]+", ', text) is not None,
          "openat calls show their path", text)
    check(re.search(r"\) = -2$", text, re.M) is not None, "failed calls show -errno", text)

    out = os.path.join(TMP, "strace_nosyms.txt")
    status, o, err = run_debian("true", f"{example('strace')},out={out},only=execve")
    text = open(out).read() if os.path.exists(out) else ""
    lines = text.splitlines()
    check(status == 0 and lines and all(l.startswith("[? ?] execve(") for l in lines),
          f"without vmlinux: only=execve lines with an unknown task ({len(lines)} lines)", text)


LINUX = """#include <stdio.h>
#include <string.h>
#include <retrovisor/plugin.h>
RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { RV_PLUGIN_ABI_BUILD, RV_PLUGIN_ABI_BUILD };
static rv_plugin *me;
static rv_machine *mach;
static char out[512];
static unsigned ntasks, nmods;
static int on_task(void *ud, const rv_task *t)
{
#if RV_PLUGIN_ABI_BUILD >= 4
	if (t->size != sizeof(*t))
		return 7;
#endif
	if (ntasks++ < 4)
		fprintf(ud, "task %d %d %.16s\\n", t->pid, t->tgid, t->comm);
	return 0;
}
static int on_module(void *ud, const rv_module *m)
{
	(void)ud; (void)m;
	nmods++;
	return 0;
}
static void on_exit_cb(void *ud, int status)
{
	FILE *f = fopen(out, "w");
	rv_task cur;
	int rt, rm, rc;
	(void)ud; (void)status; (void)me; (void)mach;
	if (!f)
		return;
	memset(&cur, 0, sizeof(cur));
#if RV_PLUGIN_ABI_BUILD >= 4
	cur.size = sizeof(cur);
	rt = rv_machine_linux_tasks(mach, 0, on_task, f);
	rm = rv_machine_linux_modules(mach, 0, on_module, NULL);
	rc = rv_machine_linux_current(mach, 0, &cur);
#else
	rt = rv_linux_tasks(me, 0, on_task, f);
	rm = rv_linux_modules(me, 0, on_module, NULL);
	rc = rv_linux_current(me, 0, &cur);
#endif
	fprintf(f, "walks %d %d tasks %u modules %u current %d", rt, rm, ntasks, nmods, rc);
	if (rc == 0)
		fprintf(f, " %d %d %.16s", cur.pid, cur.tgid, cur.comm);
	fprintf(f, "\\n");
	fclose(f);
}
RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	me = self;
	(void)info;
#if RV_PLUGIN_ABI_BUILD >= 4
	mach = info->machine;
#endif
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i].key, "out"))
			snprintf(out, sizeof(out), "%s", argv[i].value);
	rv_on_exit(self, on_exit_cb, NULL);
	return out[0] ? 0 : 1;
}
"""


def case_linux_layouts():
    """Linux awareness on the Debian boot, with a plugin built against
    ABI 4 (rv_machine_linux_*, sized rv_task and rv_module) and the same
    source built against ABI 1 (rv_linux_*, the old layouts): both see the
    same tasks (init_task, then PID 1), modules (the module walk's result
    too) and current task, so each got the layout it was built for."""
    vml = vmlinux()
    texts = []
    for build in (4, 1):
        so = build_plugin(f"linux_v{build}", LINUX, defines=[f"RV_PLUGIN_ABI_BUILD={build}"])
        out = os.path.join(TMP, f"linux_v{build}.txt")
        status, _, err = run_debian("true", f"{so},vmlinux={vml},out={out}")
        texts.append(open(out).read() if os.path.exists(out) else "")
        check(status == 0, f"ABI {build}: Debian runs with it ({status})", err)
    lines = texts[0].splitlines()
    check(len(lines) >= 3 and re.match(r"task 0 0 \S+$", lines[0]) and
          re.match(r"task 1 1 \S+$", lines[1]) and
          re.match(r"walks 0 -?\d+ tasks [2-9]\d* modules \d+ current 0 \d+ \d+ \S+$", lines[-1]),
          f"ABI 4: init_task, PID 1, the task walk and the current task: {lines}")
    check(texts[0] == texts[1], f"ABI 1 sees the same: {texts[1].splitlines()}")


def case_faultinj():
    """A bit flipped in s1 during the loop changes the printed sum; the
    recorded perturbed run replays to the same state without the plugin;
    bad arguments are refused."""
    _, o0, e0 = run_bare()
    check("sum=5050" in o0, "the unperturbed guest prints sum=5050", o0)
    # Bit 20 of s1 (x9) before instruction 50: in the loop, after some
    # iterations; the sum grows by 2^20.
    spec = f"{example('faultinj')},at=50,reg=9,bit=20"
    status, o1, e1 = run_bare(spec)
    check(status == 0 and f"sum={5050 + (1 << 20)}" in o1,
          f"the flip changes the output to sum={5050 + (1 << 20)} ({o1.strip()!r})", e1)
    check(re.search(r"faultinj: flipped bit 20 of register 9 of hart 0 at instruction 50 ", e1)
          is not None, "one line says what was injected and when", e1)

    log = os.path.join(TMP, "faultinj.rlog")
    status, o2, e2 = run(["record", "--log", log, "--kernel", GUEST, "--rtc", RTC,
                          "--print-digest", "--plugin", spec])
    check(status == 0 and f"sum={5050 + (1 << 20)}" in o2, "the perturbed run records", e2)
    status, o3, e3 = run(["replay", log, "--trust-stored-paths", "--print-digest"])
    check(status == 0 and "replay matched the recording" in e3,
          f"its replay without the plugin matches (status {status})", e3)
    check(digest(e2)[0] is not None and digest(e2) == digest(e3),
          f"and ends in the recorded state ({digest(e2)}, {digest(e3)})")
    check(f"sum={5050 + (1 << 20)}" in o3, "the replay prints the perturbed sum", o3)

    result = guest_symbol("result")
    status, o4, e4 = run_bare(f"{example('faultinj')},at=330,mem={result:#x},bit=0")
    check(status == 0 and "sum=5051" in o4,
          f"a flipped memory bit (result, before it is printed) shows: {o4.strip()!r}", e4)
    for bad in ("at=5,reg=9", "reg=9,bit=70,at=1", "blk=1,at=3", "at=1,reg=9,mem=0,bit=1",
                "at=1,reg=4000,bit=1"):
        status, _, err = run_bare(f"{example('faultinj')},{bad}")
        check(status == 2 and "refused" in err, f"{bad} is refused ({err.strip()})")


def case_faultinj_classes():
    """Each fault class of faultinj.so on the bare guest (issue 16, item 4):
    the fault happens (the printed sum is the one the class predicts), and
    its recording replays without the plugin to the recorded digest and
    output."""
    result = guest_symbol("result")

    def stuck(force):
        s = 0
        for t in range(1, 101):  # forced before each add, addi and bne
            s = force(force(s) + t)
        return s
    classes = [
        ("multi-bit register flip", "at=50,reg=9,mask=0x300000", 5050 + (3 << 20)),
        ("register bit stuck at 1", "at=5,until=400,reg=9,stuck=1,bit=0",
         stuck(lambda s: s | 1)),
        ("register bit stuck at 0", "at=5,until=400,reg=9,stuck=0,bit=0",
         stuck(lambda s: s & ~1)),
        ("multi-bit memory flip", f"at=330,mem={result:#x},mask=0x03", 5050 ^ 3),
        ("memory bit stuck at 1", f"at=300,until=100000,mem={result:#x},stuck=1,bit=0", 5051),
        ("instruction skip", "at=5,skip", 5049),
    ]
    for name, fault, want in classes:
        log = os.path.join(TMP, "class.rlog")
        status, o1, e1 = run(["record", "--log", log, "--kernel", GUEST, "--rtc", RTC,
                              "--print-digest", "--plugin", f"{example('faultinj')},{fault}"])
        check(status == 0 and f"sum={want}\n" in o1 and "faultinj: " in e1,
              f"{name} ({fault}) prints sum={want} ({o1.strip()!r})", e1)
        status, o2, e2 = run(["replay", log, "--trust-stored-paths", "--print-digest"])
        check(status == 0 and "replay matched the recording" in e2 and
              digest(e1)[0] is not None and digest(e1) == digest(e2) and o2 == o1,
              f"{name}: the replay without the plugin matches, same digest and output", e2)
    for bad in ("at=5,skip,bit=1", "at=5,reg=9,bit=1,mask=3", "at=5,reg=9,mask=0",
                "at=5,mem=0x80200000,mask=0x100", "at=5,reg=9,bit=1,until=9",
                "at=5,reg=9,bit=1,until=4,stuck=1", "at=5,irq=3,drop", "at=5,irq=5",
                "at=5,irq=5,drop,delay=3", "irq=5,drop"):
        status, _, err = run_bare(f"{example('faultinj')},{bad}")
        check(status == 2 and "refused" in err, f"{bad} is refused ({err.strip()})")


def case_faultinj_blk():
    """blk=N fails the Nth request of a virtio disk: reading the disk in
    Debian then reports an I/O error."""
    img = os.path.join(TMP, "disk.img")
    with open(img, "wb") as f:
        f.write(bytes(range(256)) * 4096)  # 1 MiB
    args = debian_args("dd if=/dev/vda of=/dev/null bs=4096 count=64 iflag=direct",
                       extra=["--drive", f"file={img}"])
    status, o0, e0 = run(["run"] + args)
    check(status == 0 and "retrovisor-guest: exit status 0" in o0,
          f"the disk reads without a fault ({status})", o0)
    status, o1, e1 = run(["run"] + args + ["--plugin", f"{example('faultinj')},blk=3"])
    check(re.search(r"faultinj: failed block request 3 of device 0 ", e1) is not None,
          "faultinj reports the failed request", e1)
    check("I/O error" in o1 and "retrovisor-guest: exit status 0" not in o1,
          "the guest sees an I/O error and dd fails", o1)


def case_faultinj_irq():
    """Interrupt faults on Debian (timer interrupts, STIP): delay=D masks
    the pending interrupt for D instructions and changes the run; drop
    masks it until its source withdraws it, which a tick the kernel waits
    for never does: the machine deadlocks (status 4); both recordings
    replay without the plugin to the recorded digest and status."""
    args = debian_args("true")
    status, _, e0 = run(["run"] + args)
    check(status == 0 and digest(e0)[0], "Debian runs without a fault", e0)
    for fault, says, want in (("irq=5,delay=500000", r"faultinj: masked pending interrupt 5 "
                               r".*for 500000 instructions\nfaultinj: unmasked interrupt 5 ", 0),
                              ("irq=5,drop", r"faultinj: dropped interrupt 5 of hart 0 ", 4)):
        log = os.path.join(TMP, "irq.rlog")
        status, o1, e1 = run(["record", "--log", log] + args + [
            "--plugin", f"{example('faultinj')},at=20000000,{fault}"])
        check(status == want and re.search(says, e1) is not None,
              f"{fault}: the fault happens and says so (status {status})", e1)
        status, o2, e2 = run(["replay", log, "--trust-stored-paths", "--print-digest"])
        check(status == want and "replay matched the recording" in e2 and
              digest(e1) == digest(e2), f"{fault}: its replay without the plugin matches "
              f"({digest(e1)}, {digest(e2)})", e2)
        if "delay" in fault:
            check(digest(e1)[0] != digest(e0)[0], "a delayed timer interrupt changes the run")


def case_faultinj_blk_modes():
    """Block-device faults beyond an I/O error (rv_blk_fault, ABI 3) on
    Debian: Linux writes 1 KiB of "A\\n" at byte 4096 of a patterned disk
    and reads it back, and reads byte 51200 (sector 100), printing both
    md5sums. A lost write leaves the old data, a torn one (1 sector kept)
    half of it, a misdirected one (to sector 100) lands there, bit rot
    flips bit 5 of the first byte read back; each recording replays
    without the plugin to its digest and output, from the original
    image."""
    disk = bytes(range(256)) * 4096  # 1 MiB
    a = b"A\n" * 512
    img = os.path.join(TMP, "modes.img")
    cmd = ("yes A | head -c 1024 | dd of=/dev/vda bs=1024 count=1 seek=4 oflag=direct "
           "conv=notrunc 2>/dev/null; dd if=/dev/vda bs=1024 count=1 skip=4 iflag=direct "
           "2>/dev/null | md5sum; dd if=/dev/vda bs=1024 count=1 skip=50 iflag=direct "
           "2>/dev/null | md5sum")
    args = debian_args(cmd, extra=["--drive", f"file={img}"])

    def md5(b):
        return hashlib.md5(b).hexdigest()

    def sums(out):
        return re.findall(r"^([0-9a-f]{32})  -\r?$", out, re.M)
    cases = [
        ("", "", [md5(a), md5(disk[51200:52224])]),
        ("blk=0,lost", "lost block request", [md5(disk[4096:5120]), md5(disk[51200:52224])]),
        ("blk=0,torn=1", "tore block request", [md5(a[:512] + disk[4608:5120]),
                                                md5(disk[51200:52224])]),
        ("blk=0,misdirect=100", "misdirected block request", [md5(disk[4096:5120]), md5(a)]),
        ("blk=2,rot=5", "rotted a bit of block request", [md5(b"a" + a[1:]),
                                                          md5(disk[51200:52224])]),
    ]
    for fault, says, want in cases:
        with open(img, "wb") as f:
            f.write(disk)
        log = os.path.join(TMP, "modes.rlog")
        plugin = ["--plugin", f"{example('faultinj')},{fault}"] if fault else []
        status, o1, e1 = run(["record", "--log", log] + args + plugin)
        check(status == 0 and sums(o1) == want and says in e1,
              f"{fault or 'no fault'}: the guest reads {want} ({sums(o1)})", o1 + e1)
        if not fault:
            continue
        with open(img, "wb") as f:
            f.write(disk)
        status, o2, e2 = run(["replay", log, "--trust-stored-paths", "--print-digest"])
        check(status == 0 and "replay matched the recording" in e2 and
              digest(e1) == digest(e2) and sums(o2) == want,
              f"{fault}: its replay without the plugin matches", e2)
    for bad in ("blk=0,lost=1", "blk=0,torn=x", "at=5,reg=1,bit=1,rot=3", "blk=0,lost,torn=1"):
        status, _, err = run_bare(f"{example('faultinj')},{bad}")
        check(status == 2 and "refused" in err, f"{bad} is refused ({err.strip()})")


def case_memwatch():
    """memwatch sees the guest's store of the sum to `result` and its load,
    with the instructions' pcs, by virtual and by physical address."""
    result = guest_symbol("result")
    out = os.path.join(TMP, "memwatch.txt")
    status, _, err = run_bare(f"{example('memwatch')},lo={result:#x},hi={result + 8:#x},"
                              f"out={out}")
    lines = open(out).read().splitlines() if os.path.exists(out) else []
    ref = objdump_insns()
    stores = [pc for pc, (_, mn, ops) in ref.items() if mn == "sd" and ops.startswith("s1,")]
    loads = [pc for pc, (_, mn, ops) in ref.items() if mn == "ld" and ops.startswith("a0,")]
    want = [f"0 {stores[0]:016x} {result:016x} {result:016x} 8 W 13ba",
            f"0 {loads[0]:016x} {result:016x} {result:016x} 8 R 13ba"]
    check(status == 0 and lines == want, f"the store and the load, in order: {lines}",
          "\n".join(want))
    status, _, err = run_bare(f"{example('memwatch')},lo={result + 4:#x},hi={result + 5:#x},"
                              f"phys=1,rw=w,out={out}")
    lines = open(out).read().splitlines() if os.path.exists(out) else []
    check(status == 0 and lines == want[:1],
          f"a physical, write-only watch of one byte inside it sees the store only: {lines}")


def case_hotspot():
    """hotspot on a Debian boot lists the top 20 kernel symbols by
    instructions, with percentages."""
    vml = vmlinux()
    out = os.path.join(TMP, "hotspot.txt")
    status, _, err = run_debian("true", f"{example('hotspot')},vmlinux={vml},out={out}")
    text = open(out).read() if os.path.exists(out) else ""
    rows = [re.match(r"\s*(\d+)\s+([\d.]+)%\s+(\S+)$", l) for l in text.splitlines()[1:]]
    check(status == 0 and len(rows) == 20 and all(rows), f"20 rows ({status})", text)
    if not all(rows) or not rows:
        return
    counts = [int(r.group(1)) for r in rows]
    check(counts == sorted(counts, reverse=True), "sorted by count", text)
    total = int(re.match(r"# (\d+) instructions", text).group(1))
    icount = digest(err)[1]
    check(icount and abs(total - icount) < icount // 100,
          f"the total ({total}) is about the run's instruction count ({icount})")
    nm = subprocess.run(["riscv64-linux-gnu-nm", vml], capture_output=True, text=True,
                        check=True).stdout
    names = {l.split()[-1] for l in nm.splitlines()}
    ksyms = [r.group(3) for r in rows if r.group(3) in names]
    check(len(ksyms) >= 15, f"most rows are kernel symbols ({ksyms})", text)
    status, _, err = run_bare(example("hotspot"))
    check(status == 2 and "vmlinux" in err, "without vmlinux= it is refused", err)


CASES = {
    "out_of_tree": case_out_of_tree,
    "refusal": case_refusal,
    "abi_ranges": case_abi_ranges,
    "abi4": case_abi4,
    "init_crash": case_init_crash,
    "callback_crash": case_callback_crash,
    "symbols": case_symbols,
    "nothing": case_nothing,
    "observe": case_observe,
    "itrace": case_itrace,
    "drcov": case_drcov,
    "strace": case_strace,
    "linux_layouts": case_linux_layouts,
    "faultinj": case_faultinj,
    "faultinj_blk": case_faultinj_blk,
    "faultinj_classes": case_faultinj_classes,
    "faultinj_irq": case_faultinj_irq,
    "faultinj_blk_modes": case_faultinj_blk_modes,
    "memwatch": case_memwatch,
    "hotspot": case_hotspot,
}

if __name__ == "__main__":
    run_case(CASES, CASE)
