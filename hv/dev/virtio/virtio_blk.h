/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (virtio 1.2 section 5.2) on a struct disk, over the
 * virtio-mmio transport of virtio.h.
 *
 * One request queue of VIRTIO_BLK_QUEUE_SIZE entries. Offered features:
 * SIZE_MAX, SEG_MAX, BLK_SIZE (512), FLUSH, and RO when the disk is
 * read-only (disk_set_read_only). Requests IN, OUT, FLUSH and GET_ID are
 * served; every other type completes with VIRTIO_BLK_S_UNSUPP. A request
 * whose data is not whole sectors, runs past the capacity or exceeds
 * SEG_MAX * SIZE_MAX bytes completes with VIRTIO_BLK_S_IOERR, as does a
 * host I/O error (logged on stderr). A request without its 16-byte header
 * or its status byte cannot be answered at all and makes the device need
 * a reset.
 */
#ifndef HV_VIRTIO_BLK_H
#define HV_VIRTIO_BLK_H

#include "hv/types.h"

#define VIRTIO_BLK_QUEUE_SIZE 256u
#define VIRTIO_BLK_SEG_MAX 126u /* as QEMU: queue size - 2 */
#define VIRTIO_BLK_SIZE_MAX (1u << 20)
#define VIRTIO_BLK_MAX_DATA ((uint64_t)VIRTIO_BLK_SEG_MAX * VIRTIO_BLK_SIZE_MAX)
#define VIRTIO_BLK_ID_BYTES 20u

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_T_OUT 1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_T_FLUSH_OUT 5u /* legacy synonym of FLUSH */
#define VIRTIO_BLK_T_GET_ID 8u
#define VIRTIO_BLK_S_OK 0u
#define VIRTIO_BLK_S_IOERR 1u
#define VIRTIO_BLK_S_UNSUPP 2u

struct machine;
struct disk;
struct virtio_dev;

/* Create a virtio-blk device on virtio-mmio slot serving disk d and
 * register it on the machine's bus. serial is the GET_ID string (at most
 * 20 bytes are used); NULL means "retrovisor-blk<slot>". On success the
 * device owns d (virtio_dev_destroy closes it); on failure returns NULL
 * with err filled and d still belongs to the caller. */
struct virtio_dev *virtio_blk_attach(struct machine *m, unsigned slot, struct disk *d,
				     const char *serial, struct hv_err *err);

#endif
