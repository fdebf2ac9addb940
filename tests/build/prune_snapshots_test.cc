// `mybuild prune` removes the snapshots no tagged image needs, and a later build makes again
// from the blobs whatever it needs; while a build or run holds the snapshots, none go.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

using PruneSnapshots = BuildTest;

TEST_F(PruneSnapshots, UnneededSnapshotsGoAndAreUnpackedAgainWhenUsed) {
  dockerfile("FROM busybox\nRUN echo x > /x\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  ASSERT_EQ(mybuild({"rmi", "app:v1"}).failure(), "");

  Ran dry = mybuild({"prune", "--dry-run"});
  ASSERT_TRUE(dry.ok()) << dry.both();
  EXPECT_NE(dry.out.find("Snapshots that would be removed: 1\n"), std::string::npos) << dry.out;
  Ran pruned = mybuild({"prune"});
  ASSERT_TRUE(pruned.ok()) << pruned.both();
  // The RUN's snapshot goes; busybox's stays (busybox:latest is tagged).
  EXPECT_NE(pruned.out.find("Snapshots removed: 1\n"), std::string::npos) << pruned.out;
  Ran again = mybuild({"prune"});
  EXPECT_EQ(again.out.find("Snapshots removed"), std::string::npos) << again.out;

  // The RUN is still a cache hit (its record and blob stay), and a step after it needs its
  // filesystem: unpacked again from the blob.
  dockerfile("FROM busybox\nRUN echo x > /x\nRUN cat /x > /y\n");
  Ran r = build({"-t", "app:v2"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(count_cached(r.err), 1) << r.err;
  EXPECT_EQ(image("app:v2").content("/y"), "x\n");
}

TEST_F(PruneSnapshots, NoneGoWhileABuildHoldsThem) {
  dockerfile("FROM busybox\nRUN echo x > /x\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  ASSERT_EQ(mybuild({"rmi", "app:v1"}).failure(), "");
  // What a running build holds (builder/stage/snapshot_prune.h).
  int fd = ::open((root() / "snapshots.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_SH), 0);
  Ran busy = mybuild({"prune"});
  EXPECT_TRUE(busy.ok()) << busy.both();
  EXPECT_NE(busy.out.find("Snapshots kept: a build or run is using them"), std::string::npos)
      << busy.out;
  ::close(fd);
  Ran freed = mybuild({"prune"});
  EXPECT_NE(freed.out.find("Snapshots removed: 1\n"), std::string::npos) << freed.out;
}

}  // namespace
}  // namespace mybuild::build_testing
