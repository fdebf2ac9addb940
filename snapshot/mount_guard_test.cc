#include "snapshot/mount_guard.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/temp_dir.h"
#include "snapshot/mount_ops.h"
#include "snapshot/mount_table.h"
#include "snapshot/snapshotter_test_util.h"

namespace mybuild::snapshot {
namespace {

using snapshotter_testing::mount_skip_reason;
using snapshotter_testing::read_text;
using snapshotter_testing::write_text;

class MountGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = mount_skip_reason()) GTEST_SKIP() << *why;
    before_ = read_mountinfo();
    std::filesystem::create_directories(dir_.path() / "src");
    std::filesystem::create_directories(dir_.path() / "dst");
    write_text(dir_.path() / "src" / "f", "hello");
  }
  void TearDown() override {
    if (!before_.empty()) {
      EXPECT_EQ(read_mountinfo(), before_) << "leaked a mount";
    }
  }
  bool mounted(const std::filesystem::path& p) {
    return !mounts_under(read_mountinfo(), p).empty();
  }

  std::vector<MountEntry> before_;
  common::TempDir dir_{"mybuild-mount-"};
};

TEST_F(MountGuardTest, UnmountsOnDestructionAndOnMove) {
  common::Mount bind{.type = "bind",
                     .source = (dir_.path() / "src").string(),
                     .target = "",
                     .options = {"rbind", "ro"}};
  {
    MountGuard outer;
    {
      MountGuard g(std::span(&bind, 1), dir_.path() / "dst");
      EXPECT_TRUE(mounted(dir_.path() / "dst"));
      EXPECT_EQ(read_text(dir_.path() / "dst" / "f"), "hello");
      EXPECT_NE(::mkdir((dir_.path() / "dst" / "x").c_str(), 0755), 0) << "ro was ignored";
      outer = std::move(g);
    }
    EXPECT_TRUE(mounted(dir_.path() / "dst")) << "a moved-from guard unmounted";
  }
  EXPECT_FALSE(mounted(dir_.path() / "dst"));
}

TEST_F(MountGuardTest, ReleaseKeepsTheMount) {
  common::Mount tmpfs{.type = "tmpfs", .source = "tmpfs", .target = "", .options = {"size=1m"}};
  std::filesystem::path kept;
  {
    MountGuard g(std::span(&tmpfs, 1), dir_.path() / "dst");
    kept = g.release();
  }
  EXPECT_TRUE(mounted(kept));
  EXPECT_EQ(unmount_tree(kept), 1);
  EXPECT_FALSE(mounted(kept));
}

TEST_F(MountGuardTest, FailureLeavesNothingMounted) {
  std::filesystem::create_directories(dir_.path() / "dst" / "sub");
  std::vector<common::Mount> mounts = {
      {.type = "tmpfs", .source = "tmpfs", .target = "", .options = {}},
      // dst/sub is hidden by the tmpfs above, so this target does not exist.
      {.type = "tmpfs", .source = "tmpfs", .target = "sub", .options = {}},
  };
  try {
    MountGuard g(mounts, dir_.path() / "dst");
    ADD_FAILURE() << "mounting on a missing directory succeeded";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kResource);
    EXPECT_NE(e.message().find("sub"), std::string::npos) << e.message();
  }
  EXPECT_FALSE(mounted(dir_.path() / "dst"));
}

TEST_F(MountGuardTest, UnmountsWhatOthersStackedOnTop) {
  common::Mount tmpfs{.type = "tmpfs", .source = "tmpfs", .target = "", .options = {}};
  MountGuard g(std::span(&tmpfs, 1), dir_.path() / "dst");
  std::filesystem::create_directories(dir_.path() / "dst" / "proc");
  MountGuard inner(std::span(&tmpfs, 1), dir_.path() / "dst" / "proc");
  inner.release();  // as a sandbox would leave its /proc behind
  g.unmount();
  EXPECT_FALSE(mounted(dir_.path() / "dst"));
}

}  // namespace
}  // namespace mybuild::snapshot
