#!/bin/sh
# SPDX-License-Identifier: MIT
# make_corpus.sh [RETROVISOR PVSNAP_ELF PVSNAP_SMP_ELF]
#
# Writes the seed corpora of snapshot_file and snapshot_chain (README.md
# beside, snapfuzz.h for the input forms) from real snapshot files: the
# paravirtual test guests of tests/snapshot saved by `retrovisor run
# --snapshot-at` in a 16 MiB machine (one hart, two, one with a drive),
# full and incremental. Each file goes in in all three forms: raw, raw
# with the checksums to be fixed, and decompressed sections; then variants
# (no RAM sections, overlay blocks) and the regressions. Without arguments it
# builds the binaries with bazel first. Deterministic: the same binaries
# give the same corpus (the guests are copied under fixed names into a
# fixed folder, because files store the options and their parents' paths).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
if [ $# -eq 3 ]; then
	rv=$(realpath "$1") pvsnap=$(realpath "$2") pvsmp=$(realpath "$3")
else
	(cd "$root" && bazel build //:retrovisor //tests/snapshot:pvsnap.elf \
		//tests/snapshot:pvsnap_smp.elf)
	bin=$(cd "$root" && bazel info bazel-bin 2>/dev/null)
	rv=$bin/retrovisor pvsnap=$bin/tests/snapshot/pvsnap.elf
	pvsmp=$bin/tests/snapshot/pvsnap_smp.elf
fi
work=/tmp/retrovisor-snapfuzz-corpus
rm -rf "$work"
mkdir -p "$work"
cp "$pvsnap" "$work/pvsnap.elf"
cp "$pvsmp" "$work/pvsnap_smp.elf"
cd "$work"

# pvsnap retires about 20,900 instructions, pvsnap_smp more: files taken
# before, between and after their snapshot requests.
"$rv" run --memory 16M --rtc 0 --kernel pvsnap.elf --snapshot-incremental \
	--snapshot-at 3000=one-3000.rvsnap --snapshot-at 9000=one-9000.rvsnap \
	--snapshot-at 15000=one-15000.rvsnap --max-instructions 15000 >/dev/null 2>&1 || true
"$rv" run --memory 16M --rtc 0 --harts 2 --kernel pvsnap_smp.elf --snapshot-incremental \
	--snapshot-at 4000=two-4000.rvsnap --snapshot-at 8000=two-8000.rvsnap \
	--max-instructions 8000 >/dev/null 2>&1 || true
# With a drive: 64 KiB of zeros, the image the harness gives every drive.
head -c 65536 /dev/zero >drive.img
"$rv" run --memory 16M --rtc 0 --kernel pvsnap.elf --drive file=drive.img \
	--snapshot-at 3000=drive-3000.rvsnap --max-instructions 3000 >/dev/null 2>&1 || true
for f in one-3000 one-9000 one-15000 two-4000 two-8000 drive-3000; do
	[ -s $f.rvsnap ] || { echo "make_corpus.sh: $f.rvsnap was not written" >&2; exit 1; }
done

python3 - "$here/corpus" <<'PY'
import os, struct, subprocess, sys

out = sys.argv[1]

def sections(path):
    """The file in the SECTIONS form: header, then {type, length, raw}."""
    d = open(path, 'rb').read()
    res, off = bytearray(d[:64]), 64
    while off + 32 <= len(d):
        typ, _, raw, stored = struct.unpack_from('<IIQQ', d, off)
        z = d[off + 32:off + 32 + stored]
        data = subprocess.run(['zstd', '-dc'], input=z, stdout=subprocess.PIPE,
                              check=True).stdout
        assert len(data) == raw
        res += struct.pack('<II', typ, raw) + data
        off += 32 + stored
    return bytes(res)

def form(mode, path):
    return open(path, 'rb').read() if mode < 2 else sections(path)

def write(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    for old in os.listdir(d):
        if old.startswith(name):
            os.unlink(os.path.join(d, old))
    open(os.path.join(d, name), 'wb').write(data)
    assert len(data) < 64 << 10, name

modes = ['raw', 'sums', 'sections']
for m, mode in enumerate(modes):
    for f in ['one-3000', 'two-4000', 'one-9000']:
        write('snapshot_file', 'seed-%s-%s' % (mode, f), bytes([m]) + form(m, f + '.rvsnap'))
    for chain in [['one-9000', 'one-3000'], ['one-15000', 'one-9000', 'one-3000'],
                  ['two-8000', 'two-4000']]:
        data = bytes([m, len(chain) - 1])
        for f in chain:
            b = form(m, f + '.rvsnap')
            data += struct.pack('<I', len(b)) + b
        write('snapshot_chain', 'seed-%s-%s' % (mode, chain[0]), data)

# Regressions (tests/snapshot/snap_test.cc has a unit test of each): files
# that once got through, in the SECTIONS form.
def split(form):
    secs, off = [], 64
    while off + 8 <= len(form):
        typ, n = struct.unpack_from('<II', form, off)
        secs.append([typ, bytearray(form[off + 8:off + 8 + n])])
        off += 8 + n
    return form[:64], secs

def join(hdr, secs):
    return bytes([2]) + hdr + b''.join(struct.pack('<II', t, len(r)) + bytes(r) for t, r in secs)

# The same files without their RAM sections (they are optional: zero
# pages are not stored), so that most mutations land in the other sections.
for f in ['one-3000', 'two-4000']:
    h, ss = split(sections(f + '.rvsnap'))
    write('snapshot_file', 'seed-sections-noram-' + f, join(h, [x for x in ss if x[0] != 8]))

# The drive's file, and with overlay blocks (the guest writes none): block
# 3 stored, block 5 dropped (DISK: u32 drive, u32 count, then u64 block,
# u8 present and the block's 4,096 bytes if present).
h, ss = split(sections('drive-3000.rvsnap'))
write('snapshot_file', 'seed-sections-drive-3000', join(h, ss))
disk = struct.pack('<IIQB', 0, 2, 3, 1) + bytes(range(256)) * 16 + struct.pack('<QB', 5, 0)
write('snapshot_file', 'seed-sections-disk-3000', join(h, ss[:-1] + [[7, disk]] + ss[-1:]))

hdr, secs = split(sections('one-3000.rvsnap'))
# snapshot info read the page count of a RAM section of 8 bytes past its end.
short = [[t, r[:8] if t == 8 else r] for t, r in secs]
write('snapshot_file', 'regress-info-short-ram-section', join(hdr, short))
# A hart clock 2^40 ahead of the machine's: run --restore spun for ever
# (the hart record's itime_offset is 54 bytes before its end, hv/cpu/hart.h).
ahead = [[t, bytearray(r)] for t, r in secs]
for t, r in ahead:
    if t == 4:
        at = len(r) - 54
        v = struct.unpack_from('<Q', r, at)[0] + (1 << 40)
        struct.pack_into('<Q', r, at, v)
write('snapshot_file', 'regress-hart-clock-ahead', join(hdr, ahead))
PY
echo "make_corpus.sh: seeds written to $here/corpus"
