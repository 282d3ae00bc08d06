#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate introspect/syscalls_riscv64.inc, the riscv64 Linux system call
table (number, name, argument count).

riscv64 uses the asm-generic table (arch/riscv/include/uapi/asm/unistd.h
defines the __ARCH_WANT_* switches below, includes
<asm-generic/unistd.h> and adds riscv_flush_icache). Numbers and entry
points come from the host's /usr/include/asm-generic/unistd.h (Debian's
linux-libc-dev), evaluated by the host C compiler with __BITS_PER_LONG 64;
argument counts come from the SYSCALL_DEFINEn(name, ...) definitions in a
Linux source tree (generic code and arch/riscv only).

Usage: introspect/gen_syscalls.py LINUX_SOURCE_DIR > introspect/syscalls_riscv64.inc
"""
import os
import re
import subprocess
import sys
import tempfile

WANT = ["__ARCH_WANT_NEW_STAT", "__ARCH_WANT_SET_GET_RLIMIT",
        "__ARCH_WANT_SYS_CLONE3", "__ARCH_WANT_MEMFD_SECRET"]
RISCV_EXTRA = [("riscv_flush_icache", "__NR_arch_specific_syscall + 15",
                "sys_riscv_flush_icache")]


def host_table():
    defs = "".join("#define %s\n" % w for w in WANT)
    macros = subprocess.run(["gcc", "-E", "-dM", "-x", "c", "-"],
                            input=defs + "#include <asm-generic/unistd.h>\n",
                            capture_output=True, text=True, check=True).stdout
    names = sorted(set(re.findall(r"^#define __NR_(\w+) ", macros, re.M))
                   - {"syscalls", "arch_specific_syscall"})
    prog = defs + "#include <stdio.h>\n"
    prog += "struct e { long nr; const char *call; };\n"
    prog += "static const struct e calls[] = {\n"
    prog += "#define __SYSCALL(nr, call) { nr, #call },\n"
    prog += "#include <asm-generic/unistd.h>\n"
    for name, nr, call in RISCV_EXTRA:
        prog += '{ %s, "%s" },\n' % (nr, call)
    prog += "};\nint main(void)\n{\n"
    for n in names:
        prog += '\tprintf("N %%ld %s\\n", (long)__NR_%s);\n' % (n, n)
    for name, nr, call in RISCV_EXTRA:
        prog += '\tprintf("N %%ld %s\\n", (long)(%s));\n' % (name, nr)
    prog += ("\tfor (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)\n"
             '\t\tprintf("C %ld %s\\n", calls[i].nr, calls[i].call);\n'
             "\treturn 0;\n}\n")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "t.c")
        exe = os.path.join(tmp, "t")
        with open(src, "w") as f:
            f.write(prog)
        subprocess.run(["gcc", "-o", exe, src], check=True)
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    by_nr, calls = {}, {}
    for line in out.splitlines():
        kind, nr, word = line.split()
        if kind == "N":
            by_nr[int(nr)] = word
        else:
            calls[int(nr)] = word
    return by_nr, calls


def arg_counts(src):
    counts = {}
    pat = re.compile(r"\bSYSCALL_DEFINE([0-6])\(\s*(\w+)")
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        if rel.startswith("arch") and not rel.startswith(os.path.join("arch", "riscv")) \
                and rel != "arch":
            dirs[:] = []
            continue
        if rel.startswith(("Documentation", "tools", "scripts", "samples")):
            dirs[:] = []
            continue
        for fn in files:
            if not fn.endswith(".c"):
                continue
            with open(os.path.join(root, fn), errors="replace") as f:
                for n, name in pat.findall(f.read()):
                    counts.setdefault("sys_" + name, int(n))
    return counts


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    by_nr, calls = host_table()
    counts = arg_counts(sys.argv[1])
    print("/* SPDX-License-Identifier: MIT */")
    print("/*")
    print(" * riscv64 Linux system calls: INTRO_SYSCALL(number, name, nargs), nargs")
    print(" * -1 when the entry point has no SYSCALL_DEFINEn (sys_ni_syscall).")
    print(" * Generated; do not edit. Made with:")
    print(" *   introspect/gen_syscalls.py %s" % sys.argv[1])
    print(" * from /usr/include/asm-generic/unistd.h and the SYSCALL_DEFINEn lines")
    print(" * of that Linux tree.")
    print(" */")
    for nr in sorted(by_nr):
        call = calls.get(nr, "sys_ni_syscall")
        print('INTRO_SYSCALL(%d, "%s", %d)' % (nr, by_nr[nr], counts.get(call, -1)))


if __name__ == "__main__":
    main()
