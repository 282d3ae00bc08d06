#!/bin/sh
# SPDX-License-Identifier: MIT
# Lab 2: boots the project-built kernel paused under Retrovisor's gdb
# stub, runs a gdb-multiarch batch script against it and keeps both sides'
# output. You do not need to change this file.
#
#   run.sh SCRIPT.gdb OUTDIR
#
# OUTDIR/gdb.log is what gdb printed, OUTDIR/console.txt what the guest
# printed. The guest runs `echo lab2-marker` as its only command and
# powers off. Paths come from the environment, with defaults for a
# checkout after tools/setup and `bazel build //:retrovisor`: RETROVISOR,
# KERNEL_DIR (the project-built kernel: Image and vmlinux with DWARF),
# INITRAMFS (tools/fetch-guest's busybox initramfs).
set -eu
script=${1:?usage: run.sh SCRIPT.gdb OUTDIR}
out=${2:?usage: run.sh SCRIPT.gdb OUTDIR}
rv=${RETROVISOR:-bazel-bin/retrovisor}
kdir=${KERNEL_DIR:-$HOME/.cache/retrovisor/kernel}
initramfs=${INITRAMFS:-$HOME/.cache/retrovisor/guest/initramfs.cpio}
for f in "$rv" "$kdir/Image" "$kdir/vmlinux" "$initramfs" "$script"; do
	[ -e "$f" ] || { echo "run.sh: '$f' is missing: run tools/setup and bazel build //:retrovisor" >&2; exit 1; }
done
command -v gdb-multiarch >/dev/null || { echo "run.sh: gdb-multiarch is not installed: run tools/setup" >&2; exit 1; }
mkdir -p "$out"

# The stub picks a free port (":0") and says which on stderr. The file
# exists before the machine starts, so that the loop below never reads a
# file the background shell has not opened yet (sed would fail, and set -e
# end this script).
: >"$out/retrovisor.err"
"$rv" run --kernel "$kdir/Image" --initrd "$initramfs" \
	--append 'console=ttyS0 quiet rv.cmd="echo lab2-marker"' --rtc 1767225600 \
	--watchdog 120 --gdb tcp:127.0.0.1:0 --paused \
	</dev/null >"$out/console.txt" 2>"$out/retrovisor.err" &
machine=$!
port=
for _ in $(seq 300); do
	port=$(sed -n 's/.*gdb stub listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out/retrovisor.err" || true)
	[ -n "$port" ] && break
	kill -0 "$machine" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$port" ]; then
	kill "$machine" 2>/dev/null || true
	echo "run.sh: the gdb stub did not start: $(cat "$out/retrovisor.err")" >&2
	exit 1
fi
status=0
timeout 300 gdb-multiarch -batch -nx -ex 'set pagination off' -ex 'set confirm off' \
	-ex 'set width 0' -ex 'set architecture riscv:rv64' \
	-ex "target remote 127.0.0.1:$port" -x "$script" "$kdir/vmlinux" \
	</dev/null >"$out/gdb.log" 2>&1 || status=$?
# A script that ends with the machine stopped leaves it waiting: end it.
if ! timeout 120 sh -c "while kill -0 $machine 2>/dev/null; do sleep 0.1; done"; then
	kill "$machine" 2>/dev/null || true
fi
wait "$machine" || true
exit "$status"
