// The RUN limit flags of `mybuild build` end to end: --pids-limit, --timeout, --cpuset-cpus,
// --memory, --cpus and --cpu-quota reach every RUN step's sandbox, and bad values are usage errors
// (exit 2). (The sandbox's own suites prove each limit in depth; these prove the flags get there.)
#include <chrono>

#include "sandbox/cgroup.h"
#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

using BuildLimits = BuildTest;

// busybox ash treats a failed fork as fatal, so thirty background sleeps fail under a limit
// of ten processes and succeed under the default cap.
constexpr const char* kThirtyProcesses =
    "FROM busybox\n"
    "RUN for i in $(seq 1 30); do sleep 2 & done; wait\n";

TEST_F(BuildLimits, PidsLimitReachesTheStep) {
  dockerfile(kThirtyProcesses);
  Ran limited = build({"--pids-limit", "10", "-t", "app:v1"});
  EXPECT_NE(limited.code, 0) << limited.both();
  Ran unlimited = build({"-t", "app:v1"});
  EXPECT_EQ(unlimited.failure(), "");
}

TEST_F(BuildLimits, TimeoutKillsTheStepAndFailsTheBuild) {
  dockerfile("FROM busybox\nRUN sleep 60\n");
  const auto started = std::chrono::steady_clock::now();
  Ran r = build({"--timeout", "1s", "-t", "app:v1"});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("timeout"), std::string::npos) << r.err;
  // Not a speed goal: proof that the step was killed rather than left to finish its minute.
  EXPECT_LT(took, std::chrono::seconds(45));
  EXPECT_FALSE(manifest_of("app:v1"));
}

TEST_F(BuildLimits, CpusetAndCpuQuotaReachTheStep) {
  dockerfile("FROM busybox\nRUN grep Cpus_allowed_list /proc/self/status > /cpus\n");
  Ran r = build({"--cpuset-cpus", "0", "--cpu-quota", "50000", "-t", "app:v1"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(image("app:v1").content("/cpus"), "Cpus_allowed_list:\t0\n");
}

// The step reads its own limits where runtimes (JVMs, Go, Node) look for them: its cgroup,
// mounted read-only at /sys/fs/cgroup. One script for both hierarchies: v2 names memory.max and
// cpu.max, v1 a directory per controller.
constexpr const char* kReadLimits =
    "FROM busybox\n"
    "RUN cd /sys/fs/cgroup && if [ -f memory.max ]; then cat memory.max cpu.max;"
    " else cat memory/memory.limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us; fi"
    " > /limits\n";

TEST_F(BuildLimits, MemoryCpusAndCpuQuotaReachTheStepsCgroup) {
  const sandbox::CgroupMode mode = sandbox::probe_cgroups().mode;
  if (mode == sandbox::CgroupMode::kNone) GTEST_SKIP() << "no cgroup hierarchy on this host";
  const bool v2 = mode == sandbox::CgroupMode::kV2;
  dockerfile(kReadLimits);
  Ran r = build({"--memory", "128m", "--cpus", "1.5", "-t", "app:v1"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(image("app:v1").content("/limits"),
            v2 ? "134217728\n150000 100000\n" : "134217728\n150000\n100000\n");
  // Limits are not in the cache key (as in BuildKit): --no-cache makes the step run again.
  r = build({"--memory", "64m", "--cpu-quota", "50000", "--no-cache", "-t", "app:v2"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(image("app:v2").content("/limits"),
            v2 ? "67108864\n50000 100000\n" : "67108864\n50000\n100000\n");
}

TEST_F(BuildLimits, BadLimitValuesAreUsageErrors) {
  dockerfile("FROM busybox\n");
  for (const auto& args : std::vector<std::vector<std::string>>{{"--timeout", "soon"},
                                                                {"--timeout", "1h30"},
                                                                {"--cpuset-cpus", "first"},
                                                                {"--pids-limit", "-1"},
                                                                {"--cpu-quota", "5"}}) {
    Ran r = build(args);
    EXPECT_EQ(r.code, 2) << args[0] << " " << args[1] << "\n" << r.both();
    EXPECT_NE(r.err.find(args[0]), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace mybuild::build_testing
