// SPDX-License-Identifier: GPL-2.0-or-later
// dirtylogd's clustered logs end to end, minus the kernel and corosync:
// ClusterLogs of two "daemons" on an in-process group, fed dm_ulog
// requests as the kernel sends them.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "daemon/cluster_logs.h"
#include "temp_file.h"
#include "userspace/ulog_protocol.h"

namespace bb::dirtylog {
namespace {

using cluster::Member;
using ulog::RequestType;

// Every joined transport gets every event in the order they were made.
class FakeNet {
 public:
  class Transport;
  bool up = true;
  std::vector<Transport*> transports;
  std::set<Member> members;
  int next_fd = 100;
  uint32_t next_pid = 1;

  void broadcast(const std::function<void(Transport&)>& event);
};

class FakeNet::Transport final : public cluster::GroupTransport {
 public:
  Transport(FakeNet& net, uint32_t nodeid, cluster::GroupCallbacks callbacks)
      : net_(net), nodeid_(nodeid), callbacks_(std::move(callbacks)), fd_(net.next_fd++) {}
  ~Transport() override {
    std::erase(net_.transports, this);
    if (!joined_) return;
    net_.members.erase(self_);
    const Member self = self_;
    net_.broadcast([&, self](Transport& t) {
      t.inbox_.emplace_back(
          [&t, self, members = std::vector<Member>(t.net_.members.begin(), t.net_.members.end())] {
            t.callbacks_.confchg(members, {}, {self});
          });
    });
  }
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  Transport(Transport&&) = delete;
  Transport& operator=(Transport&&) = delete;

  Member join() override {
    if (!net_.up) throw Error(ECONNREFUSED, "corosync is not running");
    self_ = Member{nodeid_, net_.next_pid++};
    joined_ = true;
    net_.members.insert(self_);
    net_.transports.push_back(this);
    const Member self = self_;
    const std::vector<Member> members(net_.members.begin(), net_.members.end());
    net_.broadcast([self, members](Transport& t) {
      t.inbox_.emplace_back([&t, self, members] { t.callbacks_.confchg(members, {self}, {}); });
    });
    return self_;
  }
  void send(std::span<const std::byte> bytes) override {
    if (!net_.up) throw Error(ECONNRESET, "corosync went away");
    const Member self = self_;
    std::vector<std::byte> copy(bytes.begin(), bytes.end());
    net_.broadcast([self, copy](Transport& t) {
      t.inbox_.emplace_back([&t, self, copy] { t.callbacks_.deliver(self, copy); });
    });
  }
  [[nodiscard]] int fd() const override { return fd_; }
  void dispatch() override {
    if (!net_.up) throw Error(ECONNRESET, "corosync went away");
    while (!inbox_.empty()) {
      auto event = std::move(inbox_.front());
      inbox_.pop_front();
      event();
    }
  }
  [[nodiscard]] bool busy() const { return !inbox_.empty(); }

 private:
  FakeNet& net_;
  uint32_t nodeid_;
  cluster::GroupCallbacks callbacks_;
  int fd_;
  Member self_;
  bool joined_ = false;
  std::deque<std::function<void()>> inbox_;
};

void FakeNet::broadcast(const std::function<void(Transport&)>& event) {
  for (auto* t : transports) event(*t);
}

struct Daemon {
  Daemon(FakeNet& net, uint32_t nodeid)
      : logs(
            out,
            [&net, nodeid](const std::string&, cluster::GroupCallbacks callbacks)
                -> std::unique_ptr<cluster::GroupTransport> {
              return std::make_unique<FakeNet::Transport>(net, nodeid, std::move(callbacks));
            },
            [this](const ulog::Request& answer) { answers[answer.seq] = answer; }) {}

  std::vector<std::string> lines;
  oplog::LineWriter out{"dirtylogd",
                        [this](oplog::Level, std::string_view line) { lines.emplace_back(line); }};
  std::map<uint32_t, ulog::Request> answers;
  ClusterLogs logs;
};

uint32_t seq_counter = 0;

ulog::Request request(RequestType type, std::vector<std::byte> data = {}) {
  ulog::Request r;
  r.luid = 7;
  r.uuid = "LVM-clustertest";
  r.seq = ++seq_counter;
  r.request_type = static_cast<uint32_t>(type);
  r.data = std::move(data);
  return r;
}

std::vector<std::byte> regions(std::initializer_list<uint64_t> values) {
  return ulog::pack_u64(std::span(values.begin(), values.size()));
}

uint32_t send(Daemon& d, const ulog::Request& r) {
  EXPECT_TRUE(d.logs.takes(r) || r.type() != static_cast<uint32_t>(RequestType::kCtr));
  d.logs.handle(r);
  return r.seq;
}

void pump(const std::vector<Daemon*>& daemons) {
  for (int round = 0; round < 100; ++round) {
    for (auto* d : daemons)
      for (const int fd : d->logs.fds()) d->logs.dispatch(fd);
  }
}

TEST(ClusterLogs, TwoDaemonsServeOneClusteredCoreLog) {
  FakeNet net;
  Daemon a(net, 1);
  Daemon b(net, 2);
  const auto ctr = ulog::pack_string("8192 clustered-core 64");
  for (auto* d : {&a, &b}) {
    const auto s = send(*d, request(RequestType::kCtr, ctr));
    EXPECT_EQ(d->answers.at(s).error, 0);
  }
  const auto ra = send(a, request(RequestType::kResume));
  pump({&a, &b});
  EXPECT_EQ(a.answers.at(ra).error, 0);
  const auto rb = send(b, request(RequestType::kResume));
  const auto early = send(b, request(RequestType::kGetSyncCount));
  EXPECT_FALSE(b.answers.contains(early));
  pump({&a, &b});
  EXPECT_EQ(b.answers.at(rb).error, 0);
  EXPECT_EQ(ulog::unpack_u64(b.answers.at(early).data), std::vector<uint64_t>{0});
  const auto mark = send(b, request(RequestType::kMarkRegion, regions({3})));
  pump({&a, &b});
  EXPECT_EQ(b.answers.at(mark).error, 0);
  const auto clean = send(a, request(RequestType::kIsClean, regions({3})));
  pump({&a, &b});
  EXPECT_EQ(ulog::unpack_u64(a.answers.at(clean).data), std::vector<uint64_t>{0});
  const auto size = send(a, request(RequestType::kGetRegionSize));
  EXPECT_EQ(ulog::unpack_u64(a.answers.at(size).data), std::vector<uint64_t>{64});
  const auto table = send(a, request(RequestType::kStatusTable));
  EXPECT_EQ(ulog::unpack_string(a.answers.at(table).data), "clustered-core 1 64 ");
  // b suspends: it leaves, its mark becomes recovery work on a.
  send(b, request(RequestType::kPostsuspend));
  pump({&a, &b});
  const auto in_sync = send(a, request(RequestType::kInSync, regions({3})));
  pump({&a, &b});
  EXPECT_EQ(ulog::unpack_u64(a.answers.at(in_sync).data), std::vector<uint64_t>{0});
  send(b, request(RequestType::kDtr));
  EXPECT_EQ(b.logs.log_count(), 0U);
}

TEST(ClusterLogs, CorosyncDownRequestsWaitThenBackoffJoins) {
  FakeNet net;
  net.up = false;
  Daemon a(net, 1);
  send(a, request(RequestType::kCtr, ulog::pack_string("8192 clustered-core 64 nosync")));
  const auto r = send(a, request(RequestType::kResume));
  EXPECT_FALSE(a.answers.contains(r));
  const auto next = a.logs.tick(ClusterLogs::Clock::now());
  ASSERT_TRUE(next.has_value());
  EXPECT_LE(*next, std::chrono::milliseconds(100));
  net.up = true;
  (void)a.logs.tick(ClusterLogs::Clock::now() + std::chrono::seconds(1));
  pump({&a});
  EXPECT_EQ(a.answers.at(r).error, 0);
  const auto count = send(a, request(RequestType::kGetSyncCount));
  pump({&a});
  EXPECT_EQ(ulog::unpack_u64(a.answers.at(count).data), std::vector<uint64_t>{128});
  EXPECT_TRUE(std::any_of(a.lines.begin(), a.lines.end(), [](const std::string& line) {
    return line.find("[CPG:358] cannot join group bb-dirtylog:LVM-clustertest") !=
           std::string::npos;
  }));
}

TEST(ClusterLogs, GroupNamesFitCpg) {
  EXPECT_EQ(cluster::group_name("abc"), "bb-dirtylog:abc");
  const std::string long_uuid(128, 'u');
  const auto name = cluster::group_name(long_uuid);
  EXPECT_EQ(name.size(), 128U);
  EXPECT_EQ(name, cluster::group_name(long_uuid));
  EXPECT_NE(name, cluster::group_name(std::string(127, 'u') + "v"));
}

}  // namespace
}  // namespace bb::dirtylog
