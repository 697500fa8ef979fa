// The dm-log-userspace protocol: the kernel's userspace dirty log sends one
// struct dm_ulog_request (plus payload) per operation to a daemon over the
// netlink connector and waits for the same struct back, matched by seq.
// Layout (include/uapi/linux/dm-log-userspace.h), host byte order:
//
//   0        8                               137   140      144    148    152            156         160
//   +--------+-------------------------------+-----+--------+------+------+--------------+-----------+------...
//   | luid   | uuid (DM_UUID_LEN = 129,      | pad | version| error| seq  | request_type | data_size | data
//   | u64    |  NUL-terminated)              |     | u32    | s32  | u32  | u32 (& 0xFF) | u32       |
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

inline constexpr std::uint32_t kRequestVersion = 3;
inline constexpr std::uint32_t kOldestVersion = 1;
inline constexpr std::size_t kUuidLength = 129;  // DM_UUID_LEN, with the NUL
inline constexpr std::uint32_t kTypeMask = 0xFF;
// The kernel sends from one 512-byte buffer: cn_msg (20) + request (160).
inline constexpr std::size_t kMaxKernelPayload = 512 - 20 - 160;

enum class RequestType : std::uint32_t {
  ctr = 1,
  dtr = 2,
  presuspend = 3,
  postsuspend = 4,
  resume = 5,
  get_region_size = 6,
  is_clean = 7,
  in_sync = 8,
  flush = 9,
  mark_region = 10,
  clear_region = 11,
  get_resync_work = 12,
  set_region_sync = 13,
  get_sync_count = 14,
  status_info = 15,
  status_table = 16,
  is_remote_recovering = 17,
};
inline constexpr std::uint32_t kFirstType = 1;
inline constexpr std::uint32_t kLastType = 17;

// "DM_ULOG_CTR", ...; "unknown(42)" for others.
std::string type_name(std::uint32_t raw_type);

// Bytes of the answer to a request type when that size is fixed (8 for
// IN_SYNC, 16 for GET_RESYNC_WORK, ...), 0 when there is none or it varies.
std::size_t fixed_reply_size(std::uint32_t raw_type);

// The wire struct, defined here from the layout above (not the kernel's
// header) and checked below.
struct WireRequest {
  std::uint64_t luid;
  std::array<char, kUuidLength> uuid;
  std::array<char, 3> padding;
  std::uint32_t version;
  std::int32_t error;
  std::uint32_t seq;
  std::uint32_t request_type;
  std::uint32_t data_size;
};
inline constexpr std::size_t kHeaderSize = 160;

struct Request {
  std::uint64_t luid = 0;
  std::string uuid;
  std::uint32_t version = kRequestVersion;
  std::int32_t error = 0;  // 0 or -errno
  std::uint32_t seq = 0;
  std::uint32_t request_type = 0;  // raw; the type is the low 8 bits
  std::vector<std::byte> data;

  [[nodiscard]] std::uint32_t type() const { return request_type & kTypeMask; }
};

// Header + data. Throws Error(EINVAL) for a UUID longer than 128 bytes.
std::vector<std::byte> encode(const Request& request);

// Throws Error(EINVAL) when the buffer is shorter than the header, when
// data_size disagrees with the bytes that follow, or the UUID is not
// NUL-terminated.
Request decode(std::span<const std::byte> message);

// Payload helpers: arrays of 64-bit scalars and NUL-terminated strings.
std::vector<std::byte> pack_u64(std::span<const std::uint64_t> values);
// Throws Error(EINVAL) unless the size is a multiple of 8.
std::vector<std::uint64_t> unpack_u64(std::span<const std::byte> data);
std::vector<std::byte> pack_string(std::string_view text);
// Text up to the first NUL (or the end).
std::string unpack_string(std::span<const std::byte> data);

}  // namespace bb::dirtylog::ulog
