// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: arbitrary bytes as a kernel request to the daemon's
// handler, which serves one core log. Any input must produce an answer
// (or Error for a message shorter than a header), never a crash.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "daemon/request_handler.h"
#include "userspace/ulog_protocol.h"

namespace {

bb::dirtylog::RequestHandler& handler() {
  static bb::dirtylog::RequestHandler instance = [] {
    bb::dirtylog::RequestHandler h;
    bb::dirtylog::ulog::Request ctr;
    ctr.uuid = "fuzz";
    ctr.request_type = 1;
    ctr.data = bb::dirtylog::ulog::pack_string("4096 core 64");
    (void)h.handle(bb::dirtylog::ulog::encode(ctr));
    return h;
  }();
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span bytes(reinterpret_cast<const std::byte*>(data), size);
  // CTR and DTR are left to the unit tests: a CTR may legitimately ask for
  // billions of regions (gigabytes of bitmap), and a DTR would leave every
  // later input without a log.
  if (size >= bb::dirtylog::ulog::kHeaderSize) {
    bb::dirtylog::ulog::WireRequest wire{};
    std::memcpy(&wire, data, sizeof(wire));
    const auto type = wire.request_type & bb::dirtylog::ulog::kTypeMask;
    if (type == 1 || type == 2) return 0;
  }
  try {
    const auto reply = handler().handle(bytes);
    (void)bb::dirtylog::ulog::decode(reply);
  } catch (const bb::dirtylog::Error&) {
    if (size >= bb::dirtylog::ulog::kHeaderSize) __builtin_trap();
  }
  return 0;
}
