#!/bin/sh
# SPDX-License-Identifier: MIT
# Full-machine boot (--bios FILE): Debian's OpenSBI fw_dynamic runs in
# M-mode on Retrovisor and starts an S-mode guest, exactly as it does on
# qemu-system-riscv64 -M virt. Both machines run the same firmware and the
# same guest, so everything the guest prints after its marker line must be
# identical, and Retrovisor must exit with the status the guest asked for.
#
#   opensbi_test.sh RETROVISOR GUEST_DIR NAME zero|nonzero
set -u
rv=$1
dir=$2
name=$3
want=$4
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
elf=$dir/$name.elf
work=${TEST_TMPDIR:-$(mktemp -d)}

if [ ! -r "$fw" ]; then
	echo "FAIL: $fw not found: run tools/setup (package opensbi)"
	exit 1
fi
cut_at_marker() {
	tr -d '\r' <"$1" | sed -n "/^=== pvguest $name ===\$/,\$p"
}

timeout 120 "$rv" run --harts 2 --bios "$fw" --kernel "$elf" </dev/null \
	>"$work/rv.raw" 2>"$work/rv.err"
status=$?
fail=0
case "$want:$status" in
zero:0 | nonzero:[1-9]*) echo "ok: retrovisor exit status $status" ;;
*)
	echo "FAIL: retrovisor exit status $status, want $want"
	cat "$work/rv.err"
	fail=1
	;;
esac
cut_at_marker "$work/rv.raw" >"$work/rv.out"
if ! grep -q "^Boot HART Priv Version *: v1.12" "$work/rv.raw"; then
	echo "FAIL: OpenSBI's banner is missing from the console:"
	head -n 40 "$work/rv.raw"
	fail=1
fi
if [ ! -s "$work/rv.out" ]; then
	echo "FAIL: the guest printed nothing under OpenSBI on retrovisor"
	tail -n 20 "$work/rv.raw"
	exit 1
fi

if ! command -v qemu-system-riscv64 >/dev/null; then
	echo "FAIL: qemu-system-riscv64 not found: run tools/setup"
	exit 1
fi
# QEMU runs on host time: when the machine is loaded, a guest's bounded
# wait for another hart (OpenSBI picks the boot hart at random) can expire
# there. Those runs print "FAIL:" themselves; give QEMU up to 3 tries.
for try in 1 2 3; do
	timeout 120 qemu-system-riscv64 -M virt -cpu rv64,h=false -nographic -m 128M -smp 2 \
		-bios "$fw" -kernel "$elf" </dev/null >"$work/qemu.raw" 2>&1
	cut_at_marker "$work/qemu.raw" >"$work/qemu.out"
	grep -q "^FAIL:" "$work/qemu.out" || break
	echo "note: QEMU run $try failed on its own (host timing); trying again"
done
if diff -u "$work/qemu.out" "$work/rv.out"; then
	echo "ok: $(wc -l <"$work/rv.out") lines identical to QEMU's"
else
	echo "FAIL: output differs from QEMU's (above: - qemu, + retrovisor)"
	fail=1
fi
exit $fail
