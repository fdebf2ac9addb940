#include "builder/context/path.h"

#include <gtest/gtest.h>

#include "builder/context/test_util.h"
#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

using testing::symlink;
using testing::write;

TEST(CleanInRoot, DotDotNeverClimbsAboveTheRoot) {
  EXPECT_EQ(clean_in_root("/a/../../b/./c/"), "b/c");
  EXPECT_EQ(clean_in_root("../../etc/passwd"), "etc/passwd");
  EXPECT_EQ(clean_in_root("."), "");
  EXPECT_EQ(clean_in_root("/"), "");
  EXPECT_EQ(clean_in_root("a//b"), "a/b");
}

class ResolveInRoot : public ::testing::Test {
 protected:
  common::TempDir dir_{"mybuild-ctxpath-"};
  std::filesystem::path root_ = dir_.path();
};

TEST_F(ResolveInRoot, DotDotAndAbsolutePathsStayInside) {
  write(root_ / "x", "x");
  EXPECT_EQ(resolve_in_root(root_, "../x"), "x");
  EXPECT_EQ(resolve_in_root(root_, "/../../x"), "x");
  EXPECT_EQ(resolve_in_root(root_, "."), "");
  EXPECT_EQ(resolve_in_root(root_, "../missing"), std::nullopt);
}

TEST_F(ResolveInRoot, SymlinksLeadingOutAreClampedToTheRoot) {
  // /etc/passwd exists on the host; inside the root it does not, so these must not resolve.
  symlink("/etc/passwd", root_ / "abs");
  symlink("../../../../../../etc/passwd", root_ / "rel");
  EXPECT_EQ(resolve_in_root(root_, "abs"), std::nullopt);
  EXPECT_EQ(resolve_in_root(root_, "rel"), std::nullopt);
  write(root_ / "etc/passwd", "inside");
  EXPECT_EQ(resolve_in_root(root_, "abs"), "etc/passwd");
  EXPECT_EQ(resolve_in_root(root_, "rel"), "etc/passwd");
}

TEST_F(ResolveInRoot, FollowsChainsAndDirectorySymlinksInTheMiddle) {
  write(root_ / "real/dir/f", "f");
  symlink("real/dir", root_ / "d1");
  symlink("/d1", root_ / "d2");
  EXPECT_EQ(resolve_in_root(root_, "d2/f"), "real/dir/f");
  EXPECT_EQ(resolve_in_root(root_, "d2/../dir/f"), "real/dir/f");  // ".." after the link target
  RootPathOptions no_follow;
  no_follow.follow_final = false;
  EXPECT_EQ(resolve_in_root(root_, "d2", no_follow), "d2");
  EXPECT_EQ(resolve_in_root(root_, "d2"), "real/dir");
}

TEST_F(ResolveInRoot, FileInTheMiddleIsNotFound) {
  write(root_ / "file", "x");
  EXPECT_EQ(resolve_in_root(root_, "file/x"), std::nullopt);
}

TEST_F(ResolveInRoot, SymlinkLoopIsAClearError) {
  symlink("b", root_ / "a");
  symlink("a", root_ / "b");
  try {
    resolve_in_root(root_, "a");
    FAIL() << "loop resolved";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound);
    EXPECT_NE(e.message().find("\"a\""), std::string::npos) << e.message();
  }
}

TEST_F(ResolveInRoot, InvisiblePathsDoNotExist) {
  write(root_ / "secret/key", "k");
  symlink("secret/key", root_ / "link");
  RootPathOptions opts;
  opts.visible = [](std::string_view rel, bool) { return rel != "secret"; };
  EXPECT_EQ(resolve_in_root(root_, "secret/key", opts), std::nullopt);
  EXPECT_EQ(resolve_in_root(root_, "link", opts), std::nullopt);
}

}  // namespace
}  // namespace mybuild::builder
