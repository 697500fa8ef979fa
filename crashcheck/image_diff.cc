// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/image_diff.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "common/file_descriptor.h"
#include "common/system_error.h"

namespace bb::crashcheck {
namespace lw = bb::logwrites;

namespace {

class Image {
 public:
  explicit Image(const std::string& path) : fd_(bb::common::open_file(path, O_RDONLY)) {}
  // Reads `out.size()` bytes; past the end reads as zeroes.
  void read(uint64_t offset, std::vector<uint8_t>& out) const {
    std::fill(out.begin(), out.end(), 0);
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n =
          pread(fd_.get(), out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) bb::common::throw_errno("cannot read image");
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
  }

 private:
  bb::common::FileDescriptor fd_;
};

// Merges [start, end) sector intervals.
std::vector<std::pair<uint64_t, uint64_t>> merged_ranges(const lw::LogIndex& index,
                                                         const std::vector<uint64_t>& cand) {
  std::vector<std::pair<uint64_t, uint64_t>> r;
  for (uint64_t e : cand) {
    const lw::IndexedEntry& ie = index.at(e);
    if (ie.nr_sectors == 0 || (ie.flags & lw::kFlagMark) != 0) continue;
    r.emplace_back(ie.sector, ie.sector + ie.nr_sectors);
  }
  std::sort(r.begin(), r.end());
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const auto& iv : r) {
    if (!out.empty() && iv.first <= out.back().second) {
      out.back().second = std::max(out.back().second, iv.second);
    } else {
      out.push_back(iv);
    }
  }
  return out;
}

}  // namespace

ImageDiff diff_images(const std::string& a, const std::string& b, const lw::LogIndex& index,
                      const std::vector<uint64_t>& candidates) {
  Image ia(a), ib(b);
  const uint64_t ss = index.sectorsize();
  const uint64_t chunk = 256;  // sectors per read
  ImageDiff diff;
  std::vector<uint8_t> ba, bb;
  std::vector<std::pair<uint64_t, uint64_t>> runs;  // differing [start, end)
  for (const auto& [start, end] : merged_ranges(index, candidates)) {
    for (uint64_t s = start; s < end; s += chunk) {
      uint64_t n = std::min(chunk, end - s);
      ba.resize(n * ss);
      bb.resize(n * ss);
      ia.read(s * ss, ba);
      ib.read(s * ss, bb);
      for (uint64_t i = 0; i < n; ++i) {
        if (std::memcmp(ba.data() + i * ss, bb.data() + i * ss, ss) == 0) continue;
        ++diff.differing_sectors;
        if (!runs.empty() && runs.back().second == s + i) {
          ++runs.back().second;
        } else {
          runs.emplace_back(s + i, s + i + 1);
        }
      }
    }
  }
  for (const auto& [start, end] : runs) {
    if (diff.ranges.size() == ImageDiff::kMaxRanges) {
      diff.truncated = true;
      break;
    }
    DiffRange r{start, end - start, {}};
    for (uint64_t e : candidates) {
      const lw::IndexedEntry& ie = index.at(e);
      if (ie.nr_sectors != 0 && ie.sector < end && ie.sector + ie.nr_sectors > start)
        r.writers.push_back(e);
    }
    diff.ranges.push_back(std::move(r));
  }
  return diff;
}

}  // namespace bb::crashcheck
