#!/bin/sh
# SPDX-License-Identifier: MIT
# Lab 1, starter: make the five traces the questions are answered from.
#
#   trace.sh OUTDIR
#
# Paths come from the environment, with defaults for a checkout where
# `bazel build //:retrovisor //plugins/examples:itrace.so` and
# tools/setup have run: RETROVISOR, ITRACE (itrace.so), KERNEL_DIR (the
# project-built kernel: Image and vmlinux), FIRMWARE (OpenSBI fw_dynamic).
#
# Fill in each TODO (README.md, "Tasks"), then delete its `todo` line.
set -eu
out=${1:?usage: trace.sh OUTDIR}
rv=${RETROVISOR:-bazel-bin/retrovisor}
itrace=${ITRACE:-bazel-bin/plugins/examples/itrace.so}
kdir=${KERNEL_DIR:-$HOME/.cache/retrovisor/kernel}
fw=${FIRMWARE:-/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin}
todo() { echo "trace.sh: TODO $1 is not done yet (README.md, task $1)" >&2; exit 1; }
for f in "$rv" "$itrace" "$kdir/Image" "$kdir/vmlinux" "$fw"; do
	[ -e "$f" ] || { echo "trace.sh: '$f' is missing: run tools/setup and the bazel build above" >&2; exit 1; }
done
mkdir -p "$out"

# The paravirtual boot (the default): Retrovisor is the SBI firmware.
pv() { "$rv" run --kernel "$kdir/Image" --max-instructions 5000000 "$@" </dev/null >/dev/null 2>&1 || true; }
# The full machine: OpenSBI in M-mode starts the kernel in S-mode.
# TODO 2: which option of `retrovisor run` loads firmware? (README.md)
full() { todo 2; }

# Task 1: the first thousand instructions of the paravirtual boot (done
# for you: read the plugin's arguments in plugins/examples/itrace.c).
pv --plugin "$itrace,count=1000,vmlinux=$kdir/vmlinux,out=$out/pv.txt"
# TODO 2: the same for the full machine, into $out/full.txt.
todo 2

# Stream a whole trace through awk program $1 into file $2; $3 says which
# boot (pv or full). Nothing big is written to disk: awk keeps what it
# wants and exits, and the run ends on the closed pipe.
stream() {
	prog=$1 dst=$2 boot=$3
	fifo=$out/trace.fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	awk "$prog" "$fifo" >"$dst" &
	reader=$!
	$boot --plugin "$itrace,vmlinux=$kdir/vmlinux,out=$fifo"
	wait "$reader"
	rm -f "$fifo"
}

# TODO 3: into $out/full-entry.txt, the first line of the full boot whose
# pc (field 3) is the kernel's load address, and the line before it.
todo 3

# TODO 4: into $out/pv-ecall.txt and $out/full-ecall.txt, the first ecall
# the kernel makes (field 5 is the mnemonic), the 23 lines before it and
# the one line after it. In the full boot, skip OpenSBI's own instructions.
todo 4
