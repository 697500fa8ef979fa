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
 *
 * A device of a recording group (feature group=<name>:<index>) also ends
 * every header sector, and the superblock sector, with a group tag: the
 * last BB_LOG_GROUP_TAG_SIZE bytes of the sector, where v1 readers see
 * only padding. See docs/log-format.md, "Groups".
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

/*
 * The group tag, in the last 32 bytes of a header (or superblock) sector.
 * csum is the CRC32C (Castagnoli, init and final xor ~0) of the sector's
 * first 32 bytes (struct bb_log_entry or struct bb_log_super) followed by
 * the tag's first 28 bytes. seq is 0 in the superblock's tag.
 */
#define BB_LOG_GROUP_TAG_MAGIC		0x6761745052476262ULL	/* "bbGRPtag" */
#define BB_LOG_GROUP_SUPER_MAGIC	0x7075735052476262ULL	/* "bbGRPsup" */
#define BB_LOG_GROUP_TAG_SIZE		32
#define BB_LOG_GROUP_TAG_CSUM_BYTES	28
#define BB_LOG_GROUP_MAX_DEVICES	64	/* device indexes 0..63 */

struct bb_log_group_tag {
	__le64 magic;
	__le64 group_id;	/* random, chosen when the group was created */
	__le64 seq;		/* place in the group's global order, from 1 */
	__le32 index;		/* this device's index in the group */
	__le32 csum;
};

#endif /* BB_LOG_FORMAT_H */
