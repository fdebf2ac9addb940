#include "sandbox/records.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "common/io.h"
#include "common/temp_dir.h"
#include "sandbox/cgroup.h"

namespace mybuild::sandbox {
namespace {

pid_t dead_pid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

TEST(Records, LiveRunIsKeptAndRemovesItselfAtTheEnd) {
  common::TempDir state("mybuild-records-");
  std::filesystem::path dir;
  {
    RunRecord record(state.path(), new_run_id());
    dir = record.dir();
    EXPECT_TRUE(std::filesystem::exists(dir / "record"));
    EXPECT_EQ(clean_stale_runs(state.path()), 0);  // we are alive: not stale
    EXPECT_TRUE(std::filesystem::exists(dir));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(Records, StaleRunsOfDeadOwnersAreCleanedWithTheirCgroups) {
  common::TempDir state("mybuild-records-");
  auto run_dir = state.path() / "dead-run";
  std::filesystem::create_directories(run_dir / "root");
  std::string record = "owner " + std::to_string(dead_pid()) + " 1\n";
  std::filesystem::path cgroup;
  CgroupProbe probe = probe_cgroups();
  if (::geteuid() == 0 && !probe.dirs.empty()) {
    cgroup = probe.dirs.front().second / ("mybuild-stale-" + new_run_id());
    ASSERT_EQ(::mkdir(cgroup.c_str(), 0755), 0);
    record += "cgroup " + cgroup.string() + "\n";
  }
  common::write_file_atomic(run_dir / "record", record);
  common::write_file_atomic(run_dir / "hosts", "x");
  EXPECT_EQ(clean_stale_runs(state.path()), 1);
  EXPECT_FALSE(std::filesystem::exists(run_dir));
  if (!cgroup.empty()) {
    EXPECT_FALSE(std::filesystem::exists(cgroup));
  }
}

TEST(Records, RunIdsAreUnique) { EXPECT_NE(new_run_id(), new_run_id()); }

}  // namespace
}  // namespace mybuild::sandbox
