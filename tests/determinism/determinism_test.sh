#!/bin/sh
# SPDX-License-Identifier: MIT
# Two runs of the same guest must be bit-identical (ARCHITECTURE.md
# section 1): same console output, same digest of all registers and RAM,
# same instruction count, with 1, 2 and 4 harts, and also when stopped at
# arbitrary instruction counts by --max-instructions. The wall clock at
# power-on is an input (the RTC reads it), so it is fixed with --rtc.
set -u
RV=$1
GUEST=$2
tmp=${TEST_TMPDIR:-$(mktemp -d)}
fail=0

run() { # name args...
	name=$1
	shift
	"$RV" run --bios none --kernel "$GUEST" --print-digest --rtc 1767225600 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.status"
}

for harts in 1 2 4; do
	run a$harts --harts $harts
	run b$harts --harts $harts
	if [ "$(cat "$tmp/a$harts.status")" != 0 ]; then
		echo "FAIL: $harts harts: guest exited with $(cat "$tmp/a$harts.status"): $(cat "$tmp/a$harts.err")"
		fail=1
	fi
	for f in out err status; do
		if ! cmp -s "$tmp/a$harts.$f" "$tmp/b$harts.$f"; then
			echo "FAIL: $harts harts: the two runs differ in $f:"
			diff "$tmp/a$harts.$f" "$tmp/b$harts.$f"
			fail=1
		fi
	done
	grep -q '^digest ' "$tmp/a$harts.err" || { echo "FAIL: no digest printed"; fail=1; }
	echo "ok: $harts harts: $(tr '\n' ' ' <"$tmp/a$harts.err")"
done

# With 2 and 4 harts the lock order must actually depend on the
# interleaving, or this test would not be testing much.
if cmp -s "$tmp/a2.out" "$tmp/a4.out"; then
	echo "FAIL: 2 and 4 harts gave the same log; the guest does not exercise interleaving"
	fail=1
fi

# Stopping anywhere is deterministic too.
for n in 1 999 123457 300007; do
	run s$n --harts 2 --max-instructions $n
	run t$n --harts 2 --max-instructions $n
	if [ "$(cat "$tmp/s$n.status")" != 3 ]; then
		echo "FAIL: --max-instructions $n: exit $(cat "$tmp/s$n.status"), expected 3"
		fail=1
	fi
	if ! cmp -s "$tmp/s$n.err" "$tmp/t$n.err"; then
		echo "FAIL: --max-instructions $n: runs differ:"
		diff "$tmp/s$n.err" "$tmp/t$n.err"
		fail=1
	fi
	if ! grep -q "^icount $n\$" "$tmp/s$n.err"; then
		echo "FAIL: --max-instructions $n did not stop at exactly $n instructions:"
		cat "$tmp/s$n.err"
		fail=1
	fi
done
exit $fail
