#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Runs the retrovisor binary on bad command lines and unusable image files
# and checks the contract of docs/cli.md for each: exit status 2, nothing
# on stdout, exactly one line on stderr, starting "retrovisor: " and naming
# the file or option at fault. Also checks that --help and --version
# succeed, so that a binary that fails everything cannot pass.
#
# Usage: bad_input_test.sh PATH/TO/retrovisor   (Bazel passes it in args)

set -u

bin=${1:?usage: bad_input_test.sh PATH/TO/retrovisor}
case $bin in
/*) ;;
*) bin=$PWD/$bin ;;
esac
if [ -n "${TEST_TMPDIR:-}" ]; then
	tmp=$TEST_TMPDIR/bad_input
	mkdir -p "$tmp"
else
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
fi
failures=0

fail() {
	echo "FAIL: $case_name: $*" >&2
	failures=$((failures + 1))
}

# expect_error NAME MENTION ARGS...: the run must fail as described above
# and its one stderr line must contain MENTION.
expect_error() {
	case_name=$1
	mention=$2
	shift 2
	"$bin" "$@" </dev/null >"$tmp/stdout" 2>"$tmp/stderr"
	status=$?
	if [ "$status" -ne 2 ]; then
		fail "exit status $status, expected 2"
	fi
	if [ -s "$tmp/stdout" ]; then
		fail "unexpected output on stdout: $(head -c 200 "$tmp/stdout")"
	fi
	lines=$(wc -l <"$tmp/stderr")
	if [ "$lines" -ne 1 ] || [ "$(tail -c 1 "$tmp/stderr" | od -An -c | tr -d ' ')" != '\n' ]; then
		fail "expected exactly one line on stderr, got $lines: $(cat "$tmp/stderr")"
	fi
	line=$(cat "$tmp/stderr")
	case $line in
	"retrovisor: "*) ;;
	*) fail "stderr does not start with 'retrovisor: ': $line" ;;
	esac
	case $line in
	*"$mention"*) ;;
	*) fail "stderr does not mention '$mention': $line" ;;
	esac
}

# Inputs.
: >"$tmp/empty.bin"
mkdir -p "$tmp/a-directory"
printf '\037\213\010\000\000\000\000\000\000\003' >"$tmp/Image.gz"
printf '\050\265\057\375\044\000' >"$tmp/Image.zst"
printf '#!/bin/sh\necho not a kernel\n' >"$tmp/script.sh"
printf 'console=ttyS0 root=/dev/vda\n' >"$tmp/cmdline.txt"
# A host executable: an ELF for another machine (x86-64, AArch64 ...).
cp /bin/true "$tmp/host.elf"
head -c 40 /bin/true >"$tmp/truncated.elf"
# 20 MiB of zeros: a raw binary too big for 16 MiB of RAM.
truncate -s 20M "$tmp/big.bin"
printf '\023\000\000\000' >"$tmp/ok.bin"
# A Linux Image header (magic "RISCV\0\0\0" at 48, "RSC\x05" at 56) whose
# image_size (at 16) claims 1 GiB: it cannot fit in 128 MiB of RAM.
{
	printf '\157\000\000\000\000\000\000\000'       # code0, code1
	printf '\000\000\040\000\000\000\000\000'       # text_offset 0x200000
	printf '\000\000\000\100\000\000\000\000'       # image_size 0x40000000
	printf '\000\000\000\000\000\000\000\000'       # flags
	printf '\002\000\000\000\000\000\000\000'       # version, res1
	printf '\000\000\000\000\000\000\000\000'       # res2
	printf 'RISCV\000\000\000RSC\005\000\000\000\000'  # magic, magic2, res3
} >"$tmp/huge.Image"
# Initramfs images: random bytes, and a cpio archive cut short.
head -c 4096 /dev/urandom | tr '\000\037\050\060\102\135\211\375' 'abcdefgh' >"$tmp/random.cpio"
printf '070701%0104d' 0 | head -c 110 >"$tmp/cut.cpio"
# Disk images: not a whole number of 512-byte sectors, and missing.
head -c 1000 /dev/zero >"$tmp/odd.img"

expect_error "missing kernel file" "$tmp/no-such-kernel" run --kernel "$tmp/no-such-kernel"
expect_error "kernel is a directory" "$tmp/a-directory" run --kernel "$tmp/a-directory"
expect_error "empty kernel" "$tmp/empty.bin" run --kernel "$tmp/empty.bin"
expect_error "gzip kernel" "$tmp/Image.gz" run --kernel "$tmp/Image.gz"
expect_error "zstd kernel" "$tmp/Image.zst" run --kernel "$tmp/Image.zst"
expect_error "script as kernel" "$tmp/script.sh" run --kernel "$tmp/script.sh"
expect_error "text file as kernel" "$tmp/cmdline.txt" run --kernel "$tmp/cmdline.txt"
expect_error "host ELF" "$tmp/host.elf" run --kernel "$tmp/host.elf"
expect_error "truncated ELF" "$tmp/truncated.elf" run --kernel "$tmp/truncated.elf"
expect_error "kernel larger than RAM" "$tmp/big.bin" run --kernel "$tmp/big.bin" --memory 16M
expect_error "missing initrd" "$tmp/no-such-initrd" \
	run --kernel "$tmp/ok.bin" --initrd "$tmp/no-such-initrd"
expect_error "empty initrd" "$tmp/empty.bin" run --kernel "$tmp/ok.bin" --initrd "$tmp/empty.bin"
expect_error "Image larger than RAM" "$tmp/huge.Image" run --kernel "$tmp/huge.Image"
expect_error "random initramfs" "$tmp/random.cpio" run --kernel "$tmp/ok.bin" --initrd "$tmp/random.cpio"
expect_error "truncated initramfs" "$tmp/cut.cpio" run --kernel "$tmp/ok.bin" --initrd "$tmp/cut.cpio"
expect_error "disk image of 1000 bytes" "$tmp/odd.img" run --kernel "$tmp/ok.bin" --drive "file=$tmp/odd.img"
expect_error "missing disk image" "$tmp/no-such.img" run --kernel "$tmp/ok.bin" --drive "file=$tmp/no-such.img"
expect_error "bad --net option" "--net" run --kernel "$tmp/ok.bin" --net user,hostfwd=tcp::99999-:80
expect_error "missing firmware" "$tmp/no-such-fw" run --kernel "$tmp/ok.bin" --bios "$tmp/no-such-fw"
expect_error "bad size suffix" "--memory" run --kernel "$tmp/ok.bin" --memory 12X
expect_error "memory too small" "--memory" run --kernel "$tmp/ok.bin" --memory 1M
expect_error "zero harts" "--harts" run --kernel "$tmp/ok.bin" --harts 0
expect_error "too many harts" "--harts" run --kernel "$tmp/ok.bin" --harts 33
expect_error "zero instruction limit" "--max-instructions" \
	run --kernel "$tmp/ok.bin" --max-instructions 0
expect_error "unknown option" "--frobnicate" run --kernel "$tmp/ok.bin" --frobnicate
expect_error "unknown option hint" "--help" run --kernel "$tmp/ok.bin" --frobnicate
expect_error "missing --kernel" "--kernel" run
expect_error "no command" "--help"
expect_error "unknown command" "frobnicate" frobnicate
# The commands with their own command line refuse with their usage, or
# where to read it, after the reason.
expect_error "record without --log" \
	"retrovisor: record needs --log FILE; see docs/replay.md or 'retrovisor --help'" record
expect_error "log without a file" \
	"retrovisor: log takes dump|stats|verify FILE; see docs/replay.md or 'retrovisor --help'" log
expect_error "snapshot without a verb" \
	"retrovisor: snapshot needs save, load or info; usage: retrovisor snapshot save --at ICOUNT" snapshot
expect_error "xl without a command" "retrovisor: xl needs a command; usage: retrovisor xl [--control PATH] list" xl

# The good paths, so that a binary failing everything cannot pass.
case_name="--help"
"$bin" --help >"$tmp/stdout" 2>"$tmp/stderr" || fail "exit status $?"
[ -s "$tmp/stdout" ] || fail "no help text"
[ -s "$tmp/stderr" ] && fail "stderr not empty"
case_name="run --help"
"$bin" run --help >"$tmp/stdout" 2>"$tmp/stderr" || fail "exit status $?"
grep -q -- "--max-instructions" "$tmp/stdout" || fail "help does not list the options"
case_name="--version"
"$bin" --version >"$tmp/stdout" 2>"$tmp/stderr" || fail "exit status $?"
grep -q '^retrovisor ' "$tmp/stdout" || fail "no version line"

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo "all bad-input checks passed"
