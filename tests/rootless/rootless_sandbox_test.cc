// What is particular to a rootless sandbox (sandbox_main.cc has entered the user namespace):
// the id maps, ownership inside the rootfs, what must be refused, and the cgroup limits this
// host cannot give an unprivileged user, which skip with the reason instead of passing silently.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/io.h"
#include "sandbox/cgroup.h"
#include "sandbox/rootless.h"
#include "tests/sandbox/fixture.h"

namespace mybuild::sandbox {
namespace {

using RootlessSandboxTest = SandboxTest;

std::string text_of(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The first writable cgroup directory this process could make a step cgroup in, or why none.
std::string cgroup_unavailable_reason() {
  CgroupProbe probe = probe_cgroups();
  if (probe.mode == CgroupMode::kNone) return "no cgroup hierarchy is usable";
  for (const auto& [controller, dir] : probe.dirs) {
    if (::access(dir.c_str(), W_OK) != 0) {
      return "cgroup " + std::string(probe.mode == CgroupMode::kV1 ? "v1 " : "v2 ") + controller +
             " directory " + dir.string() +
             " is not writable by the rootless user (owned by real root; cgroup v1 cannot be "
             "delegated), so RUN steps run without a step cgroup and --memory/--cpus/"
             "--pids-limit cannot be enforced rootless on this host";
    }
  }
  return "";
}

TEST_F(RootlessSandboxTest, InsideIsRootOfAMappedUserNamespace) {
  EXPECT_EQ(::geteuid(), 0u);
  EXPECT_TRUE(inside_rootless());
  std::string map = text_of("/proc/self/uid_map");
  // Line 1 maps 0 to the caller (not 0: the caller is unprivileged).
  std::istringstream in(map);
  uint64_t inside = 9, outside = 0, count = 0;
  in >> inside >> outside >> count;
  EXPECT_EQ(inside, 0u) << map;
  EXPECT_NE(outside, 0u) << map;
  EXPECT_EQ(count, 1u) << map;
  EXPECT_EQ(sh("id -u; id -g"), "0\n0\n");
}

TEST_F(RootlessSandboxTest, ChownToMappedIdsAndRunAsAnotherUser) {
  if (text_of("/proc/self/uid_map").find('\n') == text_of("/proc/self/uid_map").rfind('\n')) {
    GTEST_SKIP() << "the test user has no subordinate ids: only uid 0 exists inside";
  }
  EXPECT_EQ(sh("echo x > /tmp/f && chown 1234:2345 /tmp/f && stat -c %u:%g /tmp/f"), "1234:2345\n");
  struct stat st {};
  ASSERT_EQ(::stat((rootfs_->path() / "tmp/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);  // as seen from the same namespace
  ProcessSpec s = spec("id -u; id -g; touch /tmp/mine && stat -c %u /tmp/mine");
  s.user = "app";
  auto r = testing::run_collect(s);
  EXPECT_TRUE(r.status.success()) << r.output;
  EXPECT_EQ(r.output, "1000\n1000\n1000\n");
}

TEST_F(RootlessSandboxTest, DeviceNodesCannotBeMadeAndSysIsReadOnly) {
  EXPECT_EQ(sh("mknod /tmp/null c 1 3 2>/dev/null && echo made || echo mknod-denied;"
               " touch /sys/kernel/x 2>/dev/null || echo sys-ro;"
               " ls /sys/class/net | grep -c -x lo"),
            "mknod-denied\nsys-ro\n1\n");
}

// /sys here is a bind of the host's (a user namespace may not mount sysfs), which would show the
// host's cgroup hierarchies: /sys/fs/cgroup shows the step's own cgroup (a delegated v2 one) or,
// without one, nothing; either way no cgroup directory of anyone else, and read-only.
TEST_F(RootlessSandboxTest, TheHostsCgroupsAreNotVisible) {
  EXPECT_EQ(sh("find /sys/fs/cgroup -mindepth 1 -type d | wc -l;"
               " (mkdir /sys/fs/cgroup/x || touch /sys/fs/cgroup/x) 2>/dev/null || echo ro"),
            "0\nro\n");
}

TEST_F(RootlessSandboxTest, StepWithoutAWritableCgroupRunsAndSaysLimitsAreNotApplied) {
  std::string reason = cgroup_unavailable_reason();
  if (reason.empty())
    GTEST_SKIP() << "this host delegates a writable cgroup; the limits suite applies";
  ProcessSpec s = spec("echo ran");
  s.limits.memory_bytes = 64 << 20;
  auto r = testing::run_collect(s);
  EXPECT_TRUE(r.status.success()) << r.output;
  EXPECT_EQ(r.output, "ran\n");
  EXPECT_FALSE(r.status.oom_killed);
}

TEST_F(RootlessSandboxTest, MemoryLimitIsEnforced) {
  std::string reason = cgroup_unavailable_reason();
  if (!reason.empty()) GTEST_SKIP() << reason;
  ProcessSpec s = spec("head -c 300m /dev/zero | tail > /dev/null");
  s.limits.memory_bytes = 64 << 20;
  auto r = testing::run_collect(s);
  EXPECT_TRUE(r.status.oom_killed) << r.status.describe();
}

TEST_F(RootlessSandboxTest, PidsLimitStopsAForkBomb) {
  std::string reason = cgroup_unavailable_reason();
  if (!reason.empty()) GTEST_SKIP() << reason;
  ProcessSpec s = spec(
      "for i in $(seq 1 64); do sleep 5 2>/dev/null & done 2>/dev/null;"
      " ls /proc | grep -c '^[0-9]'; kill $(jobs -p) 2>/dev/null; true");
  s.limits.pids_max = 16;
  auto r = testing::run_collect(s);
  ASSERT_FALSE(r.output.empty());
  EXPECT_LE(std::stoi(r.output), 16) << r.output;
}

}  // namespace
}  // namespace mybuild::sandbox
