// SPDX-License-Identifier: GPL-2.0-or-later
// Host integration: the clustered log's nodes on the real libcpg. Starts a
// one-node corosync bound to 127.0.0.1 only (knet, no crypto, its state in
// a temporary directory) and runs two processes of this test in one group
// (same nodeid, different pids). Skips when corosync cannot start (not
// installed, not root, or a corosync already runs: /var/run/corosync.pid).
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <thread>

#include "cluster/cluster_node.h"
#include "cluster/cpg_group.h"
#include "daemon/cluster_logs.h"
#include "userspace/ulog_protocol.h"

namespace bb::dirtylog::cluster {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using ulog::RequestType;

constexpr region_t kRegions = 32;

class Corosync {
 public:
  Corosync() {
    if (::geteuid() != 0) {
      reason_ = "needs root";
      return;
    }
    if (!fs::exists("/usr/sbin/corosync")) {
      reason_ = "corosync is not installed";
      return;
    }
    if (fs::exists("/var/run/corosync.pid")) {
      reason_ = "a corosync already runs (/var/run/corosync.pid)";
      return;
    }
    char pattern[] = "/tmp/bb-cpg-test-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
      reason_ = "mkdtemp failed";
      return;
    }
    dir_ = pattern;
    const auto conf = dir_ / "corosync.conf";
    std::ofstream(conf) << "totem {\n  version: 2\n  cluster_name: bbcpgtest\n  transport: knet\n"
                           "  crypto_cipher: none\n  crypto_hash: none\n}\n"
                           "nodelist {\n  node {\n    nodeid: 1\n    name: local\n"
                           "    ring0_addr: 127.0.0.1\n  }\n}\n"
                           "quorum {\n  provider: corosync_votequorum\n}\n"
                           "logging {\n  to_stderr: yes\n  to_syslog: no\n  to_logfile: no\n}\n"
                           "system {\n  state_dir: "
                        << dir_.string() << "\n}\n";
    conf_ = conf.string();
    start();
  }

  // Starts corosync and waits until a CPG client can connect; on failure
  // skip_reason() says why.
  void start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string log = (dir_ / "corosync.log").string();
      // NOLINTNEXTLINE(cert-err33-c,cppcoreguidelines-owning-memory)
      std::freopen(log.c_str(), "a", stderr);
      // NOLINTNEXTLINE(cert-err33-c,cppcoreguidelines-owning-memory)
      std::freopen(log.c_str(), "a", stdout);
      ::execl("/usr/sbin/corosync", "corosync", "-f", "-c", conf_.c_str(), nullptr);
      ::_exit(127);
    }
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    while (Clock::now() < deadline) {
      cpg_handle_t handle = 0;
      cpg_callbacks_t callbacks{};
      if (cpg_initialize(&handle, &callbacks) == CS_OK) {
        cpg_finalize(handle);
        return;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        reason_ = "corosync exited at start (see its log)";
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    reason_ = "corosync did not accept CPG clients within 15 s";
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  ~Corosync() {
    stop();
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }
  Corosync(const Corosync&) = delete;
  Corosync& operator=(const Corosync&) = delete;
  Corosync(Corosync&&) = delete;
  Corosync& operator=(Corosync&&) = delete;

  [[nodiscard]] const std::string& skip_reason() const { return reason_; }

 private:
  fs::path dir_;
  std::string conf_;
  pid_t pid_ = -1;
  std::string reason_;
};

// A ClusterNode on a CpgGroup, driven by polling its descriptor.
struct CpgNode {
  CpgNode() {
    GroupCallbacks callbacks;
    callbacks.deliver = [this](const Member& from, std::span<const std::byte> bytes) {
      node->deliver(from, bytes);
    };
    callbacks.confchg = [this](const std::vector<Member>& members,
                               const std::vector<Member>& joined, const std::vector<Member>& left) {
      for (const auto& m : left) departed.push_back(m);
      node->confchg(members, joined, left);
    };
    group = std::make_unique<CpgGroup>(group_name("cpg-test-log"), std::move(callbacks));
    node = std::make_unique<ClusterNode>(
        NodeConfig{"clustered-core", kRegions, SyncMode::kNoSync, nullptr, "cpg-test"}, Member{},
        [this](std::vector<std::byte> bytes) { group->send(bytes); },
        [this](uint32_t seq, int error, const std::vector<std::byte>& payload) {
          answers[seq] = {error, payload};
        },
        nullptr);
    node->restart(group->join());
  }
  // Dispatches until `done` or the deadline; false on timeout.
  template <typename Done>
  bool run_until(Done done, std::chrono::seconds limit = std::chrono::seconds(15)) {
    const auto deadline = Clock::now() + limit;
    while (!done()) {
      if (Clock::now() > deadline) return false;
      pollfd fd{group->fd(), POLLIN, 0};
      if (::poll(&fd, 1, 100) > 0) group->dispatch();
    }
    return true;
  }

  std::unique_ptr<CpgGroup> group;
  std::unique_ptr<ClusterNode> node;
  std::map<uint32_t, std::pair<int, std::vector<std::byte>>> answers;
  std::vector<Member> departed;
};

TEST(CpgGroup, TwoProcessesShareALogAndACrashLeavesRecoveryWork) {
  Corosync corosync;
  if (!corosync.skip_reason().empty()) GTEST_SKIP() << corosync.skip_reason();

  CpgNode parent;
  ASSERT_TRUE(parent.run_until([&] { return parent.node->valid(); }));
  const pid_t child = ::fork();
  if (child == 0) {
    // A second member: imports the checkpoint, marks region 5, and dies
    // without leaving the group cleanly.
    int code = 1;
    try {
      CpgNode node;
      if (node.run_until([&] { return node.node->valid(); })) {
        node.node->submit(1, static_cast<uint32_t>(RequestType::kMarkRegion), {5});
        node.node->submit(2, static_cast<uint32_t>(RequestType::kGetSyncCount), {});
        if (node.run_until([&] { return node.answers.contains(2); }) &&
            node.answers.at(1).first == 0 &&
            ulog::unpack_u64(node.answers.at(2).second) == std::vector<uint64_t>{kRegions}) {
          code = 0;
        }
      }
    } catch (...) {
      code = 2;
    }
    ::_exit(code);  // no cpg_leave, no finalize: corosync sees the process go
  }
  ASSERT_GT(child, 0);
  ASSERT_TRUE(parent.run_until([&] { return !parent.departed.empty(); }, std::chrono::seconds(30)));
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(parent.departed.front().pid, static_cast<uint32_t>(child));
  const auto* replica = parent.node->replica();
  ASSERT_NE(replica, nullptr);
  EXPECT_FALSE(replica->in_sync(5));
  EXPECT_EQ(replica->sync_count(), kRegions - 1);
  // The survivor gets region 5 as its resync work.
  parent.node->submit(3, static_cast<uint32_t>(RequestType::kGetResyncWork), {});
  ASSERT_TRUE(parent.run_until([&] { return parent.answers.contains(3); }));
  EXPECT_EQ(ulog::unpack_u64(parent.answers.at(3).second), (std::vector<uint64_t>{1, 5}));
}

// dirtylogd's ClusterLogs on the real CPG: corosync stops and starts
// again; the log's requests wait, then the node rejoins, re-marks what its
// kernel holds marked, and answers.
TEST(CpgGroup, DaemonRidesOutACorosyncRestart) {
  Corosync corosync;
  if (!corosync.skip_reason().empty()) GTEST_SKIP() << corosync.skip_reason();
  std::vector<std::string> lines;
  oplog::LineWriter out("dirtylogd",
                        [&](oplog::Level, std::string_view line) { lines.emplace_back(line); });
  std::map<uint32_t, ulog::Request> answers;
  ClusterLogs logs(out, cpg_factory(),
                   [&](const ulog::Request& answer) { answers[answer.seq] = answer; });
  uint32_t seq = 0;
  const auto send = [&](RequestType type, std::vector<std::byte> data) {
    ulog::Request r;
    r.luid = 1;
    r.uuid = "bb-cpg-restart-test";
    r.seq = ++seq;
    r.request_type = static_cast<uint32_t>(type);
    r.data = std::move(data);
    EXPECT_TRUE(logs.takes(r) || type != RequestType::kCtr);
    logs.handle(r);
    return r.seq;
  };
  const auto pump_until = [&](const std::function<bool()>& done, std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!done()) {
      if (Clock::now() > deadline) return false;
      const auto next = logs.tick(Clock::now());
      std::vector<pollfd> fds;
      for (const int fd : logs.fds()) fds.push_back({fd, POLLIN, 0});
      int timeout = 100;
      if (next) {
        timeout = std::min<int>(
            100, static_cast<int>(
                     std::chrono::duration_cast<std::chrono::milliseconds>(*next).count() + 1));
      }
      if (::poll(fds.data(), fds.size(), timeout) > 0) {
        for (const auto& fd : fds) {
          if (fd.revents != 0) logs.dispatch(fd.fd, (fd.revents & (POLLERR | POLLHUP)) != 0);
        }
      }
    }
    return true;
  };
  const auto said = [&](std::string_view text) {
    return std::count_if(lines.begin(), lines.end(), [&](const std::string& line) {
      return line.find(text) != std::string::npos;
    });
  };
  const auto u64 = [](std::initializer_list<uint64_t> values) {
    return ulog::pack_u64(std::span(values.begin(), values.size()));
  };

  EXPECT_EQ(
      answers.at(send(RequestType::kCtr, ulog::pack_string("4096 clustered-core 64 nosync"))).error,
      0);
  const auto resume = send(RequestType::kResume, {});
  ASSERT_TRUE(pump_until([&] { return answers.contains(resume); }, std::chrono::seconds(15)));
  const auto mark = send(RequestType::kMarkRegion, u64({3}));
  ASSERT_TRUE(pump_until([&] { return answers.contains(mark); }, std::chrono::seconds(15)));

  corosync.stop();
  ASSERT_TRUE(pump_until([&] { return said("[CPG:356] corosync connection lost") > 0; },
                         std::chrono::seconds(15)));
  const auto count = send(RequestType::kGetSyncCount, {});
  ASSERT_TRUE(pump_until([&] { return said("[CPG:358] cannot join group") > 0; },
                         std::chrono::seconds(15)));
  EXPECT_FALSE(answers.contains(count));

  corosync.start();
  ASSERT_TRUE(corosync.skip_reason().empty()) << corosync.skip_reason();
  ASSERT_TRUE(pump_until([&] { return answers.contains(count); }, std::chrono::seconds(30)));
  EXPECT_EQ(answers.at(count).error, 0);
  EXPECT_EQ(ulog::unpack_u64(answers.at(count).data), std::vector<uint64_t>{64});
  EXPECT_EQ(said("[CPG:357] connected to corosync"), 2);
  EXPECT_EQ(said("[CPG:360] re-marked 1 regions"), 1);
  const auto* node = logs.node("bb-cpg-restart-test", 1);
  ASSERT_NE(node, nullptr);
  EXPECT_FALSE(node->replica()->is_clean(3));
  send(RequestType::kPostsuspend, {});
  send(RequestType::kDtr, {});
  EXPECT_EQ(logs.log_count(), 0U);
  if (std::getenv("BB_TEST_VERBOSE") != nullptr) {
    for (const auto& line : lines) std::cerr << line << "\n";
  }
}

TEST(CpgGroup, JoinFailsCleanlyWithoutCorosync) {
  if (fs::exists("/var/run/corosync.pid")) GTEST_SKIP() << "a corosync runs";
  CpgGroup group(group_name("no-corosync"), {});
  EXPECT_THROW((void)group.join(), Error);
}

}  // namespace
}  // namespace bb::dirtylog::cluster
