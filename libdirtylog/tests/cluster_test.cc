// SPDX-License-Identifier: GPL-2.0-or-later
// Clustered logs on an in-process group: a bus that delivers every
// message and membership change to every member in one global order, as
// corosync's CPG does with agreed ordering.
#include <gtest/gtest.h>

#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <variant>

#include "cluster/cluster_node.h"
#include "cluster/cluster_state.h"
#include "cluster/cluster_wire.h"
#include "cluster/log_persistence.h"
#include "disk/disk_log.h"
#include "disk/log_store.h"
#include "temp_file.h"
#include "userspace/ulog_protocol.h"

namespace bb::dirtylog::cluster {
namespace {

using ulog::RequestType;

constexpr region_t kRegions = 64;

uint32_t type(RequestType t) { return static_cast<uint32_t>(t); }

struct Answer {
  int error = 0;
  std::vector<uint64_t> values;
  std::string text;
};

class Bus;

// One member: a ClusterNode plus its kernel's answers.
struct Node {
  Member self;
  std::unique_ptr<ClusterNode> node;
  std::map<uint32_t, Answer> answers;
  bool in_group = false;
  // Each join is a new CPG connection: events of an earlier one (a crash
  // before its join was even delivered) never reach a later one.
  int incarnation = 0;
};

class Bus {
 public:
  explicit Bus(std::string kind = "clustered-core", SyncMode mode = SyncMode::kDefaultSync,
               LogPersistence* disk = nullptr)
      : kind_(std::move(kind)), mode_(mode), disk_(disk) {}

  // `disk`: this node's view of the log device (default: the bus's).
  Node& add(uint32_t nodeid, uint32_t pid, LogPersistence* disk = nullptr) {
    auto node = std::make_unique<Node>();
    node->self = Member{nodeid, pid};
    Node* raw = node.get();
    NodeConfig config{kind_, kRegions, mode_, disk != nullptr ? disk : disk_,
                      to_string(node->self)};
    node->node = std::make_unique<ClusterNode>(
        config, node->self,
        [this, raw](std::vector<std::byte> bytes) {
          if (!raw->in_group) throw Error(ENOTCONN, "not in the group");
          queue_.emplace_back(Message{raw->self, std::move(bytes)});
        },
        [raw](uint32_t seq, int error, std::vector<std::byte> payload) {
          Answer answer{error, {}, {}};
          if (payload.size() % 8 == 0 && !payload.empty())
            answer.values = ulog::unpack_u64(payload);
          answer.text = ulog::unpack_string(payload);
          raw->answers[seq] = answer;
        },
        &writer_);
    nodes_.push_back(std::move(node));
    return *raw;
  }

  // Membership changes go through the queue too, so they are ordered with
  // the messages already sent.
  void join(Node& node) {
    node.in_group = true;
    queue_.emplace_back(Change{{node.self}, {}, ++node.incarnation});
  }
  void leave(Node& node) {
    node.in_group = false;
    queue_.emplace_back(Change{{}, {node.self}, node.incarnation});
  }
  // Injects raw bytes as if `from` had multicast them.
  void inject(const Member& from, std::vector<std::byte> bytes) {
    queue_.emplace_back(Message{from, std::move(bytes)});
  }

  // Delivers one queued event to every member in the group.
  bool step() {
    if (queue_.empty()) return false;
    auto event = std::move(queue_.front());
    queue_.pop_front();
    if (auto* message = std::get_if<Message>(&event)) {
      for (auto& n : nodes_) {
        if (receives(*n)) n->node->deliver(message->from, message->bytes);
      }
      return true;
    }
    auto& change = std::get<Change>(event);
    if (std::getenv("BB_TEST_VERBOSE") != nullptr) {
      for (const auto& m : change.left) lines.push_back("BUS leave " + to_string(m));
      for (const auto& m : change.joined) lines.push_back("BUS join " + to_string(m));
    }
    for (const auto& m : change.left) {
      const auto it = members_.find(m);
      if (it != members_.end() && it->second == change.incarnation) members_.erase(it);
    }
    for (const auto& m : change.joined) members_[m] = change.incarnation;
    std::vector<Member> members;
    for (const auto& [m, incarnation] : members_) members.push_back(m);
    for (auto& n : nodes_) {
      if (receives(*n)) n->node->confchg(members, change.joined, change.left);
    }
    return true;
  }
  void run() {
    while (step()) {
    }
  }

  std::vector<std::string> lines;

 private:
  struct Message {
    Member from;
    std::vector<std::byte> bytes;
  };
  struct Change {
    std::vector<Member> joined, left;
    int incarnation = 0;
  };
  [[nodiscard]] bool receives(const Node& n) const {
    const auto it = members_.find(n.self);
    return n.in_group && it != members_.end() && it->second == n.incarnation;
  }
  std::string kind_;
  SyncMode mode_;
  LogPersistence* disk_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::deque<std::variant<Message, Change>> queue_;
  std::map<Member, int> members_;  // member -> the incarnation in the group
  oplog::LineWriter writer_{
      "dirtylogd", [this](oplog::Level, std::string_view line) { lines.emplace_back(line); }};
};

Message request_message(const Member& from, uint32_t seq, RequestType t,
                        std::vector<uint64_t> args) {
  Message m;
  m.type = MessageType::kRequest;
  m.subject = from;
  m.seq = seq;
  m.request_type = type(t);
  m.arguments = std::move(args);
  return m;
}

uint32_t next_seq = 1000;

uint32_t ask(Node& n, RequestType t, std::vector<uint64_t> args = {}) {
  const uint32_t seq = ++next_seq;
  n.node->submit(seq, type(t), std::move(args));
  return seq;
}

bool has_line(const Bus& bus, std::string_view text) {
  return std::any_of(bus.lines.begin(), bus.lines.end(),
                     [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

void expect_same(const Node& a, const Node& b) {
  ASSERT_TRUE(a.node->valid());
  ASSERT_TRUE(b.node->valid());
  EXPECT_EQ(a.node->replica()->sync_count(), b.node->replica()->sync_count());
  EXPECT_EQ(a.node->replica()->sync_bits(), b.node->replica()->sync_bits());
  EXPECT_EQ(a.node->replica()->clean_bits(), b.node->replica()->clean_bits());
  EXPECT_TRUE(*a.node->replica() == *b.node->replica());
}

// Two members, both started fresh as nosync.
struct TwoNodes : ::testing::Test {
  Bus bus{"clustered-core", SyncMode::kNoSync};
  Node& a = bus.add(1, 100);
  Node& b = bus.add(2, 200);
  void SetUp() override {
    a.node->resume(1);
    b.node->resume(2);
    bus.join(a);
    bus.run();
    bus.join(b);
    bus.run();
  }
};

TEST_F(TwoNodes, ResumeIsAnsweredOnceValid) {
  EXPECT_TRUE(a.answers.contains(1));
  EXPECT_TRUE(b.answers.contains(2));
  EXPECT_TRUE(has_line(bus, "[CPG:355] initialised the cluster state"));
  EXPECT_TRUE(has_line(bus, "[CPG:354] checkpoint imported from 1:100"));
  EXPECT_EQ(a.node->server(), (Member{1, 100}));
  EXPECT_EQ(b.node->server(), (Member{1, 100}));
}

TEST_F(TwoNodes, MarksAndClearsAgree) {
  const auto m = ask(a, RequestType::kMarkRegion, {3, 5});
  ask(b, RequestType::kMarkRegion, {5, 7});
  bus.run();
  EXPECT_EQ(a.answers.at(m).error, 0);
  expect_same(a, b);
  EXPECT_FALSE(a.node->replica()->is_clean(5));
  const auto c = ask(a, RequestType::kClearRegion, {3, 5});
  const auto f = ask(a, RequestType::kFlush);
  bus.run();
  EXPECT_TRUE(a.answers.contains(c));
  EXPECT_EQ(a.answers.at(f).error, 0);
  EXPECT_TRUE(b.node->replica()->is_clean(3));
  EXPECT_FALSE(b.node->replica()->is_clean(5));  // b still writes there
  const auto q = ask(b, RequestType::kIsClean, {5});
  bus.run();
  EXPECT_EQ(b.answers.at(q).values, std::vector<uint64_t>{0});
  ask(b, RequestType::kClearRegion, {5, 7});
  bus.run();
  expect_same(a, b);
  EXPECT_TRUE(a.node->replica()->is_clean(5));
  EXPECT_EQ(a.node->local_marks().size(), 0U);
}

TEST_F(TwoNodes, CrashedMemberMarksBecomeRecoveryWorkOnePerRegion) {
  ask(b, RequestType::kMarkRegion, {10, 11, 40});
  ask(a, RequestType::kMarkRegion, {11, 12});
  bus.run();
  bus.leave(b);  // crash: no postsuspend
  bus.run();
  EXPECT_TRUE(has_line(bus,
                       "[CPG:352] member 2:200 departed: 3 regions it had marked now out of "
                       "sync (10 11 40)"));
  const auto& replica = *a.node->replica();
  EXPECT_EQ(replica.sync_count(), kRegions - 3);
  for (region_t r = 0; r < kRegions; ++r)
    EXPECT_EQ(replica.in_sync(r), r != 10 && r != 11 && r != 40) << r;
  // A third node joins and both resync: every region handed out once.
  Node& c = bus.add(3, 300);
  c.node->resume(3);
  bus.join(c);
  bus.run();
  expect_same(a, c);
  std::set<uint64_t> handed;
  for (int round = 0; round < 4; ++round) {
    const auto wa = ask(a, RequestType::kGetResyncWork);
    const auto wc = ask(c, RequestType::kGetResyncWork);
    bus.run();
    for (const auto* answer : {&a.answers.at(wa), &c.answers.at(wc)}) {
      if (answer->values[0] == 0) continue;
      EXPECT_TRUE(handed.insert(answer->values[1]).second) << answer->values[1];
    }
  }
  EXPECT_EQ(handed, (std::set<uint64_t>{10, 11, 40}));
  // While a recovers 10, c is told someone else does.
  const auto r = ask(c, RequestType::kIsRemoteRecovering, {10});
  bus.run();
  EXPECT_EQ(c.answers.at(r).values[0], 1U);
  for (const auto region : handed) {
    ask(a, RequestType::kSetRegionSync, {region, 1});
    ask(c, RequestType::kSetRegionSync, {region, 1});
  }
  ask(a, RequestType::kClearRegion, {11, 12});
  bus.run();
  expect_same(a, c);
  EXPECT_EQ(a.node->replica()->sync_count(), kRegions);
  EXPECT_TRUE(a.node->replica()->is_clean(11));
}

TEST_F(TwoNodes, JoinerWhileOthersWriteEndsIdentical) {
  Node& c = bus.add(3, 300);
  c.node->resume(9);
  for (uint64_t i = 0; i < 6; ++i) ask(a, RequestType::kMarkRegion, {i});
  bus.join(c);  // joins in the middle of the stream
  for (uint64_t i = 0; i < 6; ++i) {
    ask(b, RequestType::kMarkRegion, {20 + i});
    ask(a, RequestType::kClearRegion, {i});
    ask(b, RequestType::kSetRegionSync, {30 + i, 0});
  }
  // Step by step: c's requests before it is valid wait.
  const auto early = ask(c, RequestType::kGetSyncCount);
  bus.run();
  EXPECT_TRUE(c.answers.contains(9));
  expect_same(a, c);
  expect_same(b, c);
  const auto ca = ask(a, RequestType::kGetSyncCount);
  bus.run();
  EXPECT_EQ(c.answers.at(early).error, 0);
  EXPECT_EQ(a.answers.at(ca).values, std::vector<uint64_t>{kRegions - 6});
  EXPECT_EQ(c.node->replica()->sync_count(), kRegions - 6);
}

TEST_F(TwoNodes, JoinerGetsCheckpointWhenTheSenderLeavesFirst) {
  Node& c = bus.add(3, 300);
  c.node->resume(9);
  ask(b, RequestType::kMarkRegion, {4});
  bus.join(c);
  bus.leave(a);  // a leaves before its checkpoint is delivered... maybe
  // Deliver only up to the leave, then everything.
  bus.run();
  EXPECT_TRUE(c.node->valid());
  expect_same(b, c);
  EXPECT_EQ(b.node->server(), (Member{2, 200}));
}

// One node's handle on the shared log device, counting its writes.
class CountingDisk final : public LogPersistence {
 public:
  explicit CountingDisk(const std::string& path) : disk_(disk::open_log_device(path), kRegions) {}
  [[nodiscard]] std::string name() const override { return disk_.name(); }
  [[nodiscard]] RegionBitset load(region_t count, SyncMode mode) override {
    ++loads;
    return disk_.load(count, mode);
  }
  void store(const RegionBitset& clean) override {
    ++stores;
    disk_.store(clean);
  }
  int loads = 0;
  int stores = 0;

 private:
  DiskPersistence disk_;
};

TEST(ClusterDisk, OnlyTheServerWritesTheLogAndANewServerAnswersPendingFlushes) {
  bb::dirtylog::testing::TempFile file(size_t{1} << 20);
  CountingDisk disk_a(file.path());
  CountingDisk disk_b(file.path());
  Bus bus("clustered-disk", SyncMode::kNoSync);
  Node& a = bus.add(1, 100, &disk_a);
  Node& b = bus.add(2, 200, &disk_b);
  bus.join(a);
  bus.run();
  bus.join(b);
  bus.run();
  ASSERT_TRUE(b.node->valid());
  // nosync: a new log, all in sync.
  EXPECT_EQ(b.node->replica()->sync_count(), kRegions);
  const auto f = ask(b, RequestType::kFlush, {7, 9});
  bus.step();  // b's FLUSH: a (server) writes and sends FLUSH_DONE
  EXPECT_FALSE(b.answers.contains(f));
  bus.run();
  EXPECT_EQ(b.answers.at(f).error, 0);
  const auto m = ask(b, RequestType::kMarkRegion, {20});
  const auto c = ask(b, RequestType::kClearRegion, {20});
  const auto g0 = ask(b, RequestType::kFlush);
  bus.run();
  EXPECT_EQ(b.answers.at(m).error, 0);
  EXPECT_EQ(b.answers.at(c).error, 0);
  EXPECT_EQ(b.answers.at(g0).error, 0);
  EXPECT_EQ(disk_a.loads, 1);  // a initialised the state from the device
  EXPECT_EQ(disk_b.loads, 0);
  EXPECT_EQ(disk_b.stores, 0);  // only the server writes
  EXPECT_EQ(disk_a.stores, 4);  // written back at start, then FLUSH, MARK, FLUSH
  {
    // The kernel's disk log reads what the server wrote: 7 and 9 dirty.
    DiskLog reader({kRegions * 8, {}}, std::vector<std::string>{file.path(), "8"},
                   disk::open_log_device(file.path()));
    reader.resume();
    EXPECT_EQ(reader.get_sync_count(), kRegions - 2);
    EXPECT_FALSE(reader.is_clean(7));
    EXPECT_FALSE(reader.is_clean(9));
    EXPECT_TRUE(reader.is_clean(8));
  }
  // The server leaves with b's FLUSH delivered but not answered.
  const auto g = ask(b, RequestType::kFlush, {12});
  bus.leave(a);
  // a's node would write at delivery: take it out of the group first.
  bus.run();
  EXPECT_EQ(b.answers.at(g).error, 0);
  EXPECT_EQ(b.node->server(), (Member{2, 200}));
  EXPECT_EQ(disk_b.stores, 1);  // the new server wrote for the pending flush
  EXPECT_TRUE(has_line(bus, "[CPG:362] new server wrote the log for 1 pending flushes: 0"));
  DiskLog reader({kRegions * 8, {}}, std::vector<std::string>{file.path(), "8"},
                 disk::open_log_device(file.path()));
  reader.resume();
  EXPECT_FALSE(reader.is_clean(12));
  EXPECT_TRUE(reader.is_clean(20));
}

TEST(ClusterWire, RoundTripsAndRejectsDamage) {
  const Message request = request_message({1, 2}, 7, RequestType::kMarkRegion, {3, 4});
  EXPECT_EQ(decode(encode(request)), request);
  Replica replica(kRegions, SyncMode::kDefaultSync);
  replica.mark({1, 2}, 5);
  (void)replica.resync_work({2, 3});
  replica.add_pending_flush({1, 2}, 9);
  (void)replica.remote_recovering({1, 2}, 7);
  Message cp;
  cp.type = MessageType::kCheckpoint;
  cp.subject = {3, 4};
  cp.checkpoint = replica.snapshot();
  cp.checkpoint.valid = {{1, 2}, {2, 3}};
  cp.checkpoint.skip_events = 4;
  const auto bytes = encode(cp);
  EXPECT_EQ(decode(bytes), cp);
  EXPECT_TRUE(Replica(decode(bytes).checkpoint) == replica);
  for (size_t cut = 0; cut < bytes.size(); ++cut)
    EXPECT_THROW((void)decode(std::span(bytes).first(cut)), Error) << cut;
  auto foreign = bytes;
  foreign[0] = std::byte{'X'};
  EXPECT_THROW((void)decode(foreign), Error);
  auto version = bytes;
  version[4] = std::byte{9};
  EXPECT_THROW((void)decode(version), Error);
  auto count = bytes;
  count[32 + 8] = std::byte{0x7F};  // sync count disagrees with the bits
  EXPECT_THROW((void)decode(count), Error);
}

TEST_F(TwoNodes, MalformedAndForeignMessagesAreDroppedReplicaUnchanged) {
  ask(a, RequestType::kMarkRegion, {1});
  bus.run();
  const Replica before = *a.node->replica();
  bus.inject(b.self, {std::byte{1}, std::byte{2}, std::byte{3}});
  auto truncated = encode(request_message(b.self, 1, RequestType::kMarkRegion, {9}));
  truncated.pop_back();
  bus.inject(b.self, truncated);
  // A request claiming another originator.
  bus.inject(b.self, encode(request_message(a.self, 1, RequestType::kMarkRegion, {9})));
  // A checkpoint of the wrong size for a valid member: ignored.
  bus.run();
  EXPECT_TRUE(*a.node->replica() == before);
  EXPECT_TRUE(*b.node->replica() == before);
  EXPECT_TRUE(has_line(bus, "[CPG:359] dropped a cluster message from 2:200"));
}

TEST_F(TwoNodes, RejoinAfterCorosyncRestartReMarks) {
  ask(b, RequestType::kMarkRegion, {21, 22});
  bus.run();
  ask(b, RequestType::kClearRegion, {22});
  bus.run();
  // b's corosync restarts: the group sees b depart.
  bus.leave(b);
  const auto lost = ask(b, RequestType::kGetSyncCount);  // fails to send
  bus.run();
  EXPECT_FALSE(a.node->replica()->in_sync(21));
  b.node->restart(b.self);
  EXPECT_FALSE(b.node->valid());
  bus.join(b);
  bus.run();
  ASSERT_TRUE(b.node->valid());
  expect_same(a, b);
  EXPECT_TRUE(b.answers.contains(lost));
  EXPECT_TRUE(has_line(bus, "[CPG:360] re-marked 1 regions"));
  EXPECT_FALSE(a.node->replica()->is_clean(21));
  // a recovers 21 while b still has it marked: it stays dirty until b clears.
  const auto w = ask(a, RequestType::kGetResyncWork);
  bus.run();
  EXPECT_EQ(a.answers.at(w).values, (std::vector<uint64_t>{1, 21}));
  ask(a, RequestType::kSetRegionSync, {21, 1});
  bus.run();
  EXPECT_FALSE(b.node->replica()->is_clean(21));
  ask(b, RequestType::kClearRegion, {21});
  bus.run();
  EXPECT_TRUE(b.node->replica()->is_clean(21));
  expect_same(a, b);
}

TEST(ClusterResync, AWriteWaitingForARegionMovesItToTheFrontOnEveryReplica) {
  Bus bus("clustered-core", SyncMode::kDefaultSync);  // all out of sync
  Node& a = bus.add(1, 1);
  Node& b = bus.add(2, 1);
  bus.join(a);
  bus.join(b);
  bus.run();
  const auto first = ask(b, RequestType::kGetResyncWork);
  const auto waiting = ask(a, RequestType::kIsRemoteRecovering, {50});
  const auto next = ask(b, RequestType::kGetResyncWork);
  bus.run();
  EXPECT_EQ(b.answers.at(first).values, (std::vector<uint64_t>{1, 0}));
  EXPECT_EQ(a.answers.at(waiting).values, (std::vector<uint64_t>{1, 0}));
  EXPECT_EQ(b.answers.at(next).values, (std::vector<uint64_t>{1, 50}));
  expect_same(a, b);
  // b recovers 50 and 0: a asks again and may write; every region below
  // the hint (the first one out of sync) is in sync.
  ask(b, RequestType::kSetRegionSync, {50, 1});
  ask(b, RequestType::kSetRegionSync, {0, 1});
  const auto again = ask(a, RequestType::kIsRemoteRecovering, {50});
  bus.run();
  EXPECT_EQ(a.answers.at(again).values, (std::vector<uint64_t>{0, 1}));
}

TEST(ClusterResync, AResentResyncRequestReplacesTheHeldOne) {
  Bus bus("clustered-core", SyncMode::kDefaultSync);
  Node& a = bus.add(1, 1);
  const auto first = ask(a, RequestType::kGetResyncWork);  // not valid yet: held
  const auto again = ++next_seq;
  EXPECT_EQ(a.node->submit(again, type(RequestType::kGetResyncWork), {}), first);
  bus.join(a);
  bus.run();
  EXPECT_FALSE(a.answers.contains(first));
  EXPECT_EQ(a.answers.at(again).values, (std::vector<uint64_t>{1, 0}));
  const auto next = ask(a, RequestType::kGetResyncWork);
  bus.run();
  EXPECT_EQ(a.answers.at(next).values, (std::vector<uint64_t>{1, 1}));
}

TEST(ClusterRejoin, ALoneNodeGoesOnFromItsOwnReplicaNotFromScratch) {
  Bus bus("clustered-core", SyncMode::kNoSync);
  Node& a = bus.add(1, 1);
  Node& b = bus.add(2, 1);
  bus.join(a);
  bus.run();
  bus.join(b);
  bus.run();
  ask(b, RequestType::kMarkRegion, {9});
  ask(a, RequestType::kMarkRegion, {4});
  bus.run();
  bus.leave(b);  // b crashes: 9 out of sync
  bus.run();
  // a loses corosync; alone when it comes back: nosync must not make 9
  // in sync again.
  bus.leave(a);
  bus.run();
  a.node->restart(a.self);
  bus.join(a);
  bus.run();
  ASSERT_TRUE(a.node->valid());
  EXPECT_FALSE(a.node->replica()->in_sync(9));
  EXPECT_EQ(a.node->replica()->sync_count(), kRegions - 1);
  EXPECT_FALSE(a.node->replica()->is_clean(4));  // re-marked
  EXPECT_TRUE(has_line(bus, "[CPG:355] initialised the cluster state (kept this node's replica"));
}

// Random joins, crashes, corosync restarts and requests, delivered with
// random interleaving: in the end every member of the group is valid and
// all replicas are the same, and every request of a member still in the
// group was answered.
TEST(ClusterRandom, ReplicasAgreeWhateverHappens) {
  const char* seed_env = std::getenv("BB_SEED");  // one seed, to debug it
  const uint32_t first = seed_env != nullptr ? static_cast<uint32_t>(std::stoul(seed_env)) : 1;
  for (uint32_t seed = first; seed <= (first == 1 ? 40 : first); ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937 random(seed);
    const auto pick = [&](size_t n) {
      return std::uniform_int_distribution<size_t>(0, n - 1)(random);
    };
    Bus bus("clustered-core", seed % 2 == 0 ? SyncMode::kNoSync : SyncMode::kDefaultSync);
    std::vector<Node*> nodes;
    std::map<const Node*, std::vector<uint32_t>> asked;
    // After every delivery all valid members in the group hold one replica.
    bool diverged = false;
    const auto check = [&](const char* where) {
      const Node* first_valid = nullptr;
      for (const auto* n : nodes) {
        if (!n->in_group || !n->node->valid() || diverged) continue;
        if (first_valid == nullptr) {
          first_valid = n;
        } else if (!(*first_valid->node->replica() == *n->node->replica())) {
          diverged = true;
          ADD_FAILURE() << "replicas of " << to_string(first_valid->self) << " and "
                        << to_string(n->self) << " differ after " << where << " (line "
                        << bus.lines.size() << ")";
          if (std::getenv("BB_TEST_VERBOSE") != nullptr) {
            for (const auto& line : bus.lines) std::cerr << line << "\n";
          }
        }
      }
    };
    uint32_t next_node = 1;
    for (int step = 0; step < 300; ++step) {
      const size_t action = pick(20);
      if (action == 0 || nodes.empty()) {
        Node& n = bus.add(next_node % 3 + 1, next_node);  // a few nodeids, many pids
        ++next_node;
        n.node->resume(++next_seq);
        bus.join(n);
        nodes.push_back(&n);
      } else if (action == 1 && nodes.size() > 1) {
        const size_t i = pick(nodes.size());
        if (nodes[i]->in_group) {
          bus.lines.push_back("TEST crash " + to_string(nodes[i]->self));
          bus.leave(*nodes[i]);  // crash
        }
      } else if (action == 2) {
        Node& n = *nodes[pick(nodes.size())];
        if (!n.in_group) {  // corosync came back
          bus.lines.push_back("TEST restart " + to_string(n.self));
          n.node->restart(n.self);
          asked[&n].clear();
          bus.join(n);
        }
      } else if (action < 8) {
        for (size_t k = pick(4); k > 0; --k) {
          (void)bus.step();
          check("a step");
        }
      } else {
        Node& n = *nodes[pick(nodes.size())];
        if (!n.in_group) continue;
        const region_t region = pick(kRegions);
        static const RequestType kTypes[] = {
            RequestType::kMarkRegion,         RequestType::kClearRegion,
            RequestType::kGetResyncWork,      RequestType::kSetRegionSync,
            RequestType::kIsRemoteRecovering, RequestType::kFlush,
            RequestType::kGetSyncCount};
        const auto t = kTypes[pick(std::size(kTypes))];
        std::vector<uint64_t> args;
        if (t == RequestType::kMarkRegion || t == RequestType::kClearRegion ||
            t == RequestType::kIsRemoteRecovering) {
          args = {region};
        } else if (t == RequestType::kSetRegionSync) {
          args = {region, pick(4) != 0 ? 1U : 0U};
        }
        const uint32_t seq = ++next_seq;
        if (const auto replaced = n.node->submit(seq, type(t), args))
          std::erase(asked[&n], *replaced);  // the kernel's earlier try, given up
        asked[&n].push_back(seq);
      }
    }
    while (bus.step()) check("a final step");
    // What the daemon does for a node that wants to rejoin: leave, join again.
    for (bool again = true; again;) {
      again = false;
      for (auto* n : nodes) {
        if (!n->in_group || !n->node->wants_rejoin()) continue;
        bus.leave(*n);
        n->node->restart(n->self);
        bus.join(*n);
        again = true;
      }
      bus.run();
    }
    const Node* reference = nullptr;
    for (const auto* n : nodes) {
      if (!n->in_group) continue;
      if (!n->node->valid() && std::getenv("BB_TEST_VERBOSE") != nullptr) {
        for (const auto& line : bus.lines) std::cerr << line << "\n";
      }
      ASSERT_TRUE(n->node->valid())
          << to_string(n->self) << " wants rejoin " << n->node->wants_rejoin();
      const auto& replica = *n->node->replica();
      EXPECT_EQ(replica.sync_count(), replica.sync_bits().popcount());
      if (reference == nullptr) {
        reference = n;
      } else {
        if (std::getenv("BB_TEST_VERBOSE") != nullptr &&
            !(*reference->node->replica() == replica)) {
          std::cerr << "differ: " << to_string(reference->self) << " " << to_string(n->self)
                    << "\n";
          for (const auto& line : bus.lines) std::cerr << line << "\n";
        }
        expect_same(*reference, *n);
      }
      for (const auto seq : asked[n]) {
        EXPECT_TRUE(n->answers.contains(seq))
            << seq << " of " << to_string(n->self) << " waiting " << n->node->waiting_requests();
      }
    }
  }
}

TEST(ClusterStart, MembersJoiningTogetherInitialiseOnce) {
  Bus bus("clustered-core", SyncMode::kDefaultSync);
  Node& a = bus.add(2, 1);
  Node& b = bus.add(1, 1);
  Node& c = bus.add(3, 1);
  bus.join(a);
  bus.join(b);
  bus.join(c);
  bus.run();
  expect_same(a, b);
  expect_same(a, c);
  EXPECT_EQ(a.node->replica()->sync_count(), 0U);
  EXPECT_EQ(
      std::count_if(bus.lines.begin(), bus.lines.end(),
                    [](const std::string& l) { return l.find("[CPG:355]") != std::string::npos; }),
      1);
}

}  // namespace
}  // namespace bb::dirtylog::cluster
