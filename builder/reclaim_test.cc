#include "builder/reclaim.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/process_owner.h"
#include "common/temp_dir.h"
#include "snapshot/database.h"
#include "snapshot/leases.h"

namespace mybuild::builder {
namespace {

namespace fs = std::filesystem;

// The owner of a process that has exited (forked, killed and waited for).
common::ProcessOwner dead_owner() {
  pid_t child = ::fork();
  if (child == 0) ::pause();
  common::ProcessOwner owner{child, common::process_start_time(child).value_or(0)};
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  return owner;
}

TEST(Reclaim, AMissingRootIsLeftMissing) {
  common::TempDir dir("mybuild-reclaim-test-");
  EXPECT_EQ(reclaim_dead(dir.path() / "absent").total(), 0);
  EXPECT_FALSE(fs::exists(dir.path() / "absent"));
}

TEST(Reclaim, TakesTheTempDirsOfDeadProcessesOnly) {
  common::TempDir root("mybuild-reclaim-test-");
  fs::path tmp = root.path() / "tmp";
  fs::path dead = tmp / ("mybuild-bind-" + dead_owner().tag() + "-abcdef");
  fs::path live = tmp / (common::owned_prefix("mybuild-bind-") + "abcdef");
  fs::path foreign = tmp / "someone-elses";
  for (const auto& d : {dead, live, foreign}) fs::create_directories(d / "sub");
  ReclaimResult r = reclaim_dead(root.path());
  EXPECT_EQ(r.temp_dirs, 1);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(foreign));
}

TEST(Reclaim, ReleasesTheLeasesOfDeadProcessesOnly) {
  common::TempDir root("mybuild-reclaim-test-");
  snapshot::Database db(snapshot::metadata_path(root.path()));
  snapshot::Leases leases(db);
  auto mine = leases.create(std::chrono::hours(1), "live");
  auto theirs = leases.create(std::chrono::hours(1), "killed build");
  auto owner = dead_owner();
  db.prepare("UPDATE leases SET owner_pid = ?, owner_start = ? WHERE id = ?")
      .bind(1, owner.pid)
      .bind(2, owner.start)
      .bind(3, theirs.id)
      .run();
  EXPECT_EQ(reclaim_dead(root.path()).leases, 1);
  auto left = leases.active(snapshot::Leases::now());
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, mine.id);
}

}  // namespace
}  // namespace mybuild::builder
