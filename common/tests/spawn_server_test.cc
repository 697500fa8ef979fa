// SPDX-License-Identifier: GPL-2.0-or-later
// The spawn server against a real program (dash, as /bin/sh) with the
// built bb-spawn-server.so (beside bin/ in the build tree).
#include "common/spawn_server.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/file_descriptor.h"
#include "common/system_error.h"

namespace bb::common {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::unique_ptr<SpawnServer> start_sh(const std::vector<std::string>& environment = {}) {
  std::unique_ptr<SpawnServer> server = SpawnServer::start("sh", environment);
  EXPECT_NE(server, nullptr) << "no spawn server (library: '" << spawn_server_library() << "')";
  return server;
}

TEST(SpawnServer, TheLibraryIsBesideTheBuildsBin) {
  EXPECT_NE(spawn_server_library().find("/lib/blackbox/bb-spawn-server.so"), std::string::npos);
}

TEST(SpawnServer, RunsLikeRunProcess) {
  auto server = start_sh();
  ASSERT_NE(server, nullptr);
  ProcessResult r = server->run({"sh", "-c", "echo out; echo err >&2; exit 3"}, seconds(10));
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.output, "out\nerr\n");
  // The same server runs the next one, with its own arguments.
  r = server->run({"sh", "-c", "echo \"$0 $1\"", "zero", "one"}, seconds(10));
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.output, "zero one\n");
}

TEST(SpawnServer, TheChildIsAForkOfTheServer) {
  auto server = start_sh();
  ASSERT_NE(server, nullptr);
  ProcessResult r = server->run({"sh", "-c", "echo $PPID"}, seconds(10));
  EXPECT_EQ(r.output, std::to_string(server->pid()) + "\n");
}

TEST(SpawnServer, ChildEnvironmentIsTheCallersWithTheEntriesAndNoneOfTheServers) {
  ASSERT_EQ(std::getenv("LD_BIND_NOW"), nullptr);
  ASSERT_EQ(std::getenv("LD_PRELOAD"), nullptr);
  auto server = start_sh({"BB_TEST_ADDED=added"});
  ASSERT_NE(server, nullptr);
  ProcessResult r = server->run(
      {"sh", "-c",
       "echo \"[$BB_TEST_ADDED|${PATH:+path}|$LD_PRELOAD|$LD_BIND_NOW|$BB_SPAWN_SERVER_FD|"
       "$BB_SPAWN_SERVER_UNSET_BIND_NOW]\""},
      seconds(10));
  EXPECT_EQ(r.output, "[added|path||||]\n");
}

TEST(SpawnServer, ACallersLdBindNowStays) {
  ASSERT_EQ(setenv("LD_BIND_NOW", "yes", 1), 0);
  auto server = start_sh();
  unsetenv("LD_BIND_NOW");
  ASSERT_NE(server, nullptr);
  ProcessResult r = server->run({"sh", "-c", "echo \"[$LD_BIND_NOW]\""}, seconds(10));
  EXPECT_EQ(r.output, "[yes]\n");
}

TEST(SpawnServer, ChildGetsDevNullAndItsOutputOnly) {
  auto server = start_sh();
  ASSERT_NE(server, nullptr);
  const int leaked = open("/dev/null", O_RDONLY);  // not O_CLOEXEC, as a library might
  ASSERT_GE(leaked, 3);
  ProcessResult r = server->run({"sh", "-c", "cat; ls /proc/$$/fd"}, seconds(10));
  close(leaked);
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.output, "0\n1\n2\n");
}

TEST(SpawnServer, TimeoutKillsTheChild) {
  auto server = start_sh();
  ASSERT_NE(server, nullptr);
  auto t0 = std::chrono::steady_clock::now();
  ProcessResult r = server->run({"sh", "-c", "echo started; exec sleep 30"}, milliseconds(300));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(10));
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_status, 128 + SIGKILL);
  EXPECT_EQ(r.output, "started\n");
  // The server goes on.
  EXPECT_EQ(server->run({"sh", "-c", "echo next"}, seconds(10)).output, "next\n");
}

TEST(SpawnServer, SignalDeathIsShellStyle) {
  auto server = start_sh();
  ASSERT_NE(server, nullptr);
  ProcessResult r = server->run({"sh", "-c", "kill -TERM $$"}, seconds(10));
  EXPECT_EQ(r.exit_status, 128 + SIGTERM);
}

TEST(SpawnServer, EndsWhenTheChildExitsThoughItsChildHoldsTheOutput) {
  auto server = start_sh();
  ASSERT_NE(server, nullptr);
  auto t0 = std::chrono::steady_clock::now();
  ProcessResult r = server->run({"sh", "-c", "sleep 5 & echo parent"}, seconds(20));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(4));
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.output, "parent\n");
}

TEST(SpawnServer, RunsFromSeveralThreadsAtOnce) {
  auto server = start_sh();
  ASSERT_NE(server, nullptr);
  constexpr int kThreads = 8;
  constexpr int kRuns = 5;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRuns; ++i) {
        const std::string word = std::to_string(t) + "." + std::to_string(i);
        ProcessResult r = server->run(
            {"sh", "-c", "echo $1; exit $2", "sh", word, std::to_string(t + i)}, seconds(30));
        if (r.output != word + "\n" || r.exit_status != t + i) ++wrong[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

TEST(SpawnServer, AProgramThatIsNotAServerIsNone) {
  // The loader ignores a preload it cannot load: sh runs as itself, reads
  // its empty stdin and exits without a word.
  ASSERT_EQ(setenv("BB_SPAWN_SERVER_LIB", "/etc/hostname", 1), 0);
  auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<SpawnServer> server = SpawnServer::start("sh", {});
  unsetenv("BB_SPAWN_SERVER_LIB");
  EXPECT_EQ(server, nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(5));
  int status = 0;
  EXPECT_EQ(waitpid(-1, &status, WNOHANG), -1);  // reaped
}

TEST(SpawnServer, AScriptIsNone) {
  // Its main would be the interpreter's, taking a run's arguments for a
  // script of its own (a check program wrapped in a script, as the
  // checker's tests do).
  char dir[] = "/tmp/spawn-server-test.XXXXXX";  // NOLINT(cppcoreguidelines-avoid-c-arrays)
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string script = std::string(dir) + "/a-script";
  {
    FileDescriptor fd(open(script.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0755));
    ASSERT_TRUE(fd);
    const std::string text = "#!/bin/sh\necho \"$@\"\n";
    ASSERT_EQ(write(fd.get(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  EXPECT_EQ(SpawnServer::start(script, {}), nullptr);
  SpawnServerPool pool;
  EXPECT_EQ(pool.run({script, "-fn", "/dev/null"}, seconds(10)).output, "-fn /dev/null\n");
  unlink(script.c_str());
  rmdir(dir);
}

TEST(SpawnServer, NoLibraryNoServer) {
  ASSERT_EQ(setenv("BB_SPAWN_SERVER_LIB", "/nonexistent/bb-spawn-server.so", 1), 0);
  EXPECT_EQ(spawn_server_library(), "");
  EXPECT_EQ(SpawnServer::start("sh", {}), nullptr);
  unsetenv("BB_SPAWN_SERVER_LIB");
  ASSERT_EQ(setenv("BB_SPAWN_SERVER", "0", 1), 0);
  EXPECT_EQ(spawn_server_library(), "");
  unsetenv("BB_SPAWN_SERVER");
  EXPECT_NE(spawn_server_library(), "");
}

TEST(SpawnServer, AGoneServerThrows) {
  auto server = start_sh();
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(kill(server->pid(), SIGKILL), 0);
  // Its socket closes when the kernel has done with it.
  for (int i = 0; i < 100 && kill(server->pid(), 0) == 0; ++i) {
    int status = 0;
    if (waitpid(server->pid(), &status, WNOHANG) == server->pid()) break;
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_THROW((void)server->run({"sh", "-c", "true"}, seconds(5)), SystemError);
}

TEST(SpawnServerPool, RunsByServerOrByRunProcess) {
  SpawnServerPool pool;
  ProcessResult r = pool.run({"sh", "-c", "echo $PPID"}, seconds(10));
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_NE(r.output, std::to_string(getpid()) + "\n");  // a server's child
  ASSERT_EQ(setenv("BB_SPAWN_SERVER", "0", 1), 0);
  SpawnServerPool plain;
  r = plain.run({"sh", "-c", "echo $PPID"}, seconds(10));
  unsetenv("BB_SPAWN_SERVER");
  EXPECT_EQ(r.output, std::to_string(getpid()) + "\n");  // ours
  // Environment entries make a server of their own.
  r = pool.run({"sh", "-c", "echo $BB_TEST_X"}, seconds(10), {"BB_TEST_X=x"});
  EXPECT_EQ(r.output, "x\n");
  r = pool.run({"sh", "-c", "echo \"[$BB_TEST_X]\""}, seconds(10));
  EXPECT_EQ(r.output, "[]\n");
}

}  // namespace
}  // namespace bb::common
