// What a step is shown at /sys/fs/cgroup for each hierarchy (pure: no mounts are made here), and
// the child's plan for it.
#include "sandbox/internal/cgroup_mounts.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <string>
#include <vector>

#include "sandbox/internal/plan.h"

namespace mybuild::sandbox::internal {
namespace {

using Dirs = std::vector<std::pair<std::string, std::filesystem::path>>;
const std::vector<std::string> kReadonlyBind = {"bind", "ro", "nosuid", "nodev", "noexec"};

TEST(StepCgroupMounts, V2BindsTheStepsOwnCgroupReadOnly) {
  auto view = step_cgroup_mounts(CgroupMode::kV2, {{"unified", "/sys/fs/cgroup/a/mybuild-1"}});
  EXPECT_EQ(view.mounts, (std::vector<common::Mount>{{"bind", "/sys/fs/cgroup/a/mybuild-1",
                                                      "/sys/fs/cgroup", kReadonlyBind}}));
  EXPECT_FALSE(view.seal_readonly);
}

TEST(StepCgroupMounts, V1BindsEachControllersStepDirectoryOnATmpfsSealedAfterwards) {
  Dirs dirs = {{"memory", "/sys/fs/cgroup/memory/x/mybuild-1"},
               {"pids", "/sys/fs/cgroup/pids/mybuild-1"}};
  auto view = step_cgroup_mounts(CgroupMode::kV1, dirs);
  ASSERT_EQ(view.mounts.size(), 3u);
  EXPECT_EQ(view.mounts[0].type, "tmpfs");
  EXPECT_EQ(view.mounts[0].target, "/sys/fs/cgroup");
  EXPECT_EQ(view.mounts[1], (common::Mount{"bind", "/sys/fs/cgroup/memory/x/mybuild-1",
                                           "/sys/fs/cgroup/memory", kReadonlyBind}));
  EXPECT_EQ(view.mounts[2], (common::Mount{"bind", "/sys/fs/cgroup/pids/mybuild-1",
                                           "/sys/fs/cgroup/pids", kReadonlyBind}));
  EXPECT_TRUE(view.seal_readonly);
}

TEST(StepCgroupMounts, NoCgroupIsAnEmptyReadOnlyTmpfsHidingTheHosts) {
  auto view = step_cgroup_mounts(CgroupMode::kNone, {});
  ASSERT_EQ(view.mounts.size(), 1u);
  EXPECT_EQ(view.mounts[0].type, "tmpfs");
  EXPECT_EQ(view.mounts[0].options.front(), "ro");
}

TEST(StepCgroupMounts, ThePlanMountsThemReadOnlyAndSealsTheV1Tmpfs) {
  ProcessSpec spec;
  spec.args = {"/bin/true"};
  spec.rootfs_dir = "/nonexistent-rootfs";
  PlanInputs in;
  in.run_dir = "/run/mybuild-plan-test";
  in.cgroup_view = step_cgroup_mounts(CgroupMode::kV1, {{"memory", "/cg/memory/mybuild-1"}});
  PlanStorage storage(spec, in);
  const MountList& ops = storage.plan().cgroup_mounts;
  ASSERT_EQ(ops.count, 2u);
  EXPECT_STREQ(ops.ops[0].target, "sys/fs/cgroup");
  EXPECT_STREQ(ops.ops[0].fstype, "tmpfs");
  EXPECT_STREQ(ops.ops[1].source, "/cg/memory/mybuild-1");
  EXPECT_STREQ(ops.ops[1].target, "sys/fs/cgroup/memory");
  EXPECT_EQ(ops.ops[1].flags, static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_EQ(ops.ops[1].remount_flags,
            static_cast<unsigned long>(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
  ASSERT_NE(storage.plan().cgroup_seal[0], nullptr);
  EXPECT_STREQ(storage.plan().cgroup_seal[0], "sys/fs/cgroup");
  EXPECT_EQ(storage.plan().cgroup_seal[1], nullptr);
}

}  // namespace
}  // namespace mybuild::sandbox::internal
