#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Runs the virtio misprogramming guest (virtio_guest.c) on Retrovisor with
# a temporary raw disk image, twice:
#
#   1. --drive file=IMG (snapshot, the default): the guest must pass every
#      case and power off with status 0, Retrovisor must log the guest's
#      errors on stderr (one "device needs reset" line per NEEDS_RESET case,
#      one "not ready; ignored" line), and the image must be bit-identical
#      afterwards (the guest writes sector 4).
#   2. --drive file=IMG,snapshot=off: same guest; now sector 4 of the file
#      holds what the guest wrote.
#
#   run_virtio_guest.sh RETROVISOR GUEST.elf
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 RETROVISOR GUEST.elf" >&2
	exit 2
fi
rv=$1
elf=$2
timeout_s=${VIRTIO_GUEST_TIMEOUT:-120}
# Cases in virtio_guest.c, and how many of them must end in NEEDS_RESET.
ncases=12
nreset=9

if [ -n "${TEST_TMPDIR:-}" ]; then
	work=$TEST_TMPDIR
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
img=$work/disk.img
fail=0

# 64 KiB of zeros with the marker the guest looks for at sector 0.
head -c 65536 /dev/zero >"$img"
printf 'RETROVISOR-VIRTIO-DISK' | dd of="$img" conv=notrunc status=none

# run LABEL DRIVE-ARG: one run; output in $work/LABEL.{out,err}.
run() {
	timeout "$timeout_s" "$rv" run --bios none --memory 128M --kernel "$elf" \
		--drive "$2" </dev/null >"$work/$1.out" 2>"$work/$1.err"
	status=$?
	if [ "$status" -ne 0 ]; then
		echo "FAIL: $1: retrovisor exited $status"
		fail=1
	fi
	if grep -q "^virtio-guest $ncases/$ncases passed" "$work/$1.out"; then
		echo "ok: $1: guest passed $ncases cases"
	else
		echo "FAIL: $1: guest did not pass all cases"
		fail=1
	fi
	n=$(grep -c "guest error: .*device needs reset" "$work/$1.err")
	if [ "$n" -eq "$nreset" ]; then
		echo "ok: $1: $n NEEDS_RESET errors logged"
	else
		echo "FAIL: $1: $n NEEDS_RESET errors logged, want $nreset"
		fail=1
	fi
	if ! grep -q "which is not ready; ignored" "$work/$1.err"; then
		echo "FAIL: $1: the ignored notification was not logged"
		fail=1
	fi
	if [ "$fail" -ne 0 ]; then
		echo "--- $1 stdout:"
		cat "$work/$1.out"
		echo "--- $1 stderr:"
		cat "$work/$1.err"
	fi
}

sum_before=$(cksum <"$img")
run snapshot "file=$img"
if [ "$(cksum <"$img")" = "$sum_before" ]; then
	echo "ok: snapshot: the image is unchanged"
else
	echo "FAIL: snapshot: the guest's writes reached the image"
	fail=1
fi

run writethrough "file=$img,snapshot=off"
# The guest wrote bytes (i * 7 + 1) & 0xff at sector 4: 01 08 0f 16 ...
got=$(od -A n -t x1 -j 2048 -N 4 "$img" | tr -d ' \n')
if [ "$got" = "01080f16" ]; then
	echo "ok: writethrough: sector 4 holds the guest's data"
else
	echo "FAIL: writethrough: sector 4 starts with '$got', want 01080f16"
	fail=1
fi
exit "$fail"
