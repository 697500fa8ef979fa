// SPDX-License-Identifier: GPL-2.0-or-later
// The "userspace" dirty log, client side: every operation becomes a
// dm_ulog_request to a daemon, exactly as drivers/md/dm-log-userspace-base.c
// sends them, so tests can drive any served log through the protocol the
// kernel uses.
//
// Table parameters: `<uuid> [integrated_flush] <daemon args...>` (at least
// three; the kernel's `userspace <#args>` prefix is not included). The
// daemon receives the CTR string "<length_sectors> <daemon args...>".
//
// As in the kernel: mark_region and clear_region only queue; flush() sends
// the clears in groups of 32, then the marks in groups of 32 followed by an
// empty FLUSH, or, with integrated_flush, the marks as FLUSH payloads.
// in_sync() answers kWouldBlock when it may not block, and is never
// answered from a cache. The region size is fetched once, after CTR.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dirty_log.h"
#include "userspace/ulog_protocol.h"

namespace bb::dirtylog {

// Carries one encoded request to the daemon and returns its encoded reply.
class RequestTransport {
 public:
  RequestTransport() = default;
  RequestTransport(const RequestTransport&) = delete;
  RequestTransport& operator=(const RequestTransport&) = delete;
  RequestTransport(RequestTransport&&) = delete;
  RequestTransport& operator=(RequestTransport&&) = delete;
  virtual ~RequestTransport() = default;
  virtual std::vector<std::byte> exchange(std::span<const std::byte> request) = 0;
};

class UserspaceLog final : public DirtyLog {
 public:
  // Sends DM_ULOG_CTR and DM_ULOG_GET_REGION_SIZE; throws what the daemon
  // answered (as Error(errno)).
  UserspaceLog(const LogTarget& target, std::span<const std::string> params,
               std::shared_ptr<RequestTransport> transport);
  // Sends DM_ULOG_DTR; errors are ignored, as the kernel does.
  ~UserspaceLog() override;
  UserspaceLog(const UserspaceLog&) = delete;
  UserspaceLog& operator=(const UserspaceLog&) = delete;
  UserspaceLog(UserspaceLog&&) = delete;
  UserspaceLog& operator=(UserspaceLog&&) = delete;

  [[nodiscard]] std::string_view type_name() const override { return "userspace"; }
  [[nodiscard]] uint32_t region_size() const override { return region_size_; }
  [[nodiscard]] region_t region_count() const override { return region_count_; }
  [[nodiscard]] uint64_t luid() const { return luid_; }

  void presuspend() override;
  void postsuspend() override;
  void resume() override;

  [[nodiscard]] bool is_clean(region_t region) override;
  InSync in_sync(region_t region, bool can_block) override;
  void mark_region(region_t region) override { marks_.push_back(region); }
  void clear_region(region_t region) override { clears_.push_back(region); }
  void flush() override;
  [[nodiscard]] std::optional<region_t> get_resync_work() override;
  void set_region_sync(region_t region, bool in_sync) override;
  [[nodiscard]] region_t get_sync_count() override;
  bool is_remote_recovering(region_t region) override;
  // INFO comes from the daemon ("userspace 1 COM_FAILURE" if it fails);
  // TABLE is built here from the parameters, as the kernel does.
  [[nodiscard]] std::string status(StatusType type) override;

 private:
  std::vector<std::byte> send(ulog::RequestType type, std::span<const std::byte> data = {});
  [[nodiscard]] uint64_t send_for_u64(ulog::RequestType type, std::span<const std::byte> data = {});
  void send_grouped(ulog::RequestType type, std::span<const region_t> regions);

  std::shared_ptr<RequestTransport> transport_;
  std::string uuid_;
  uint64_t luid_;
  bool integrated_flush_ = false;
  std::vector<std::string> daemon_args_;
  uint32_t seq_ = 0;
  uint32_t region_size_ = 0;
  region_t region_count_ = 0;
  std::vector<region_t> marks_;
  std::vector<region_t> clears_;
};

}  // namespace bb::dirtylog
