// SPDX-License-Identifier: GPL-2.0-or-later
#include "userspace/ulog_protocol.h"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <type_traits>

#include <fmt/core.h>

#include "error.h"

namespace bb::dirtylog::ulog {

static_assert(std::is_standard_layout_v<WireRequest> && std::is_trivially_copyable_v<WireRequest>);
static_assert(sizeof(WireRequest) == kHeaderSize, "struct dm_ulog_request is 160 bytes");
static_assert(offsetof(WireRequest, uuid) == 8);
static_assert(offsetof(WireRequest, padding) == 137);
static_assert(offsetof(WireRequest, version) == 140);
static_assert(offsetof(WireRequest, error) == 144);
static_assert(offsetof(WireRequest, seq) == 148);
static_assert(offsetof(WireRequest, request_type) == 152);
static_assert(offsetof(WireRequest, data_size) == 156);

std::string type_name(uint32_t raw_type) {
  static constexpr std::array<std::string_view, kLastType + 1> kNames = {
      "",
      "DM_ULOG_CTR",
      "DM_ULOG_DTR",
      "DM_ULOG_PRESUSPEND",
      "DM_ULOG_POSTSUSPEND",
      "DM_ULOG_RESUME",
      "DM_ULOG_GET_REGION_SIZE",
      "DM_ULOG_IS_CLEAN",
      "DM_ULOG_IN_SYNC",
      "DM_ULOG_FLUSH",
      "DM_ULOG_MARK_REGION",
      "DM_ULOG_CLEAR_REGION",
      "DM_ULOG_GET_RESYNC_WORK",
      "DM_ULOG_SET_REGION_SYNC",
      "DM_ULOG_GET_SYNC_COUNT",
      "DM_ULOG_STATUS_INFO",
      "DM_ULOG_STATUS_TABLE",
      "DM_ULOG_IS_REMOTE_RECOVERING",
  };
  const uint32_t type = raw_type & kTypeMask;
  if (type < kFirstType || type > kLastType) return fmt::format("unknown({})", type);
  return std::string(kNames.at(type));
}

size_t fixed_reply_size(uint32_t raw_type) {
  switch (static_cast<RequestType>(raw_type & kTypeMask)) {
    case RequestType::kGetRegionSize:
    case RequestType::kIsClean:
    case RequestType::kInSync:
    case RequestType::kGetSyncCount:
      return 8;
    case RequestType::kGetResyncWork:
    case RequestType::kIsRemoteRecovering:
      return 16;
    default:
      return 0;
  }
}

std::vector<std::byte> encode(const Request& request) {
  if (request.uuid.size() >= kUuidLength) {
    throw Error(EINVAL, fmt::format("UUID of {} bytes is too long (at most {})",
                                    request.uuid.size(), kUuidLength - 1));
  }
  WireRequest wire{};
  wire.luid = request.luid;
  std::copy(request.uuid.begin(), request.uuid.end(), wire.uuid.begin());
  wire.version = request.version;
  wire.error = request.error;
  wire.seq = request.seq;
  wire.request_type = request.request_type;
  wire.data_size = static_cast<uint32_t>(request.data.size());
  std::vector<std::byte> out(kHeaderSize + request.data.size());
  std::memcpy(out.data(), &wire, kHeaderSize);
  std::copy(request.data.begin(), request.data.end(), out.begin() + kHeaderSize);
  return out;
}

Request decode(std::span<const std::byte> message) {
  if (message.size() < kHeaderSize) {
    throw Error(EINVAL, fmt::format("request of {} bytes is shorter than its {}-byte header",
                                    message.size(), kHeaderSize));
  }
  WireRequest wire{};
  std::memcpy(&wire, message.data(), kHeaderSize);
  if (wire.data_size != message.size() - kHeaderSize) {
    throw Error(EINVAL, fmt::format("request data_size {} but {} bytes follow the header",
                                    wire.data_size, message.size() - kHeaderSize));
  }
  const auto* const nul = std::find(wire.uuid.cbegin(), wire.uuid.cend(), '\0');
  if (nul == wire.uuid.cend()) throw Error(EINVAL, "request UUID is not NUL-terminated");
  Request request;
  request.luid = wire.luid;
  request.uuid.assign(wire.uuid.cbegin(), nul);
  request.version = wire.version;
  request.error = wire.error;
  request.seq = wire.seq;
  request.request_type = wire.request_type;
  const auto data = message.subspan(kHeaderSize);
  request.data.assign(data.begin(), data.end());
  return request;
}

std::vector<std::byte> pack_u64(std::span<const uint64_t> values) {
  std::vector<std::byte> out(values.size() * sizeof(uint64_t));
  if (!out.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

std::vector<uint64_t> unpack_u64(std::span<const std::byte> data) {
  if (data.size() % sizeof(uint64_t) != 0) {
    throw Error(EINVAL, fmt::format("payload of {} bytes is not a whole number of 64-bit values",
                                    data.size()));
  }
  std::vector<uint64_t> values(data.size() / sizeof(uint64_t));
  if (!values.empty()) std::memcpy(values.data(), data.data(), data.size());
  return values;
}

std::vector<std::byte> pack_string(std::string_view text) {
  std::vector<std::byte> out(text.size() + 1);
  std::copy(
      text.begin(), text.end(),
      reinterpret_cast<char*>(out.data()));  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
  return out;
}

std::string unpack_string(std::span<const std::byte> data) {
  const auto nul = std::find(data.begin(), data.end(), std::byte{0});
  std::string text;
  for (auto it = data.begin(); it != nul; ++it) text.push_back(static_cast<char>(*it));
  return text;
}

std::vector<std::string> split_words(std::string_view text) {
  std::istringstream stream{std::string(text)};
  std::vector<std::string> words;
  for (std::string word; stream >> word;) words.push_back(word);
  return words;
}

}  // namespace bb::dirtylog::ulog
