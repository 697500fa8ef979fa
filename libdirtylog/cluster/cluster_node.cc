// SPDX-License-Identifier: GPL-2.0-or-later
#include "cluster/cluster_node.h"

#include <algorithm>
#include <random>

#include <fmt/core.h>

#include "error.h"
#include "userspace/ulog_protocol.h"

namespace bb::dirtylog::cluster {

namespace {

using ulog::RequestType;

// "1:398,2:412", or "none".
std::string list(const std::vector<Member>& members) {
  std::string text;
  for (const auto& m : members) {
    if (!text.empty()) text += ',';
    text += to_string(m);
  }
  return text.empty() ? "none" : text;
}

// "17 18 ... 3 more", or "none".
std::string list(const std::vector<region_t>& regions) {
  constexpr size_t kShown = 32;
  std::string text;
  for (size_t i = 0; i < regions.size() && i < kShown; ++i) {
    if (i != 0) text += ' ';
    text += std::to_string(regions[i]);
  }
  if (regions.size() > kShown) text += fmt::format(" ... {} more", regions.size() - kShown);
  return text.empty() ? "none" : text;
}

std::string optional_member(const std::optional<Member>& member) {
  return member ? to_string(*member) : "none";
}

std::vector<std::byte> pack(std::initializer_list<uint64_t> values) {
  return ulog::pack_u64(std::span(values.begin(), values.size()));
}

bool contains(const std::vector<Member>& members, const Member& member) {
  return std::find(members.begin(), members.end(), member) != members.end();
}

}  // namespace

ClusterNode::ClusterNode(NodeConfig config, Member self, Send send, Answer answer,
                         oplog::LineWriter* out)
    : config_(std::move(config)),
      self_(self),
      send_(std::move(send)),
      answer_(std::move(answer)),
      out_(out) {}

std::optional<Member> ClusterNode::server() const {
  if (valid_set_.empty()) return std::nullopt;
  return *valid_set_.begin();
}

std::string ClusterNode::status_info() const {
  if (config_.disk == nullptr) return "1 clustered-core";
  return fmt::format("3 clustered-disk {} {}", config_.disk->name(), disk_failed_ ? 'D' : 'A');
}

void ClusterNode::resume(uint32_t seq) {
  if (valid_) {
    answer_(seq, 0, {});
  } else {
    resume_seqs_.push_back(seq);
  }
}

std::optional<uint32_t> ClusterNode::submit(uint32_t seq, uint32_t request_type,
                                            std::vector<uint64_t> arguments) {
  const auto type = static_cast<RequestType>(request_type & ulog::kTypeMask);
  if (type == RequestType::kMarkRegion || type == RequestType::kFlush) {
    local_marks_.insert(arguments.begin(), arguments.end());
  } else if (type == RequestType::kClearRegion) {
    for (const auto region : arguments) local_marks_.erase(region);
  }
  Request request{seq, request_type & ulog::kTypeMask, std::move(arguments)};
  if (valid_) {
    multicast(request);
    return std::nullopt;
  }
  if (type == RequestType::kGetResyncWork) {
    const auto held = std::find_if(held_.begin(), held_.end(), [](const Request& r) {
      return r.type == static_cast<uint32_t>(RequestType::kGetResyncWork);
    });
    if (held != held_.end()) {
      const uint32_t replaced = held->seq;
      held->seq = seq;
      return replaced;
    }
  }
  held_.push_back(std::move(request));
  return std::nullopt;
}

void ClusterNode::multicast(const Request& request) {
  if (request.seq != 0) in_flight_[request.seq] = request;
  Message message;
  message.type = MessageType::kRequest;
  message.subject = self_;
  message.seq = request.seq;
  message.request_type = request.type;
  message.arguments = request.arguments;
  try {
    send_(encode(message));
  } catch (const Error&) {
    // The transport reports the lost connection; restart() sends it again.
  }
}

void ClusterNode::drop(const Member& from, const std::string& reason) {
  if (out_ == nullptr) return;
  out_->limited(oplog::Level::kErr, config_.label, "CPG", 359,
                fmt::format("dropped a cluster message from {}: {}", to_string(from), reason));
}

// ---- membership -------------------------------------------------------

std::optional<ClusterNode::Age> ClusterNode::age_of(const Member& member) const {
  const auto it = members_.find(member);
  if (it == members_.end()) return std::nullopt;
  return Age{it->second, member};
}

bool ClusterNode::older_member_present() const {
  const auto mine = age_of(self_);
  return std::any_of(members_.begin(), members_.end(), [&](const auto& entry) {
    return entry.first != self_ && Age{entry.second, entry.first} < *mine;
  });
}

void ClusterNode::track_membership(const Change& change, uint64_t index) {
  const auto at = static_cast<int64_t>(index);
  if (!joined_) {
    if (!contains(change.joined, self_)) return;
    joined_ = true;
    for (const auto& m : change.members) members_[m] = contains(change.joined, m) ? at : -1;
    for (const auto& m : change.joined) note_joined(m, index);
    return;
  }
  for (const auto& m : change.left) members_.erase(m);
  for (const auto& m : change.joined) {
    members_[m] = at;
    note_joined(m, index);
  }
}

void ClusterNode::confchg(const std::vector<Member>& members, const std::vector<Member>& joined,
                          const std::vector<Member>& left) {
  ++events_;
  const bool was_joined = joined_;
  Change change{members, joined, left};
  track_membership(change, events_);
  if (!joined_) return;
  for (const auto& m : left) hellos_.erase(m);
  if (!was_joined) send_hello();
  if (out_ != nullptr) {
    out_->line(
        oplog::Level::kInfo, config_.label, "CPG", 350,
        fmt::format("members( {} ) joined {} left {}", list(members), list(joined), list(left)));
  }
  if (valid_) {
    apply_change(change, events_);
    note_server();
    send_checkpoints(events_);
    return;
  }
  for (const auto& m : left) known_valid_.erase(m);
  if (hello_at_) parked_.push_back(Event{events_, change});
  if (older_member_present()) return;
  const bool valid_present = std::any_of(known_valid_.begin(), known_valid_.end(),
                                         [&](const Member& m) { return members_.contains(m); });
  if (!valid_present) {
    initialise(events_);
  } else if (!wants_rejoin_) {
    wants_rejoin_ = true;
    if (out_ != nullptr) {
      out_->line(oplog::Level::kWarn, config_.label, "CPG", 364,
                 "no member left that can send this node its checkpoint: rejoining the group");
    }
  }
}

void ClusterNode::apply_change(const Change& change, uint64_t /*index*/) {
  for (const auto& m : change.left) {
    const bool was_valid = valid_set_.erase(m) != 0;
    checkpoint_sent_.erase(m);
    if (!was_valid) continue;
    const auto departure = replica_->depart(m);
    if (out_ != nullptr && !replaying_) {
      out_->line(
          oplog::Level::kWarn, config_.label, "CPG", 352,
          fmt::format("member {} departed: {} regions it had marked now out of sync ({}), {} "
                      "recoveries freed, {} flushes dropped; {}/{} regions in sync",
                      to_string(m), departure.out_of_sync.size(), list(departure.out_of_sync),
                      departure.freed.size(), departure.flushes_dropped, replica_->sync_count(),
                      replica_->count()));
    }
  }
}

void ClusterNode::note_server() {
  const auto now = server();
  if (now == server_) return;
  if (out_ != nullptr) {
    out_->line(oplog::Level::kInfo, config_.label, "CPG", 351,
               fmt::format("server( {} -> {} ){}", optional_member(server_), optional_member(now),
                           now == self_ ? " this node" : ""));
  }
  server_ = now;
  if (now == self_ && config_.disk != nullptr) write_and_finish_flushes();
}

// ---- events -----------------------------------------------------------

void ClusterNode::deliver(const Member& from, std::span<const std::byte> bytes) {
  ++events_;
  if (!joined_) return;
  Message message;
  try {
    message = decode(bytes);
  } catch (const Error& e) {
    drop(from, e.what());
    return;
  }
  if (message.type == MessageType::kHello) {
    hello(from, message);
    return;
  }
  if (valid_) {
    apply_message(from, message, events_);
    return;
  }
  if (message.type == MessageType::kCheckpoint) {
    if (message.subject == self_) {
      import(from, message, events_);
      return;
    }
    if (members_.contains(message.subject) &&
        hello_matches(message.subject, message.checkpoint.nonce, events_)) {
      known_valid_.insert(message.subject);
    }
  }
  if (!hello_at_) return;  // before the point any checkpoint for this node counts from
  parked_.push_back(
      Event{events_, Delivery{from, std::vector<std::byte>(bytes.begin(), bytes.end())}});
}

void ClusterNode::send_hello() {
  std::random_device random;
  nonce_ = (uint64_t{random()} << 32U) | random();
  if (nonce_ == 0) nonce_ = 1;  // 0: "no HELLO yet"
  Message message;
  message.type = MessageType::kHello;
  message.subject = self_;
  message.arguments = {nonce_};
  try {
    send_(encode(message));
  } catch (const Error&) {
    // The transport reports the lost connection; restart() joins again.
  }
}

// Joined, HELLO not seen yet: no checkpoint is for this join yet.
void ClusterNode::note_joined(const Member& member, uint64_t index) {
  if (member == self_) return;
  hellos_[member] = Hello{index, 0};
  if (!valid_) hello_history_.emplace_back(member, hellos_[member]);
}

bool ClusterNode::hello_matches(const Member& member, uint64_t nonce, uint64_t index) const {
  // A HELLO delivered before this node joined is unknown here: then the
  // checkpoint is taken as it comes (only a rejoin of the same member while
  // its old checkpoint is in flight makes one stale, and that rejoin's
  // HELLO is known).
  if (!replaying_) {
    const auto it = hellos_.find(member);
    return it == hellos_.end() || it->second.nonce == nonce;
  }
  const auto latest = std::find_if(
      hello_history_.rbegin(), hello_history_.rend(),
      [&](const auto& entry) { return entry.first == member && entry.second.index < index; });
  return latest == hello_history_.rend() || latest->second.nonce == nonce;
}

void ClusterNode::hello(const Member& from, const Message& message) {
  if (message.subject != from) {
    drop(from, fmt::format("hello claims to be {}", to_string(message.subject)));
    return;
  }
  if (from == self_) {
    if (message.arguments.at(0) != nonce_ || hello_at_) return;  // an earlier join's
    hello_at_ = events_;
    hello_members_.clear();
    for (const auto& [member, join] : members_) hello_members_.insert(member);
    return;
  }
  if (!members_.contains(from)) return;
  hellos_[from] = Hello{events_, message.arguments.at(0)};
  if (!valid_) hello_history_.emplace_back(from, hellos_[from]);
  checkpoint_sent_.erase(from);
  send_checkpoints(events_);
}

void ClusterNode::apply(const Event& event) {
  if (const auto* change = std::get_if<Change>(&event.what)) {
    replay_members_ = std::set<Member>(change->members.begin(), change->members.end());
    apply_change(*change, event.index);
    return;
  }
  const auto& delivery = std::get<Delivery>(event.what);
  try {
    apply_message(delivery.from, decode(delivery.bytes), event.index);
  } catch (const Error&) {
    // Dropped (and said) when it was delivered.
  }
}

void ClusterNode::apply_message(const Member& from, const Message& message, uint64_t index) {
  switch (message.type) {
    case MessageType::kRequest:
      if (message.subject != from) {
        if (!replaying_)
          drop(from, fmt::format("request claims originator {}", to_string(message.subject)));
        return;
      }
      apply_request(from, message);
      return;
    case MessageType::kFlushDone:
      apply_flush_done(message);
      return;
    case MessageType::kCheckpoint:
      apply_checkpoint(message, index);
      return;
    case MessageType::kHello:
      return;  // handled when delivered, never parked
  }
}

void ClusterNode::finish(uint32_t seq, int error, std::vector<std::byte> payload) {
  if (in_flight_.erase(seq) == 0) return;
  answer_(seq, error, std::move(payload));
}

void ClusterNode::apply_request(const Member& from, const Message& message) {
  std::optional<std::vector<std::byte>> payload;
  int error = 0;
  try {
    payload = answer_of(from, message);
  } catch (const Error& e) {
    error = -e.errno_value();
    payload = std::vector<std::byte>{};
    if (from == self_ && out_ != nullptr) {
      out_->limited(oplog::Level::kErr, config_.label, "ULOG", 320,
                    fmt::format("{} failed: {}", ulog::type_name(message.request_type), e.what()));
    }
  }
  if (from == self_ && payload) finish(message.seq, error, std::move(*payload));
}

std::optional<std::vector<std::byte>> ClusterNode::answer_of(const Member& from,
                                                             const Message& message) {
  auto& replica = *replica_;
  const auto& args = message.arguments;
  const auto need = [&](size_t count) {
    if (args.size() != count) {
      throw Error(EINVAL, fmt::format("{} carries {} arguments, expected {}",
                                      ulog::type_name(message.request_type), args.size(), count));
    }
  };
  switch (static_cast<RequestType>(message.request_type)) {
    case RequestType::kClearRegion:
      for (const auto region : args) replica.clear(from, region);
      return std::vector<std::byte>{};
    case RequestType::kMarkRegion:
    case RequestType::kFlush:
      // With integrated_flush the regions to mark ride on the flush. A
      // clustered-disk MARK is written before it is answered, as the
      // single-node disk log does: the kernel resends only the FLUSH that
      // follows to a restarted daemon, never the marks.
      for (const auto region : args) replica.mark(from, region);
      if (config_.disk == nullptr || message.seq == 0) return std::vector<std::byte>{};
      replica.add_pending_flush(from, message.seq);
      if (server() == self_ && !replaying_) finish_flush({from, message.seq}, write_log());
      return std::nullopt;
    case RequestType::kGetResyncWork: {
      need(0);
      const auto region = replica.resync_work(from);
      return pack({region ? 1U : 0U, region.value_or(0)});
    }
    case RequestType::kSetRegionSync:
      need(2);
      replica.set_sync(from, args[0], args[1] != 0);
      return std::vector<std::byte>{};
    case RequestType::kIsRemoteRecovering: {
      need(1);
      const bool recovering = replica.remote_recovering(from, args[0]);
      // Every region below the hint is in sync now, so the kernel need not
      // ask before writing to it; the hint stays below the region count,
      // or the kernel would never ask for resync work again.
      const auto hint = replica.sync_bits().next_clear(0).value_or(replica.count() - 1);
      return pack({recovering ? 1U : 0U, hint});
    }
    case RequestType::kInSync:
      need(1);
      return pack({replica.in_sync(args[0]) ? 1U : 0U});
    case RequestType::kIsClean:
      need(1);
      return pack({replica.is_clean(args[0]) ? 1U : 0U});
    case RequestType::kGetSyncCount:
      need(0);
      return pack({replica.sync_count()});
    case RequestType::kStatusInfo:
      return ulog::pack_string(status_info());
    default:
      throw Error(EINVAL, fmt::format("{} is not a cluster request",
                                      ulog::type_name(message.request_type)));
  }
}

void ClusterNode::apply_flush_done(const Message& message) {
  if (!replica_->remove_pending_flush(message.subject, message.seq)) return;
  if (message.subject == self_) finish(message.seq, message.error, {});
}

void ClusterNode::apply_checkpoint(const Message& message, uint64_t index) {
  if (message.subject == self_) return;
  // A checkpoint for an earlier join of the same member does not count.
  if (!hello_matches(message.subject, message.checkpoint.nonce, index)) return;
  // Replaying, the membership is that of the event's point, not the live one.
  if (replaying_ ? !replay_members_.contains(message.subject) : !members_.contains(message.subject))
    return;
  valid_set_.insert(message.subject);
  checkpoint_sent_.erase(message.subject);
  if (replaying_) return;
  note_server();
  send_checkpoints(index);
}

// ---- becoming valid ---------------------------------------------------

void ClusterNode::import(const Member& from, const Message& message, uint64_t index) {
  const auto& cp = message.checkpoint;
  if (!hello_at_ || cp.nonce != nonce_) return;  // for an earlier join of this member
  const uint64_t join = *hello_at_;
  if (cp.region_count != config_.count) {
    drop(from,
         fmt::format("checkpoint of {} regions, this log has {}", cp.region_count, config_.count));
    return;
  }
  if (join + cp.skip_events >= index) {
    drop(from, fmt::format("checkpoint taken {} events after this node's hello, only {} delivered",
                           cp.skip_events, index - join - 1));
    return;
  }
  try {
    replica_.emplace(cp);
  } catch (const Error& e) {
    drop(from, e.what());
    return;
  }
  stale_.reset();
  valid_set_ = std::set<Member>(cp.valid.begin(), cp.valid.end());
  size_t replayed = 0;
  replaying_ = true;
  replay_members_ = hello_members_;
  for (const auto& event : parked_) {
    if (event.index <= join + cp.skip_events) {
      if (const auto* change = std::get_if<Change>(&event.what))
        replay_members_ = std::set<Member>(change->members.begin(), change->members.end());
      continue;
    }
    apply(event);
    ++replayed;
  }
  replaying_ = false;
  parked_.clear();
  valid_set_.insert(self_);
  if (out_ != nullptr) {
    out_->line(oplog::Level::kInfo, config_.label, "CPG", 354,
               fmt::format("checkpoint imported from {}: {}/{} regions in sync, {} marks, {} "
                           "recovering, {} pending flushes, {} parked events applied",
                           to_string(from), replica_->sync_count(), replica_->count(),
                           cp.marks.size(), cp.recovering.size(), cp.pending.size(), replayed));
  }
  become_valid(index);
}

std::string ClusterNode::resume_stale() {
  Replica replica = std::move(*stale_);
  stale_.reset();
  size_t departed = 0;
  for (const auto& member : replica.members()) {
    if (member == self_) continue;
    (void)replica.depart(member);
    ++departed;
  }
  std::string source = fmt::format(
      "kept this node's replica from before corosync was lost, {} other members departed",
      departed);
  if (config_.disk != nullptr) {
    // Marks the others wrote while this node was away are on the device.
    try {
      const auto clean = config_.disk->load(config_.count, SyncMode::kDefaultSync);
      region_t dirty = 0;
      for (region_t region = 0; region < config_.count; ++region) {
        if (clean.test(region) || !replica.in_sync(region)) continue;
        replica.make_dirty(region);
        ++dirty;
      }
      config_.disk->store(replica.clean_bits());
      source += fmt::format(", {} more regions dirty on {}", dirty, config_.disk->name());
    } catch (const Error& e) {
      disk_failed_ = true;
      source += fmt::format(", log device {} failed: {}", config_.disk->name(), e.what());
    }
  }
  replica_.emplace(std::move(replica));
  return source;
}

void ClusterNode::initialise(uint64_t index) {
  std::string source =
      fmt::format("core, {}", config_.mode == SyncMode::kNoSync ? "nosync" : "resync all");
  if (stale_) {
    source = resume_stale();
  } else if (config_.disk == nullptr) {
    replica_.emplace(config_.count, config_.mode);
  } else {
    source = "read from " + config_.disk->name();
    try {
      const auto clean = config_.disk->load(config_.count, config_.mode);
      replica_.emplace(clean);
      config_.disk->store(clean);
    } catch (const Error& e) {
      // As the disk log: a log we cannot read makes every region out of
      // sync, and no flush succeeds.
      disk_failed_ = true;
      replica_.emplace(RegionBitset(config_.count, false));
      source = fmt::format("log device {} failed: {}", config_.disk->name(), e.what());
    }
  }
  parked_.clear();
  valid_set_ = {self_};
  if (out_ != nullptr) {
    out_->line(oplog::Level::kInfo, config_.label, "CPG", 355,
               fmt::format("initialised the cluster state ({}): {}/{} regions in sync", source,
                           replica_->sync_count(), replica_->count()));
  }
  become_valid(index);
}

void ClusterNode::become_valid(uint64_t index) {
  valid_ = true;
  hello_history_.clear();
  wants_rejoin_ = false;
  known_valid_.clear();
  note_server();
  if (!local_marks_.empty()) {
    // Marks this node's kernel still holds (it does not send them again).
    std::vector<uint64_t> regions(local_marks_.begin(), local_marks_.end());
    for (size_t at = 0; at < regions.size(); at += kMaxArguments) {
      const auto end = std::min(regions.size(), at + kMaxArguments);
      multicast(Request{0, static_cast<uint32_t>(RequestType::kMarkRegion),
                        std::vector<uint64_t>(regions.begin() + static_cast<std::ptrdiff_t>(at),
                                              regions.begin() + static_cast<std::ptrdiff_t>(end))});
    }
    if (out_ != nullptr) {
      out_->line(
          oplog::Level::kInfo, config_.label, "CPG", 360,
          fmt::format("re-marked {} regions this node's kernel holds marked", regions.size()));
    }
  }
  for (const auto seq : std::exchange(resume_seqs_, {})) answer_(seq, 0, {});
  while (!held_.empty()) {
    auto request = std::move(held_.front());
    held_.pop_front();
    multicast(request);
  }
  send_checkpoints(index);
}

void ClusterNode::send_checkpoints(uint64_t index) {
  if (!valid_) return;
  for (const auto& [member, hello] : hellos_) {
    if (member == self_ || hello.nonce == 0 || !members_.contains(member) ||
        valid_set_.contains(member) || checkpoint_sent_.contains(member)) {
      continue;
    }
    const auto join = static_cast<int64_t>(hello.index);
    // The lowest valid member that was in the group when its hello came.
    std::optional<Member> sender;
    for (const auto& v : valid_set_) {
      const auto it = members_.find(v);
      if (it != members_.end() && it->second < join) {
        sender = v;
        break;
      }
    }
    if (sender != self_) continue;
    Message message;
    message.type = MessageType::kCheckpoint;
    message.subject = member;
    message.checkpoint = replica_->snapshot();
    message.checkpoint.skip_events = index - hello.index;
    message.checkpoint.nonce = hello.nonce;
    message.checkpoint.valid.assign(valid_set_.begin(), valid_set_.end());
    checkpoint_sent_.insert(member);
    try {
      send_(encode(message));
    } catch (const Error&) {
      checkpoint_sent_.erase(member);
      continue;
    }
    if (out_ != nullptr) {
      out_->line(oplog::Level::kInfo, config_.label, "CPG", 353,
                 fmt::format("checkpoint sent to {}: {}/{} regions in sync, {} marks, {} pending "
                             "flushes, taken {} events after its hello",
                             to_string(member), replica_->sync_count(), replica_->count(),
                             replica_->mark_count(), replica_->pending_flushes().size(),
                             message.checkpoint.skip_events));
    }
  }
}

// ---- the server's disk writes -----------------------------------------

int ClusterNode::write_log() {
  if (disk_failed_) return -EIO;
  try {
    config_.disk->store(replica_->clean_bits());
    return 0;
  } catch (const Error& e) {
    disk_failed_ = true;
    if (out_ != nullptr) {
      out_->line(oplog::Level::kErr, config_.label, "IO", 361,
                 fmt::format("writing the log to {} failed: {}; every later flush fails",
                             config_.disk->name(), e.what()));
    }
    return -e.errno_value();
  }
}

void ClusterNode::finish_flush(const PendingFlush& flush, int error) {
  Message message;
  message.type = MessageType::kFlushDone;
  message.subject = flush.member;
  message.seq = flush.seq;
  message.error = error;
  try {
    send_(encode(message));
  } catch (const Error&) {
    // Lost with the connection; the next server answers it.
  }
}

void ClusterNode::write_and_finish_flushes() {
  const auto pending = replica_->pending_flushes();
  if (pending.empty()) return;
  const int error = write_log();
  for (const auto& flush : pending) finish_flush(flush, error);
  if (out_ != nullptr) {
    out_->line(
        oplog::Level::kInfo, config_.label, "CPG", 362,
        fmt::format("new server wrote the log for {} pending flushes: {}", pending.size(), error));
  }
}

// ---- losing corosync --------------------------------------------------

void ClusterNode::restart(const Member& self) {
  const bool had_joined = joined_ || valid_;
  self_ = self;
  events_ = 0;
  joined_ = false;
  members_.clear();
  known_valid_.clear();
  if (valid_ && replica_) stale_ = std::move(replica_);
  valid_ = false;
  replica_.reset();
  valid_set_.clear();
  server_.reset();
  checkpoint_sent_.clear();
  parked_.clear();
  hello_at_.reset();
  hellos_.clear();
  hello_history_.clear();
  wants_rejoin_ = false;
  std::vector<Request> again;
  for (const auto& [seq, request] : in_flight_) again.push_back(request);
  held_.insert(held_.begin(), again.begin(), again.end());
  in_flight_.clear();
  if (had_joined && out_ != nullptr) {
    out_->line(oplog::Level::kInfo, config_.label, "CPG", 363,
               fmt::format("rejoining as {}: replica dropped, {} requests to send again, {} "
                           "regions to re-mark",
                           to_string(self), held_.size(), local_marks_.size()));
  }
}

}  // namespace bb::dirtylog::cluster
