// SPDX-License-Identifier: GPL-2.0-or-later
#include "cluster/cpg_group.h"

#include <sys/uio.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include <fmt/core.h>

#include "error.h"

namespace bb::dirtylog::cluster {

namespace {

// cs_error_t as an errno for Error, and its name for the message.
int errno_of(cs_error_t error) {
  switch (error) {
    case CS_ERR_LIBRARY:
      return ECONNREFUSED;
    case CS_ERR_TRY_AGAIN:
      return EAGAIN;
    case CS_ERR_BAD_HANDLE:
      return EBADF;
    case CS_ERR_NO_MEMORY:
      return ENOMEM;
    case CS_ERR_TOO_BIG:
      return EMSGSIZE;
    default:
      return ECONNRESET;
  }
}

[[noreturn]] void fail(const char* call, cs_error_t error) {
  throw Error(errno_of(error),
              fmt::format("{} failed: corosync error {}", call, static_cast<int>(error)));
}

std::vector<Member> members_of(const cpg_address* addresses, size_t count) {
  std::vector<Member> members;
  members.reserve(count);
  for (size_t i = 0; i < count; ++i) members.push_back({addresses[i].nodeid, addresses[i].pid});
  return members;
}

// Calls `call` while corosync answers CS_ERR_TRY_AGAIN (it does while a
// membership change is being agreed), at most about two seconds.
template <typename Call>
cs_error_t retrying(Call call) {
  constexpr int kAttempts = 200;
  cs_error_t error = CS_OK;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    error = call();
    if (error != CS_ERR_TRY_AGAIN) return error;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return error;
}

}  // namespace

CpgGroup::CpgGroup(std::string group, GroupCallbacks callbacks)
    : group_(std::move(group)), callbacks_(std::move(callbacks)) {}

CpgGroup::~CpgGroup() { close(); }

void CpgGroup::close() {
  if (!open_) return;
  if (joined_) {
    cpg_name name{};
    name.length = static_cast<uint32_t>(group_.size());
    std::memcpy(name.value, group_.data(), group_.size());
    (void)retrying([&] { return cpg_leave(handle_, &name); });
  }
  cpg_finalize(handle_);
  open_ = false;
  joined_ = false;
  fd_ = -1;
}

Member CpgGroup::join() {
  close();
  if (group_.size() > CPG_MAX_NAME_LENGTH)
    throw Error(EINVAL, fmt::format("CPG group name '{}' too long", group_));
  cpg_callbacks_t callbacks{};
  callbacks.cpg_deliver_fn = &CpgGroup::on_deliver;
  callbacks.cpg_confchg_fn = &CpgGroup::on_confchg;
  cs_error_t error = cpg_initialize(&handle_, &callbacks);
  if (error != CS_OK) fail("cpg_initialize", error);
  open_ = true;
  try {
    error = cpg_context_set(handle_, this);
    if (error != CS_OK) fail("cpg_context_set", error);
    unsigned int nodeid = 0;
    error = cpg_local_get(handle_, &nodeid);
    if (error != CS_OK) fail("cpg_local_get", error);
    error = cpg_fd_get(handle_, &fd_);
    if (error != CS_OK) fail("cpg_fd_get", error);
    cpg_name name{};
    name.length = static_cast<uint32_t>(group_.size());
    std::memcpy(name.value, group_.data(), group_.size());
    error = retrying([&] { return cpg_join(handle_, &name); });
    if (error != CS_OK) fail("cpg_join", error);
    joined_ = true;
    return Member{nodeid, static_cast<uint32_t>(::getpid())};
  } catch (const Error&) {
    close();
    throw;
  }
}

void CpgGroup::send(std::span<const std::byte> bytes) {
  if (!joined_) throw Error(ENOTCONN, "not joined to the CPG group");
  iovec iov{const_cast<std::byte*>(bytes.data()),
            bytes.size()};  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  const cs_error_t error =
      retrying([&] { return cpg_mcast_joined(handle_, CPG_TYPE_AGREED, &iov, 1); });
  if (error != CS_OK) fail("cpg_mcast_joined", error);
}

void CpgGroup::dispatch() {
  if (!open_) throw Error(ENOTCONN, "not connected to corosync");
  const cs_error_t error = cpg_dispatch(handle_, CS_DISPATCH_ALL);
  if (error != CS_OK && error != CS_ERR_TRY_AGAIN) {
    joined_ = false;
    close();
    fail("cpg_dispatch", error);
  }
}

void CpgGroup::on_deliver(cpg_handle_t handle, const cpg_name* /*group*/, uint32_t nodeid,
                          uint32_t pid, void* message, size_t size) {
  void* context = nullptr;
  if (cpg_context_get(handle, &context) != CS_OK || context == nullptr) return;
  auto* self = static_cast<CpgGroup*>(context);
  if (!self->callbacks_.deliver) return;
  self->callbacks_.deliver(Member{nodeid, pid},
                           std::span(static_cast<const std::byte*>(message), size));
}

void CpgGroup::on_confchg(cpg_handle_t handle, const cpg_name* /*group*/,
                          const cpg_address* members, size_t member_count, const cpg_address* left,
                          size_t left_count, const cpg_address* joined, size_t joined_count) {
  void* context = nullptr;
  if (cpg_context_get(handle, &context) != CS_OK || context == nullptr) return;
  auto* self = static_cast<CpgGroup*>(context);
  if (self->callbacks_.confchg) {
    self->callbacks_.confchg(members_of(members, member_count), members_of(joined, joined_count),
                             members_of(left, left_count));
  }
}

TransportFactory cpg_factory() {
  return [](const std::string& group, GroupCallbacks callbacks) -> std::unique_ptr<GroupTransport> {
    return std::make_unique<CpgGroup>(group, std::move(callbacks));
  };
}

std::string group_name(std::string_view uuid, size_t limit) {
  std::string name = fmt::format("bb-dirtylog:{}", uuid);
  if (name.size() <= limit) return name;
  // FNV-1a 64 of the UUID: stable across hosts and builds.
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : uuid) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  const std::string tail = fmt::format("~{:016x}", hash);
  return name.substr(0, limit - tail.size()) + tail;
}

}  // namespace bb::dirtylog::cluster
