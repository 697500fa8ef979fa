// SPDX-License-Identifier: GPL-2.0-or-later
// What a filesystem's superblock says about the device it may sit on: the
// largest logical block size of a device the filesystem in an image can
// still be mounted and checked from (its smallest I/O unit). The checker
// attaches views to loop devices of that block size so the kernel can read
// them with direct I/O (a view on a reflink scratch needs 4 KiB-aligned
// direct I/O); a filesystem made for 512-byte sectors (XFS on most disks)
// would not mount on a 4 KiB device. And where an ext4 mount's journal
// recovery will read, to read it ahead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bb::crashcheck {

// 1024 << s_log_block_size for ext2/3/4, sb_sectsize for XFS, sectorsize
// for btrfs; 512 (what every filesystem accepts) for anything else, an
// unreadable or implausible superblock included.
[[nodiscard]] uint32_t filesystem_io_unit(const std::string& image);

// The log an ext3/ext4 mount will recover from the filesystem's internal
// journal (jbd2), in journal blocks: from the journal superblock's s_start
// to the first block that does not continue the log (another sequence, no
// journal block at all), as jbd2's scan pass finds it.
struct Ext4JournalLog {
  uint32_t block_size = 0;
  uint32_t start = 0;         // s_start
  uint32_t end = 0;           // the block the scan stops at
  uint64_t transactions = 0;  // commit blocks on the way
  uint64_t bytes_read = 0;    // through the device, the scan's reads
};

// Reads, through `fd` (the device an ext3/ext4 filesystem is about to be
// mounted from, or its image), the journal superblock and the log the
// mount will recover, in a few large reads: jbd2 reads its log a block at
// a time, every block a request of its own to a loop device, and finds
// them in the device's page cache instead (while `fd` stays open: the
// cache goes with the device's last close). Sets a block device's block
// size to the filesystem's first (BLKBSZSET; the mount would drop the
// cache changing it). Nothing when the journal needs no recovery, is
// external, or is not mapped by the extents in its inode's root (as kept
// in the superblock's s_jnl_blocks), or when anything read is implausible:
// only what is read ahead changes, never what the mount reads.
[[nodiscard]] std::optional<Ext4JournalLog> read_ext4_journal_log(int fd);

}  // namespace bb::crashcheck
