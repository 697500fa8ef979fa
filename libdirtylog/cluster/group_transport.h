// SPDX-License-Identifier: GPL-2.0-or-later
// The group communication a clustered log needs: join a named group, get
// every message and membership change of the group in one agreed order,
// multicast in that order. CpgGroup (cpg_group.h) is corosync's CPG; the
// tests use an in-process bus.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/cluster_wire.h"

namespace bb::dirtylog::cluster {

struct GroupCallbacks {
  std::function<void(const Member& from, std::span<const std::byte> bytes)> deliver;
  std::function<void(const std::vector<Member>& members, const std::vector<Member>& joined,
                     const std::vector<Member>& left)>
      confchg;
};

class GroupTransport {
 public:
  GroupTransport() = default;
  GroupTransport(const GroupTransport&) = delete;
  GroupTransport& operator=(const GroupTransport&) = delete;
  GroupTransport(GroupTransport&&) = delete;
  GroupTransport& operator=(GroupTransport&&) = delete;
  // Leaves the group if still joined.
  virtual ~GroupTransport() = default;

  // Connects and joins; returns this process's member id. Throws Error
  // (e.g. ECONNREFUSED when corosync is not running).
  virtual Member join() = 0;
  // Multicasts with agreed ordering, retrying while the cluster engine
  // says "try again". Throws Error when the connection is gone.
  virtual void send(std::span<const std::byte> bytes) = 0;
  // The descriptor to poll for readability.
  [[nodiscard]] virtual int fd() const = 0;
  // Delivers every pending event through the callbacks. Throws Error when
  // the connection to the cluster engine is lost.
  virtual void dispatch() = 0;
};

using TransportFactory =
    std::function<std::unique_ptr<GroupTransport>(const std::string& group, GroupCallbacks)>;

// "bb-dirtylog:<uuid>", or when that exceeds `limit` bytes (CPG's 128),
// a prefix of it and a hash of the whole UUID: the same on every node.
[[nodiscard]] std::string group_name(std::string_view uuid, size_t limit = 128);

}  // namespace bb::dirtylog::cluster
