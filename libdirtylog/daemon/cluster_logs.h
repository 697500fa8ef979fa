// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon side of the clustered logs (`clustered-core`,
// `clustered-disk`; docs/clustered-logs.md): one ClusterNode per log
// instance (uuid, luid) of the kernel, a group transport per resumed
// instance, and the kernel's answers given later than the request, when
// the group has delivered this node's message.
//
//   CTR, DTR, PRESUSPEND, GET_REGION_SIZE, STATUS_TABLE   answered here
//   RESUME       joins the group `bb-dirtylog:<uuid>`; answered once valid
//   POSTSUSPEND  leaves the group
//   the rest     through the group (ClusterNode::submit)
//
// corosync not running, or lost: the instance retries joining with a
// backoff from 100 ms doubling to 5 s; the kernel's requests wait (the
// kernel times a request out after 15 s and sends it again).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cluster/cluster_node.h"
#include "cluster/group_transport.h"
#include "cluster/log_persistence.h"
#include "oplog/line_writer.h"
#include "userspace/ulog_protocol.h"

namespace bb::dirtylog {

class ClusterLogs {
 public:
  using Clock = std::chrono::steady_clock;
  // Gets each answer: the request with error and data filled in.
  using Reply = std::function<void(const ulog::Request& answer)>;

  ClusterLogs(oplog::LineWriter& out, cluster::TransportFactory factory, Reply reply);
  ~ClusterLogs();
  ClusterLogs(const ClusterLogs&) = delete;
  ClusterLogs& operator=(const ClusterLogs&) = delete;
  ClusterLogs(ClusterLogs&&) = delete;
  ClusterLogs& operator=(ClusterLogs&&) = delete;

  // Whether the request is for a clustered log: a CTR naming
  // clustered-core or clustered-disk, or a request for a log held here.
  [[nodiscard]] bool takes(const ulog::Request& request) const;
  // Answers through Reply, now or later.
  void handle(const ulog::Request& request);

  // Descriptors to poll for reading.
  [[nodiscard]] std::vector<int> fds() const;
  // Dispatches the group whose descriptor is readable; `hangup`: poll said
  // POLLHUP or POLLERR, so the connection is gone even if dispatching
  // does not say so.
  void dispatch(int fd, bool hangup = false);
  // Joins whose backoff ran out; then the time until the next one, if any.
  [[nodiscard]] std::optional<Clock::duration> tick(Clock::time_point now);

  [[nodiscard]] size_t log_count() const { return logs_.size(); }
  // Test access.
  [[nodiscard]] const cluster::ClusterNode* node(const std::string& uuid, uint64_t luid) const;

 private:
  struct Instance;
  using Key = std::pair<std::string, uint64_t>;

  void construct(const ulog::Request& request);
  void answer(const ulog::Request& request, int error, std::vector<std::byte> data);
  void resume(Instance& log, const ulog::Request& request);
  void suspend(Instance& log);
  void connect(Instance& log);
  void lost(Instance& log, const std::string& reason);
  void local_answer(Instance& log, const ulog::Request& request);

  oplog::LineWriter& out_;
  cluster::TransportFactory factory_;
  Reply reply_;
  std::map<Key, std::unique_ptr<Instance>> logs_;
  // Requests waiting for the group, by the kernel's seq.
  std::map<uint32_t, ulog::Request> waiting_;
};

}  // namespace bb::dirtylog
