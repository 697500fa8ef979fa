// SPDX-License-Identifier: GPL-2.0-or-later
#include "userspace/userspace_log.h"

#include <atomic>
#include <cstring>
#include <utility>

#include <fmt/core.h>
#include <fmt/format.h>

namespace bb::dirtylog {

namespace {

// The kernel uses its log context pointer; any value unique among the live
// logs of one UUID will do.
uint64_t next_luid() {
  static std::atomic<uint64_t> counter{1};
  return counter++;
}

constexpr size_t kMaxGroup = 32;  // MAX_FLUSH_GROUP_COUNT

}  // namespace

UserspaceLog::UserspaceLog(const LogTarget& target, std::span<const std::string> params,
                           std::shared_ptr<RequestTransport> transport)
    : transport_(std::move(transport)), luid_(next_luid()) {
  if (params.size() < 3) {
    throw Error(
        EINVAL,
        fmt::format("userspace log takes at least 3 parameters (<uuid> [integrated_flush] <daemon "
                    "args...>), got {}",
                    params.size()));
  }
  uuid_ = params[0];
  if (uuid_.size() >= ulog::kUuidLength) {
    throw Error(EINVAL, fmt::format("userspace log UUID too long ({} bytes, at most {})",
                                    uuid_.size(), ulog::kUuidLength - 1));
  }
  auto rest = params.subspan(1);
  if (rest.front() == "integrated_flush") {
    integrated_flush_ = true;
    rest = rest.subspan(1);
  }
  daemon_args_.assign(rest.begin(), rest.end());
  const auto ctr = fmt::format("{} {}", target.length_sectors, fmt::join(daemon_args_, " "));
  if (ctr.size() + 1 > ulog::kMaxKernelPayload)
    throw Error(EINVAL, "userspace log constructor string too long");
  // Like the kernel's first CTR: the string's bytes without its NUL.
  auto payload = ulog::pack_string(ctr);
  payload.pop_back();
  send(ulog::RequestType::kCtr, payload);
  const auto region_size = send_for_u64(ulog::RequestType::kGetRegionSize);
  if (region_size == 0 || region_size > UINT32_MAX) {
    throw Error(EINVAL, fmt::format("daemon answered an invalid region size {}", region_size));
  }
  region_size_ = static_cast<uint32_t>(region_size);
  region_count_ = (target.length_sectors + region_size_ - 1) / region_size_;
}

UserspaceLog::~UserspaceLog() {
  try {
    send(ulog::RequestType::kDtr);
  } catch (...) {  // NOLINT(bugprone-empty-catch): the kernel ignores DTR errors too
  }
}

std::vector<std::byte> UserspaceLog::send(ulog::RequestType type, std::span<const std::byte> data) {
  ulog::Request request;
  request.luid = luid_;
  request.uuid = uuid_;
  request.seq = ++seq_;
  request.request_type = static_cast<uint32_t>(type);
  request.data.assign(data.begin(), data.end());
  const auto reply = ulog::decode(transport_->exchange(ulog::encode(request)));
  if (reply.seq != request.seq) {
    throw Error(EPROTO, fmt::format("{}: reply seq {} does not match request seq {}",
                                    ulog::type_name(request.request_type), reply.seq, request.seq));
  }
  if (reply.error != 0) {
    throw Error(-reply.error, fmt::format("{} failed: {}", ulog::type_name(request.request_type),
                                          bb::common::errno_text(-reply.error)));
  }
  return reply.data;
}

uint64_t UserspaceLog::send_for_u64(ulog::RequestType type, std::span<const std::byte> data) {
  const auto values = ulog::unpack_u64(send(type, data));
  if (values.size() != 1) {
    throw Error(EPROTO, fmt::format("{}: expected one 64-bit answer",
                                    ulog::type_name(static_cast<uint32_t>(type))));
  }
  return values[0];
}

void UserspaceLog::presuspend() { send(ulog::RequestType::kPresuspend); }
void UserspaceLog::postsuspend() {
  flush();
  send(ulog::RequestType::kPostsuspend);
}
void UserspaceLog::resume() { send(ulog::RequestType::kResume); }

bool UserspaceLog::is_clean(region_t region) {
  const std::array<uint64_t, 1> payload{region};
  return send_for_u64(ulog::RequestType::kIsClean, ulog::pack_u64(payload)) != 0;
}

InSync UserspaceLog::in_sync(region_t region, bool can_block) {
  if (!can_block) return InSync::kWouldBlock;
  const std::array<uint64_t, 1> payload{region};
  return send_for_u64(ulog::RequestType::kInSync, ulog::pack_u64(payload)) != 0 ? InSync::kYes
                                                                                : InSync::kNo;
}

void UserspaceLog::send_grouped(ulog::RequestType type, std::span<const region_t> regions) {
  while (!regions.empty()) {
    const auto group = regions.first(std::min(regions.size(), kMaxGroup));
    send(type, ulog::pack_u64(group));
    regions = regions.subspan(group.size());
  }
}

void UserspaceLog::flush() {
  const auto clears = std::exchange(clears_, {});
  const auto marks = std::exchange(marks_, {});
  if (clears.empty() && marks.empty()) return;
  send_grouped(ulog::RequestType::kClearRegion, clears);
  if (integrated_flush_ && !marks.empty()) {
    send_grouped(ulog::RequestType::kFlush, marks);
    return;
  }
  send_grouped(ulog::RequestType::kMarkRegion, marks);
  send(ulog::RequestType::kFlush);
}

std::optional<region_t> UserspaceLog::get_resync_work() {
  const auto values = ulog::unpack_u64(send(ulog::RequestType::kGetResyncWork));
  if (values.size() != 2)
    throw Error(EPROTO, "DM_ULOG_GET_RESYNC_WORK: expected two 64-bit answers");
  if (values[0] == 0) return std::nullopt;
  return values[1];
}

void UserspaceLog::set_region_sync(region_t region, bool in_sync) {
  const std::array<uint64_t, 2> payload{region, in_sync ? 1U : 0U};
  send(ulog::RequestType::kSetRegionSync, ulog::pack_u64(payload));
}

region_t UserspaceLog::get_sync_count() { return send_for_u64(ulog::RequestType::kGetSyncCount); }

bool UserspaceLog::is_remote_recovering(region_t region) {
  const std::array<uint64_t, 1> payload{region};
  const auto values =
      ulog::unpack_u64(send(ulog::RequestType::kIsRemoteRecovering, ulog::pack_u64(payload)));
  if (values.size() != 2)
    throw Error(EPROTO, "DM_ULOG_IS_REMOTE_RECOVERING: expected two 64-bit answers");
  return values[0] != 0;
}

std::string UserspaceLog::status(StatusType type) {
  if (type == StatusType::kTable) {
    return fmt::format("userspace {} {} {}{} ", daemon_args_.size() + (integrated_flush_ ? 2 : 1),
                       uuid_, integrated_flush_ ? "integrated_flush " : "",
                       fmt::join(daemon_args_, " "));
  }
  try {
    return ulog::unpack_string(send(ulog::RequestType::kStatusInfo));
  } catch (const Error&) {
    return "userspace 1 COM_FAILURE";
  }
}

}  // namespace bb::dirtylog
