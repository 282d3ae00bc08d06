#!/bin/sh
# SPDX-License-Identifier: MIT
# Each way a run can end gets its exit status and exactly one line on
# stderr naming the reason (docs/cli.md, "Errors and exit status").
set -u
rv=$1
dir=$2
tmp=${TEST_TMPDIR:-$(mktemp -d)}
fail=0

expect() { # guest status pattern [options...]
	guest=$1
	want=$2
	pattern=$3
	shift 3
	timeout 60 "$rv" run --bios none --kernel "$dir/$guest.elf" "$@" </dev/null \
		>"$tmp/out" 2>"$tmp/err"
	status=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$status" != "$want" ]; then
		echo "FAIL: $guest: exit status $status, want $want; stderr:"
		cat "$tmp/err"
		fail=1
	elif [ -n "$pattern" ] && { [ "$lines" != 1 ] || ! grep -q -- "$pattern" "$tmp/err"; }; then
		echo "FAIL: $guest: want one stderr line matching '$pattern', got:"
		cat "$tmp/err"
		fail=1
	else
		echo "ok: $guest -> $status $(cat "$tmp/err")"
	fi
}

expect panic 5 "guest kernel panic at pc 0x.* Kernel panic - not syncing: test panic$"
expect silent 6 "printed nothing for 2 seconds of guest time" --watchdog 2
expect wfi 4 "all harts wait for an interrupt that can never arrive (hart 0 at pc 0x"
expect failcode 7 ""
expect silent 3 "stopped after 5000000 instructions (--max-instructions)" --max-instructions 5M
exit $fail
