// SPDX-License-Identifier: MIT
/*
 * Tests of raw disk images (hv/dev/backend/disk.c): the copy-on-write overlay reads
 * back what was written and never touches the base file, partial and
 * block-crossing writes keep the neighbouring base bytes, write-through
 * mode persists across reopen, and bad files and out-of-range accesses
 * are refused with a sentence naming the file. Snapshots of the overlay
 * give back exactly the contents they froze, whatever is written after,
 * share blocks between disks and snapshots without copying them, list the
 * blocks that differ from a base snapshot, and free every block once the
 * last disk or snapshot holding it is gone.
 *
 * Images are temporary files filled with a position-dependent pattern, so
 * a byte read from the wrong place shows up as a mismatch. Snapshot tests
 * keep a model (a byte vector per disk and per snapshot) and compare whole
 * disks against it.
 */
#include <gtest/gtest.h>

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

extern "C" {
#include "hv/dev/backend/disk.h"
}

namespace {

uint8_t pattern(uint64_t i)
{
	return static_cast<uint8_t>((i * 7 + (i >> 9)) & 0xff);
}

class TempImage {
public:
	/* In DIR, default the test's scratch directory. */
	explicit TempImage(uint64_t size, const char *dir = nullptr)
	{
		if (!dir)
			dir = std::getenv("TEST_TMPDIR");
		path_ = std::string(dir ? dir : "/tmp") + "/disk_test_XXXXXX";
		int fd = mkstemp(&path_[0]);
		EXPECT_GE(fd, 0);
		std::vector<uint8_t> buf(size);
		for (uint64_t i = 0; i < size; i++)
			buf[i] = pattern(i);
		EXPECT_EQ(write(fd, buf.data(), size), static_cast<ssize_t>(size));
		close(fd);
	}
	~TempImage() { unlink(path_.c_str()); }
	const char *path() const { return path_.c_str(); }
	std::vector<uint8_t> contents() const
	{
		std::vector<uint8_t> out;
		int fd = open(path_.c_str(), O_RDONLY);
		uint8_t b[4096];
		ssize_t n;
		while ((n = read(fd, b, sizeof(b))) > 0)
			out.insert(out.end(), b, b + n);
		close(fd);
		return out;
	}

private:
	std::string path_;
};

uint64_t checksum(const std::vector<uint8_t> &v)
{
	uint64_t h = 1469598103934665603ull;
	for (uint8_t b : v)
		h = (h ^ b) * 1099511628211ull;
	return h;
}

TEST(Disk, SnapshotReadsBackWritesAndLeavesBaseUntouched)
{
	TempImage img(64 * 1024);
	uint64_t before = checksum(img.contents());
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	EXPECT_EQ(disk_size(d), 64u * 1024);

	std::vector<uint8_t> w(8192, 0xab);
	ASSERT_EQ(disk_write(d, 4096, w.data(), w.size(), &err), 0) << err.msg;
	std::vector<uint8_t> r(8192);
	ASSERT_EQ(disk_read(d, 4096, r.data(), r.size(), &err), 0) << err.msg;
	EXPECT_EQ(r, w);
	/* Blocks that were not written still read from the base. */
	uint8_t b[16];
	ASSERT_EQ(disk_read(d, 32768, b, sizeof(b), &err), 0);
	for (unsigned i = 0; i < sizeof(b); i++)
		EXPECT_EQ(b[i], pattern(32768 + i));
	EXPECT_EQ(disk_overlay_bytes(d), 8192u);
	ASSERT_EQ(disk_flush(d, &err), 0);
	disk_close(d);
	EXPECT_EQ(checksum(img.contents()), before);
}

TEST(Disk, SnapshotPartialWriteAcrossBlocksKeepsNeighbours)
{
	TempImage img(16 * 1024);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;

	const uint8_t w[6] = { 1, 2, 3, 4, 5, 6 };
	ASSERT_EQ(disk_write(d, 4093, w, sizeof(w), &err), 0) << err.msg;
	std::vector<uint8_t> r(3 * 4096);
	ASSERT_EQ(disk_read(d, 0, r.data(), r.size(), &err), 0) << err.msg;
	for (uint64_t i = 0; i < r.size(); i++) {
		uint8_t want = (i >= 4093 && i < 4099) ? w[i - 4093] : pattern(i);
		ASSERT_EQ(r[i], want) << "at offset " << i;
	}
	EXPECT_EQ(disk_overlay_bytes(d), 2u * 4096);
	disk_close(d);
}

TEST(Disk, SnapshotLastBlockShorterThanOverlayBlock)
{
	TempImage img(4096 + 512);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;

	const uint8_t w[2] = { 0x11, 0x22 };
	ASSERT_EQ(disk_write(d, 4096 + 510, w, 2, &err), 0) << err.msg;
	uint8_t r[512];
	ASSERT_EQ(disk_read(d, 4096, r, sizeof(r), &err), 0) << err.msg;
	for (unsigned i = 0; i < 510; i++)
		ASSERT_EQ(r[i], pattern(4096 + i));
	EXPECT_EQ(r[510], 0x11);
	EXPECT_EQ(r[511], 0x22);
	EXPECT_NE(disk_write(d, 4096 + 511, w, 2, &err), 0);
	disk_close(d);
}

TEST(Disk, WriteThroughPersistsAcrossReopen)
{
	TempImage img(8192);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), false, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	const uint8_t w[3] = { 9, 8, 7 };
	ASSERT_EQ(disk_write(d, 100, w, sizeof(w), &err), 0) << err.msg;
	ASSERT_EQ(disk_flush(d, &err), 0) << err.msg;
	EXPECT_EQ(disk_overlay_bytes(d), 0u);
	disk_close(d);

	std::vector<uint8_t> file = img.contents();
	EXPECT_EQ(file[99], pattern(99));
	EXPECT_EQ(file[100], 9);
	EXPECT_EQ(file[101], 8);
	EXPECT_EQ(file[102], 7);
	EXPECT_EQ(file[103], pattern(103));

	d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	uint8_t r[3];
	ASSERT_EQ(disk_read(d, 100, r, 3, &err), 0);
	EXPECT_EQ(r[0], 9);
	disk_close(d);
}

TEST(Disk, RejectsOutOfRangeAccess)
{
	TempImage img(4096);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	uint8_t b[8] = { 0 };
	EXPECT_NE(disk_read(d, 4095, b, 2, &err), 0);
	EXPECT_NE(std::string(err.msg).find(img.path()), std::string::npos) << err.msg;
	EXPECT_NE(disk_read(d, UINT64_MAX - 1, b, 4, &err), 0);
	EXPECT_NE(disk_write(d, 4096, b, 1, &err), 0);
	EXPECT_NE(disk_write(d, 8, b, SIZE_MAX - 4, &err), 0);
	EXPECT_EQ(disk_read(d, 4088, b, 8, &err), 0);
	EXPECT_EQ(disk_write(d, 4096, b, 0, &err), 0);
	EXPECT_EQ(disk_overlay_bytes(d), 0u);
	disk_close(d);
}

TEST(Disk, RejectsSizeNotMultipleOfSector)
{
	TempImage img(1000);
	struct hv_err err;
	EXPECT_EQ(disk_open(img.path(), true, &err), nullptr);
	EXPECT_NE(std::string(err.msg).find(img.path()), std::string::npos) << err.msg;
	EXPECT_NE(std::string(err.msg).find("512"), std::string::npos) << err.msg;
}

TEST(Disk, RejectsEmptyAndMissingFiles)
{
	TempImage img(0);
	struct hv_err err;
	EXPECT_EQ(disk_open(img.path(), true, &err), nullptr);
	EXPECT_NE(std::string(err.msg).find("empty"), std::string::npos) << err.msg;
	EXPECT_EQ(disk_open("/nonexistent/disk.img", true, &err), nullptr);
	EXPECT_NE(std::string(err.msg).find("/nonexistent/disk.img"), std::string::npos);
}

/*
 * What disk_open says about a file its user cannot write, seen from a
 * forked child. Root may write any file, so when the test runs as root
 * (as in CI) the child first drops to uid and gid 65534 (nobody); the
 * check would otherwise not exercise the refusal at all.
 */
struct UnwritableReport {
	int drop_errno;      /* setgroups/setresgid/setresuid failed */
	unsigned uid;        /* the child's effective uid after the drop */
	int can_write;       /* access(W_OK) said yes: nothing to refuse */
	int rw_refused;      /* disk_open(snapshot=off) returned NULL */
	int overlay_opened;  /* disk_open(snapshot=on) succeeded */
	int overlay_written; /* and disk_write to its overlay succeeded */
	char rw_msg[512];
	char overlay_msg[512];
};

constexpr unsigned kNobody = 65534;

UnwritableReport OpenAsUnprivileged(const char *path)
{
	UnwritableReport r = {};
	int fds[2];
	if (pipe(fds) != 0) {
		ADD_FAILURE() << "pipe: " << strerror(errno);
		return r;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (geteuid() == 0 &&
		    (setgroups(0, nullptr) != 0 || setresgid(kNobody, kNobody, kNobody) != 0 ||
		     setresuid(kNobody, kNobody, kNobody) != 0))
			r.drop_errno = errno;
		r.uid = geteuid();
		r.can_write = access(path, W_OK) == 0;
		struct hv_err err = {};
		struct disk *d = disk_open(path, false, &err);
		r.rw_refused = d == nullptr;
		if (d)
			disk_close(d);
		snprintf(r.rw_msg, sizeof(r.rw_msg), "%s", err.msg);
		err = {};
		d = disk_open(path, true, &err);
		r.overlay_opened = d != nullptr;
		if (d) {
			uint8_t b = 1;
			r.overlay_written = disk_write(d, 0, &b, 1, &err) == 0;
			disk_close(d);
		}
		snprintf(r.overlay_msg, sizeof(r.overlay_msg), "%s", err.msg);
		ssize_t n = write(fds[1], &r, sizeof(r));
		_exit(n == static_cast<ssize_t>(sizeof(r)) ? 0 : 1);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		ADD_FAILURE() << "fork: " << strerror(errno);
		return r;
	}
	size_t got = 0;
	while (got < sizeof(r)) {
		ssize_t n = read(fds[0], reinterpret_cast<char *>(&r) + got, sizeof(r) - got);
		if (n <= 0)
			break;
		got += static_cast<size_t>(n);
	}
	close(fds[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
	EXPECT_EQ(got, sizeof(r)) << "the child's report is incomplete";
	return r;
}

TEST(Disk, WriteThroughNeedsWritableFile)
{
	/* A fresh directory under /tmp that uid 65534 can reach (the scratch
	 * directory lies under root's home). */
	char dir[] = "/tmp/disk_test_dir_XXXXXX";
	ASSERT_NE(mkdtemp(dir), nullptr) << strerror(errno);
	ASSERT_EQ(chmod(dir, 0755), 0);
	{
		TempImage img(4096, dir);
		ASSERT_EQ(chmod(img.path(), 0444), 0);
		UnwritableReport r = OpenAsUnprivileged(img.path());
		ASSERT_EQ(r.drop_errno, 0)
			<< "could not drop to uid " << kNobody << ": " << strerror(r.drop_errno);
		ASSERT_NE(r.uid, 0u) << "the check ran as root, which can write anything";
		ASSERT_FALSE(r.can_write) << "uid " << r.uid << " can write " << img.path()
					  << ": the refusal would not be tested";
		EXPECT_TRUE(r.rw_refused);
		EXPECT_NE(std::string(r.rw_msg).find("not writable"), std::string::npos)
			<< r.rw_msg;
		EXPECT_NE(std::string(r.rw_msg).find(img.path()), std::string::npos) << r.rw_msg;
		/* A read-only base is fine for the overlay, which never touches it. */
		EXPECT_TRUE(r.overlay_opened) << r.overlay_msg;
		EXPECT_TRUE(r.overlay_written) << r.overlay_msg;
		EXPECT_EQ(img.contents()[0], pattern(0));
	}
	rmdir(dir);
}

TEST(Disk, ReadOnlyRefusesWrites)
{
	TempImage img(4096);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), false, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	disk_set_read_only(d);
	EXPECT_TRUE(disk_read_only(d));
	uint8_t b = 1;
	EXPECT_NE(disk_write(d, 0, &b, 1, &err), 0);
	EXPECT_NE(std::string(err.msg).find("read-only"), std::string::npos) << err.msg;
	disk_close(d);
	EXPECT_EQ(img.contents()[0], pattern(0));
}

/* Snapshots of the overlay. */

constexpr uint64_t kBlock = DISK_BLOCK_SIZE;

std::vector<uint8_t> base_contents(uint64_t size)
{
	std::vector<uint8_t> v(size);
	for (uint64_t i = 0; i < size; i++)
		v[i] = pattern(i);
	return v;
}

std::vector<uint8_t> read_all(struct disk *d)
{
	std::vector<uint8_t> v(disk_size(d));
	struct hv_err err;
	EXPECT_EQ(disk_read(d, 0, v.data(), v.size(), &err), 0) << err.msg;
	return v;
}

/* Write len bytes of value fill at off to the disk and to its model. */
void write_both(struct disk *d, std::vector<uint8_t> &model, uint64_t off, size_t len, uint8_t fill)
{
	std::vector<uint8_t> w(len, fill);
	struct hv_err err;
	ASSERT_EQ(disk_write(d, off, w.data(), len, &err), 0) << err.msg;
	std::memcpy(&model[off], w.data(), len);
}

struct Listed {
	std::vector<std::pair<uint64_t, std::vector<uint8_t>>> blocks; /* empty: NULL */
	int stop_after = -1;
};

int collect(void *opaque, uint64_t block, const uint8_t *data)
{
	Listed *l = static_cast<Listed *>(opaque);
	l->blocks.emplace_back(block, data ? std::vector<uint8_t>(data, data + kBlock) :
					     std::vector<uint8_t>());
	if (l->stop_after >= 0 && l->blocks.size() == static_cast<size_t>(l->stop_after))
		return 7;
	return 0;
}

TEST(DiskSnap, RestoreGivesOldDataBackAndCountsChangedBlocks)
{
	uint64_t live0 = disk_blocks_live();
	TempImage img(16 * kBlock);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	std::vector<uint8_t> model = base_contents(16 * kBlock);
	write_both(d, model, 1 * kBlock, 2 * kBlock, 0xa1);
	std::vector<uint8_t> frozen = model;

	struct disk_snap *s = disk_snap_take(d, &err);
	ASSERT_NE(s, nullptr) << err.msg;
	EXPECT_EQ(disk_snap_blocks(s), 2u);
	EXPECT_EQ(disk_snap_size(s), 16 * kBlock);
	/* Taking copies nothing. */
	EXPECT_EQ(disk_blocks_live(), live0 + 2);

	write_both(d, model, 2 * kBlock + 100, 10, 0xb2); /* shared block */
	write_both(d, model, 5 * kBlock, 1, 0xc3);        /* new block */
	write_both(d, model, 8 * kBlock - 3, 6, 0xd4);    /* blocks 7 and 8 */
	EXPECT_EQ(read_all(d), model);
	EXPECT_EQ(disk_overlay_bytes(d), 5 * kBlock);
	EXPECT_EQ(disk_blocks_live(), live0 + 6);

	EXPECT_EQ(disk_snap_restore(d, s, &err), 4) << err.msg;
	EXPECT_EQ(read_all(d), frozen);
	EXPECT_EQ(disk_overlay_bytes(d), 2 * kBlock);
	EXPECT_EQ(disk_blocks_live(), live0 + 2);
	/* Nothing differs any more. */
	EXPECT_EQ(disk_snap_restore(d, s, &err), 0) << err.msg;

	disk_snap_free(s);
	EXPECT_EQ(read_all(d), frozen);
	disk_close(d);
	EXPECT_EQ(disk_blocks_live(), live0);
	/* The base file was never written. */
	EXPECT_EQ(img.contents(), base_contents(16 * kBlock));
}

TEST(DiskSnap, WriteAfterTakeIsNotSeenThroughSnapshot)
{
	uint64_t live0 = disk_blocks_live();
	TempImage img(8 * kBlock);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	std::vector<uint8_t> model = base_contents(8 * kBlock);
	write_both(d, model, 3 * kBlock, kBlock, 0x11);
	std::vector<uint8_t> frozen = model;
	struct disk_snap *s = disk_snap_take(d, &err);
	ASSERT_NE(s, nullptr) << err.msg;

	/* Modify the very block the snapshot holds, in place from d's view. */
	write_both(d, model, 3 * kBlock + 7, 1, 0x22);
	Listed l;
	EXPECT_EQ(disk_snap_foreach(s, nullptr, collect, &l), 0);
	ASSERT_EQ(l.blocks.size(), 1u);
	EXPECT_EQ(l.blocks[0].first, 3u);
	EXPECT_EQ(l.blocks[0].second, std::vector<uint8_t>(kBlock, 0x11));

	/* Another disk restored from the snapshot sees the frozen data. */
	struct disk *d2 = disk_open(img.path(), true, &err);
	ASSERT_NE(d2, nullptr) << err.msg;
	EXPECT_EQ(disk_snap_restore(d2, s, &err), 1) << err.msg;
	EXPECT_EQ(read_all(d2), frozen);
	EXPECT_EQ(read_all(d), model);
	disk_snap_free(s);
	disk_close(d);
	disk_close(d2);
	EXPECT_EQ(disk_blocks_live(), live0);
}

TEST(DiskSnap, RestoreManyTimesInARowKeepsMemoryFlat)
{
	uint64_t live0 = disk_blocks_live();
	TempImage img(8 * kBlock);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	std::vector<uint8_t> model = base_contents(8 * kBlock);
	write_both(d, model, 0, 3 * kBlock, 0x40);
	std::vector<uint8_t> frozen = model;
	struct disk_snap *s = disk_snap_take(d, &err);
	ASSERT_NE(s, nullptr) << err.msg;

	for (int round = 0; round < 100; round++) {
		uint64_t b = static_cast<uint64_t>(round) % 8;
		write_both(d, model, b * kBlock + 5, 20, static_cast<uint8_t>(round));
		write_both(d, model, 7 * kBlock, 1, static_cast<uint8_t>(round));
		EXPECT_EQ(read_all(d), model);
		/* Block b and block 7 (one block when b is 7). */
		EXPECT_EQ(disk_snap_restore(d, s, &err), b == 7 ? 1 : 2) << "round " << round;
		model = frozen;
		ASSERT_EQ(read_all(d), frozen) << "round " << round;
		ASSERT_EQ(disk_blocks_live(), live0 + 3) << "round " << round;
	}
	disk_snap_free(s);
	disk_close(d);
	EXPECT_EQ(disk_blocks_live(), live0);
}

TEST(DiskSnap, TwoSnapshotsRestoreTheirOwnStates)
{
	uint64_t live0 = disk_blocks_live();
	TempImage img(8 * kBlock);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	std::vector<uint8_t> model = base_contents(8 * kBlock);
	write_both(d, model, 1 * kBlock, kBlock, 0x01);
	std::vector<uint8_t> m1 = model;
	struct disk_snap *s1 = disk_snap_take(d, &err);
	ASSERT_NE(s1, nullptr) << err.msg;
	write_both(d, model, 1 * kBlock + 9, 1, 0x02);
	write_both(d, model, 4 * kBlock, kBlock, 0x03);
	std::vector<uint8_t> m2 = model;
	struct disk_snap *s2 = disk_snap_take(d, &err);
	ASSERT_NE(s2, nullptr) << err.msg;
	EXPECT_EQ(disk_snap_blocks(s1), 1u);
	EXPECT_EQ(disk_snap_blocks(s2), 2u);
	write_both(d, model, 6 * kBlock, 1, 0x04);

	EXPECT_EQ(disk_snap_restore(d, s1, &err), 3) << err.msg; /* 1 differs, 4 and 6 dropped */
	EXPECT_EQ(read_all(d), m1);
	EXPECT_EQ(disk_snap_restore(d, s2, &err), 2) << err.msg; /* 1 differs, 4 added */
	EXPECT_EQ(read_all(d), m2);
	EXPECT_EQ(disk_snap_restore(d, s1, &err), 2) << err.msg;
	EXPECT_EQ(read_all(d), m1);
	/* s2 outlives nothing it needs from s1 or d. */
	disk_snap_free(s1);
	EXPECT_EQ(read_all(d), m1);
	EXPECT_EQ(disk_snap_restore(d, s2, &err), 2) << err.msg;
	EXPECT_EQ(read_all(d), m2);
	disk_snap_free(s2);
	EXPECT_EQ(read_all(d), m2);
	disk_close(d);
	EXPECT_EQ(disk_blocks_live(), live0);
}

TEST(DiskSnap, SnapshotOfEmptyOverlayDropsEverythingOnRestore)
{
	uint64_t live0 = disk_blocks_live();
	TempImage img(4 * kBlock);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	struct disk_snap *s = disk_snap_take(d, &err);
	ASSERT_NE(s, nullptr) << err.msg;
	EXPECT_EQ(disk_snap_blocks(s), 0u);
	Listed l;
	EXPECT_EQ(disk_snap_foreach(s, nullptr, collect, &l), 0);
	EXPECT_TRUE(l.blocks.empty());

	std::vector<uint8_t> model = base_contents(4 * kBlock);
	write_both(d, model, 0, 4 * kBlock, 0x77);
	EXPECT_EQ(disk_overlay_bytes(d), 4 * kBlock);
	EXPECT_EQ(disk_snap_restore(d, s, &err), 4) << err.msg;
	EXPECT_EQ(disk_overlay_bytes(d), 0u);
	EXPECT_EQ(disk_blocks_live(), live0);
	EXPECT_EQ(read_all(d), base_contents(4 * kBlock));
	disk_snap_free(s);
	disk_close(d);
}

TEST(DiskSnap, ForkedDisksShareBlocksUntilWritten)
{
	uint64_t live0 = disk_blocks_live();
	/* Two leaves' worth of blocks, so sharing crosses a leaf boundary. */
	const uint64_t size = 520 * kBlock;
	TempImage img(size);
	struct hv_err err;
	struct disk *d1 = disk_open(img.path(), true, &err);
	ASSERT_NE(d1, nullptr) << err.msg;
	std::vector<uint8_t> m1 = base_contents(size);
	write_both(d1, m1, 10 * kBlock, 3 * kBlock, 0x5a);
	write_both(d1, m1, 515 * kBlock, 1, 0x5b);
	struct disk_snap *s = disk_snap_take(d1, &err);
	ASSERT_NE(s, nullptr) << err.msg;

	struct disk *d2 = disk_open(img.path(), true, &err);
	ASSERT_NE(d2, nullptr) << err.msg;
	EXPECT_EQ(disk_overlay_bytes(d2), 0u);
	EXPECT_EQ(disk_snap_restore(d2, s, &err), 4) << err.msg;
	std::vector<uint8_t> m2 = m1;
	/* No block copied: the fork costs no memory until it writes. */
	EXPECT_EQ(disk_blocks_live(), live0 + 4);
	EXPECT_EQ(disk_overlay_bytes(d2), 4 * kBlock);
	EXPECT_EQ(read_all(d2), m2);

	write_both(d2, m2, 11 * kBlock, 1, 0xe2);
	EXPECT_EQ(disk_blocks_live(), live0 + 5);
	write_both(d1, m1, 11 * kBlock + 1, 1, 0xe1);
	write_both(d1, m1, 515 * kBlock, 1, 0xe1);
	EXPECT_EQ(disk_blocks_live(), live0 + 7);
	EXPECT_EQ(read_all(d1), m1);
	EXPECT_EQ(read_all(d2), m2);
	EXPECT_NE(m1, m2);

	/* Closing the original does not disturb the fork or the snapshot. */
	disk_close(d1);
	EXPECT_EQ(read_all(d2), m2);
	EXPECT_EQ(disk_snap_restore(d2, s, &err), 1) << err.msg;
	disk_snap_free(s);
	disk_close(d2);
	EXPECT_EQ(disk_blocks_live(), live0);
	EXPECT_EQ(img.contents(), base_contents(size));
}

TEST(DiskSnap, RestoreRefusesImageOfOtherSize)
{
	uint64_t live0 = disk_blocks_live();
	TempImage big(8 * kBlock), small(4 * kBlock);
	struct hv_err err;
	struct disk *d = disk_open(big.path(), true, &err);
	struct disk *e = disk_open(small.path(), true, &err);
	ASSERT_NE(d, nullptr);
	ASSERT_NE(e, nullptr);
	std::vector<uint8_t> md = base_contents(8 * kBlock), me = base_contents(4 * kBlock);
	write_both(d, md, 0, 1, 0x99);
	write_both(e, me, kBlock, 1, 0x98);
	struct disk_snap *s = disk_snap_take(d, &err);
	ASSERT_NE(s, nullptr) << err.msg;
	EXPECT_EQ(disk_snap_restore(e, s, &err), -1);
	EXPECT_NE(std::string(err.msg).find(small.path()), std::string::npos) << err.msg;
	EXPECT_NE(std::string(err.msg).find("32768"), std::string::npos) << err.msg;
	EXPECT_EQ(read_all(e), me);
	EXPECT_EQ(disk_overlay_bytes(e), kBlock);
	/* A base over another image size is no base: every block is listed. */
	struct disk_snap *t = disk_snap_take(e, &err);
	ASSERT_NE(t, nullptr) << err.msg;
	Listed l;
	EXPECT_EQ(disk_snap_foreach(t, s, collect, &l), 0);
	ASSERT_EQ(l.blocks.size(), 1u);
	EXPECT_EQ(l.blocks[0].first, 1u);
	disk_snap_free(t);
	disk_snap_free(s);
	disk_close(d);
	disk_close(e);
	EXPECT_EQ(disk_blocks_live(), live0);
}

TEST(DiskSnap, ForeachWithoutBaseListsEveryBlockInOrder)
{
	const uint64_t size = 1100 * kBlock;
	TempImage img(size);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	std::vector<uint8_t> model = base_contents(size);
	for (uint64_t b : { 1050u, 3u, 600u, 0u, 511u, 512u })
		write_both(d, model, b * kBlock + 1, 1, static_cast<uint8_t>(b));
	struct disk_snap *s = disk_snap_take(d, &err);
	ASSERT_NE(s, nullptr) << err.msg;
	Listed l;
	EXPECT_EQ(disk_snap_foreach(s, nullptr, collect, &l), 0);
	std::vector<uint64_t> got;
	for (auto &e : l.blocks) {
		got.push_back(e.first);
		ASSERT_EQ(e.second.size(), kBlock);
		EXPECT_EQ(0, std::memcmp(e.second.data(), &model[e.first * kBlock], kBlock))
			<< "block " << e.first;
	}
	EXPECT_EQ(got, (std::vector<uint64_t>{ 0, 3, 511, 512, 600, 1050 }));

	/* A non-zero return stops the walk and comes back. */
	Listed stop;
	stop.stop_after = 2;
	EXPECT_EQ(disk_snap_foreach(s, nullptr, collect, &stop), 7);
	EXPECT_EQ(stop.blocks.size(), 2u);
	disk_snap_free(s);
	disk_close(d);
}

TEST(DiskSnap, ForeachAgainstBaseListsChangedAddedAndDroppedBlocks)
{
	uint64_t live0 = disk_blocks_live();
	const uint64_t size = 700 * kBlock;
	TempImage img(size);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	std::vector<uint8_t> model = base_contents(size);
	write_both(d, model, 1 * kBlock, 3 * kBlock, 0x10); /* blocks 1, 2, 3 */
	write_both(d, model, 650 * kBlock, 1, 0x11);        /* another leaf */
	struct disk_snap *base = disk_snap_take(d, &err);
	ASSERT_NE(base, nullptr) << err.msg;

	write_both(d, model, 2 * kBlock + 5, 1, 0x20);                   /* changed */
	write_both(d, model, 3 * kBlock + 5, 1, 0x10);                   /* rewritten, same bytes */
	write_both(d, model, 600 * kBlock, 1, 0x21);                     /* added */
	ASSERT_EQ(disk_overlay_load(d, 1, nullptr, &err), 0) << err.msg; /* dropped */
	std::memcpy(&model[1 * kBlock], &base_contents(size)[1 * kBlock], kBlock);
	EXPECT_EQ(read_all(d), model);
	struct disk_snap *s = disk_snap_take(d, &err);
	ASSERT_NE(s, nullptr) << err.msg;

	Listed l;
	EXPECT_EQ(disk_snap_foreach(s, base, collect, &l), 0);
	ASSERT_EQ(l.blocks.size(), 3u);
	EXPECT_EQ(l.blocks[0].first, 1u);
	EXPECT_TRUE(l.blocks[0].second.empty());
	EXPECT_EQ(l.blocks[1].first, 2u);
	EXPECT_EQ(0, std::memcmp(l.blocks[1].second.data(), &model[2 * kBlock], kBlock));
	EXPECT_EQ(l.blocks[2].first, 600u);
	EXPECT_EQ(0, std::memcmp(l.blocks[2].second.data(), &model[600 * kBlock], kBlock));

	/* A snapshot against itself has nothing to say. */
	Listed none;
	EXPECT_EQ(disk_snap_foreach(s, s, collect, &none), 0);
	EXPECT_TRUE(none.blocks.empty());

	/* What a snapshot file would do: load base in full into a fresh disk,
	 * then the delta; the result reads as s does. */
	struct disk *f = disk_open(img.path(), true, &err);
	ASSERT_NE(f, nullptr) << err.msg;
	Listed full;
	EXPECT_EQ(disk_snap_foreach(base, nullptr, collect, &full), 0);
	for (auto &e : full.blocks)
		ASSERT_EQ(disk_overlay_load(f, e.first, e.second.data(), &err), 0) << err.msg;
	for (auto &e : l.blocks)
		ASSERT_EQ(disk_overlay_load(f, e.first,
					    e.second.empty() ? nullptr : e.second.data(), &err),
			  0)
			<< err.msg;
	EXPECT_EQ(read_all(f), model);
	EXPECT_EQ(disk_overlay_bytes(f), disk_snap_blocks(s) * kBlock);

	disk_snap_free(base);
	disk_snap_free(s);
	disk_close(d);
	disk_close(f);
	EXPECT_EQ(disk_blocks_live(), live0);
}

TEST(DiskSnap, OverlayLoadChecksBoundsAndKeepsTailZero)
{
	uint64_t live0 = disk_blocks_live();
	/* 2.5 blocks: the last block is half outside the image. */
	const uint64_t size = 2 * kBlock + kBlock / 2;
	TempImage img(size);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	std::vector<uint8_t> ones(kBlock, 0xff);
	EXPECT_EQ(disk_overlay_load(d, 3, ones.data(), &err), -1);
	EXPECT_NE(std::string(err.msg).find(img.path()), std::string::npos) << err.msg;
	EXPECT_EQ(disk_overlay_load(d, UINT64_MAX, ones.data(), &err), -1);
	EXPECT_EQ(disk_overlay_load(d, UINT64_MAX, nullptr, &err), -1);
	EXPECT_EQ(disk_overlay_bytes(d), 0u);

	ASSERT_EQ(disk_overlay_load(d, 2, ones.data(), &err), 0) << err.msg;
	std::vector<uint8_t> r = read_all(d);
	for (uint64_t i = 2 * kBlock; i < size; i++)
		ASSERT_EQ(r[i], 0xff) << i;
	struct disk_snap *s = disk_snap_take(d, &err);
	ASSERT_NE(s, nullptr) << err.msg;
	Listed l;
	disk_snap_foreach(s, nullptr, collect, &l);
	ASSERT_EQ(l.blocks.size(), 1u);
	for (uint64_t i = 0; i < kBlock; i++)
		ASSERT_EQ(l.blocks[0].second[i], i < kBlock / 2 ? 0xff : 0) << i;

	/* Loading over a block shared with a snapshot leaves the snapshot's. */
	std::vector<uint8_t> twos(kBlock, 0x02);
	ASSERT_EQ(disk_overlay_load(d, 2, twos.data(), &err), 0) << err.msg;
	ASSERT_EQ(disk_overlay_load(d, 0, nullptr, &err), 0) << err.msg; /* absent: no-op */
	EXPECT_EQ(disk_overlay_bytes(d), kBlock);
	EXPECT_EQ(disk_snap_restore(d, s, &err), 1) << err.msg;
	EXPECT_EQ(read_all(d), r);
	ASSERT_EQ(disk_overlay_load(d, 2, nullptr, &err), 0) << err.msg;
	EXPECT_EQ(read_all(d), base_contents(size));
	EXPECT_EQ(disk_overlay_bytes(d), 0u);
	disk_snap_free(s);
	disk_close(d);
	EXPECT_EQ(disk_blocks_live(), live0);
}

TEST(DiskSnap, SnapshotOutlivesItsDisk)
{
	uint64_t live0 = disk_blocks_live();
	TempImage img(8 * kBlock);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), true, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	std::vector<uint8_t> model = base_contents(8 * kBlock);
	write_both(d, model, 2 * kBlock, 2 * kBlock, 0x3c);
	struct disk_snap *s = disk_snap_take(d, &err);
	ASSERT_NE(s, nullptr) << err.msg;
	write_both(d, model, 6 * kBlock, 1, 0x3d);
	disk_close(d);
	EXPECT_EQ(disk_blocks_live(), live0 + 2);

	struct disk *d2 = disk_open(img.path(), true, &err);
	ASSERT_NE(d2, nullptr) << err.msg;
	EXPECT_EQ(disk_snap_restore(d2, s, &err), 2) << err.msg;
	std::vector<uint8_t> want = base_contents(8 * kBlock);
	std::memset(&want[2 * kBlock], 0x3c, 2 * kBlock);
	EXPECT_EQ(read_all(d2), want);
	disk_snap_free(s);
	EXPECT_EQ(read_all(d2), want);
	EXPECT_EQ(disk_blocks_live(), live0 + 2);
	disk_close(d2);
	EXPECT_EQ(disk_blocks_live(), live0);
}

TEST(DiskSnap, WriteThroughDiskRefusesSnapshots)
{
	TempImage img(4 * kBlock), other(4 * kBlock);
	struct hv_err err;
	struct disk *d = disk_open(img.path(), false, &err);
	ASSERT_NE(d, nullptr) << err.msg;
	EXPECT_FALSE(disk_snapshot_mode(d));
	EXPECT_EQ(disk_snap_take(d, &err), nullptr);
	EXPECT_NE(std::string(err.msg).find("snapshot=off"), std::string::npos) << err.msg;
	EXPECT_NE(std::string(err.msg).find(img.path()), std::string::npos) << err.msg;

	struct disk *o = disk_open(other.path(), true, &err);
	ASSERT_NE(o, nullptr) << err.msg;
	EXPECT_TRUE(disk_snapshot_mode(o));
	struct disk_snap *s = disk_snap_take(o, &err);
	ASSERT_NE(s, nullptr) << err.msg;
	err.msg[0] = 0;
	EXPECT_EQ(disk_snap_restore(d, s, &err), -1);
	EXPECT_NE(std::string(err.msg).find("snapshot=on"), std::string::npos) << err.msg;
	std::vector<uint8_t> blk(kBlock, 1);
	EXPECT_EQ(disk_overlay_load(d, 0, blk.data(), &err), -1);
	EXPECT_EQ(img.contents(), base_contents(4 * kBlock));
	disk_snap_free(s);
	disk_close(o);
	disk_close(d);
}

/* Random writes, takes, restores, loads and frees across two disks and
 * four snapshot slots, checked against a model; memory is all given back. */
TEST(DiskSnap, RandomOperationsMatchModel)
{
	uint64_t live0 = disk_blocks_live();
	const uint64_t nblocks = 1030; /* three leaves, the last nearly empty */
	const uint64_t size = nblocks * kBlock - 1024;
	TempImage img(size);
	struct hv_err err;
	std::mt19937_64 rng(12345);
	struct disk *d[2];
	std::vector<uint8_t> m[2];
	struct disk_snap *s[4] = {};
	std::vector<uint8_t> ms[4];
	for (int k = 0; k < 2; k++) {
		d[k] = disk_open(img.path(), true, &err);
		ASSERT_NE(d[k], nullptr) << err.msg;
		m[k] = base_contents(size);
	}
	for (int op = 0; op < 3000; op++) {
		int k = static_cast<int>(rng() % 2);
		int slot = static_cast<int>(rng() % 4);
		unsigned what = static_cast<unsigned>(rng() % 10);
		if (what < 5) {
			/* Cluster writes so that blocks get rewritten. */
			uint64_t off = (rng() % 40) * kBlock + rng() % (2 * kBlock);
			if (rng() % 4 == 0)
				off = rng() % (size - 1);
			size_t len = 1 + rng() % (3 * kBlock);
			if (len > size - off)
				len = size - off;
			write_both(d[k], m[k], off, len, static_cast<uint8_t>(rng()));
		} else if (what == 5) {
			disk_snap_free(s[slot]);
			s[slot] = disk_snap_take(d[k], &err);
			ASSERT_NE(s[slot], nullptr) << err.msg;
			ms[slot] = m[k];
		} else if (what < 8 && s[slot]) {
			uint64_t differ = 0;
			for (uint64_t b = 0; b < nblocks; b++) {
				uint64_t n = std::min<uint64_t>(kBlock, size - b * kBlock);
				differ += std::memcmp(&m[k][b * kBlock], &ms[slot][b * kBlock],
						      n) != 0;
			}
			int64_t changed = disk_snap_restore(d[k], s[slot], &err);
			ASSERT_GE(changed, static_cast<int64_t>(differ)) << err.msg;
			m[k] = ms[slot];
			EXPECT_EQ(disk_overlay_bytes(d[k]), disk_snap_blocks(s[slot]) * kBlock);
		} else if (what == 8) {
			uint64_t b = rng() % nblocks;
			uint64_t n = std::min<uint64_t>(kBlock, size - b * kBlock);
			if (rng() % 2) {
				ASSERT_EQ(disk_overlay_load(d[k], b, nullptr, &err), 0) << err.msg;
				std::vector<uint8_t> base = base_contents(size);
				std::memcpy(&m[k][b * kBlock], &base[b * kBlock], n);
			} else {
				std::vector<uint8_t> blk(kBlock, static_cast<uint8_t>(rng()));
				ASSERT_EQ(disk_overlay_load(d[k], b, blk.data(), &err), 0)
					<< err.msg;
				std::memcpy(&m[k][b * kBlock], blk.data(), n);
			}
		} else if (s[slot]) {
			disk_snap_free(s[slot]);
			s[slot] = nullptr;
		}
		if (op % 100 == 99) {
			for (int j = 0; j < 2; j++)
				ASSERT_EQ(read_all(d[j]), m[j]) << "op " << op << " disk " << j;
		} else {
			uint64_t off = rng() % size;
			size_t len = std::min<uint64_t>(size - off, 1 + rng() % (2 * kBlock));
			std::vector<uint8_t> r(len);
			ASSERT_EQ(disk_read(d[k], off, r.data(), len, &err), 0) << err.msg;
			ASSERT_EQ(0, std::memcmp(r.data(), &m[k][off], len)) << "op " << op;
		}
	}
	for (int j = 0; j < 4; j++) {
		if (!s[j])
			continue;
		struct disk *f = disk_open(img.path(), true, &err);
		ASSERT_NE(f, nullptr) << err.msg;
		ASSERT_GE(disk_snap_restore(f, s[j], &err), 0) << err.msg;
		EXPECT_EQ(read_all(f), ms[j]) << "slot " << j;
		disk_close(f);
		disk_snap_free(s[j]);
	}
	disk_close(d[0]);
	disk_close(d[1]);
	EXPECT_EQ(disk_blocks_live(), live0);
	EXPECT_EQ(img.contents(), base_contents(size));
}

} // namespace
