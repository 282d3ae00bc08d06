#!/bin/sh
# SPDX-License-Identifier: MIT
# loop_test.sh RETROVISOR VFUZZ.ELF CORPUS
#
# The vfuzz guest under `retrovisor loop`, the way a campaign runs it: the
# machine of the virtio_loop fuzz target (two drives, NIC on user
# networking, entropy device), every corpus program as an input, 100
# passes over the corpus. Every iteration must end by the guest's
# END_ITERATION with status 0 (a device that hangs, traps the guest or
# stops the machine fails it), and the loop reports its iterations per
# second; then 10 passes with --check-digest: every restore must match the
# start's digest. The drives (copy-on-write overlays) stay unwritten.
set -u
rv=$1
guest=$2
corpus=$3
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/vloop.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0
for d in d1 d2; do
	head -c 1048576 /dev/zero >"$work/$d.img"
done
n=$(ls "$corpus" | wc -l)
loop() {
	"$rv" loop --budget 2000000 --input-dir "$corpus" "$@" --kernel "$guest" --memory 16M \
		--drive "file=$work/d1.img" --drive "file=$work/d2.img" --net user
}
its=$((n * 100))
loop --iterations "$its" >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: retrovisor loop exited with $rc"
	tail -5 "$work/err"
	fail=1
fi
good=$(grep -c " end guest status 0 " "$work/out")
if [ "$good" -ne "$its" ]; then
	echo "FAIL: $good of $its iterations ended by END_ITERATION with status 0:"
	grep -v " end guest status 0 " "$work/out" | head -5
	fail=1
else
	echo "ok: all $its iterations ($n programs x 100) ended by END_ITERATION with status 0"
fi
grep "iterations in" "$work/err"
loop --iterations $((n * 10)) --check-digest >"$work/out" 2>"$work/err"
if grep -q "every restore matched the start's digest" "$work/err"; then
	echo "ok: every restore matched the start's digest ($((n * 10)) iterations)"
else
	echo "FAIL: a restore did not match the start's digest"
	tail -3 "$work/err"
	fail=1
fi
head -c 1048576 /dev/zero >"$work/zero.img"
for d in d1 d2; do
	if ! cmp -s "$work/$d.img" "$work/zero.img"; then
		echo "FAIL: drive $d, behind a copy-on-write overlay, was written"
		fail=1
	fi
done
exit $fail
