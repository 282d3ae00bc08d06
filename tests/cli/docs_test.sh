#!/bin/sh
# SPDX-License-Identifier: MIT
#
# docs/cli.md agrees with the binary: every option that `retrovisor
# --help`, `run --help` and `loop --help` print, and every option in the
# usage line a subcommand prints when asked for help it does not have
# (replay, log, bundle, snapshot), appears in docs/cli.md; and every exit
# status cli/options.h defines (CLI_EXIT_*) has a row in docs/cli.md's status
# table ("| N | ..."). Each gap is one FAIL line naming the option or
# status.
#
# Usage: docs_test.sh RETROVISOR docs/cli.md cli/options.h   (Bazel passes them)

set -u

if [ $# -ne 3 ]; then
	echo "usage: $0 RETROVISOR docs/cli.md cli/options.h" >&2
	exit 2
fi
bin=$1
doc=$2
header=$3
if [ -n "${TEST_TMPDIR:-}" ]; then
	tmp=$TEST_TMPDIR/docs
	mkdir -p "$tmp"
else
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
fi
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# The help texts: those that exist print on stdout with status 0; the
# other subcommands answer --help with their usage line on stderr.
: >"$tmp/help"
for args in "--help" "run --help" "loop --help"; do
	# shellcheck disable=SC2086 # split on purpose
	if ! "$bin" $args </dev/null >"$tmp/out" 2>"$tmp/err"; then
		fail "'retrovisor $args' did not exit 0: $(head -n 1 "$tmp/err")"
	elif [ ! -s "$tmp/out" ]; then
		fail "'retrovisor $args' printed nothing"
	fi
	cat "$tmp/out" >>"$tmp/help"
done
for args in "replay --help" "log --help" "bundle --help" "snapshot --help" \
	"snapshot save --help"; do
	# shellcheck disable=SC2086
	"$bin" $args </dev/null >/dev/null 2>"$tmp/err"
	if ! grep -q "^retrovisor: " "$tmp/err"; then
		fail "'retrovisor $args' printed no usage line"
	fi
	cat "$tmp/err" >>"$tmp/help"
done

# Options: long ones (--name) anywhere, short ones (-x) standing alone.
opts=$(grep -o -- '--[a-z][a-z0-9-]*' "$tmp/help" | sort -u)
short=$(grep -o -E -- '(^|[ [|(])-[a-zA-Z]([ ]|$)' "$tmp/help" |
	grep -o -- '-[a-zA-Z]' | sort -u)
nopts=0
for o in $opts $short; do
	nopts=$((nopts + 1))
	# Followed by anything that cannot continue the name, so --gdb is not
	# found inside --gdb-allow-remote.
	if ! grep -q -E -- "$o([^a-z0-9-]|\$)" "$doc"; then
		fail "option $o (in the help) is not in docs/cli.md"
	fi
done
if [ "$nopts" -lt 20 ]; then
	fail "only $nopts options found in the help texts: is the binary right?"
fi

# Exit statuses: the #defines, and the rows of the status table.
nstatus=0
for s in $(sed -n 's/^#define CLI_EXIT_[A-Z0-9_]*[ 	]\{1,\}\([0-9]\{1,\}\).*/\1/p' "$header" |
	sort -un); do
	nstatus=$((nstatus + 1))
	if ! grep -q -E "^\| *$s *\|" "$doc"; then
		name=$(sed -n "s/^#define \(CLI_EXIT_[A-Z0-9_]*\)[ 	]\{1,\}$s\b.*/\1/p" "$header")
		fail "exit status $s ($name in cli/options.h) has no row in docs/cli.md's status table"
	fi
done
if [ "$nstatus" -lt 3 ]; then
	fail "only $nstatus CLI_EXIT_* statuses found in $header"
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures problem(s): docs/cli.md is behind the code"
	exit 1
fi
echo "ok: $nopts options and $nstatus exit statuses are documented in docs/cli.md"
