#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Stand-in for the Retrovisor binary that runs a guest on QEMU instead,
# with the command line Retrovisor takes (`run --bios none --kernel ELF`)
# and QEMU's deviations rewritten to the spec (qemu_to_spec.sed). It lets
# the harness and the expected signatures be tested before Retrovisor
# runs guests: run_guest.sh expected qemu_shim.sh ... must pass, and
# regen_expected.sh produces the files it checks against.
set -u
here=$(dirname "$0")
sed_script=${QEMU_TO_SPEC_SED:-$here/qemu_to_spec.sed}
runner=${RUN_GUEST_SH:-$here/run_guest.sh}

[ $# -eq 5 ] && [ "$1" = run ] && [ "$2" = --bios ] && [ "$3" = none ] &&
	[ "$4" = --kernel ] ||
	{ echo "qemu_shim.sh: usage: $0 run --bios none --kernel ELF" >&2; exit 2; }
exec "$runner" qemu "$sed_script" "$5"
