#!/bin/sh
# SPDX-License-Identifier: MIT
# docs/course/lab4/starter/gdb.sh [SCRIPT]: lab 4's session, run from the
# repository root. Builds the guest, starts it under Retrovisor's gdb stub
# held before its first instruction (--paused, QEMU's -s -S) and opens
# gdb-multiarch on it with SCRIPT sourced (default: the starter's
# sv39.py), stopped at lab_ready(), where translation is on. Quitting gdb
# kills the guest.
set -eu
script=${1:-docs/course/lab4/starter/sv39.py}
port=${LAB4_PORT:-1234}
bazel build //:retrovisor //docs/course/lab4:sv39guest
elf=bazel-bin/docs/course/lab4/sv39guest.elf
bazel-bin/retrovisor run --kernel "$elf" --gdb "tcp:127.0.0.1:$port" --paused &
rv=$!
trap 'kill $rv 2>/dev/null || true' EXIT
sleep 0.5
gdb-multiarch -q "$elf" -ex 'set architecture riscv:rv64' -ex "target remote 127.0.0.1:$port" \
	-ex "source $script" -ex 'break lab_ready' -ex continue
