#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Regenerates tests/guests/expected/<guest>.out from QEMU for the guests
# named on the command line (default: all in tests/guests/guests.bzl).
# Run from the repository root after `bazel build //tests/guests:all`;
# review the diff before committing: an expected signature is the oracle
# for Retrovisor. QEMU's documented deviations from the spec are rewritten
# by tests/diff/qemu_to_spec.sed, so the files hold the spec's answers.
set -eu
root=$(git rev-parse --show-toplevel)
cd "$root"
guests=("$@")
if [ ${#guests[@]} -eq 0 ]; then
	mapfile -t guests < <(sed -n 's/^ *"\([a-z0-9_]*\)",$/\1/p' tests/guests/guests.bzl)
fi
for g in "${guests[@]}"; do
	elf=bazel-bin/tests/guests/$g.elf
	[ -r "$elf" ] || { echo "regen_expected.sh: $elf missing: bazel build //tests/guests:all" >&2; exit 1; }
	tests/diff/run_guest.sh qemu tests/diff/qemu_to_spec.sed "$elf" \
		>"tests/guests/expected/$g.out"
	echo "tests/guests/expected/$g.out: $(wc -l <"tests/guests/expected/$g.out") lines"
done
