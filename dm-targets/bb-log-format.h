/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The dm-log-writes v1 log format, as written by bb-log-writes.
 *
 * All fields are little-endian. A "log sector" is sectorsize bytes, the
 * logical block size of the data device.
 *
 *   log sector 0          the superblock, zero-padded to a whole log sector
 *   log sector 1          entry 0 header, zero-padded to a whole log sector
 *   log sector 2..        entry 0 data: nr_sectors log sectors, if any
 *   next log sector       entry 1 header, and so on for nr_entries entries
 *
 * A data write has nr_sectors log sectors of data after its header. A
 * discard, a flush and a mark have none. A mark keeps its text (data_len
 * bytes, no NUL) at header byte 32. Nothing marks the end of the log but
 * nr_entries in the superblock.
 */
#ifndef BB_LOG_FORMAT_H
#define BB_LOG_FORMAT_H

#include <linux/bits.h>
#include <linux/types.h>

#define BB_LOG_FLUSH_FLAG	BIT(0)		/* REQ_PREFLUSH */
#define BB_LOG_FUA_FLAG		BIT(1)		/* REQ_FUA */
#define BB_LOG_DISCARD_FLAG	BIT(2)		/* REQ_OP_DISCARD, no data */
#define BB_LOG_MARK_FLAG	BIT(3)		/* "mark" message, text inline */
#define BB_LOG_METADATA_FLAG	BIT(4)		/* REQ_META */

#define BB_LOG_VERSION		1ULL
#define BB_LOG_MAGIC		0x6a736677736872ULL	/* "rhswfsj\0" on disk */
#define BB_LOG_SUPER_SECTOR	0

/*
 * The superblock. Its 28 bytes of payload are followed by 4 bytes that
 * older writers left as stack garbage; bb-log-writes writes them as zero.
 */
struct bb_log_super {
	__le64 magic;
	__le64 version;
	__le64 nr_entries;
	__le32 sectorsize;
	__le32 zero;
};

/* The first 32 bytes of every entry header. */
struct bb_log_entry {
	__le64 sector;		/* where on the data device, in log sectors */
	__le64 nr_sectors;	/* length, in log sectors */
	__le64 flags;		/* BB_LOG_*_FLAG */
	__le64 data_len;	/* bytes of mark text after this struct */
};

#endif /* BB_LOG_FORMAT_H */
