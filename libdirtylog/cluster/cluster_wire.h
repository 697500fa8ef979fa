// SPDX-License-Identifier: GPL-2.0-or-later
// The messages the dirtylogd instances of one clustered log multicast to
// each other in their corosync CPG group (docs/clustered-logs.md, "Wire
// format"). Ours, versioned, explicit little-endian; this file and
// cluster_wire.cc are its only owners.
//
//   byte 0        4        6        8           12          16     20             24      28 32
//        +--------+--------+--------+-----------+-----------+------+--------------+-------+-----------+
//        | magic  | version| type   | subject   | subject   | seq  | request_type | error | payload
//        | | "bbDL" | u16 =1 | u16    | nodeid u32| pid u32   | u32  | u32          | s32   | bytes
//        u32 |
//        +--------+--------+--------+-----------+-----------+------+--------------+-------+-----------+
//
//   kRequest     a kernel request replayed by every member. subject = the
//                originator (must be the CPG sender), seq = the kernel's
//                seq, request_type = the DM_ULOG_* type; payload = the
//                request's 64-bit arguments (at most kMaxArguments).
//   kFlushDone   the server wrote the log for the FLUSH (subject, seq);
//                error = 0 or -errno; no payload.
//   kHello       a joiner's first message (subject = the joiner, the CPG
//                sender): payload = its nonce u64, new at every join. Its
//                delivery is the point checkpoints for it count from.
//   kCheckpoint  the replica for the joiner `subject`; payload:
//                  region_count u64 | sync_count u64 | skip_events u64 | nonce u64 |
//                  n_valid u32 | n_marks u32 | n_recovering u32 | n_pending u32 |
//                  n_priority u32 | zero u32 |
//                  valid members (nodeid u32, pid u32) x n_valid |
//                  sync bits | clean bits   (RegionBitset layout, each
//                                            round_up(region_count, 64) / 8 bytes) |
//                  marks (nodeid u32, pid u32, region u64) x n_marks |
//                  recovering (nodeid u32, pid u32, region u64) x n_recovering |
//                  pending flushes (nodeid u32, pid u32, seq u32, zero u32) x n_pending |
//                  priority resync regions u64 x n_priority
//
// Every length is checked: decode() throws Error(EINVAL) naming the first
// inconsistency (foreign magic, unknown version or type, payload size).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dirty_log.h"
#include "region_bitset.h"

namespace bb::dirtylog::cluster {

inline constexpr uint32_t kMagic = 0x4C446262;  // "bbDL" in little-endian bytes
inline constexpr uint16_t kVersion = 1;
inline constexpr size_t kHeaderSize = 32;
inline constexpr size_t kMaxArguments = 128;
// CPG's own limit is larger; this bounds what a decoder allocates.
inline constexpr uint64_t kMaxRegions = uint64_t{1} << 32;

// A CPG member: a process on a node.
struct Member {
  uint32_t nodeid = 0;
  uint32_t pid = 0;
  // clang-tidy 14 reads the literal 0 of a defaulted <=> as a null pointer.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  auto operator<=>(const Member&) const = default;
};
// "<nodeid>:<pid>".
[[nodiscard]] std::string to_string(const Member& member);

enum class MessageType : uint16_t { kRequest = 1, kFlushDone = 2, kCheckpoint = 3, kHello = 4 };

struct RegionOwner {
  Member member;
  region_t region = 0;
  // clang-tidy 14 reads the literal 0 of a defaulted <=> as a null pointer.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  auto operator<=>(const RegionOwner&) const = default;
};

struct PendingFlush {
  Member member;
  uint32_t seq = 0;
  // clang-tidy 14 reads the literal 0 of a defaulted <=> as a null pointer.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  auto operator<=>(const PendingFlush&) const = default;
};

// A replica at one point of the group's message stream.
struct Checkpoint {
  region_t region_count = 0;
  region_t sync_count = 0;
  // Events (messages and membership changes) the joiner delivered after
  // its HELLO and up to the point the snapshot was taken.
  uint64_t skip_events = 0;
  // The nonce of that HELLO: a checkpoint for an earlier join of the same
  // member (same nodeid and pid) does not match.
  uint64_t nonce = 0;
  std::vector<Member> valid;
  RegionBitset sync_bits;
  RegionBitset clean_bits;
  std::vector<RegionOwner> marks;
  std::vector<RegionOwner> recovering;
  std::vector<PendingFlush> pending;
  std::vector<region_t> priority;
  bool operator==(const Checkpoint&) const = default;
};

struct Message {
  MessageType type = MessageType::kRequest;
  Member subject;
  uint32_t seq = 0;
  uint32_t request_type = 0;
  int32_t error = 0;
  std::vector<uint64_t> arguments;  // kRequest; kHello: {nonce}
  Checkpoint checkpoint;            // kCheckpoint
  bool operator==(const Message&) const = default;
};

[[nodiscard]] std::vector<std::byte> encode(const Message& message);
// Throws Error(EINVAL) for anything but a whole, consistent message.
[[nodiscard]] Message decode(std::span<const std::byte> bytes);

}  // namespace bb::dirtylog::cluster
