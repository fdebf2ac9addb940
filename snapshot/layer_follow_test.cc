// LayerFollower refuses a stream that is not the finished upper dir's diff (layer_follow.h);
// the byte-for-byte comparison with the normal path is builder/copy/follow_test.cc.
#include "snapshot/layer_follow.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/temp_dir.h"
#include "snapshot/diff.h"
#include "snapshot/layer_test_util.h"

namespace mybuild::snapshot {
namespace {

using testing::set_mtime;
using testing::write_text;

class LayerFollow : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.compression = Compression::kNone;
    std::filesystem::create_directories(upper() / "d");
    write_text(upper() / "d/a", "a");
    write_text(upper() / "d/b", "b");
    set_mtime(upper() / "d", 1500000000);
  }
  std::filesystem::path upper() const { return dir_.path() / "upper"; }
  struct stat lstat_of(const std::string& rel) const {
    struct stat st {};
    EXPECT_EQ(::lstat((upper() / rel).c_str(), &st), 0);
    return st;
  }
  // Tells `f` the tree as a copy makes it: d, then its two files.
  void announce_tree(LayerFollower& f) const {
    f.dir("d", lstat_of("d"), upper() / "d");
    f.entry("d/a");
    f.entry("d/b");
  }
  std::string diff() {
    common::StringWriter out;
    diff_overlay_upper(upper(), out, options_);
    return out.take();
  }

  common::TempDir dir_{"mybuild-layer-follow-"};
  LayerOptions options_;
};

TEST_F(LayerFollow, TheDiffsOrderAndStateGiveTheDiffsBytes) {
  common::StringWriter out;
  LayerFollower f(upper(), out, options_);
  announce_tree(f);
  ASSERT_TRUE(f.finish().has_value());
  EXPECT_TRUE(out.str() == diff());
}

TEST_F(LayerFollow, AnotherOrderIsRefused) {
  common::StringWriter out;
  LayerFollower f(upper(), out, options_);
  f.dir("d", lstat_of("d"), upper() / "d");
  f.entry("d/b");
  f.entry("d/a");
  EXPECT_FALSE(f.finish().has_value());
}

TEST_F(LayerFollow, AMissingEntryIsRefused) {
  common::StringWriter out;
  LayerFollower f(upper(), out, options_);
  f.dir("d", lstat_of("d"), upper() / "d");
  f.entry("d/a");
  EXPECT_FALSE(f.finish().has_value());
}

TEST_F(LayerFollow, ADirectoryThatEndsOtherwiseThanAnnouncedIsRefused) {
  common::StringWriter out;
  LayerFollower f(upper(), out, options_);
  struct stat announced = lstat_of("d");
  announced.st_mode = S_IFDIR | 0700;
  ASSERT_EQ(::chmod((upper() / "d").c_str(), 0755), 0);
  f.dir("d", announced, upper() / "d");
  f.entry("d/a");
  f.entry("d/b");
  EXPECT_FALSE(f.finish().has_value());
}

TEST_F(LayerFollow, AFileChangedAfterItWasStreamedIsNeverAccepted) {
  common::StringWriter out;
  LayerFollower f(upper(), out, options_);
  announce_tree(f);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // streamed by now, mostly
  set_mtime(upper() / "d/a", 1400000000);
  // Streamed with the old mtime, the stream is refused; with the new one (a late thread) it is
  // the diff's. An accepted stream is the diff either way.
  if (f.finish().has_value()) {
    EXPECT_TRUE(out.str() == diff());
  }
}

TEST_F(LayerFollow, ASecondNameMadeAfterTheFirstWasStreamedIsAHardLink) {
  common::StringWriter out;
  LayerFollower f(upper(), out, options_);
  f.dir("d", lstat_of("d"), upper() / "d");
  f.entry("d/a");
  // The copy makes the second name later: d/a went out with one link.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(::link((upper() / "d/a").c_str(), (upper() / "d/c").c_str()), 0);
  set_mtime(upper() / "d", 1500000000);
  f.entry("d/b");
  f.entry("d/c");
  ASSERT_TRUE(f.finish().has_value());
  const std::string normal = diff();
  EXPECT_TRUE(out.str() == normal) << "d/c must be a hard link to d/a, as in the diff";
}

TEST_F(LayerFollow, AnOverlayMarkIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "trusted.* xattrs need root";
  ASSERT_EQ(::lsetxattr((upper() / "d").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  common::StringWriter out;
  LayerFollower f(upper(), out, options_);
  announce_tree(f);
  EXPECT_FALSE(f.finish().has_value());
}

TEST_F(LayerFollow, DestroyedUnfinishedStopsItsThread) {
  common::StringWriter out;
  {
    LayerFollower f(upper(), out, options_);
    f.dir("d", lstat_of("d"), upper() / "d");
    f.entry("d/a");
  }
  SUCCEED();
}

}  // namespace
}  // namespace mybuild::snapshot
