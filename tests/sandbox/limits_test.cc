// Limit tests (issue 6): pids, memory, CPU quota and cpuset are enforced by the step's cgroup,
// and an OOM kill is reported as such.
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <string>

#include "tests/sandbox/fixture.h"

namespace mybuild::sandbox {
namespace {

using LimitsTest = SandboxTest;

TEST_F(LimitsTest, ForkBombStopsAtThePidsLimit) {
  ProcessSpec s = spec(
      "(i=0; while [ $i -lt 300 ]; do sleep 5 & i=$((i+1)); done) 2>/dev/null;"
      " set -- /proc/[0-9]*; echo $#");
  s.limits.pids_max = 40;
  auto r = testing::run_collect(s);
  // ash gives up at the first failed fork (hence the subshell). Counted with builtins only (no fork
  // left to spare); includes init and the shell.
  std::istringstream words(r.output);
  int count = -1;
  while (words >> count) {
  }
  EXPECT_LE(count, 40) << r.output;
  EXPECT_GE(count, 30) << "output: " << r.output << " " << r.status.describe();
}

TEST_F(LimitsTest, MemoryPastTheLimitIsOomKilledAndReported) {
  // dd's 96 MiB block buffer is filled by read(): real memory, three times the limit.
  ProcessSpec s = spec("dd if=/dev/zero of=/dev/null bs=96M count=1 2>/dev/null; echo survived");
  s.limits.memory_bytes = 32ull << 20;
  auto r = testing::run_collect(s);
  EXPECT_TRUE(r.status.oom_killed) << r.output;
  EXPECT_FALSE(r.status.success());
  EXPECT_EQ(r.status.describe(), "RUN step killed: out of memory, limit 32 MiB");
  EXPECT_LE(r.status.usage.peak_memory_bytes, 33ull << 20);

  s.limits.memory_bytes = 256ull << 20;
  auto fits = testing::run_collect(s);
  EXPECT_FALSE(fits.status.oom_killed);
  EXPECT_EQ(fits.output, "survived\n");
  EXPECT_GT(fits.status.usage.peak_memory_bytes, 90ull << 20);
}

TEST_F(LimitsTest, HalfACpuHoldsTwoBusyLoopsNearHalfACore) {
  // Two busy loops for ~1 s could use up to 2 s of CPU on two cores; --cpus 0.5 caps the
  // cgroup at 0.5 s per second. Wide tolerance: the CI machine is shared and loaded.
  ProcessSpec s = spec("yes > /dev/null & yes > /dev/null & sleep 1; kill %1 %2");
  s.limits.cpu_quota_us = 50000;
  s.limits.cpu_period_us = 100000;
  auto r = testing::run_collect(s);
  double cpu = static_cast<double>(r.status.usage.cpu_time.count()) / 1e6;
  std::cout << "CPU time of two busy loops for 1 s at --cpus 0.5: " << cpu << " s\n";
  EXPECT_LT(cpu, 0.8) << "quota not applied";
  EXPECT_GT(cpu, 0.05) << "the loops barely ran";
}

TEST_F(LimitsTest, CpusetRestrictsTheCpusSeen) {
  ProcessSpec s = spec("nproc");
  s.limits.cpuset_cpus.push_back('0');  // not = "0": GCC 12 -Wrestrict false positive
  EXPECT_EQ(testing::run_collect(s).output, "1\n");
}

}  // namespace
}  // namespace mybuild::sandbox
