#!/bin/sh
# SPDX-License-Identifier: MIT
# format_test.sh: every C and C++ source of the workspace is laid out by the
# checked-in .clang-format (tools/format --check). The sources are not
# inputs of this test: it follows its own runfiles link back to the
# workspace and checks the tree there, so its target is tagged "external"
# (never cached: a source edit reruns it) and "local" (no sandbox between
# it and the workspace).
set -u
self=$(readlink -f "$0")
root=$(dirname "$self")/../..
if [ ! -f "$root/.clang-format" ] || [ ! -x "$root/tools/format" ]; then
	echo "FAIL: the workspace was not found from $self (no .clang-format and tools/format two folders up)"
	exit 1
fi
root=$(cd "$root" && pwd)
out=$("$root/tools/format" --check 2>&1)
rc=$?
if [ -n "$out" ]; then
	printf '%s\n' "$out"
fi
case $rc in
0)
	echo "ok: every C and C++ source under $root is formatted"
	exit 0
	;;
1)
	echo "FAIL: $(printf '%s\n' "$out" | grep -c ': not formatted;') file(s) under $root are not formatted; run tools/format"
	;;
*)
	echo "FAIL: tools/format --check could not run (status $rc)"
	;;
esac
exit 1
