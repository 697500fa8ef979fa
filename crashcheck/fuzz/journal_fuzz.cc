// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the ext4 superblock and jbd2 journal reader of the
// journal read-ahead (read_ext4_journal_log in fs_superblock.h) on any
// image. It never throws; a log it finds lies inside the journal it read.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "common/file_descriptor.h"
#include "crashcheck/fs_superblock.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bb::common::FileDescriptor fd(memfd_create("journal-fuzz", MFD_CLOEXEC));
  if (!fd || write(fd.get(), data, size) != static_cast<ssize_t>(size)) std::abort();
  const std::optional<bb::crashcheck::Ext4JournalLog> log =
      bb::crashcheck::read_ext4_journal_log(fd.get());
  if (log && (log->block_size < 1024 || log->bytes_read > size + (64U << 10))) std::abort();
  return 0;
}
