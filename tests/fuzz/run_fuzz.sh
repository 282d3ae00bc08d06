#!/bin/sh
# SPDX-License-Identifier: MIT
# run_fuzz.sh FUZZER CORPUS SECONDS MAX_LEN [DICT]
#
# 1. Regression: every input in CORPUS (checked in) runs once.
# 2. A time-boxed campaign of SECONDS from that corpus (seed FUZZ_SEED,
#    default 1, so a CI run is repeatable; FUZZ_SECONDS overrides SECONDS).
# Any crash, sanitizer report, leak, timeout (10 s per input) or memory
# blow-up (2 GiB) fails the test; the input lands in the test's undeclared
# outputs (bazel-testlogs/.../test.outputs/) to be added to the corpus.
set -u
fuzzer=$1
corpus=$2
seconds=${FUZZ_SECONDS:-$3}
max_len=$4
dict=${5:-}
name=$(basename "$fuzzer")
out=${TEST_UNDECLARED_OUTPUTS_DIR:-${TMPDIR:-/tmp}}
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/corpus.XXXXXX")
trap 'rm -rf "$work"' EXIT
common="-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -artifact_prefix=$out/ -print_final_stats=1"
[ "$max_len" != 0 ] && common="$common -max_len=$max_len"
[ -n "$dict" ] && common="$common -dict=$dict"

if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
	echo "FAIL: $name: no checked-in corpus in $corpus"
	exit 1
fi
n=$(ls "$corpus" | wc -l)
echo "== $name: regression over $n checked-in inputs"
# shellcheck disable=SC2086
if ! "$fuzzer" $common -runs=0 "$corpus" >"$work/regress.log" 2>&1; then
	tail -60 "$work/regress.log"
	echo "FAIL: $name: a checked-in input fails (see above)"
	exit 1
fi
echo "ok: $name: all $n checked-in inputs run clean"

mkdir "$work/new"
seed=${FUZZ_SEED:-1}
echo "== $name: campaign of ${seconds} s, seed $seed"
# shellcheck disable=SC2086
if ! "$fuzzer" $common -seed="$seed" -max_total_time="$seconds" \
	"$work/new" "$corpus" >"$work/fuzz.log" 2>&1; then
	tail -80 "$work/fuzz.log"
	echo "FAIL: $name: the campaign found a failing input (seed $seed); it is in $out"
	exit 1
fi
grep -E "^(stat::number_of_executed_units|stat::average_exec_per_sec|#[0-9]+ +DONE)" "$work/fuzz.log" | tail -3
echo "ok: $name: ${seconds} s campaign clean"
