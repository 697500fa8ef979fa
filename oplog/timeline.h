// SPDX-License-Identifier: GPL-2.0-or-later
// A timeline per device, built from the kernel lines of blackbox's targets
// (`bbctl log`): each object's state after each change, commands paired
// (received with done; one never done is flagged), resyncs with their
// ranges, progress, duration and rate. Lines that look like ours but match
// nothing in the catalogue are kept in `unknown`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oplog/kernel_line.h"
#include "oplog/log_source.h"

namespace bb::oplog {

struct CommandRecord {
  std::string command;
  uint32_t seq = 0;
  std::string words;  // a message's words
  std::optional<double> received;
  std::optional<double> done;
  bool finished = false;  // false: no "done" line (still running, or the kernel died in it)
  int result = 0;
  uint64_t ms = 0;
  std::string reason;              // ctr's refusal, or the refusal line before "done"
  std::vector<int> lines_between;  // ids of the device's lines between the pair
};

struct StateRecord {
  std::optional<double> time;
  int id = 0;
  StateChange change;
  std::map<std::string, std::string> states;  // every object's state after the change
};

struct ResyncRecord {
  std::optional<double> started;
  std::optional<double> ended;
  ResyncStarted start;
  std::vector<ResyncRange> ranges;  // in the order printed
  uint64_t more_ranges = 0;         // SYNC 233
  bool ranges_recorded = true;      // false after SYNC 234
  std::vector<ResyncProgress> progress;
  std::optional<ResyncEnded> end;  // nullopt: still running at the end of the input
};

// One step of a device's timeline, in the order of the input.
struct TimelineStep {
  enum class Kind : uint8_t { kCommand, kState, kResyncStart, kResyncProgress, kResyncEnd, kOther };
  Kind kind = Kind::kOther;
  std::optional<double> time;
  size_t index = 0;  // into commands, states or resyncs; into lines for kOther
  size_t sub = 0;    // kResyncProgress: into the resync's progress
};

struct DeviceTimeline {
  std::vector<TimelineStep> steps;
  std::string device;  // major:minor, "-" for the modules' lines
  std::string target;
  std::vector<std::pair<std::optional<double>, KernelLine>> lines;  // every catalogued line
  std::vector<CommandRecord> commands;
  std::vector<StateRecord> states;
  std::vector<ResyncRecord> resyncs;
  std::map<std::string, std::string> current;  // each object's last state
  uint64_t lines_dropped = 0;                  // counted by RATE 9 lines
};

struct UnknownLine {
  uint64_t line_no = 0;
  std::optional<double> time;
  std::string message;
  std::string problem;
};

struct Timeline {
  // In order of first appearance, one per device number and target: a
  // number device-mapper gave again to a later device of the same target
  // continues that timeline (its ctr starts at seq 1 again).
  std::vector<DeviceTimeline> devices;
  std::vector<UnknownLine> unknown;
  uint64_t our_lines = 0;  // catalogued lines seen
};

// Builds the timeline of `records` (other subsystems' lines are ignored).
// With `device`, only that device's lines (major:minor).
[[nodiscard]] Timeline build_timeline(const std::vector<Record>& records,
                                      const std::string& device = "");

// Text for people: per device, each line of the timeline.
[[nodiscard]] std::string timeline_text(const Timeline& timeline);
// One JSON document (docs/bbctl.md describes its fields).
[[nodiscard]] std::string timeline_json(const Timeline& timeline);

}  // namespace bb::oplog
