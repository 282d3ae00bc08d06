#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job's guest boots paravirtually and under OpenSBI, prints its
# result and powers off cleanly.
set -u
rv=$1
elf=$2
fail=0
tmp=${TEST_TMPDIR:-$(mktemp -d)}
check() { # label, then the retrovisor arguments
	label=$1
	shift
	"$rv" run --kernel "$elf" "$@" </dev/null >"$tmp/out" 2>&1
	status=$?
	out=$(tr -d '\r' <"$tmp/out")
	if [ $status -ne 0 ] || ! printf '%s\n' "$out" | grep -q "^Counted 2262 primes below 20000" ||
		! printf '%s\n' "$out" | grep -q "^Powering off.$"; then
		echo "FAIL: $label: status $status, output:"
		printf '%s\n' "$out" | tail -n 20
		fail=1
	else
		echo "ok: $label"
	fi
}
check paravirtual
check "paravirtual, 4 harts" --harts 4
check "OpenSBI fw_dynamic" --bios /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
exit $fail
