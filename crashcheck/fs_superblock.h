// SPDX-License-Identifier: GPL-2.0-or-later
// What a filesystem's superblock says about the device it may sit on: the
// largest logical block size of a device the filesystem in an image can
// still be mounted and checked from (its smallest I/O unit). The checker
// attaches views to loop devices of that block size so the kernel can read
// them with direct I/O (a view on a reflink scratch needs 4 KiB-aligned
// direct I/O); a filesystem made for 512-byte sectors (XFS on most disks)
// would not mount on a 4 KiB device.
#pragma once

#include <cstdint>
#include <string>

namespace bb::crashcheck {

// 1024 << s_log_block_size for ext2/3/4, sb_sectsize for XFS, sectorsize
// for btrfs; 512 (what every filesystem accepts) for anything else, an
// unreadable or implausible superblock included.
[[nodiscard]] uint32_t filesystem_io_unit(const std::string& image);

}  // namespace bb::crashcheck
