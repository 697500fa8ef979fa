// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/cluster_logs.h"

#include <algorithm>

#include <fmt/core.h>

#include "daemon/request_handler.h"
#include "disk/log_store.h"
#include "error.h"
#include "table_params.h"

namespace bb::dirtylog {

using cluster::Member;
using ulog::RequestType;

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kLastBackoff{5000};

bool is_cluster_kind(std::string_view kind) {
  return kind == "clustered-core" || kind == "clustered-disk";
}

std::vector<std::byte> pack(std::initializer_list<uint64_t> values) {
  return ulog::pack_u64(std::span(values.begin(), values.size()));
}

}  // namespace

struct ClusterLogs::Instance {
  std::string uuid;
  uint64_t luid = 0;
  std::string label;
  std::string kind;
  uint32_t region_size = 0;
  region_t count = 0;
  SyncMode mode = SyncMode::kDefaultSync;
  std::unique_ptr<cluster::LogPersistence> disk;
  std::unique_ptr<cluster::ClusterNode> node;
  std::unique_ptr<cluster::GroupTransport> transport;
  std::string state = "created";
  std::optional<uint32_t> resume_seq;
  std::chrono::milliseconds backoff = kFirstBackoff;
  std::optional<Clock::time_point> retry_at;
  bool rejoin = false;

  [[nodiscard]] std::string group() const { return cluster::group_name(uuid); }
  [[nodiscard]] std::string status_table() const {
    const size_t args = (disk ? 2 : 1) + (mode == SyncMode::kDefaultSync ? 0 : 1);
    return fmt::format("{} {} {}{} {}", kind, args, disk ? disk->name() + " " : "", region_size,
                       sync_mode_status(mode));
  }
};

ClusterLogs::ClusterLogs(oplog::LineWriter& out, cluster::TransportFactory factory, Reply reply)
    : out_(out), factory_(std::move(factory)), reply_(std::move(reply)) {}

ClusterLogs::~ClusterLogs() = default;

bool ClusterLogs::takes(const ulog::Request& request) const {
  if (request.type() == static_cast<uint32_t>(RequestType::kCtr)) {
    const auto words = ulog::split_words(ulog::unpack_string(request.data));
    return words.size() >= 2 && is_cluster_kind(words[1]);
  }
  return logs_.contains(Key{request.uuid, request.luid});
}

const cluster::ClusterNode* ClusterLogs::node(const std::string& uuid, uint64_t luid) const {
  const auto it = logs_.find(Key{uuid, luid});
  return it == logs_.end() ? nullptr : it->second->node.get();
}

void ClusterLogs::answer(const ulog::Request& request, int error, std::vector<std::byte> data) {
  ulog::Request reply = request;
  reply.error = error;
  reply.data = std::move(data);
  if (error != 0) {
    out_.limited(oplog::Level::kErr, log_label(request.uuid, request.luid), "ULOG", 320,
                 fmt::format("{} failed: {}", ulog::type_name(request.request_type), error));
  }
  reply_(reply);
}

void ClusterLogs::handle(const ulog::Request& request) {
  const auto type = static_cast<RequestType>(request.type());
  if (type == RequestType::kCtr) {
    try {
      construct(request);
      answer(request, 0, {});
    } catch (const Error& e) {
      out_.limited(oplog::Level::kErr, log_label(request.uuid, request.luid), "ULOG", 320,
                   fmt::format("DM_ULOG_CTR failed: {}", e.what()));
      answer(request, -e.errno_value(), {});
    }
    return;
  }
  const auto found = logs_.find(Key{request.uuid, request.luid});
  if (found == logs_.end()) {
    answer(request, type == RequestType::kDtr ? 0 : -ESRCH,
           std::vector<std::byte>(
               type == RequestType::kDtr ? 0 : ulog::fixed_reply_size(request.request_type)));
    return;
  }
  Instance& log = *found->second;
  switch (type) {
    case RequestType::kDtr:
      suspend(log);
      out_.line(oplog::Level::kInfo, log.label, "STATE", 344,
                fmt::format("log( {} -> destroyed ) [DM_ULOG_DTR]", log.state));
      logs_.erase(found);
      answer(request, 0, {});
      return;
    case RequestType::kPresuspend:
      answer(request, 0, {});
      return;
    case RequestType::kPostsuspend:
      if (log.node) {
        out_.line(oplog::Level::kInfo, log.label, "STATE", 343,
                  fmt::format("log( {} -> suspended ) [DM_ULOG_POSTSUSPEND] left group {}",
                              log.state, log.group()));
      }
      suspend(log);
      answer(request, 0, {});
      return;
    case RequestType::kResume:
      resume(log, request);
      return;
    case RequestType::kGetRegionSize:
      answer(request, 0, pack({log.region_size}));
      return;
    case RequestType::kStatusTable:
      answer(request, 0, ulog::pack_string(log.status_table()));
      return;
    default:
      break;
  }
  if (!log.node) {
    local_answer(log, request);
    return;
  }
  std::vector<uint64_t> arguments;
  try {
    arguments = ulog::unpack_u64(request.data);
  } catch (const Error& e) {
    answer(request, -EINVAL, {});
    return;
  }
  waiting_[request.seq] = request;
  if (const auto replaced = log.node->submit(request.seq, request.type(), std::move(arguments)))
    waiting_.erase(*replaced);
}

// CTR payload: "<length> clustered-core <region_size> [sync|nosync]" or
// "<length> clustered-disk <log_dev> <region_size> [sync|nosync]".
void ClusterLogs::construct(const ulog::Request& request) {
  const auto text = ulog::unpack_string(request.data);
  const auto words = ulog::split_words(text);
  const auto length = parse_unsigned(words.at(0));
  if (!length || *length == 0)
    throw Error(EINVAL, fmt::format("constructor '{}': bad device length", text));
  auto log = std::make_unique<Instance>();
  log->uuid = request.uuid;
  log->luid = request.luid;
  log->label = log_label(request.uuid, request.luid);
  log->kind = words[1];
  const bool disk = log->kind == "clustered-disk";
  const std::vector<std::string> params(words.begin() + 2, words.end());
  const size_t fixed = disk ? 2 : 1;
  if (params.size() < fixed || params.size() > fixed + 1) {
    throw Error(EINVAL,
                fmt::format("{} takes {} or {} parameters ({}<region_size> [sync|nosync]), got {}",
                            log->kind, fixed, fixed + 1, disk ? "<log_dev> " : "", params.size()));
  }
  log->region_size = parse_region_size(params[fixed - 1], *length);
  log->count = region_count_for(*length, log->region_size);
  if (params.size() > fixed) log->mode = parse_sync_mode(params[fixed]);
  if (disk) {
    log->disk =
        std::make_unique<cluster::DiskPersistence>(disk::open_log_device(params[0]), log->count);
  }
  const Key key{request.uuid, request.luid};
  if (const auto old = logs_.find(key); old != logs_.end()) {
    suspend(*old->second);
    logs_.erase(old);
  }
  out_.line(oplog::Level::kInfo, log->label, "STATE", 340,
            fmt::format("log( none -> created ) [DM_ULOG_CTR] {} log: {} regions of {} sectors, "
                        "group {} ({})",
                        log->kind, log->count, log->region_size, log->group(), text));
  logs_.emplace(key, std::move(log));
}

void ClusterLogs::resume(Instance& log, const ulog::Request& request) {
  if (log.node) {
    // Already resumed (or joining): the answer comes when valid.
    if (log.node->valid()) {
      answer(request, 0, {});
    } else {
      waiting_[request.seq] = request;
      log.resume_seq = request.seq;
      log.node->resume(request.seq);
    }
    return;
  }
  for (const auto& [key, other] : logs_) {
    if (other.get() != &log && key.first == log.uuid && other->node) {
      answer(request, -EBUSY, {});
      return;
    }
  }
  cluster::NodeConfig config{log.kind, log.count, log.mode, log.disk.get(), log.label};
  Instance* raw = &log;
  log.node = std::make_unique<cluster::ClusterNode>(
      config, Member{},
      [raw](std::vector<std::byte> bytes) {
        if (!raw->transport) throw Error(ENOTCONN, "not connected to corosync");
        raw->transport->send(bytes);
      },
      [this, raw](uint32_t seq, int error, std::vector<std::byte> payload) {
        if (raw->resume_seq == seq) {
          raw->resume_seq.reset();
          const auto* replica = raw->node->replica();
          out_.line(oplog::Level::kInfo, raw->label, "STATE", 342,
                    fmt::format("log( {} -> resumed ) [DM_ULOG_RESUME] {}/{} regions in sync",
                                raw->state, replica->sync_count(), replica->count()));
          raw->state = "resumed";
        }
        const auto it = waiting_.find(seq);
        if (it == waiting_.end()) return;
        const auto waiting = std::move(it->second);
        waiting_.erase(it);
        answer(waiting, error, std::move(payload));
      },
      &out_);
  out_.line(oplog::Level::kInfo, log.label, "STATE", 341,
            fmt::format("log( {} -> joining ) [DM_ULOG_RESUME] group {}", log.state, log.group()));
  log.state = "joining";
  log.backoff = kFirstBackoff;
  waiting_[request.seq] = request;
  log.resume_seq = request.seq;
  log.node->resume(request.seq);
  connect(log);
}

void ClusterLogs::suspend(Instance& log) {
  log.transport.reset();  // leaves the group
  log.node.reset();
  log.retry_at.reset();
  log.rejoin = false;
  if (log.state != "created") log.state = "suspended";
  // Nothing of this log is answered any more.
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->second.uuid == log.uuid && it->second.luid == log.luid) {
      const auto request = it->second;
      it = waiting_.erase(it);
      answer(request, -ESHUTDOWN,
             std::vector<std::byte>(ulog::fixed_reply_size(request.request_type)));
    } else {
      ++it;
    }
  }
  log.resume_seq.reset();
}

void ClusterLogs::connect(Instance& log) {
  log.retry_at.reset();
  log.rejoin = false;
  log.transport.reset();
  Instance* raw = &log;
  cluster::GroupCallbacks callbacks;
  callbacks.deliver = [raw](const Member& from, std::span<const std::byte> bytes) {
    if (raw->node && !raw->rejoin) raw->node->deliver(from, bytes);
  };
  callbacks.confchg = [raw](const std::vector<Member>& members, const std::vector<Member>& joined,
                            const std::vector<Member>& left) {
    if (!raw->node || raw->rejoin) return;
    // This node seen leaving (its corosync lost the others): start over.
    if (std::find(left.begin(), left.end(), raw->node->self()) != left.end()) {
      raw->rejoin = true;
      return;
    }
    raw->node->confchg(members, joined, left);
  };
  try {
    log.transport = factory_(log.group(), std::move(callbacks));
    const Member self = log.transport->join();
    log.node->restart(self);
    out_.line(oplog::Level::kInfo, log.label, "CPG", 357,
              fmt::format("connected to corosync: joined group {} as {}", log.group(),
                          cluster::to_string(self)));
    log.backoff = kFirstBackoff;
  } catch (const Error& e) {
    log.transport.reset();
    out_.limited(oplog::Level::kWarn, log.label, "CPG", 358,
                 fmt::format("cannot join group {}: {}; retrying in {} ms", log.group(), e.what(),
                             log.backoff.count()));
    log.retry_at = Clock::now() + log.backoff;
    log.backoff = std::min(log.backoff * 2, kLastBackoff);
  }
}

void ClusterLogs::lost(Instance& log, const std::string& reason) {
  log.transport.reset();
  out_.line(oplog::Level::kErr, log.label, "CPG", 356,
            fmt::format("corosync connection lost: {}; rejoining in {} ms; requests wait", reason,
                        log.backoff.count()));
  log.retry_at = Clock::now() + log.backoff;
  log.backoff = std::min(log.backoff * 2, kLastBackoff);
}

std::vector<int> ClusterLogs::fds() const {
  std::vector<int> fds;
  for (const auto& [key, log] : logs_) {
    if (log->transport && log->transport->fd() >= 0) fds.push_back(log->transport->fd());
  }
  return fds;
}

void ClusterLogs::dispatch(int fd, bool hangup) {
  for (auto& [key, log] : logs_) {
    if (!log->transport || log->transport->fd() != fd) continue;
    try {
      log->transport->dispatch();
    } catch (const Error& e) {
      lost(*log, e.what());
      return;
    }
    if (hangup) {
      lost(*log, "the corosync connection hung up");
      return;
    }
    if (log->node && (log->rejoin || log->node->wants_rejoin())) connect(*log);
    return;
  }
}

std::optional<ClusterLogs::Clock::duration> ClusterLogs::tick(Clock::time_point now) {
  std::optional<Clock::duration> next;
  for (auto& [key, log] : logs_) {
    if (!log->retry_at || !log->node) continue;
    if (*log->retry_at <= now) connect(*log);
    if (log->retry_at) {
      const auto left = std::max(Clock::duration::zero(), *log->retry_at - now);
      next = next ? std::min(*next, left) : left;
    }
  }
  return next;
}

// Not resumed, so not in the group: nothing to share and nothing known.
void ClusterLogs::local_answer(Instance& log, const ulog::Request& request) {
  switch (static_cast<RequestType>(request.type())) {
    case RequestType::kIsClean:
    case RequestType::kInSync:
    case RequestType::kGetSyncCount:
      answer(request, 0, pack({0}));
      return;
    case RequestType::kGetResyncWork:
    case RequestType::kIsRemoteRecovering:
      answer(request, 0, pack({0, 0}));
      return;
    case RequestType::kStatusInfo:
      answer(request, 0,
             ulog::pack_string(log.disk ? fmt::format("3 clustered-disk {} A", log.disk->name())
                                        : std::string("1 clustered-core")));
      return;
    default:
      // MARK, CLEAR, FLUSH, SET_REGION_SYNC after postsuspend: the group
      // already turned this node's marks into recovery work.
      answer(request, 0, {});
      return;
  }
}

}  // namespace bb::dirtylog
