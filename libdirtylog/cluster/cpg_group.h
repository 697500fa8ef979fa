// SPDX-License-Identifier: GPL-2.0-or-later
// GroupTransport on corosync's closed process groups (libcpg): one CPG
// handle per group, messages multicast with CPG_TYPE_AGREED.
#pragma once

#include <corosync/cpg.h>

#include <string>

#include "cluster/group_transport.h"

namespace bb::dirtylog::cluster {

class CpgGroup final : public GroupTransport {
 public:
  CpgGroup(std::string group, GroupCallbacks callbacks);
  ~CpgGroup() override;
  CpgGroup(const CpgGroup&) = delete;
  CpgGroup& operator=(const CpgGroup&) = delete;
  CpgGroup(CpgGroup&&) = delete;
  CpgGroup& operator=(CpgGroup&&) = delete;

  Member join() override;
  void send(std::span<const std::byte> bytes) override;
  [[nodiscard]] int fd() const override { return fd_; }
  void dispatch() override;

 private:
  static void on_deliver(cpg_handle_t handle, const cpg_name* group, uint32_t nodeid, uint32_t pid,
                         void* message, size_t size);
  static void on_confchg(cpg_handle_t handle, const cpg_name* group, const cpg_address* members,
                         size_t member_count, const cpg_address* left, size_t left_count,
                         const cpg_address* joined, size_t joined_count);
  void close();

  std::string group_;
  GroupCallbacks callbacks_;
  cpg_handle_t handle_ = 0;
  bool open_ = false;
  bool joined_ = false;
  int fd_ = -1;
};

// A TransportFactory making CpgGroups.
[[nodiscard]] TransportFactory cpg_factory();

}  // namespace bb::dirtylog::cluster
