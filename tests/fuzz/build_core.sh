#!/bin/sh
# SPDX-License-Identifier: MIT
# Compiles every C source given with clang for fuzzing (libFuzzer
# coverage, AddressSanitizer, UndefinedBehaviorSanitizer) into one static
# archive: build_core.sh OUT.a FILE... cli/main.c's main() is renamed
# retrovisor_main (the command's other files call into main.c; libFuzzer
# brings the harness's main).
set -eu
command -v clang >/dev/null 2>&1 || {
	echo "tests/fuzz: clang is not installed; run tools/setup" >&2
	exit 1
}
out=$1
shift
obj=$(mktemp -d)
trap 'rm -rf "$obj"' EXIT
for f in "$@"; do
	case $f in
	*.c) echo "$f" ;;
	esac
done | xargs -P "$(nproc)" -I{} sh -c \
	'm=; case $1 in */cli/main.c | cli/main.c) m=-Dmain=retrovisor_main ;; esac;
	 clang $FUZZ_CFLAGS $m -c -o "$0/$(echo "$1" | tr / _).o" "$1"' "$obj" {}
rm -f "$out"
ar rcs "$out" "$obj"/*.o
