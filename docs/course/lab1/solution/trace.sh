#!/bin/sh
# SPDX-License-Identifier: MIT
# Lab 1, solution: the five traces the questions are answered from.
#
#   trace.sh OUTDIR
#
# Paths come from the environment, with defaults for a checkout where
# `bazel build //:retrovisor //plugins/examples:itrace.so` and
# tools/setup have run: RETROVISOR, ITRACE (itrace.so), KERNEL_DIR (the
# project-built kernel: Image and vmlinux), FIRMWARE (OpenSBI fw_dynamic).
#
# Two traces are short (count=1000) and kept whole. Three look for one
# event millions of instructions into a boot: the trace goes through a
# FIFO to awk, which keeps only the lines it wants and exits; the run then
# ends on the closed pipe. Nothing big is ever written to disk.
set -eu
out=${1:?usage: trace.sh OUTDIR}
rv=${RETROVISOR:-bazel-bin/retrovisor}
itrace=${ITRACE:-bazel-bin/plugins/examples/itrace.so}
kdir=${KERNEL_DIR:-$HOME/.cache/retrovisor/kernel}
fw=${FIRMWARE:-/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin}
for f in "$rv" "$itrace" "$kdir/Image" "$kdir/vmlinux" "$fw"; do
	[ -e "$f" ] || { echo "trace.sh: '$f' is missing: run tools/setup and the bazel build above" >&2; exit 1; }
done
mkdir -p "$out"

# The paravirtual boot (the default): Retrovisor is the SBI firmware.
pv() { "$rv" run --kernel "$kdir/Image" --max-instructions 5000000 "$@" </dev/null >/dev/null 2>&1 || true; }
# The full machine: OpenSBI in M-mode starts the kernel in S-mode.
full() { "$rv" run --kernel "$kdir/Image" --bios "$fw" --max-instructions 30000000 "$@" </dev/null >/dev/null 2>&1 || true; }

# Part A and B: the first thousand instructions of each boot.
pv --plugin "$itrace,count=1000,vmlinux=$kdir/vmlinux,out=$out/pv.txt"
full --plugin "$itrace,count=1000,out=$out/full.txt"

# Stream a whole trace through awk program $1 into file $2; the rest of
# the arguments say which boot (pv or full).
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

# Part C: the kernel's first instruction under OpenSBI, and the one before.
stream '$3 == "0000000080200000" { print prev; print; exit } { prev = $0 }' "$out/full-entry.txt" full

# Part D: the first ecall (field 5 is the mnemonic), the 23 instructions
# before it (kept in a ring) and the one that runs after it, in each boot.
# Under OpenSBI the firmware's own ecalls would come first, so look only
# after the kernel has started.
last24='{ ring[NR % 24] = $0 }
$5 == "ecall" && k { for (i = NR - 23; i <= NR; i++) if (i > 0) print ring[i % 24]; getline; print; exit }'
stream "BEGIN { k = 1 } $last24" "$out/pv-ecall.txt" pv
stream "\$3 == \"0000000080200000\" { k = 1 } $last24" "$out/full-ecall.txt" full
