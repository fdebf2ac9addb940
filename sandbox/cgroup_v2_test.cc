// The cgroup v2 code against a v2 tree laid out by the test in a tmpfs: the development host is
// hybrid (its controllers are v1), so without this the v2 path would never run before a user's
// machine. The kernel makes a cgroup's control files when the directory is made; a tmpfs cannot,
// so each test makes the step's directory and the files it expects the code to write first (the
// code reuses an existing directory, as it does a leftover of a killed run).
#include "sandbox/internal/cgroup_v2.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "common/error.h"
#include "common/io.h"
#include "common/temp_dir.h"
#include "sandbox/cgroup.h"

namespace mybuild::sandbox {
namespace {

namespace fs = std::filesystem;

constexpr const char* kV2Mountinfo =
    "30 22 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";
// This development host: v1 controllers, and an unused unified hierarchy beside them.
constexpr const char* kHybridMountinfo =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr const char* kHybridSelf =
    "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n";

// A tmpfs (a plain directory when not root) holding the fake hierarchy; unmounted afterwards.
class CgroupV2Tree : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() == 0) {
      ASSERT_EQ(::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, "mode=755"), 0);
      mounted_ = true;
    }
    ours_ = dir_.path() / "sys/fs/cgroup/user.slice/build";
    fs::create_directories(ours_);
    put(ours_ / "cgroup.controllers", "cpuset cpu io memory pids\n");
    put(ours_ / "cgroup.subtree_control", "cpu memory pids\n");
    put(ours_ / "cgroup.procs", "");
  }
  void TearDown() override {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  static void put(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
  }
  static std::string get(const fs::path& path) { return common::read_file(path); }
  // The step's directory as the kernel would make it: its control files exist, empty.
  fs::path make_step_dir(const std::string& name, bool swap_accounting = true) {
    fs::path d = ours_ / ("mybuild-" + name);
    fs::create_directory(d);
    for (const char* f : {"memory.max", "pids.max", "cpu.max", "cpuset.cpus", "cgroup.procs",
                          "cgroup.kill", "memory.events", "memory.peak", "cpu.stat"}) {
      put(d / f, "");
    }
    if (swap_accounting) put(d / "memory.swap.max", "");
    return d;
  }
  CgroupSources v2_sources() const { return {kV2Mountinfo, "0::/user.slice/build\n", dir_.path()}; }

  common::TempDir dir_{"mybuild-cgroup-v2-"};
  bool mounted_ = false;
  fs::path ours_;
};

TEST_F(CgroupV2Tree, ProbePicksV2WhenMemoryAndPidsAreDelegated) {
  CgroupProbe probe = probe_cgroups(v2_sources());
  EXPECT_EQ(probe.mode, CgroupMode::kV2);
  ASSERT_EQ(probe.dirs.size(), 1u);
  EXPECT_EQ(probe.dirs[0].first, "unified");
  EXPECT_EQ(probe.dirs[0].second, ours_);
  EXPECT_EQ(probe.controllers, (std::vector<std::string>{"cpu", "memory", "pids"}));
}

TEST_F(CgroupV2Tree, ProbeDoesNotUseV2WithoutPidsDelegated) {
  put(ours_ / "cgroup.subtree_control", "cpu memory\n");
  EXPECT_EQ(probe_cgroups(v2_sources()).mode, CgroupMode::kNone);
  fs::remove(ours_ / "cgroup.subtree_control");  // unreadable: nothing delegated
  EXPECT_EQ(probe_cgroups(v2_sources()).mode, CgroupMode::kNone);
}

TEST_F(CgroupV2Tree, ProbeOfAHybridHostUsesTheV1Controllers) {
  CgroupProbe probe = probe_cgroups({kHybridMountinfo, kHybridSelf, dir_.path()});
  EXPECT_EQ(probe.mode, CgroupMode::kV1);
  auto root = dir_.path() / "sys/fs/cgroup";
  EXPECT_EQ(probe.dirs, (std::vector<std::pair<std::string, fs::path>>{
                            {"pids", root / "pids"},
                            {"memory", root / "memory/process_api/abc"},
                            {"cpu", root / "cpu"}}));
}

TEST_F(CgroupV2Tree, WritesTheLimitsIntoTheStepsDirectory) {
  fs::path d = make_step_dir("limits");
  Limits limits;
  limits.memory_bytes = 128ull << 20;
  limits.cpu_quota_us = 50000;
  limits.cpu_period_us = 100000;
  limits.pids_max = 99;
  limits.cpuset_cpus = "0-1";
  auto cg = internal::create_cgroup_v2_dir(ours_, "limits", limits);
  EXPECT_EQ(get(d / "memory.max"), "134217728");
  EXPECT_EQ(get(d / "memory.swap.max"), "0");  // OOM-killed at the limit, never swapped
  EXPECT_EQ(get(d / "pids.max"), "99");
  EXPECT_EQ(get(d / "cpu.max"), "50000 100000");
  EXPECT_EQ(get(d / "cpuset.cpus"), "0-1");
  EXPECT_EQ(cg->mode(), CgroupMode::kV2);
  EXPECT_EQ(cg->dirs(), std::vector<fs::path>{d});
  EXPECT_EQ(cg->controller_dirs(), (std::vector<std::pair<std::string, fs::path>>{{"unified", d}}));
  EXPECT_TRUE(cg->procs_fds().empty());
  // clone3(CLONE_INTO_CGROUP) gets a descriptor of the step's directory itself.
  struct stat by_fd {
  }, by_path{};
  ASSERT_EQ(::fstat(cg->clone_into_fd(), &by_fd), 0);
  ASSERT_EQ(::stat(d.c_str(), &by_path), 0);
  EXPECT_EQ(by_fd.st_ino, by_path.st_ino);
}

TEST_F(CgroupV2Tree, WritesOnlyWhatWasAskedFor) {
  fs::path d = make_step_dir("defaults", /*swap_accounting=*/false);
  auto cg = internal::create_cgroup_v2_dir(ours_, "defaults", Limits{});
  EXPECT_EQ(get(d / "pids.max"), "32768");  // the fork-bomb cap is always on
  EXPECT_EQ(get(d / "memory.max"), "");
  EXPECT_EQ(get(d / "cpu.max"), "");
  EXPECT_EQ(get(d / "cpuset.cpus"), "");
  Limits memory;
  memory.memory_bytes = 1 << 20;
  auto second = internal::create_cgroup_v2_dir(ours_, "defaults", memory);
  EXPECT_FALSE(fs::exists(d / "memory.swap.max")) << "no swap accounting: nothing to write";
}

TEST_F(CgroupV2Tree, ReadsOomKillsPeakMemoryAndCpuTime) {
  fs::path d = make_step_dir("usage");
  auto cg = internal::create_cgroup_v2_dir(ours_, "usage", Limits{});
  EXPECT_FALSE(cg->oom_killed());
  EXPECT_EQ(cg->peak_memory(), 0u);
  EXPECT_EQ(cg->cpu_time(), std::nullopt);
  put(d / "memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n");
  put(d / "memory.peak", "123456789\n");
  put(d / "cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
  EXPECT_TRUE(cg->oom_killed());
  EXPECT_EQ(cg->peak_memory(), 123456789u);
  EXPECT_EQ(cg->cpu_time(), std::chrono::microseconds(2500000));
}

TEST_F(CgroupV2Tree, KillWritesCgroupKillAndDestructionRemovesTheDirectory) {
  fs::path d = make_step_dir("kill");
  auto cg = internal::create_cgroup_v2_dir(ours_, "kill", Limits{});
  cg->kill_all();
  EXPECT_EQ(get(d / "cgroup.kill"), "1");
  // The kernel's rmdir of a cgroup ignores its control files; a tmpfs's does not, so empty it.
  for (const auto& e : fs::directory_iterator(d)) fs::remove(e.path());
  cg.reset();
  EXPECT_FALSE(fs::exists(d));
  EXPECT_TRUE(fs::is_directory(ours_)) << "only the step's own directory goes";
}

TEST_F(CgroupV2Tree, ALimitThatCannotBeWrittenNamesTheFileAndRemovesTheDirectoryItMade) {
  // A fresh directory here has no memory.max: the write fails as on a kernel without the
  // memory controller delegated.
  fs::path d = ours_ / "mybuild-refused";
  Limits limits;
  limits.memory_bytes = 64ull << 20;
  try {
    internal::create_cgroup_v2_dir(ours_, "refused", limits);
    FAIL() << "expected an error";
  } catch (const common::Error& e) {
    EXPECT_NE(e.message().find("cgroup: write " + (d / "memory.max").string() + " = 67108864"),
              std::string::npos)
        << e.message();
  }
  EXPECT_FALSE(fs::exists(d)) << "the directory it made is removed again";
}

TEST_F(CgroupV2Tree, AMissingParentIsAnErrorNamingMkdirAndThePath) {
  try {
    internal::create_cgroup_v2_dir(ours_ / "gone", "x", Limits{});
    FAIL() << "expected an error";
  } catch (const common::Error& e) {
    EXPECT_NE(e.full_message().find("mkdir"), std::string::npos) << e.full_message();
    EXPECT_NE(e.full_message().find((ours_ / "gone/mybuild-x").string()), std::string::npos);
  }
}

TEST_F(CgroupV2Tree, RemovingALeftoverDirectory) {
  fs::path empty = ours_ / "mybuild-left";
  fs::create_directory(empty);
  EXPECT_TRUE(remove_cgroup_dir(empty));
  EXPECT_FALSE(fs::exists(empty));
  EXPECT_TRUE(remove_cgroup_dir(empty)) << "already gone counts as removed";
  // Not a cgroup (a tmpfs directory with a file): refused at once, not retried as a busy one.
  fs::path full = make_step_dir("full");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(remove_cgroup_dir(full));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  EXPECT_TRUE(fs::is_directory(full));
}

}  // namespace
}  // namespace mybuild::sandbox
