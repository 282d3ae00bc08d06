#!/bin/sh
# SPDX-License-Identifier: MIT
# format_tool_test.sh FORMAT CLANG_FORMAT_CONFIG: what tools/format does, on
# small trees made here: --check names each file that is not laid out by
# the project's .clang-format, one line each, and exits 1, or exits 0 when
# all are; without --check it rewrites them (tabs, the function's brace on
# its own line); it takes only *.c, *.h and *.cc, tracked ones in a git
# tree, never bazel-* or *.def; a missing clang-format 14 is one line and
# status 2.
set -u
format=$(realpath "$1")
config=$(realpath "$2")
tmp=${TEST_TMPDIR:-$(mktemp -d)}
# The trees made here are not inside whatever repository holds $tmp.
export GIT_CEILING_DIRECTORIES="$tmp"
failures=0

check() {
	if [ "$1" = "$2" ]; then
		echo "ok: $3"
	else
		echo "FAIL: $3"
		echo "  expected: $(printf '%s' "$2" | head -5)"
		echo "  got:      $(printf '%s' "$1" | head -5)"
		failures=$((failures + 1))
	fi
}

# A tree shaped like the project's: tools/format next to .clang-format.
tree() {
	rm -rf "$1"
	mkdir -p "$1/tools" "$1/a" "$1/bazel-out"
	cp "$format" "$1/tools/format"
	cp "$config" "$1/.clang-format"
	printf 'int  f( void ) {return 0;}\n' >"$1/a/bad.c"
	printf 'int g(void)\n{\n\treturn 1;\n}\n' >"$1/a/good.h"
	printf 'namespace {\nint h() {return 2;}\n}\n' >"$1/a/bad.cc"
	printf 'int  x( void ) {return 3;}\n' >"$1/bazel-out/gen.c"
	printf 'INSN(a,   b)\n' >"$1/a/table.def"
}

t="$tmp/plain"
tree "$t"
out=$(cd "$t" && tools/format --check 2>&1)
rc=$?
check "$out" "a/bad.c: not formatted; run tools/format
a/bad.cc: not formatted; run tools/format" "--check without git names the two unformatted sources, not bazel-out or .def"
check "$rc" 1 "--check exits 1 when a file is not formatted"

out=$(cd "$t" && tools/format --check a/good.h 2>&1)
check "$?:$out" "0:" "--check FILE exits 0, silent, for a formatted file"

out=$(cd "$t" && tools/format 2>&1)
check "$?:$out" "0:" "tools/format rewrites in place, silently"
check "$(cat "$t/a/bad.c")" "$(printf 'int f(void)\n{\n\treturn 0;\n}')" "the layout is the project's: tabs, the function's brace on its own line"
check "$(cat "$t/bazel-out/gen.c")" "int  x( void ) {return 3;}" "bazel-* is left alone"
check "$(cat "$t/a/table.def")" "INSN(a,   b)" "*.def is left alone"
out=$(cd "$t" && tools/format --check 2>&1)
check "$?:$out" "0:" "--check passes once formatted"

if command -v git >/dev/null 2>&1; then
	t="$tmp/git"
	tree "$t"
	(cd "$t" && git init -q . && git add a/bad.c a/good.h) >/dev/null 2>&1
	out=$(cd "$t" && tools/format --check 2>&1)
	check "$?:$out" "1:a/bad.c: not formatted; run tools/format" "in a git tree only tracked files are checked"
	rm "$t/a/bad.c"
	out=$(cd "$t" && tools/format --check 2>&1)
	check "$?:$out" "0:" "a tracked file removed from the working tree is skipped"
fi

# No clang-format 14 on PATH: every other tool the script needs is there.
bin="$tmp/bin"
mkdir -p "$bin"
for p in dirname grep mktemp rm sed sort cat xargs uniq; do
	ln -sf "$(command -v "$p")" "$bin/$p"
done
t="$tmp/noclang"
tree "$t"
out=$(cd "$t" && PATH="$bin" /bin/sh tools/format --check 2>&1)
check "$?:$out" "2:tools/format: clang-format 14 is not installed; run tools/setup (Debian package clang-format-14)" "a missing clang-format 14 is one line and status 2"

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all checks passed"
