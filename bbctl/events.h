// SPDX-License-Identifier: GPL-2.0-or-later
// `bbctl events`: the state of every blackbox device as a stream of lines
// in the style of DRBD's `drbdsetup events2`:
//
//   exists device name:m0 dev:253:0 target:bb-mirror sectors:262144 legs:2
//   exists leg name:m0 leg:0 dev:254:16 state:current health:A
//   exists resync name:m0 state:idle copied:0 remaining:0 rate:0
//   exists -
//   change leg name:m0 leg:1 dev:254:32 state:failed health:D
//   change resync name:m0 state:running copied:3 remaining:9 rate:51200 done:25.0 eta:1
//   destroy device name:m0
//
// Objects: `device` (every bb-mirror and bb-log-writes device), `leg` (each
// leg of a bb-mirror), `resync` (a bb-mirror's resync), `log`
// (bb-log-writes' log). `create`/`destroy` when a device appears or goes,
// `change` with every field of an object when one of them changed.
// See docs/bbctl.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "devmapper/target_line.h"

namespace bb::bbctl {

struct Field {
  std::string key;
  std::string value;
  bool number = false;  // printed without quotes in JSON

  bool operator==(const Field&) const = default;
};

// One object of one device: its kind, the fields that name it (name, leg)
// and the rest.
struct Object {
  std::string kind;  // device, leg, resync, log
  std::vector<Field> fields;

  [[nodiscard]] std::string key() const;  // kind + naming fields: "leg m0 1"
  bool operator==(const Object&) const = default;
};

// What one device is now, read from device-mapper.
struct DeviceState {
  std::string name;
  std::string dev;  // major:minor
  std::vector<devmapper::TargetLine> table;
  std::vector<devmapper::TargetLine> status;
};

// The objects of a device, from its table and status; a device with no
// target of ours has none. A status that does not parse throws
// std::invalid_argument naming the device and the field.
[[nodiscard]] std::vector<Object> objects_of(const DeviceState& device);

enum class EventKind : uint8_t { kExists, kCreate, kChange, kDestroy };

struct Event {
  EventKind kind = EventKind::kChange;
  Object object;
};

// The events that turn `before` into `after` (one device's objects):
// create and change in `after`'s order, destroy in reverse order of `before`.
[[nodiscard]] std::vector<Event> diff(const std::vector<Object>& before,
                                      const std::vector<Object>& after);

struct Format {
  bool json = false;
  bool timestamps = false;
};

// One line (without newline); "exists -" for the end of the initial state
// (object empty). `now` is printed with --timestamps.
[[nodiscard]] std::string format_event(const Event& event, const Format& format,
                                       std::chrono::system_clock::time_point now);

struct EventsOptions {
  Format format;
  bool now = false;                // print the current state and exit
  std::vector<std::string> names;  // only these devices (empty: all)
};

// Runs the stream until SIGINT/SIGTERM (or at once with --now). Returns the
// exit status. Output is flushed line by line.
int run_events(const EventsOptions& options);

}  // namespace bb::bbctl
