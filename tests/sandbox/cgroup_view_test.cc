// /sys/fs/cgroup inside a step (the reliability issue's gaps): the step's own cgroup, read-only,
// as runc mounts it for BuildKit, so runtimes that size heaps and threads from it (JVMs, Go,
// Node) see the limits the step really has, and nothing of the host's other cgroups.
#include <gtest/gtest.h>

#include <string>

#include "sandbox/cgroup.h"
#include "sandbox/rootless.h"
#include "tests/sandbox/fixture.h"

namespace mybuild::sandbox {
namespace {

class CgroupViewTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    if (IsSkipped()) return;
    mode_ = probe_cgroups().mode;
    if (mode_ == CgroupMode::kNone) GTEST_SKIP() << "no cgroup hierarchy on this host";
  }
  // The file that holds a memory limit, as the step names it.
  const char* memory_limit_file() const {
    return mode_ == CgroupMode::kV1 ? "/sys/fs/cgroup/memory/memory.limit_in_bytes"
                                    : "/sys/fs/cgroup/memory.max";
  }
  const char* pids_limit_file() const {
    return mode_ == CgroupMode::kV1 ? "/sys/fs/cgroup/pids/pids.max" : "/sys/fs/cgroup/pids.max";
  }
  CgroupMode mode_ = CgroupMode::kNone;
};

TEST_F(CgroupViewTest, TheStepSeesItsOwnLimits) {
  ProcessSpec s = spec(std::string("cat ") + memory_limit_file() + " " + pids_limit_file());
  s.limits.memory_bytes = 128ull << 20;
  s.limits.pids_max = 321;
  auto r = testing::run_collect(s);
  EXPECT_TRUE(r.status.success()) << r.status.describe() << "\n" << r.output;
  EXPECT_EQ(r.output, "134217728\n321\n");
}

TEST_F(CgroupViewTest, OnlyTheStepsOwnCgroupsAreThere) {
  if (mode_ == CgroupMode::kV1) {
    // One directory per controller the step is limited or accounted by, nothing else.
    EXPECT_EQ(sh("ls /sys/fs/cgroup"), "cpu\ncpuacct\ndevices\nmemory\npids\n");
  }
  // The step's cgroup has no children, and no cgroup above or beside it is reachable.
  EXPECT_EQ(sh("find /sys/fs/cgroup -mindepth 2 -type d; find /sys/fs/cgroup -maxdepth 1 -type d "
               "| grep -c ."),
            mode_ == CgroupMode::kV1 ? "6\n" : "1\n");
  EXPECT_EQ(sh("cat /proc/self/cgroup | grep -v ':/$' | grep -v name= || true"), "")
      << "the step's cgroup namespace is rooted at its own cgroup";
}

TEST_F(CgroupViewTest, NothingThereIsWritable) {
  const std::string dir = mode_ == CgroupMode::kV1 ? "/sys/fs/cgroup/memory" : "/sys/fs/cgroup";
  // Each attempt as root with every capability a step has; each must fail.
  EXPECT_EQ(sh("( echo 1 > " + std::string(memory_limit_file()) +
               " && echo wrote-limit;"
               " echo 0 > " +
               dir +
               "/cgroup.procs && echo moved;"
               " mkdir " +
               dir +
               "/sub && echo made-child;"
               " mkdir /sys/fs/cgroup/x && echo made-top;"
               " umount /sys/fs/cgroup && echo unmounted ) 2>/dev/null;"
               // Every mount there, the v1 tmpfs included, is read-only.
               " grep ' /sys/fs/cgroup' /proc/self/mounts | grep -vc ' ro,'; true"),
            "0\n");
}

}  // namespace
}  // namespace mybuild::sandbox
