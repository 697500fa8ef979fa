// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli/log_report.h"

#include <sstream>

#include <fmt/core.h>
#include <fmt/format.h>

#include "common/json.h"
#include "error.h"
#include "table_params.h"

namespace bb::dirtylog::cli {

namespace {

std::string run_range(const RegionRun& run) {
  return run.first == run.last ? fmt::format("{}", run.first)
                               : fmt::format("{}-{}", run.first, run.last);
}

// Finds what is wrong with a header, or "" when it describes a log of
// nr_regions regions that fits the device.
std::string header_problem(const LogReport& report, const ReportOptions& options) {
  const auto& header = report.header;
  if (report.blank) return "no dirty log here (the header is all zero)";
  if (header.magic != disk::kMagic) {
    return fmt::format("not a disk dirty log: magic {}, expected {}",
                       disk::describe_magic(header.magic), disk::describe_magic(disk::kMagic));
  }
  if (header.version != disk::kVersion && header.version != disk::kHostEndianVersion) {
    return fmt::format("incompatible disk log version {} (expected {})", header.version,
                       disk::kVersion);
  }
  // Checked before sizing anything by nr_regions, which may be garbage.
  if (header.nr_regions > report.device_bytes * 8) {
    return fmt::format("header claims {} regions, more than a {}-byte device can hold",
                       header.nr_regions, report.device_bytes);
  }
  if (disk::buffer_size(header.nr_regions, report.logical_block_size) > report.device_bytes) {
    return fmt::format(
        "log device too small for {} regions: need {} bytes, it has {}", header.nr_regions,
        disk::buffer_size(header.nr_regions, report.logical_block_size), report.device_bytes);
  }
  if (options.device_sectors && options.region_size) {
    const auto expected = region_count_for(*options.device_sectors, *options.region_size);
    if (expected != header.nr_regions) {
      return fmt::format(
          "log records {} regions but a {}-sector device with {}-sector regions has {}",
          header.nr_regions, *options.device_sectors, *options.region_size, expected);
    }
  }
  return "";
}

}  // namespace

std::vector<RegionRun> region_runs(const RegionBitset& clean) {
  std::vector<RegionRun> runs;
  for (uint64_t region = 0; region < clean.count(); ++region) {
    const bool state = clean.test(region);
    if (!runs.empty() && runs.back().clean == state) {
      runs.back().last = region;
    } else {
      runs.push_back({state, region, region});
    }
  }
  return runs;
}

std::string format_runs(const std::vector<RegionRun>& runs) {
  std::vector<std::string> parts;
  parts.reserve(runs.size());
  for (const auto& run : runs) {
    parts.push_back(fmt::format("{}{} {}", run.clean ? "clean" : "dirty",
                                parts.empty() ? " regions" : "", run_range(run)));
  }
  return parts.empty() ? "no regions" : fmt::format("{}", fmt::join(parts, ", "));
}

LogReport read_report(disk::LogStore& store, const ReportOptions& options) {
  LogReport report;
  report.device = store.name();
  report.device_bytes = store.size_bytes();
  report.logical_block_size = store.logical_block_size();
  report.region_size = options.region_size;
  if (report.device_bytes < disk::buffer_size(0, report.logical_block_size)) {
    report.problem =
        fmt::format("device of {} bytes is too small to hold a disk log", report.device_bytes);
    return report;
  }
  std::vector<std::byte> head(disk::buffer_size(0, report.logical_block_size));
  store.read(head);
  report.header = disk::decode_header(head);
  report.blank = disk::header_is_blank(head);
  report.problem = header_problem(report, options);
  if (!report.valid()) return report;
  report.buffer_bytes = disk::buffer_size(report.header.nr_regions, report.logical_block_size);
  std::vector<std::byte> buffer(report.buffer_bytes);
  store.read(buffer);
  RegionBitset clean(report.header.nr_regions);
  clean.load(std::span(buffer).subspan(disk::kBitmapOffset));
  report.runs = region_runs(clean);
  report.clean = std::move(clean);
  return report;
}

std::string report_text(const LogReport& report) {
  std::ostringstream out;
  out << fmt::format("device:       {} ({} bytes, logical block {})\n", report.device,
                     report.device_bytes, report.logical_block_size);
  if (!report.valid()) {
    out << fmt::format("problem:      {}\n", report.problem);
    return out.str();
  }
  out << fmt::format("header:       magic {}, version {}, {} regions, buffer {} bytes\n",
                     disk::describe_magic(report.header.magic), report.header.version,
                     report.header.nr_regions, report.buffer_bytes);
  if (report.region_size) {
    out << fmt::format("region size:  {} sectors ({} KiB)\n", *report.region_size,
                       *report.region_size / 2);
  } else {
    out << "region size:  not stored in the log (pass --region-size)\n";
  }
  out << fmt::format("sync count:   {}/{} regions in sync, {} dirty\n", report.sync_count(),
                     report.header.nr_regions, report.header.nr_regions - report.sync_count());
  out << format_runs(report.runs) << "\n";
  return out.str();
}

std::string dump_text(const LogReport& report) {
  if (!report.valid()) return fmt::format("{}: {}\n", report.device, report.problem);
  std::ostringstream out;
  for (const auto& run : report.runs) {
    out << fmt::format("{} regions {}", run.clean ? "clean" : "dirty", run_range(run));
    if (report.region_size) {
      out << fmt::format(" (sectors {}-{})", run.first * *report.region_size,
                         (run.last + 1) * *report.region_size - 1);
    }
    out << "\n";
  }
  return out.str();
}

std::string report_json(const LogReport& report) {
  std::vector<std::string> runs;
  std::vector<std::string> dirty;
  for (const auto& run : report.runs) {
    runs.push_back(fmt::format(R"({{"state":"{}","first":{},"last":{}}})",
                               run.clean ? "clean" : "dirty", run.first, run.last));
    if (!run.clean) dirty.push_back(fmt::format("[{},{}]", run.first, run.last));
  }
  const auto optional_number = [](const auto& value) {
    return value ? fmt::format("{}", *value) : std::string("null");
  };
  return fmt::format(
      R"({{"device":{},"device_bytes":{},"logical_block_size":{},"valid":{},"problem":{},"magic":{},"version":{},)"
      R"("regions":{},"buffer_bytes":{},"region_size":{},"sync_count":{},"dirty_count":{},"dirty":[{}],"runs":[{}]}})"
      "\n",
      common::json_string(report.device), report.device_bytes, report.logical_block_size,
      report.valid(), report.valid() ? "null" : common::json_string(report.problem),
      report.header.magic, report.header.version, report.header.nr_regions, report.buffer_bytes,
      optional_number(report.region_size), report.sync_count(),
      report.valid() ? report.header.nr_regions - report.sync_count() : 0, fmt::join(dirty, ","),
      fmt::join(runs, ","));
}

std::vector<std::pair<uint64_t, uint64_t>> parse_region_list(const std::string& text) {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  std::istringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) {
    const auto dash = item.find('-');
    const auto first = parse_unsigned(item.substr(0, dash));
    const auto last = dash == std::string::npos ? first : parse_unsigned(item.substr(dash + 1));
    if (!first || !last || *last < *first) {
      throw Error(EINVAL,
                  fmt::format("bad region range '{}' in '{}' (expected e.g. 1-3,7)", item, text));
    }
    ranges.emplace_back(*first, *last);
  }
  return ranges;
}

void create_log(disk::LogStore& store, const CreateOptions& options) {
  const auto size = disk::buffer_size(options.regions, store.logical_block_size());
  if (options.regions == 0) throw Error(EINVAL, "a log needs at least one region");
  if (size > store.size_bytes()) {
    throw Error(EINVAL, fmt::format("log device {} too small: {} regions need {} bytes, it has {}",
                                    store.name(), options.regions, size, store.size_bytes()));
  }
  std::vector<std::byte> buffer(size);
  store.read(buffer);
  if (!disk::header_is_blank(buffer) && !options.force) {
    const auto header = disk::decode_header(buffer);
    throw Error(
        EEXIST,
        fmt::format("{} already holds data (magic {}); refusing to overwrite it without --force",
                    store.name(), disk::describe_magic(header.magic)));
  }
  RegionBitset clean(options.regions, true);
  for (const auto& [first, last] : options.dirty) {
    if (last >= options.regions) {
      throw Error(EINVAL, fmt::format("region {} out of range (the log has {} regions)", last,
                                      options.regions));
    }
    for (auto region = first; region <= last; ++region) clean.reset(region);
  }
  std::fill(buffer.begin(), buffer.end(), std::byte{0});
  disk::encode_header({disk::kMagic, disk::kVersion, options.regions}, buffer);
  clean.store(std::span(buffer).subspan(disk::kBitmapOffset));
  store.write(buffer);
  store.flush();
}

}  // namespace bb::dirtylog::cli
