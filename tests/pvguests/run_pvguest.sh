#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Runs one paravirtual test guest on Retrovisor and on QEMU + OpenSBI and
# checks both against the checked-in expected output.
#
#   run_pvguest.sh NAME GUEST.elf EXPECTED.out STATUS RETROVISOR|-
#
# STATUS is what Retrovisor must exit with: "zero" or "nonzero". "-" in
# place of the Retrovisor binary leaves that run out (QEMU-only check, for
# working on the guests); the test then says "SKIPPED:" (tests/README.md).
#
# Output is cut at the guest's first line "=== pvguest NAME ===" (QEMU
# prints the OpenSBI banner first) and carriage returns are dropped
# (OpenSBI turns "\n" into "\r\n").
#
# QEMU 7.2 in Debian 12 ships OpenSBI 1.1, which implements SBI v1.0: no
# DBCN, and it ignores invalid harts above hart_mask_base. The guests mark
# every line that needs SBI v2.0 with a leading "[2.0]". When the QEMU
# firmware's banner reports a runtime SBI version below 2.0, those lines
# are left out of the QEMU comparisons (both sides); all other lines must
# match exactly. Retrovisor's output must match the expected file exactly.
#
# A missing qemu-system-riscv64 is a failure (tools/setup installs it);
# PVGUEST_QEMU=0 leaves QEMU out, and the test then says "SKIPPED:",
# which tools/test counts as a skip. QEMU runs with -cpu rv64,h=false
# because Retrovisor's harts have no H extension (RFENCE HFENCE.* answer
# NOT_SUPPORTED). QEMU's exit status is not checked against STATUS:
# OpenSBI 1.1 powers QEMU off with the "pass" code whatever the SRST
# reason, so QEMU exits 0 even for a SYSTEM_FAILURE shutdown.
set -u

if [ $# -ne 5 ]; then
	echo "usage: $0 NAME GUEST.elf EXPECTED.out zero|nonzero RETROVISOR|-" >&2
	exit 2
fi
name=$1
elf=$2
expected=$3
want_status=$4
rv=$5
timeout_s=${PVGUEST_TIMEOUT:-120}

if [ -n "${TEST_TMPDIR:-}" ]; then
	work=$TEST_TMPDIR
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
fail=0
checked=0

normalize() {
	tr -d '\r' <"$1" | sed -n "/^=== pvguest $name ===\$/,\$p"
}

# compare LABEL A B: diff two normalized outputs.
compare() {
	if diff -u "$2" "$3" >"$work/diff" 2>&1; then
		echo "ok: $1"
	else
		echo "FAIL: $1"
		cat "$work/diff"
		fail=1
	fi
	checked=$((checked + 1))
}

if [ ! -s "$expected" ]; then
	echo "FAIL: expected output $expected is missing or empty"
	exit 1
fi

if [ "$rv" != "-" ]; then
	timeout "$timeout_s" "$rv" run --harts 2 --kernel "$elf" \
		</dev/null >"$work/rv.raw" 2>"$work/rv.err"
	status=$?
	normalize "$work/rv.raw" >"$work/rv.out"
	if [ "$status" -eq 124 ]; then
		echo "FAIL: retrovisor did not finish within ${timeout_s}s"
		fail=1
	elif [ "$want_status" = zero ] && [ "$status" -ne 0 ]; then
		echo "FAIL: retrovisor exited $status, want 0"
		fail=1
	elif [ "$want_status" = nonzero ] && [ "$status" -eq 0 ]; then
		echo "FAIL: retrovisor exited 0, want a non-zero status"
		fail=1
	else
		echo "ok: retrovisor exit status $status ($want_status)"
	fi
	if [ "$fail" -ne 0 ]; then
		echo "--- retrovisor stderr:"
		cat "$work/rv.err"
	fi
	compare "retrovisor output = $expected" "$expected" "$work/rv.out"
fi

qemu=$(command -v qemu-system-riscv64 || true)
skipped=""
if [ "$rv" = "-" ]; then
	skipped="the Retrovisor run ('-' given for the binary)"
fi
if [ "${PVGUEST_QEMU:-1}" = 0 ]; then
	skipped="the QEMU comparison (PVGUEST_QEMU=0)"
elif [ -z "$qemu" ]; then
	echo "FAIL: qemu-system-riscv64 is not installed: run tools/setup"
	fail=1
else
	# QEMU runs on host time: on a loaded machine a guest's bounded wait
	# for another hart can expire there, and the guest says "FAIL:" itself.
	# Such a run says nothing about Retrovisor; give QEMU up to 3 tries.
	for try in 1 2 3; do
		timeout "$timeout_s" "$qemu" -M virt -cpu rv64,h=false -nographic \
			-m 128M -smp 2 -kernel "$elf" </dev/null >"$work/qemu.raw" 2>&1
		status=$?
		normalize "$work/qemu.raw" | grep -q "^FAIL:" || break
		echo "note: QEMU run $try failed on its own (host timing); trying again"
	done
	if [ "$status" -eq 124 ]; then
		echo "FAIL: QEMU did not finish within ${timeout_s}s"
		fail=1
	else
		echo "ok: QEMU exit status $status (not compared, see header)"
	fi
	normalize "$work/qemu.raw" >"$work/qemu.out"
	sbi=$(tr -d '\r' <"$work/qemu.raw" |
		sed -n 's/^Runtime SBI Version *: *\([0-9]*\)\..*/\1/p' | head -n 1)
	filter=cat
	if [ -n "$sbi" ] && [ "$sbi" -lt 2 ]; then
		echo "note: QEMU's firmware implements SBI $sbi.x: '[2.0]' lines not compared with QEMU"
		filter="grep -v ^\[2\.0\]"
	fi
	$filter <"$expected" >"$work/expected.qemu"
	$filter <"$work/qemu.out" >"$work/qemu.cmp"
	compare "QEMU output = $expected" "$work/expected.qemu" "$work/qemu.cmp"
	if [ "$rv" != "-" ]; then
		$filter <"$work/rv.out" >"$work/rv.cmp"
		compare "retrovisor output = QEMU output" "$work/qemu.cmp" "$work/rv.cmp"
	fi
fi

if [ "$checked" -eq 0 ]; then
	echo "FAIL: nothing was compared"
	exit 1
fi
if [ "$fail" -eq 0 ] && [ -n "$skipped" ]; then
	echo "SKIPPED: $skipped"
fi
exit "$fail"
