// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: arbitrary bytes as a message of a clustered log's
// group. The decoder either throws Error or returns a message that
// encodes back to the same bytes; a valid member that delivers the bytes
// (from itself or from another member) never crashes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "cluster/cluster_node.h"
#include "cluster/cluster_wire.h"
#include "error.h"

namespace {

using bb::dirtylog::cluster::ClusterNode;
using bb::dirtylog::cluster::Member;

ClusterNode& node() {
  static ClusterNode instance = [] {
    bb::dirtylog::cluster::NodeConfig config{"clustered-core", 64,
                                             bb::dirtylog::SyncMode::kDefaultSync, nullptr, "fuzz"};
    return ClusterNode(
        config, Member{1, 1}, [](const std::vector<std::byte>&) {},
        [](uint32_t, int, const std::vector<std::byte>&) {}, nullptr);
  }();
  static const bool joined = [] {
    instance.confchg({{1, 1}, {2, 2}}, {{1, 1}, {2, 2}}, {});
    return true;
  }();
  (void)joined;
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    const auto message = bb::dirtylog::cluster::decode(bytes);
    const auto again = bb::dirtylog::cluster::encode(message);
    if (bb::dirtylog::cluster::decode(again) != message) __builtin_trap();
  } catch (const bb::dirtylog::Error&) {
  }
  node().deliver(Member{2, 2}, bytes);
  node().deliver(Member{1, 1}, bytes);
  return 0;
}
