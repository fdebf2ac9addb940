#include "sandbox/cgroup.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "sandbox/internal/cgroup_files.h"
#include "sandbox/records.h"

namespace mybuild::sandbox {
namespace {

TEST(Cgroup, ProbeFindsAHierarchyForOurOwnCgroup) {
  CgroupProbe probe = probe_cgroups();
  if (probe.mode == CgroupMode::kNone) GTEST_SKIP() << "no cgroup hierarchy mounted here";
  ASSERT_FALSE(probe.dirs.empty());
  for (const auto& [controller, dir] : probe.dirs) {
    EXPECT_TRUE(std::filesystem::is_directory(dir)) << controller << " " << dir;
  }
  if (probe.mode == CgroupMode::kV1) {
    auto has = [&](const char* c) {
      return std::find(probe.controllers.begin(), probe.controllers.end(), c) !=
             probe.controllers.end();
    };
    EXPECT_TRUE(has("memory") || has("pids")) << "a v1 host without memory or pids?";
  }
}

TEST(Cgroup, CreatesWithLimitsAndRemovesOnDestruction) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";
  CgroupProbe probe = probe_cgroups();
  if (probe.mode == CgroupMode::kNone) GTEST_SKIP() << "no cgroup hierarchy mounted here";
  Limits limits;
  limits.memory_bytes = 64ull << 20;
  limits.pids_max = 77;
  limits.cpu_quota_us = 50000;
  std::vector<std::filesystem::path> dirs;
  {
    auto cg = Cgroup::create(probe, "unit-" + new_run_id(), limits);
    dirs = cg->dirs();
    ASSERT_FALSE(dirs.empty());
    bool saw_pids = false;
    for (const auto& d : dirs) {
      EXPECT_TRUE(std::filesystem::is_directory(d));
      EXPECT_EQ(d.filename().string().rfind("mybuild-", 0), 0u);
      if (auto v = internal::cgroup_number(d, "pids.max")) {
        EXPECT_EQ(*v, 77u);
        saw_pids = true;
      }
      if (auto v = internal::cgroup_number(d, "memory.limit_in_bytes")) {
        EXPECT_EQ(*v, 64ull << 20);
      }
      if (auto v = internal::cgroup_number(d, "memory.max")) {
        EXPECT_EQ(*v, 64ull << 20);
      }
    }
    EXPECT_TRUE(saw_pids);
    EXPECT_FALSE(cg->oom_killed());
  }
  for (const auto& d : dirs) EXPECT_FALSE(std::filesystem::exists(d)) << d;
}

}  // namespace
}  // namespace mybuild::sandbox
