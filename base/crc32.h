/* SPDX-License-Identifier: MIT */
/*
 * CRC-32 as used by zip, gzip, PNG and Ethernet (ISO 3309 / ITU-T V.42,
 * "CRC-32/ISO-HDLC"): polynomial 0x04C11DB7 processed bit-reflected
 * (0xEDB88320), initial value and final XOR 0xFFFFFFFF. The record log
 * (log.h) stores one per chunk header and one per chunk's data.
 *
 * crc32_update continues a checksum: crc32_update(crc32_update(0, a), b)
 * equals the checksum of a followed by b, and crc32_update(0, "123456789")
 * is 0xCBF43926, the standard check value.
 */
#ifndef BASE_CRC32_H
#define BASE_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

static inline uint32_t crc32_compute(const void *buf, size_t len)
{
	return crc32_update(0, buf, len);
}

#endif
