#include "snapshot/snapshotter.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "common/error.h"
#include "common/temp_dir.h"
#include "snapshot/database.h"
#include "snapshot/mount_guard.h"
#include "snapshot/mount_table.h"
#include "snapshot/overlay_snapshotter.h"
#include "snapshot/snapshotter_test_util.h"

namespace mybuild::snapshot::snapshotter_testing {
namespace {

class SnapshotterFactoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = mount_skip_reason()) GTEST_SKIP() << *why;
    mounts_before_ = read_mountinfo();
  }
  void TearDown() override {
    if (!mounts_before_.empty()) {
      EXPECT_EQ(read_mountinfo(), mounts_before_) << "leaked a mount";
    }
  }

  std::vector<MountEntry> mounts_before_;
  common::TempDir root_{"mybuild-snapshotter-"};
};

TEST_F(SnapshotterFactoryTest, NamesPickTheDriverAndAutoProbes) {
  Database db(root_.path() / "metadata.db");
  EXPECT_EQ(make_snapshotter("overlay", root_.path(), db)->driver(), "overlay");
  EXPECT_EQ(make_snapshotter("native", root_.path(), db)->driver(), "native");
  auto expected = OverlaySnapshotter::probe(root_.path()) ? "native" : "overlay";
  EXPECT_EQ(make_snapshotter("auto", root_.path(), db)->driver(), expected);
  try {
    make_snapshotter("zfs", root_.path(), db);
    ADD_FAILURE() << "an unknown driver was accepted";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kUsage);
    EXPECT_NE(e.message().find("zfs"), std::string::npos);
  }
  // A probe left by a process that is gone (pid 999999999 cannot exist) is removed by the next.
  auto stale = root_.path() / "snapshots" / ".overlay-probe-999999999-abcdef";
  std::filesystem::create_directories(stale / "upper");
  OverlaySnapshotter::probe(root_.path());
  EXPECT_FALSE(std::filesystem::exists(stale));
  // The probe cleans up after itself.
  for (const auto& entry : std::filesystem::directory_iterator(root_.path() / "snapshots")) {
    EXPECT_FALSE(entry.path().filename().string().starts_with(".overlay-probe-")) << entry.path();
  }
}

TEST_F(SnapshotterFactoryTest, DriversKeepSeparateNamespacesOnOneDatabase) {
  Database db(root_.path() / "metadata.db");
  auto overlay = make_snapshotter("overlay", root_.path(), db);
  auto native = make_snapshotter("native", root_.path(), db);
  overlay->prepare("same-key", "");
  native->prepare("same-key", "");
  EXPECT_EQ(overlay->list().size(), 1u);
  EXPECT_EQ(native->list().size(), 1u);
  overlay->remove("same-key");
  EXPECT_TRUE(native->stat("same-key"));
  native->remove("same-key");
}

// The same operations through either driver give the same files, times and owners included.
TEST_F(SnapshotterFactoryTest, OverlayAndNativeGiveTheSameTrees) {
  if (auto why = OverlaySnapshotter::probe(root_.path())) GTEST_SKIP() << *why;
  Database db(root_.path() / "metadata.db");
  std::string trees[2];
  int n = 0;
  for (const char* driver : {"overlay", "native"}) {
    auto s = make_snapshotter(driver, root_.path(), db);
    auto step = [&](const std::string& name, const std::string& parent, auto change) {
      ActiveSnapshot a(*s, name + "-active", parent);
      {
        MountGuard m(a.mounts(), a.mount_point());
        change(m.target());
      }
      a.commit(name);
    };
    step("base", "", [](const std::filesystem::path& r) {
      std::filesystem::create_directories(r / "etc" / "conf.d");
      write_text(r / "etc" / "conf.d" / "a", "a");
      write_text(r / "etc" / "passwd", "root:x:0:0\n");
      ASSERT_EQ(::symlink("passwd", (r / "etc" / "link").c_str()), 0);
      ASSERT_EQ(::chown((r / "etc" / "passwd").c_str(), 7, 8), 0);
      struct timespec t[2] = {{5, 0}, {1600000000, 42}};
      ASSERT_EQ(::utimensat(AT_FDCWD, (r / "etc" / "passwd").c_str(), t, 0), 0);
    });
    step("next", "base", [](const std::filesystem::path& r) {
      std::filesystem::remove_all(r / "etc" / "conf.d");
      std::filesystem::remove(r / "etc" / "link");
      write_text(r / "etc" / "new", "n");
      struct timespec t[2] = {{5, 0}, {1700000000, 7}};
      ASSERT_EQ(::utimensat(AT_FDCWD, (r / "etc" / "new").c_str(), t, 0), 0);
      ASSERT_EQ(::chmod((r / "etc" / "passwd").c_str(), 0600), 0);
    });
    step("last", "next", [](const std::filesystem::path& r) {
      std::filesystem::create_directories(r / "etc" / "conf.d");
      ASSERT_EQ(::link((r / "etc" / "new").c_str(), (r / "etc" / "new-link").c_str()), 0);
    });
    auto view = s->view("look", "last");
    {
      MountGuard m(view, s->mount_point("look"));
      trees[n++] = describe_tree(m.target());
    }
    for (const char* key : {"look", "last", "next", "base"}) s->remove(key);
  }
  EXPECT_EQ(trees[0], trees[1]);
  EXPECT_NE(trees[0].find("etc/passwd mode=100600 uid=7 gid=8"), std::string::npos) << trees[0];
  EXPECT_EQ(trees[0].find("conf.d/a"), std::string::npos) << trees[0];
}

// Two mybuild processes on one root: each change is one transaction and ids are never shared,
// so both finish and every snapshot is intact.
TEST_F(SnapshotterFactoryTest, TwoProcessesShareOneRoot) {
  constexpr int kEach = 15;
  auto work = [&](const std::string& who) {
    Database db(root_.path() / "metadata.db");
    auto s = make_snapshotter("native", root_.path(), db);
    std::string parent;
    for (int i = 0; i < kEach; ++i) {
      std::string name = who;
      name += std::to_string(i);
      s->prepare(name + "-active", parent);
      write_text(s->dir(name + "-active") / name, name);
      s->commit(name, name + "-active");
      parent = name;
    }
  };
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      work("child-");
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  work("parent-");
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child process failed";
  Database db(root_.path() / "metadata.db");
  auto s = make_snapshotter("native", root_.path(), db);
  EXPECT_EQ(s->list().size(), 2u * kEach);
  for (const char* top : {"child-14", "parent-14"}) {
    std::string tree = describe_tree(s->dir(top), false);
    EXPECT_EQ(std::count(tree.begin(), tree.end(), '\n'), kEach) << tree;
  }
}

}  // namespace
}  // namespace mybuild::snapshot::snapshotter_testing
