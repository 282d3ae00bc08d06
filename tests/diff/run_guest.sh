#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Differential test harness for the ISA test guests (tests/guests/).
#
#   run_guest.sh diff     RETROVISOR SED GUEST.elf
#       Runs the guest under QEMU and under Retrovisor, requires both to
#       power off with success (exit status 0) and their signatures (the
#       console output) to be identical once QEMU's documented deviations
#       from the spec are rewritten by SED (qemu_to_spec.sed).
#   run_guest.sh expected RETROVISOR GUEST.elf EXPECTED.out
#       Runs the guest under Retrovisor only and compares its console
#       output with the checked-in signature (an oracle without QEMU).
#   run_guest.sh qemu     SED GUEST.elf
#       Prints QEMU's signature, rewritten by SED, on stdout; exits with
#       the guest's status. regen_expected.sh and the QEMU shim use it.
#
# Each run is bounded by a 30 s timeout. QEMU's console output is cleaned
# of terminal escape sequences, carriage returns and QEMU's own messages
# ("QEMU: Terminated"); Retrovisor's stdout is compared byte for byte. On
# a mismatch the unified diff is printed. Nothing here trusts the guest:
# a hang, a crash or a failing guest is reported with its exit status.
set -u

QEMU=${QEMU:-/usr/bin/qemu-system-riscv64}
TIMEOUT=${GUEST_TIMEOUT:-30}
if [ -n "${TEST_TMPDIR:-}" ]; then
	WORK=$TEST_TMPDIR
else
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
fi

die() {
	echo "run_guest.sh: $*" >&2
	exit 1
}

need_qemu() {
	[ -x "$QEMU" ] || die "qemu-system-riscv64 not found: run tools/setup"
}

# run_qemu ELF OUT: raw console to OUT; returns QEMU's exit status.
run_qemu() {
	local raw="$2.raw" rc
	timeout "$TIMEOUT" "$QEMU" -M virt -bios none -nographic -m 128M \
		-kernel "$1" </dev/null >"$raw" 2>"$2.stderr"
	rc=$?
	# Escape sequences QEMU's -nographic console may emit, CRs, and
	# QEMU's own status lines are not the guest's output.
	sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' -e 's/\r$//' \
		-e '/^QEMU: /d' "$raw" >"$2"
	return $rc
}

# run_retrovisor BIN ELF OUT: console to OUT; returns Retrovisor's status.
run_retrovisor() {
	timeout "$TIMEOUT" "$1" run --bios none --kernel "$2" \
		</dev/null >"$3" 2>"$3.stderr"
}

# report NAME STATUS OUT: explains a non-zero exit status of a run.
report_status() {
	local name=$1 rc=$2 out=$3
	if [ "$rc" -eq 124 ]; then
		echo "$name: timed out after ${TIMEOUT}s" >&2
	else
		echo "$name: guest failed with exit status $rc" >&2
	fi
	echo "--- $name console (last 40 lines) ---" >&2
	tail -n 40 "$out" >&2
	if [ -s "$out.stderr" ]; then
		echo "--- $name stderr ---" >&2
		tail -n 20 "$out.stderr" >&2
	fi
}

compare() {
	# compare LABEL_A A LABEL_B B
	if ! cmp -s "$2" "$4"; then
		echo "signature mismatch: $1 vs $3" >&2
		diff -u --label "$1" --label "$3" "$2" "$4" | head -n 200 >&2
		return 1
	fi
	return 0
}

mode=${1:-}
case "$mode" in
diff)
	[ $# -eq 4 ] || die "usage: $0 diff RETROVISOR SED GUEST.elf"
	bin=$2 sed_script=$3 elf=$4
	need_qemu
	[ -x "$bin" ] || die "Retrovisor binary $bin is missing or not executable"
	name=$(basename "$elf" .elf)
	run_qemu "$elf" "$WORK/$name.qemu.raw-sig"
	qrc=$?
	run_retrovisor "$bin" "$elf" "$WORK/$name.retrovisor"
	rrc=$?
	fail=0
	if [ $qrc -ne 0 ]; then
		report_status "qemu $name" $qrc "$WORK/$name.qemu.raw-sig"
		fail=1
	fi
	if [ $rrc -ne 0 ]; then
		report_status "retrovisor $name" $rrc "$WORK/$name.retrovisor"
		fail=1
	fi
	[ $fail -eq 0 ] || exit 1
	sed -f "$sed_script" "$WORK/$name.qemu.raw-sig" >"$WORK/$name.qemu"
	compare "qemu/$name" "$WORK/$name.qemu" \
		"retrovisor/$name" "$WORK/$name.retrovisor" || exit 1
	echo "$name: QEMU and Retrovisor signatures match" \
		"($(wc -l <"$WORK/$name.qemu") lines)"
	;;
expected)
	[ $# -eq 4 ] || die "usage: $0 expected RETROVISOR GUEST.elf EXPECTED.out"
	bin=$2 elf=$3 want=$4
	[ -x "$bin" ] || die "Retrovisor binary $bin is missing or not executable"
	[ -r "$want" ] || die "expected signature $want is missing"
	name=$(basename "$elf" .elf)
	run_retrovisor "$bin" "$elf" "$WORK/$name.retrovisor"
	rrc=$?
	if [ $rrc -ne 0 ]; then
		report_status "retrovisor $name" $rrc "$WORK/$name.retrovisor"
		exit 1
	fi
	compare "expected/$name.out" "$want" \
		"retrovisor/$name" "$WORK/$name.retrovisor" || exit 1
	echo "$name: Retrovisor matches expected/$name.out" \
		"($(wc -l <"$want") lines)"
	;;
qemu)
	[ $# -eq 3 ] || die "usage: $0 qemu SED GUEST.elf"
	sed_script=$2 elf=$3
	need_qemu
	name=$(basename "$elf" .elf)
	run_qemu "$elf" "$WORK/$name.qemu.raw-sig"
	qrc=$?
	sed -f "$sed_script" "$WORK/$name.qemu.raw-sig"
	if [ $qrc -ne 0 ]; then
		report_status "qemu $name" $qrc "$WORK/$name.qemu.raw-sig"
	fi
	exit $qrc
	;;
*)
	die "usage: $0 diff|expected|qemu ... (see the comment at the top)"
	;;
esac
