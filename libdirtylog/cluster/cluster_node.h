// SPDX-License-Identifier: GPL-2.0-or-later
// One node's member of a clustered log's CPG group (docs/clustered-logs.md):
// turns its kernel's requests into group messages, applies every delivered
// message and membership change to its Replica in the agreed order, and
// answers its kernel when its own message comes back.
//
// Independent of corosync: the group's transport hands deliver() and
// confchg() their events in delivery order and sends what `Send` gets with
// agreed ordering (cpg_group.h for libcpg, a fake bus in the tests).
//
//   * Valid: a node answers nothing before it holds the replica. It gets
//     it from a Checkpoint the group sends it, taken at a known point of
//     the stream after its join (skip_events); it parks every event it
//     delivers until then and applies those after that point. When no
//     member that can be valid remains (the first node; all started
//     together), the oldest member initialises the state itself
//     (clustered-disk: reads the disk log as the kernel's disk log resume
//     does) and sends it to the others.
//   * The checkpoint for a joiner X is sent by the lowest valid member that
//     was in the group when X joined (it can count the events X delivered
//     since), at each membership change and each checkpoint delivery until
//     X is valid; so if it leaves first, the next one sends.
//   * Server: the lowest valid member. Only it writes a clustered-disk
//     log, on each FLUSH, and multicasts FLUSH_DONE, on which the FLUSH's
//     originator answers; a new server writes and answers every FLUSH
//     still pending in the replica.
//   * Departure: the member's marked regions turn out of sync and its
//     recoveries are handed out again (Replica::depart), on every survivor
//     at the same point of the stream.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "cluster/cluster_state.h"
#include "cluster/cluster_wire.h"
#include "cluster/log_persistence.h"
#include "oplog/line_writer.h"
#include "table_params.h"

namespace bb::dirtylog::cluster {

struct NodeConfig {
  // "clustered-core" or "clustered-disk".
  std::string kind;
  region_t count = 0;
  SyncMode mode = SyncMode::kDefaultSync;
  // clustered-disk: the log device (not owned); null for clustered-core.
  LogPersistence* disk = nullptr;
  // The object of its log lines (log_label()).
  std::string label;
};

class ClusterNode {
 public:
  // Multicasts one encoded message with agreed ordering. Throws Error when
  // it cannot (then the transport reports the loss and restart() follows).
  using Send = std::function<void(std::vector<std::byte>)>;
  // Answers the kernel's request `seq`: 0 or -errno, and the payload.
  using Answer = std::function<void(uint32_t seq, int error, std::vector<std::byte> payload)>;

  // `out` may be null (no lines).
  ClusterNode(NodeConfig config, Member self, Send send, Answer answer, oplog::LineWriter* out);

  // The kernel's RESUME: answered once this node is valid.
  void resume(uint32_t seq);
  // A request that reads or changes the cluster state (MARK_REGION,
  // CLEAR_REGION, FLUSH, GET_RESYNC_WORK, SET_REGION_SYNC,
  // IS_REMOTE_RECOVERING, IN_SYNC, IS_CLEAN, GET_SYNC_COUNT, STATUS_INFO):
  // multicast now when valid, else held until valid. A GET_RESYNC_WORK
  // already held is the kernel's earlier try of this one (it timed out
  // and sent it again with a new seq): the new one replaces it, so no
  // region is handed out for an answer nobody waits for; returns the
  // replaced seq.
  std::optional<uint32_t> submit(uint32_t seq, uint32_t request_type,
                                 std::vector<uint64_t> arguments);

  // The group's events, in delivery order.
  void deliver(const Member& from, std::span<const std::byte> bytes);
  void confchg(const std::vector<Member>& members, const std::vector<Member>& joined,
               const std::vector<Member>& left);

  // The connection to corosync was lost (the group saw this node depart);
  // the node rejoins as `self`: it drops its replica and membership, takes
  // the requests it had sent and not yet seen answered back to send again,
  // and once valid re-marks every region its kernel still has marked.
  void restart(const Member& self);

  [[nodiscard]] bool valid() const { return valid_; }
  // Null while not valid.
  [[nodiscard]] const Replica* replica() const { return replica_ ? &*replica_ : nullptr; }
  [[nodiscard]] std::optional<Member> server() const;
  [[nodiscard]] const Member& self() const { return self_; }
  // No member that could send this node a checkpoint is left: leave the
  // group and join again (the transport's job).
  [[nodiscard]] bool wants_rejoin() const { return wants_rejoin_; }
  // The regions this node's kernel has marked and not cleared.
  [[nodiscard]] const std::set<region_t>& local_marks() const { return local_marks_; }
  [[nodiscard]] size_t waiting_requests() const { return held_.size() + in_flight_.size(); }
  // "1 clustered-core" / "3 clustered-disk <dev> A|D".
  [[nodiscard]] std::string status_info() const;

 private:
  struct Request {
    uint32_t seq = 0;
    uint32_t type = 0;
    std::vector<uint64_t> arguments;
  };
  struct Delivery {
    Member from;
    std::vector<std::byte> bytes;
  };
  struct Change {
    std::vector<Member> members, joined, left;
  };
  struct Event {
    uint64_t index = 0;
    std::variant<Delivery, Change> what;
  };
  // Order of joining: members present when this node joined count as the
  // oldest (join = -1); ties in one change go by (nodeid, pid).
  struct Age {
    int64_t join = -1;
    Member member;
    // clang-tidy 14 reads the literal 0 of a defaulted <=> as a null pointer.
    // NOLINTNEXTLINE(modernize-use-nullptr)
    auto operator<=>(const Age&) const = default;
  };

  void track_membership(const Change& change, uint64_t index);
  void apply(const Event& event);
  void apply_change(const Change& change, uint64_t index);
  void apply_message(const Member& from, const Message& message, uint64_t index);
  void apply_request(const Member& from, const Message& message);
  void apply_flush_done(const Message& message);
  void apply_checkpoint(const Message& message, uint64_t index);
  void import(const Member& from, const Message& message, uint64_t index);
  void send_hello();
  void hello(const Member& from, const Message& message);
  void note_joined(const Member& member, uint64_t index);
  // Whether a checkpoint for `member` with `nonce`, delivered at `index`,
  // answers that member's latest HELLO (while replaying: its latest HELLO
  // before `index`).
  [[nodiscard]] bool hello_matches(const Member& member, uint64_t nonce, uint64_t index) const;
  void initialise(uint64_t index);
  // The stale replica with every other member departed (and, for
  // clustered-disk, every region dirty on the device dirty); a line of
  // what it did.
  [[nodiscard]] std::string resume_stale();
  void become_valid(uint64_t index);
  void send_checkpoints(uint64_t index);
  void note_server();
  // 0 or -errno.
  int write_log();
  void finish_flush(const PendingFlush& flush, int error);
  void write_and_finish_flushes();
  void multicast(const Request& request);
  void finish(uint32_t seq, int error, std::vector<std::byte> payload);
  void drop(const Member& from, const std::string& reason);
  // Applies a request; its answer, or nullopt when a FLUSH_DONE answers it.
  [[nodiscard]] std::optional<std::vector<std::byte>> answer_of(const Member& from,
                                                                const Message& message);
  [[nodiscard]] std::optional<Age> age_of(const Member& member) const;
  [[nodiscard]] bool older_member_present() const;

  NodeConfig config_;
  Member self_;
  Send send_;
  Answer answer_;
  oplog::LineWriter* out_;

  // Live membership, known from the changes this node delivered.
  uint64_t events_ = 0;
  bool joined_ = false;
  std::map<Member, int64_t> members_;  // member -> join event (-1: before this node)
  std::set<Member> known_valid_;       // while not valid: members seen to get their state

  // The replicated group state (equal on every valid member).
  bool valid_ = false;
  std::optional<Replica> replica_;
  // The replica this node held when it lost corosync: if it finds itself
  // alone when it rejoins, it goes on from it rather than from scratch.
  std::optional<Replica> stale_;
  std::set<Member> valid_set_;
  std::optional<Member> server_;
  bool disk_failed_ = false;
  std::set<Member> checkpoint_sent_;

  std::vector<Event> parked_;
  // While replaying parked events, the members at the event replayed.
  std::set<Member> replay_members_;
  // This node's HELLO: its nonce and where it was delivered (from there on
  // it parks events); the members then.
  uint64_t nonce_ = 0;
  std::optional<uint64_t> hello_at_;
  std::set<Member> hello_members_;
  // Other members' HELLOs, for the checkpoints they need.
  struct Hello {
    uint64_t index = 0;
    uint64_t nonce = 0;
  };
  std::map<Member, Hello> hellos_;
  // While not valid, every HELLO since this node joined, for the replay.
  std::vector<std::pair<Member, Hello>> hello_history_;
  bool wants_rejoin_ = false;
  bool replaying_ = false;
  std::vector<uint32_t> resume_seqs_;
  std::deque<Request> held_;
  std::map<uint32_t, Request> in_flight_;
  std::set<region_t> local_marks_;
};

}  // namespace bb::dirtylog::cluster
