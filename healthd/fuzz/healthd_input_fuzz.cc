// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: what bb-healthd reads that it did not write itself —
// its configuration file, its earlier runs' log lines (read back at start
// for the CRASH check) and the status and table lines of its devices. The
// first byte chooses the parser. Every parser must return or throw its
// documented exception, nothing else; a line that parses must format back
// to a line that parses to the same event.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "devmapper/target_status.h"
#include "healthd/config.h"
#include "healthd/event_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      try {
        const auto config = bb::healthd::parse_config(text, "fuzz.conf");
        std::string again;
        for (const auto& line : bb::healthd::describe(config)) again += line + "\n";
        if (bb::healthd::describe(bb::healthd::parse_config(again, "again")) !=
            bb::healthd::describe(config))
          std::abort();  // the effective configuration must read back as itself
      } catch (const bb::healthd::ConfigError&) {
      }
      break;
    case 1:
      if (const auto e = bb::healthd::parse_event(text)) {
        const auto line = bb::healthd::format_event(*e, std::chrono::system_clock::time_point{});
        const auto back = bb::healthd::parse_event(line);
        if (!back || back->op != e->op || back->type != e->type || back->device != e->device ||
            back->fields != e->fields)
          std::abort();
      }
      break;
    case 2:
      try {
        (void)bb::devmapper::parse_mirror_status("fuzz", text);
      } catch (const std::invalid_argument&) {
      }
      break;
    case 3:
      try {
        (void)bb::devmapper::parse_mirror_legs("fuzz", text);
      } catch (const std::invalid_argument&) {
      }
      break;
    default:
      try {
        (void)bb::devmapper::parse_log_writes_status("fuzz", text);
      } catch (const std::invalid_argument&) {
      }
      break;
  }
  return 0;
}
