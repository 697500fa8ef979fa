// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli/mirror_check.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include <fmt/core.h>
#include <fmt/format.h>

#include "cli/log_report.h"
#include "common/file_descriptor.h"
#include "common/file_info.h"
#include "common/json.h"
#include "error.h"
#include "table_params.h"

namespace bb::dirtylog::cli {

namespace {

constexpr uint64_t kSectorBytes = 512;

struct Leg {
  std::string path;
  common::FileDescriptor fd;
  uint64_t bytes = 0;
};

std::vector<Leg> open_legs(const std::vector<std::string>& paths) {
  if (paths.size() < 2) throw Error(EINVAL, "a mirror has at least two legs");
  std::vector<Leg> legs;
  legs.reserve(paths.size());
  for (const auto& path : paths) {
    auto fd = common::open_file(path, O_RDONLY, 0, "(a leg)");
    const auto bytes = common::file_info(fd.get(), path).size;
    legs.push_back({path, std::move(fd), bytes});
  }
  return legs;
}

// The mirror's length: given, and then every leg must hold it; else the
// legs' length, and then they must all have it.
uint64_t mirror_length(const std::vector<Leg>& legs, std::optional<uint64_t> given) {
  for (const auto& leg : legs) {
    if (given && leg.bytes < *given * kSectorBytes) {
      throw Error(EINVAL, fmt::format("leg {} has {} bytes, less than a mirror of {} sectors",
                                      leg.path, leg.bytes, *given));
    }
    if (!given && leg.bytes != legs.front().bytes) {
      throw Error(EINVAL, fmt::format("legs of different sizes: {} has {} bytes, {} has {} (pass "
                                      "--mirror-sectors for a mirror shorter than its legs)",
                                      legs.front().path, legs.front().bytes, leg.path, leg.bytes));
    }
  }
  const uint64_t sectors = given.value_or(legs.front().bytes / kSectorBytes);
  if (sectors == 0) throw Error(EINVAL, "the mirror has no sectors");
  return sectors;
}

// Reads exactly buffer.size() bytes at `offset`.
void read_leg(const Leg& leg, uint64_t offset, std::vector<std::byte>& buffer) {
  size_t done = 0;
  while (done < buffer.size()) {
    const auto n = ::pread(leg.fd.get(), buffer.data() + done, buffer.size() - done,
                           static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) common::throw_errno(fmt::format("cannot read leg {} at byte {}", leg.path, offset));
    if (n == 0)
      throw Error(EIO, fmt::format("leg {} ends before byte {}", leg.path, offset + done));
    done += static_cast<size_t>(n);
  }
}

// The clean bits of the log, or none for a blank log (every region out of
// sync). Throws Error(EINVAL) naming what is wrong with a log it cannot read.
std::optional<RegionBitset> clean_bits(disk::LogStore& log, MirrorCheck& check) {
  auto report = read_report(log, {check.region_size, check.mirror_sectors});
  if (report.blank) {
    check.blank_log = true;
    return std::nullopt;
  }
  if (!report.valid()) throw Error(EINVAL, fmt::format("{}: {}", report.device, report.problem));
  return std::move(report.clean);
}

std::string leg_list(const std::vector<size_t>& legs) {
  return fmt::format("{}", fmt::join(legs, ", "));
}

}  // namespace

MirrorCheck check_mirror(disk::LogStore& log, const std::vector<std::string>& legs,
                         const MirrorCheckOptions& options) {
  const auto opened = open_legs(legs);
  MirrorCheck check;
  check.log_device = log.name();
  check.region_size = options.region_size;
  check.mirror_sectors = mirror_length(opened, options.mirror_sectors);
  check.regions = region_count_for(check.mirror_sectors, check.region_size);
  const auto clean = clean_bits(log, check);

  std::vector<std::vector<std::byte>> data(opened.size());
  for (uint64_t region = 0; region < check.regions; ++region) {
    const uint64_t first = region * check.region_size;
    const uint64_t last = std::min(first + check.region_size, check.mirror_sectors) - 1;
    for (size_t i = 0; i < opened.size(); ++i) {
      data[i].resize((last - first + 1) * kSectorBytes);
      read_leg(opened[i], first * kSectorBytes, data[i]);
    }
    std::vector<size_t> differing;
    for (size_t i = 1; i < opened.size(); ++i)
      if (data[i] != data[0]) differing.push_back(i);
    const bool in_sync = clean && clean->test(region);
    if (!in_sync) ++check.out_of_sync;
    if (differing.empty()) continue;
    ++check.differing;
    if (!in_sync) continue;
    if (check.broken.size() < options.max_listed)
      check.broken.push_back({region, first, last, std::move(differing)});
    ++check.broken_count;
  }
  return check;
}

std::string mirror_check_text(const MirrorCheck& check) {
  std::ostringstream out;
  out << fmt::format("log {}{}: {} regions of {} sectors, {} out of sync; the legs differ in {}\n",
                     check.log_device, check.blank_log ? " (blank: every region out of sync)" : "",
                     check.regions, check.region_size, check.out_of_sync, check.differing);
  if (check.holds()) {
    out << "holds: every region whose legs differ is out of sync in the log\n";
    return out.str();
  }
  for (const auto& region : check.broken) {
    out << fmt::format(
        "broken: region {} (sectors {}-{}): leg {} differs from leg 0, the log has it in sync\n",
        region.region, region.first_sector, region.last_sector, leg_list(region.differing_legs));
  }
  if (check.broken_count > check.broken.size())
    out << fmt::format("broken: and {} more regions\n", check.broken_count - check.broken.size());
  return out.str();
}

std::string mirror_check_json(const MirrorCheck& check) {
  std::vector<std::string> broken;
  broken.reserve(check.broken.size());
  for (const auto& region : check.broken) {
    broken.push_back(fmt::format(
        R"({{"region":{},"first_sector":{},"last_sector":{},"differing_legs":[{}]}})",
        region.region, region.first_sector, region.last_sector, leg_list(region.differing_legs)));
  }
  return fmt::format(
      R"({{"log":{},"regions":{},"region_size":{},"mirror_sectors":{},"blank_log":{},)"
      R"("out_of_sync":{},"differing":{},"holds":{},"broken_count":{},"broken":[{}]}})"
      "\n",
      common::json_string(check.log_device), check.regions, check.region_size, check.mirror_sectors,
      check.blank_log, check.out_of_sync, check.differing, check.holds(), check.broken_count,
      fmt::join(broken, ","));
}

}  // namespace bb::dirtylog::cli
