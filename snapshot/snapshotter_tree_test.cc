#include "snapshot/snapshotter_tree.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/error.h"
#include "common/temp_dir.h"
#include "snapshot/mount_ops.h"
#include "snapshot/snapshotter_test_util.h"

namespace mybuild::snapshot {
namespace {

using snapshotter_testing::describe_tree;
using snapshotter_testing::exists_nofollow;
using snapshotter_testing::write_text;
namespace fs = std::filesystem;

TEST(SnapshotterTreeTest, CopyPreservesEverythingATreeHolds) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (chown, mknod, trusted.* xattrs)";
  common::TempDir dir("mybuild-tree-");
  fs::path from = dir.path() / "from", to = dir.path() / "to";
  fs::create_directories(from / "a" / "b");
  fs::create_directories(to);
  write_text(from / "a" / "b" / "file", "data");
  ASSERT_EQ(::link((from / "a" / "b" / "file").c_str(), (from / "hard").c_str()), 0);
  ASSERT_EQ(::symlink("../../../../etc/shadow", (from / "a" / "escape").c_str()), 0);
  ASSERT_EQ(::mknod((from / "blk").c_str(), S_IFBLK | 0600, makedev(8, 1)), 0);
  ASSERT_EQ(::mkfifo((from / "fifo").c_str(), 0600), 0);
  ASSERT_EQ(::mknod((from / "wh").c_str(), S_IFCHR, makedev(0, 0)), 0);  // an overlay whiteout
  ASSERT_EQ(::setxattr((from / "a").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  ASSERT_EQ(::setxattr((from / "hard").c_str(), "user.test", "cap", 3, 0), 0);
  ASSERT_EQ(::chown((from / "a" / "b").c_str(), 100, 200), 0);
  ASSERT_EQ(::chmod((from / "a" / "b").c_str(), 01570), 0);
  ASSERT_EQ(::lchown((from / "a" / "escape").c_str(), 3, 4), 0);
  ASSERT_EQ(::chmod(from.c_str(), 0711), 0);
  struct timespec t[2] = {{1, 2}, {300000000, 999}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (from / "a" / "escape").c_str(), t, AT_SYMLINK_NOFOLLOW), 0);

  copy_tree(from, to);
  EXPECT_EQ(describe_tree(to), describe_tree(from));
  struct stat a {
  }, b{};
  ASSERT_EQ(::stat((to / "hard").c_str(), &a), 0);
  ASSERT_EQ(::stat((to / "a" / "b" / "file").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino) << "hard links became copies";
  char v[4] = {};
  EXPECT_EQ(::getxattr((to / "a").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  ASSERT_EQ(::stat(to.c_str(), &a), 0);
  EXPECT_EQ(a.st_mode & 07777, 0711u) << "the root takes the source root's mode";
  ASSERT_EQ(::stat((to / "a" / "b").c_str(), &a), 0);
  EXPECT_EQ(a.st_mode & 07777, 01570u);
  EXPECT_EQ(a.st_uid, 100u);
}

TEST(SnapshotterTreeTest, RemoveNeverCrossesAMountOrFollowsALink) {
  if (auto why = snapshotter_testing::mount_skip_reason()) GTEST_SKIP() << *why;
  common::TempDir dir("mybuild-tree-");
  fs::path victim = dir.path() / "outside", tree = dir.path() / "tree";
  fs::create_directories(victim);
  fs::create_directories(tree / "mnt");
  write_text(victim / "precious", "keep");
  ASSERT_EQ(::symlink(victim.c_str(), (tree / "link").c_str()), 0);
  ASSERT_EQ(::mount(victim.c_str(), (tree / "mnt").c_str(), nullptr, MS_BIND, nullptr), 0);
  EXPECT_THROW(remove_tree(tree), common::Error);
  EXPECT_TRUE(exists_nofollow(victim / "precious")) << "deleted through a mount point";
  EXPECT_EQ(unmount_tree(tree), 1);
  remove_tree(tree);
  EXPECT_FALSE(exists_nofollow(tree));
  EXPECT_TRUE(exists_nofollow(victim / "precious")) << "deleted through a symlink";
  EXPECT_NO_THROW(remove_tree(tree)) << "a missing tree is already removed";
}

TEST(SnapshotterTreeTest, UsageCountsHardLinkedInodesOnce) {
  common::TempDir dir("mybuild-tree-");
  write_text(dir.path() / "f", std::string(100000, 'x'));
  TreeUsage one = tree_usage(dir.path());
  ASSERT_EQ(::link((dir.path() / "f").c_str(), (dir.path() / "g").c_str()), 0);
  TreeUsage linked = tree_usage(dir.path());
  EXPECT_EQ(linked.inodes, 2);  // the directory and the file
  EXPECT_EQ(linked.bytes, one.bytes);
  EXPECT_GE(one.bytes, 100000);
  write_text(dir.path() / "h", "y");
  EXPECT_EQ(tree_usage(dir.path()).inodes, 3);
}

}  // namespace
}  // namespace mybuild::snapshot
