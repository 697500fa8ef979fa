// SPDX-License-Identifier: GPL-2.0-or-later
// The dm-log-userspace protocol: the kernel's userspace dirty log sends one
// struct dm_ulog_request (plus payload) per operation to a daemon over the
// netlink connector and waits for the same struct back, matched by seq.
// Layout (include/uapi/linux/dm-log-userspace.h), host byte order:
//
//   0        8                               137   140      144    148    152            156 160
//   +--------+-------------------------------+-----+--------+------+------+--------------+-----------+------...
//   | luid   | uuid (DM_UUID_LEN = 129,      | pad | version| error| seq  | request_type |
//   data_size | data | u64    |  NUL-terminated)              |     | u32    | s32  | u32  | u32 (&
//   0xFF) | u32       |
//   +--------+-------------------------------+-----+--------+------+------+--------------+-----------+------...
//
// The version is 3 in current kernels (2: CTR may answer a device name;
// 3: FLUSH may carry the regions to mark, "integrated_flush"). All payload
// scalars are 64-bit.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bb::dirtylog::ulog {

inline constexpr uint32_t kRequestVersion = 3;
inline constexpr uint32_t kOldestVersion = 1;
inline constexpr size_t kUuidLength = 129;  // DM_UUID_LEN, with the NUL
inline constexpr uint32_t kTypeMask = 0xFF;
// The kernel sends from one 512-byte buffer: cn_msg (20) + request (160).
inline constexpr size_t kMaxKernelPayload = 512 - 20 - 160;

enum class RequestType : uint32_t {
  kCtr = 1,
  kDtr = 2,
  kPresuspend = 3,
  kPostsuspend = 4,
  kResume = 5,
  kGetRegionSize = 6,
  kIsClean = 7,
  kInSync = 8,
  kFlush = 9,
  kMarkRegion = 10,
  kClearRegion = 11,
  kGetResyncWork = 12,
  kSetRegionSync = 13,
  kGetSyncCount = 14,
  kStatusInfo = 15,
  kStatusTable = 16,
  kIsRemoteRecovering = 17,
};
inline constexpr uint32_t kFirstType = 1;
inline constexpr uint32_t kLastType = 17;

// "DM_ULOG_CTR", ...; "unknown(42)" for others.
[[nodiscard]] std::string type_name(uint32_t raw_type);

// Bytes of the answer to a request type when that size is fixed (8 for
// IN_SYNC, 16 for GET_RESYNC_WORK, ...), 0 when there is none or it varies.
[[nodiscard]] size_t fixed_reply_size(uint32_t raw_type);

// The wire struct, defined here from the layout above (not the kernel's
// header) and checked below.
struct WireRequest {
  uint64_t luid;
  std::array<char, kUuidLength> uuid;
  std::array<char, 3> padding;
  uint32_t version;
  int32_t error;
  uint32_t seq;
  uint32_t request_type;
  uint32_t data_size;
};
inline constexpr size_t kHeaderSize = 160;

struct Request {
  uint64_t luid = 0;
  std::string uuid;
  uint32_t version = kRequestVersion;
  int32_t error = 0;  // 0 or -errno
  uint32_t seq = 0;
  uint32_t request_type = 0;  // raw; the type is the low 8 bits
  std::vector<std::byte> data;

  [[nodiscard]] uint32_t type() const { return request_type & kTypeMask; }
};

// Header + data. Throws Error(EINVAL) for a UUID longer than 128 bytes.
[[nodiscard]] std::vector<std::byte> encode(const Request& request);

// Throws Error(EINVAL) when the buffer is shorter than the header, when
// data_size disagrees with the bytes that follow, or the UUID is not
// NUL-terminated.
[[nodiscard]] Request decode(std::span<const std::byte> message);

// Payload helpers: arrays of 64-bit scalars and NUL-terminated strings.
[[nodiscard]] std::vector<std::byte> pack_u64(std::span<const uint64_t> values);
// Throws Error(EINVAL) unless the size is a multiple of 8.
[[nodiscard]] std::vector<uint64_t> unpack_u64(std::span<const std::byte> data);
std::vector<std::byte> pack_string(std::string_view text);
// Text up to the first NUL (or the end).
[[nodiscard]] std::string unpack_string(std::span<const std::byte> data);
// The words of a constructor string (DM_ULOG_CTR: "<dev_size> <type>
// <args>..."), split at white space.
[[nodiscard]] std::vector<std::string> split_words(std::string_view text);

}  // namespace bb::dirtylog::ulog
