/* SPDX-License-Identifier: MIT */
/*
 * A sparse fake guest physical memory for the introspection tests: 4 KiB
 * pages created on first write, reads of absent pages fail like reads of
 * non-RAM do. It counts read_phys calls so tests can check that walks
 * are bounded, and builds little-endian values and page-table entries.
 */
#ifndef TESTS_INTROSPECT_FAKE_MEM_H
#define TESTS_INTROSPECT_FAKE_MEM_H

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>

extern "C" {
#include "introspect/walk.h"
}

class FakeMem {
public:
	FakeMem()
	{
		mem_.opaque = this;
		mem_.read_phys = &FakeMem::ReadPhys;
	}

	const struct intro_mem *mem() const { return &mem_; }
	unsigned reads() const { return reads_; }

	void Write(uint64_t pa, const void *src, size_t len)
	{
		const uint8_t *p = static_cast<const uint8_t *>(src);
		for (size_t i = 0; i < len; i++)
			pages_[(pa + i) >> 12][(pa + i) & 0xfff] = p[i];
	}
	void Write64(uint64_t pa, uint64_t v)
	{
		uint8_t b[8];
		for (int i = 0; i < 8; i++)
			b[i] = static_cast<uint8_t>(v >> (8 * i));
		Write(pa, b, 8);
	}
	void Write32(uint64_t pa, uint32_t v)
	{
		uint8_t b[4];
		for (int i = 0; i < 4; i++)
			b[i] = static_cast<uint8_t>(v >> (8 * i));
		Write(pa, b, 4);
	}
	void WriteStr(uint64_t pa, const std::string &s) { Write(pa, s.c_str(), s.size() + 1); }

	/* A PTE pointing at physical address pa with the given low bits. */
	static uint64_t Pte(uint64_t pa, uint64_t bits) { return ((pa >> 12) << 10) | bits; }

private:
	static int ReadPhys(void *opaque, uint64_t pa, void *buf, size_t len)
	{
		FakeMem *self = static_cast<FakeMem *>(opaque);
		uint8_t *out = static_cast<uint8_t *>(buf);

		self->reads_++;
		for (size_t i = 0; i < len; i++) {
			auto it = self->pages_.find((pa + i) >> 12);
			if (it == self->pages_.end())
				return -1;
			out[i] = it->second[(pa + i) & 0xfff];
		}
		return 0;
	}

	struct intro_mem mem_;
	std::map<uint64_t, std::array<uint8_t, 4096>> pages_;
	unsigned reads_ = 0;
};

#endif
