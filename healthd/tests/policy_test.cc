// SPDX-License-Identifier: GPL-2.0-or-later
#include "healthd/policy.h"

#include <gtest/gtest.h>

namespace bb::healthd {
namespace {

using namespace std::chrono_literals;

devmapper::MirrorStatus mirror(const std::string& states, const std::string& health = "",
                               const std::string& resync = "idle", uint64_t copied = 0,
                               uint64_t remaining = 0) {
  devmapper::MirrorStatus s;
  s.resync = resync;
  s.copied = copied;
  s.remaining = remaining;
  for (size_t i = 0; i < states.size(); i++) {
    devmapper::MirrorLegStatus leg;
    leg.state = states[i];
    leg.health = health.empty() ? 'A' : health[i];
    s.legs.push_back(leg);
  }
  return s;
}

devmapper::LogWritesStatus log_writes(const std::string& state, const std::string& stop,
                                      const std::string& stop_entry) {
  devmapper::LogWritesStatus s;
  s.state = state;
  s.stop = stop;
  s.stop_entry = stop_entry;
  return s;
}

constexpr ProbeResult kGood{ProbeOutcome::kSuccess, 3ms, 0, 8};
constexpr ProbeResult kTimeout{ProbeOutcome::kTimeout, 0ms, 0, 8};
constexpr ProbeResult kEio{ProbeOutcome::kError, 2ms, EIO, 8};

// "OpMsg/Type" of each decision, and the commands, for compact checks.
std::vector<std::string> ops(const std::vector<Decision>& ds) {
  std::vector<std::string> out;
  out.reserve(ds.size());
  for (const auto& d : ds) out.push_back(d.event.op + "/" + d.event.type);
  return out;
}
std::vector<std::string> commands(const std::vector<Decision>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds)
    if (d.command) out.push_back(d.command->device + ":" + d.command->text);
  return out;
}

class PolicyTest : public ::testing::Test {
 protected:
  Policy policy_{Config{}};
  Clock::time_point t_ = Clock::time_point{} + 1h;  // the fake clock
};

TEST_F(PolicyTest, ProbeTimeoutFailsTheLegOnce) {
  EXPECT_EQ(ops(policy_.observe("m0", mirror("AA"), t_)), std::vector<std::string>{"WATCH/MIRROR"});
  auto d = policy_.probe("m0", 1, kGood, t_);
  EXPECT_EQ(ops(d), std::vector<std::string>{"PROBE/SUCCESS"});
  EXPECT_EQ(d[0].event.field("Latency"), "3ms");
  EXPECT_FALSE(d[0].run_program);
  d = policy_.probe("m0", 1, kTimeout, t_);
  EXPECT_EQ(ops(d), (std::vector<std::string>{"PROBE/TIMEOUT", "FAIL/PROBE_TIMEOUT"}));
  EXPECT_EQ(commands(d), std::vector<std::string>{"m0:fail_leg 1"});
  EXPECT_TRUE(d[1].run_program);
  EXPECT_EQ(d[1].event.field("Action"), "fail_leg 1");
  // Until the kernel shows it failed, another bad probe sends nothing more.
  EXPECT_TRUE(commands(policy_.probe("m0", 1, kEio, t_)).empty());
  // Our own fail_leg seen done: no second FAIL line.
  EXPECT_TRUE(ops(policy_.observe("m0", mirror("AF", "AD"), t_)).empty());
}

TEST_F(PolicyTest, ErrorProbeFailsWithTheErrno) {
  (void)policy_.observe("m0", mirror("AAA"), t_);
  const auto d = policy_.probe("m0", 2, kEio, t_);
  ASSERT_EQ(ops(d), (std::vector<std::string>{"PROBE/ERROR", "FAIL/PROBE_ERROR"}));
  EXPECT_EQ(d[0].event.field("Error"), "EIO");
  EXPECT_EQ(commands(d), std::vector<std::string>{"m0:fail_leg 2"});
}

TEST_F(PolicyTest, ProbeErrorsNotOfTheLegFailNothing) {
  (void)policy_.observe("m0", mirror("AA"), t_);
  const auto d = policy_.probe("m0", 1, {ProbeOutcome::kError, 1ms, ENOENT, 0}, t_);
  ASSERT_EQ(ops(d), std::vector<std::string>{"PROBE/ERROR"});
  EXPECT_EQ(d[0].event.field("Error"), "ENOENT");
  EXPECT_EQ(d[0].event.field("Action"), "none");
  EXPECT_TRUE(commands(policy_.probe("m0", 1, {ProbeOutcome::kError, 1ms, EINVAL, 0}, t_)).empty());
  // Nor are they good probes of a failed leg.
  (void)policy_.observe("m0", mirror("AF"), t_);
  (void)policy_.probe("m0", 1, kGood, t_);
  (void)policy_.probe("m0", 1, kGood, t_);
  (void)policy_.probe("m0", 1, {ProbeOutcome::kError, 1ms, ENOENT, 0}, t_);
  EXPECT_TRUE(commands(policy_.probe("m0", 1, kGood, t_)).empty());
}

TEST_F(PolicyTest, KernelFailedLegIsReportedNotFailedAgain) {
  (void)policy_.observe("m0", mirror("AA"), t_);
  const auto d = policy_.observe("m0", mirror("AF", "AD"), t_);
  ASSERT_EQ(ops(d), std::vector<std::string>{"FAIL/KERNEL"});
  EXPECT_FALSE(d[0].command);
  EXPECT_TRUE(d[0].run_program);
  EXPECT_EQ(d[0].event.leg, 1);
  // A leg already failed when first seen is reported too.
  Policy fresh{Config{}};
  EXPECT_EQ(ops(fresh.observe("m0", mirror("FA", "DA"), t_)),
            (std::vector<std::string>{"WATCH/MIRROR", "FAIL/KERNEL"}));
}

TEST_F(PolicyTest, HealthLetterWithoutHandleErrorsFailsTheLeg) {
  (void)policy_.observe("m0", mirror("AA"), t_);
  const auto d = policy_.observe("m0", mirror("AA", "AD"), t_);
  EXPECT_EQ(ops(d), std::vector<std::string>{"FAIL/HEALTH"});
  EXPECT_EQ(commands(d), std::vector<std::string>{"m0:fail_leg 1"});
  // R and S letters only matter to dmeventd as logs; not failures here either.
  Policy p{Config{}};
  (void)p.observe("m0", mirror("AA"), t_);
  EXPECT_TRUE(commands(p.observe("m0", mirror("AA", "AR"), t_)).empty());
}

TEST_F(PolicyTest, ReaddAfterNGoodProbesInARow) {
  (void)policy_.observe("m0", mirror("AF", "AD"), t_);
  EXPECT_TRUE(commands(policy_.probe("m0", 1, kGood, t_)).empty());
  EXPECT_TRUE(commands(policy_.probe("m0", 1, kGood, t_)).empty());
  EXPECT_TRUE(commands(policy_.probe("m0", 1, kTimeout, t_)).empty());  // streak broken
  EXPECT_TRUE(commands(policy_.probe("m0", 1, kGood, t_)).empty());
  EXPECT_TRUE(commands(policy_.probe("m0", 1, kGood, t_)).empty());
  const auto d = policy_.probe("m0", 1, kGood, t_);
  EXPECT_EQ(ops(d), (std::vector<std::string>{"PROBE/SUCCESS", "READD/AUTO"}));
  EXPECT_EQ(commands(d), std::vector<std::string>{"m0:readd_leg 1"});
  EXPECT_EQ(d[1].event.field("Good"), "3");
  EXPECT_TRUE(commands(policy_.probe("m0", 1, kGood, t_)).empty());  // sent once
  // The resync it starts is watched to its end.
  EXPECT_EQ(ops(policy_.observe("m0", mirror("AS", "AD", "running", 0, 10), t_)),
            std::vector<std::string>{"RESYNC/START"});
  EXPECT_EQ(ops(policy_.observe("m0", mirror("AS", "AD", "running", 5, 5), t_)),
            std::vector<std::string>{"RESYNC/PROGRESS"});
  const auto end = policy_.observe("m0", mirror("AA", "AA", "idle", 10, 0), t_);
  EXPECT_EQ(ops(end), std::vector<std::string>{"RESYNC/END"});
  EXPECT_EQ(end[0].event.field("Copied"), "10");
}

TEST_F(PolicyTest, ReaddRefusedIsRetriedAfterNMoreGoodProbes) {
  (void)policy_.observe("m0", mirror("AF"), t_);
  for (int i = 0; i < 2; i++) (void)policy_.probe("m0", 1, kGood, t_);
  const auto d = policy_.probe("m0", 1, kGood, t_);
  ASSERT_EQ(commands(d).size(), 1U);
  policy_.command_failed(*d[1].command);
  EXPECT_TRUE(commands(policy_.probe("m0", 1, kGood, t_)).empty());
}

TEST_F(PolicyTest, ManualReaddIsToldOnceAndNothingSent) {
  Config c;
  c.readd = ReaddPolicy::kManual;
  Policy p{c};
  (void)p.observe("m0", mirror("AF"), t_);
  std::vector<Decision> all;
  for (int i = 0; i < 6; i++) {
    auto d = p.probe("m0", 1, kGood, t_);
    all.insert(all.end(), d.begin(), d.end());
  }
  EXPECT_TRUE(commands(all).empty());
  EXPECT_EQ(std::count_if(all.begin(), all.end(),
                          [](const Decision& d) { return d.event.op == "READD"; }),
            1);
}

TEST_F(PolicyTest, FlappingLegIsHeldAfterTheLimitThenReleased) {
  (void)policy_.observe("m0", mirror("AA"), t_);
  std::vector<std::string> sent;
  std::vector<std::string> seen;
  // Fail, re-add, fail, re-add...: each one an automatic action.
  for (int round = 0; round < 3; round++) {
    auto d = policy_.probe("m0", 1, kTimeout, t_);
    for (auto& c : commands(d)) sent.push_back(c);
    (void)policy_.observe("m0", mirror("AF"), t_);
    for (int i = 0; i < 3; i++) {
      d = policy_.probe("m0", 1, kGood, t_);
      for (auto& c : commands(d)) sent.push_back(c);
      for (auto& o : ops(d)) seen.push_back(o);
      for (auto& x : d) {
        if (x.event.op == "HOLD") {
          EXPECT_EQ(x.event.leg, 1);
          EXPECT_EQ(x.event.field("Would"), "readd_leg 1");
        }
      }
    }
    (void)policy_.observe("m0", mirror("AA"), t_);
    t_ += 1min;
  }
  // 3 allowed in 30 min: fail, readd, fail; the 4th (readd) is held.
  EXPECT_EQ(sent, (std::vector<std::string>{"m0:fail_leg 1", "m0:readd_leg 1", "m0:fail_leg 1"}));
  EXPECT_NE(std::find(seen.begin(), seen.end(), "HOLD/LIMIT"), seen.end());
  // Held: nothing more, and HOLD is said once.
  auto d = policy_.probe("m0", 1, kTimeout, t_);
  EXPECT_TRUE(commands(d).empty());
  EXPECT_EQ(ops(d), std::vector<std::string>{"PROBE/TIMEOUT"});
  EXPECT_TRUE(policy_.tick(t_).empty());
  // When the first action leaves the period, the device is released.
  t_ += 30min;
  EXPECT_EQ(ops(policy_.tick(t_)), std::vector<std::string>{"HOLD/RELEASE"});
  EXPECT_EQ(commands(policy_.probe("m0", 1, kTimeout, t_)),
            std::vector<std::string>{"m0:fail_leg 1"});
}

TEST_F(PolicyTest, ATableWithOtherLegsKeepsTheCountAndTheHold) {
  Config c;
  c.action_limit_max = 1;
  Policy p{c};
  (void)p.observe("m0", mirror("AA"), t_);
  EXPECT_EQ(commands(p.probe("m0", 1, kTimeout, t_)).size(), 1U);
  (void)p.observe("m0", mirror("AF"), t_);
  // Reloaded with a third leg: a new WATCH, but the action stays counted.
  EXPECT_EQ(ops(p.observe("m0", mirror("AAA"), t_)), std::vector<std::string>{"WATCH/MIRROR"});
  const auto d = p.probe("m0", 2, kTimeout, t_);
  EXPECT_EQ(ops(d), (std::vector<std::string>{"PROBE/TIMEOUT", "HOLD/LIMIT"}));
}

TEST_F(PolicyTest, ObserveOnlyLogsWhatItWouldDoAndSendsNothing) {
  Config c;
  c.observe_only = true;
  Policy p{c};
  (void)p.observe("m0", mirror("AA"), t_);
  auto d = p.probe("m0", 1, kTimeout, t_);
  EXPECT_EQ(ops(d), (std::vector<std::string>{"PROBE/TIMEOUT", "FAIL/PROBE_TIMEOUT"}));
  EXPECT_TRUE(commands(d).empty());
  EXPECT_EQ(d[1].event.field("Would"), "fail_leg 1");
  EXPECT_EQ(d[1].event.field("Action"), "none");
  // It holds too, as it would: the fourth would-be action is a HOLD.
  (void)p.probe("m0", 1, kTimeout, t_);
  (void)p.probe("m0", 1, kTimeout, t_);
  d = p.probe("m0", 1, kTimeout, t_);
  EXPECT_EQ(ops(d), (std::vector<std::string>{"PROBE/TIMEOUT", "HOLD/LIMIT"}));
}

TEST_F(PolicyTest, LastCurrentLegIsNeverFailed) {
  (void)policy_.observe("m0", mirror("AF"), t_);
  auto d = policy_.probe("m0", 0, kTimeout, t_);
  EXPECT_EQ(ops(d), (std::vector<std::string>{"PROBE/TIMEOUT", "FAIL/PROBE_TIMEOUT"}));
  EXPECT_TRUE(commands(d).empty());
  EXPECT_EQ(d[1].event.field("Action"), "none");
  EXPECT_EQ(ops(policy_.probe("m0", 0, kTimeout, t_)), std::vector<std::string>{"PROBE/TIMEOUT"});
}

TEST_F(PolicyTest, ResyncWithoutProgressIsAStall) {
  Config c;
  c.resync_stall_timeout = 10s;
  Policy p{c};
  (void)p.observe("m0", mirror("AS", "", "running", 0, 100), t_);
  t_ += 5s;
  (void)p.observe("m0", mirror("AS", "", "running", 10, 90), t_);  // progress
  t_ += 9s;
  EXPECT_TRUE(p.tick(t_).empty());
  t_ += 2s;
  auto d = p.tick(t_);
  ASSERT_EQ(ops(d), std::vector<std::string>{"STALL/RESYNC"});
  EXPECT_EQ(d[0].event.field("Since"), "11s");
  EXPECT_TRUE(d[0].run_program);
  EXPECT_TRUE(p.tick(t_ + 1min).empty());  // told once
  EXPECT_EQ(ops(p.observe("m0", mirror("AS", "", "running", 11, 89), t_)),
            std::vector<std::string>{"STALL/RESUMED"});
  // A resync paused by the user is no stall.
  (void)p.observe("m0", mirror("AS", "", "paused", 11, 89), t_);
  EXPECT_TRUE(p.tick(t_ + 1h).empty());
}

TEST_F(PolicyTest, StalledResyncCanFailTheStaleLeg) {
  Config c;
  c.resync_stall_timeout = 10s;
  c.resync_stall_action = StallAction::kFailLeg;
  Policy p{c};
  (void)p.observe("m0", mirror("ASA", "", "running", 0, 100), t_);
  const auto d = p.tick(t_ + 10s);
  EXPECT_EQ(ops(d), (std::vector<std::string>{"STALL/RESYNC", "FAIL/STALL"}));
  EXPECT_EQ(commands(d), std::vector<std::string>{"m0:fail_leg 1"});
}

TEST_F(PolicyTest, StuckOutOfSyncWithoutResyncIsAStallToo) {
  Config c;
  c.resync_stall_timeout = 10s;
  Policy p{c};
  (void)p.observe("m0", mirror("AA", "", "idle", 0, 7), t_);
  EXPECT_EQ(ops(p.tick(t_ + 10s)), std::vector<std::string>{"STALL/RESYNC"});
  // With a failed leg, regions out of sync are expected: no stall.
  Policy q{c};
  (void)q.observe("m0", mirror("AF", "", "idle", 0, 7), t_);
  EXPECT_TRUE(q.tick(t_ + 1h).empty());
}

TEST_F(PolicyTest, QuickResyncBetweenTwoReadsStillEnds) {
  (void)policy_.observe("m0", mirror("AS", "", "idle", 0, 3), t_);
  EXPECT_EQ(ops(policy_.observe("m0", mirror("AA", "", "idle", 3, 0), t_)),
            std::vector<std::string>{"RESYNC/END"});
}

TEST_F(PolicyTest, LogWritesFullAndErrorAreReported) {
  EXPECT_EQ(ops(policy_.observe("r", log_writes("logging", "-", "-"), t_)),
            std::vector<std::string>{"WATCH/LOG_WRITES"});
  const auto d = policy_.observe("r", log_writes("full", "log_full", "44"), t_);
  ASSERT_EQ(ops(d), std::vector<std::string>{"LOG/FULL"});
  EXPECT_EQ(d[0].event.field("Entry"), "44");
  EXPECT_TRUE(d[0].run_program);
  EXPECT_TRUE(policy_.observe("r", log_writes("full", "log_full", "44"), t_).empty());
  EXPECT_EQ(ops(policy_.observe("e", log_writes("error", "log_error", "12"), t_)),
            (std::vector<std::string>{"WATCH/LOG_WRITES", "LOG/ERROR"}));
  EXPECT_EQ(ops(policy_.gone("r")), std::vector<std::string>{"UNWATCH/REMOVED"});
  EXPECT_FALSE(policy_.watched("r"));
}

}  // namespace
}  // namespace bb::healthd
