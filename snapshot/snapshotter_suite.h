// The conformance suite every Snapshotter driver passes (after containerd's
// core/snapshots/testsuite). A driver's test file instantiates it:
//
//   struct OverlayDriver { static constexpr const char* kName = "overlay"; };
//   INSTANTIATE_TYPED_TEST_SUITE_P(Overlay, SnapshotterSuite, OverlayDriver);
//
// Each test gets a fresh root and database, runs in the test process's own mount namespace,
// and fails if /proc/self/mountinfo differs after it from before it (a leaked mount).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>

#include "common/error.h"
#include "common/temp_dir.h"
#include "snapshot/database.h"
#include "snapshot/mount_guard.h"
#include "snapshot/mount_table.h"
#include "snapshot/overlay_snapshotter.h"
#include "snapshot/snapshotter.h"
#include "snapshot/snapshotter_test_util.h"

namespace mybuild::snapshot::snapshotter_testing {

template <typename Driver>
class SnapshotterSuite : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = mount_skip_reason()) GTEST_SKIP() << *why;
    mounts_before_ = read_mountinfo();
    root_ = std::make_unique<common::TempDir>("mybuild-snapshotter-");
    if (std::string_view(Driver::kName) == "overlay") {
      if (auto why = OverlaySnapshotter::probe(root_->path())) {
        GTEST_SKIP() << "overlay cannot be mounted here: " << *why;
      }
    }
    reopen();
  }

  void TearDown() override {
    s_.reset();
    db_.reset();
    if (!mounts_before_.empty()) {
      EXPECT_EQ(read_mountinfo(), mounts_before_) << "a test leaked a mount";
    }
    root_.reset();
  }

  // A new Database and Snapshotter on the same root, as a second mybuild run would open them.
  void reopen() {
    s_.reset();
    db_.reset();
    db_ = std::make_unique<Database>(root_->path() / "metadata.db");
    s_ = make_snapshotter(Driver::kName, root_->path(), *db_);
  }

  // prepare(key, parent), mount, let `change` edit the tree, unmount, commit as `name`.
  template <typename Change>
  void layer(const std::string& name, const std::string& parent, Change change) {
    std::string key = name + "-active";
    auto mounts = s_->prepare(key, parent);
    {
      MountGuard m(mounts, s_->mount_point(key));
      change(m.target());
    }
    s_->commit(name, key);
  }

  // Mounts a view of `name`, returns describe_tree() of it, removes the view.
  std::string tree_of(const std::string& name, bool with_times = true) {
    std::string key = name + "-view";
    auto mounts = s_->view(key, name);
    std::string tree;
    {
      MountGuard m(mounts, s_->mount_point(key));
      tree = describe_tree(m.target(), with_times);
    }
    s_->remove(key);
    return tree;
  }

  std::vector<MountEntry> mounts_before_;
  std::unique_ptr<common::TempDir> root_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Snapshotter> s_;
};

TYPED_TEST_SUITE_P(SnapshotterSuite);

TYPED_TEST_P(SnapshotterSuite, PrepareCommitChainAndView) {
  auto& s = *this->s_;
  this->layer("l1", "", [](const auto& root) { write_text(root / "a", "one"); });
  this->layer("l2", "l1", [](const auto& root) {
    EXPECT_EQ(read_text(root / "a"), "one");
    write_text(root / "b", "two");
    write_text(root / "a", "changed");
  });
  auto view = s.view("v", "l2");
  {
    MountGuard m(view, s.mount_point("v"));
    EXPECT_EQ(read_text(m.target() / "a"), "changed");
    EXPECT_EQ(read_text(m.target() / "b"), "two");
  }
  EXPECT_EQ(this->tree_of("l1"), this->tree_of("l1"));
  EXPECT_NE(this->tree_of("l1").find("data=one"), std::string::npos);

  auto l2 = s.stat("l2");
  ASSERT_TRUE(l2);
  EXPECT_EQ(l2->kind, SnapshotKind::kCommitted);
  EXPECT_EQ(l2->parent, "l1");
  EXPECT_EQ(s.stat("v")->kind, SnapshotKind::kView);
  EXPECT_EQ(s.stat("l1")->parent, "");
  EXPECT_FALSE(s.stat("l2-active")) << "a committed key must be gone";
  s.remove("v");
}

TYPED_TEST_P(SnapshotterSuite, ViewsAreReadOnly) {
  auto& s = *this->s_;
  this->layer("l1", "", [](const auto& root) { write_text(root / "a", "x"); });
  this->layer("l2", "l1", [](const auto& root) { write_text(root / "b", "y"); });
  for (const char* parent : {"l1", "l2"}) {  // one layer (a bind) and two (an overlay)
    std::string key = std::string("view-of-") + parent;
    auto mounts = s.view(key, parent);
    MountGuard m(mounts, s.mount_point(key));
    int fd = ::open((m.target() / "new").c_str(), O_CREAT | O_WRONLY, 0644);
    EXPECT_LT(fd, 0) << "created a file in a view of " << parent;
    EXPECT_EQ(errno, EROFS);
    if (fd >= 0) ::close(fd);
  }
  EXPECT_THROW(s.commit("nope", "view-of-l1"), common::Error) << "a view cannot be committed";
}

TYPED_TEST_P(SnapshotterSuite, RemovingAParentWithChildrenIsRefused) {
  auto& s = *this->s_;
  this->layer("base", "", [](const auto& root) { write_text(root / "a", "x"); });
  s.prepare("child", "base");
  try {
    s.remove("base");
    ADD_FAILURE() << "removed a parent that has a child";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kInternal);
    EXPECT_NE(e.full_message().find("child"), std::string::npos) << e.full_message();
  }
  EXPECT_TRUE(s.stat("base"));
  s.remove("child");
  s.remove("base");
  EXPECT_FALSE(s.stat("base"));
  EXPECT_TRUE(s.list().empty());
}

TYPED_TEST_P(SnapshotterSuite, MisuseIsAnErrorNotAChange) {
  auto& s = *this->s_;
  s.prepare("a", "");
  EXPECT_THROW(s.prepare("a", ""), common::Error) << "duplicate key";
  EXPECT_THROW(s.prepare("b", "a"), common::Error) << "active parent";
  EXPECT_THROW(s.prepare("c", "missing"), common::Error);
  try {
    s.mounts("missing");
    ADD_FAILURE() << "mounts of a missing key";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound);
  }
  {
    MountGuard m(s.mounts("a"), s.mount_point("a"));
    EXPECT_THROW(s.commit("a-done", "a"), common::Error) << "committed while mounted";
  }
  EXPECT_EQ(s.stat("a")->kind, SnapshotKind::kActive);
  s.commit("a-done", "a");
  EXPECT_THROW(s.prepare("a-done", ""), common::Error) << "keys and names share a namespace";
  EXPECT_THROW(s.mounts("a-done"), common::Error) << "committed snapshots are not mounted";
  EXPECT_EQ(s.list().size(), 1u);
}

TYPED_TEST_P(SnapshotterSuite, StatAndUsage) {
  auto& s = *this->s_;
  EXPECT_FALSE(s.stat("nothing"));
  auto mounts = s.prepare("a", "");
  {
    MountGuard m(mounts, s.mount_point("a"));
    write_text(m.target() / "big", std::string(1 << 20, 'x'));
    std::filesystem::create_directories(m.target() / "d1" / "d2");
  }
  SnapshotUsage active = s.usage("a");
  EXPECT_GE(active.bytes, 1 << 20);
  EXPECT_GE(active.inodes, 4);  // the root, big, d1, d2
  auto before = std::chrono::system_clock::now();
  s.commit("c", "a");
  SnapshotUsage committed = s.usage("c");
  EXPECT_EQ(committed.bytes, active.bytes);
  EXPECT_EQ(committed.inodes, active.inodes);
  EXPECT_LE(s.stat("c")->created, before);
  EXPECT_GT(s.stat("c")->created, before - std::chrono::minutes(1));
  EXPECT_THROW(s.usage("nothing"), common::Error);
}

// Deleting a file of a lower layer in an active snapshot hides it in every later view
// (overlayfs records it as a whiteout, native just deletes it); a replaced directory shows
// only its new content (an opaque directory in overlay).
TYPED_TEST_P(SnapshotterSuite, DeletionsInAChildHideParentFiles) {
  auto& s = *this->s_;
  this->layer("l1", "", [](const auto& root) {
    write_text(root / "gone", "1");
    std::filesystem::create_directories(root / "dir");
    write_text(root / "dir" / "old", "2");
    write_text(root / "kept", "3");
  });
  this->layer("l2", "l1", [](const auto& root) {
    std::filesystem::remove(root / "gone");
    std::filesystem::remove_all(root / "dir");
    std::filesystem::create_directories(root / "dir");
    write_text(root / "dir" / "new", "4");
    EXPECT_FALSE(exists_nofollow(root / "gone"));
  });
  this->layer("l3", "l2", [](const auto& root) { write_text(root / "top", "5"); });
  auto mounts = s.view("v", "l3");
  {
    MountGuard m(mounts, s.mount_point("v"));
    EXPECT_FALSE(exists_nofollow(m.target() / "gone"));
    EXPECT_FALSE(exists_nofollow(m.target() / "dir" / "old"));
    EXPECT_EQ(read_text(m.target() / "dir" / "new"), "4");
    EXPECT_EQ(read_text(m.target() / "kept"), "3");
    EXPECT_EQ(read_text(m.target() / "top"), "5");
  }
  if (s.dir_format() == DirFormat::kOverlayLayer) {
    struct stat st {};
    ASSERT_EQ(::lstat((s.dir("l2") / "gone").c_str(), &st), 0) << "no whiteout in the layer";
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(0, 0));
    EXPECT_FALSE(exists_nofollow(s.dir("l2") / "kept")) << "a layer holds only its changes";
  } else {
    EXPECT_FALSE(exists_nofollow(s.dir("l2") / "gone"));
    EXPECT_TRUE(exists_nofollow(s.dir("l2") / "kept")) << "a native snapshot is the full tree";
  }
}

// Types, modes, owners, xattrs, hard links and times written in a parent are what a child sees.
TYPED_TEST_P(SnapshotterSuite, ChildSeesParentMetadata) {
  this->layer("l1", "", [](const std::filesystem::path& root) {
    write_text(root / "suid", "#!/bin/sh\n");
    ASSERT_EQ(::chown((root / "suid").c_str(), 1234, 5678), 0);
    ASSERT_EQ(::chmod((root / "suid").c_str(), 04755), 0);
    ASSERT_EQ(::setxattr((root / "suid").c_str(), "user.test", "v1", 2, 0), 0);
    ASSERT_EQ(::link((root / "suid").c_str(), (root / "hardlink").c_str()), 0);
    ASSERT_EQ(::symlink("/etc/passwd", (root / "abs-link").c_str()), 0);
    ASSERT_EQ(::mknod((root / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    ASSERT_EQ(::mkfifo((root / "fifo").c_str(), 0640), 0);
    ASSERT_EQ(::mkdir((root / "private").c_str(), 0700), 0);
    struct timespec times[2] = {{1000000000, 5}, {1200000000, 123456789}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (root / "fifo").c_str(), times, 0), 0);
  });
  std::string parent = this->tree_of("l1");
  EXPECT_NE(parent.find("suid mode=104755 uid=1234 gid=5678"), std::string::npos) << parent;
  EXPECT_NE(parent.find("nlink=2"), std::string::npos) << parent;
  EXPECT_NE(parent.find("user.test=v1"), std::string::npos) << parent;
  EXPECT_NE(parent.find("mtime=1200000000.123456789"), std::string::npos) << parent;
  EXPECT_NE(parent.find("dev=1:3"), std::string::npos) << parent;
  this->layer("l2", "l1",
              [](const std::filesystem::path& root) { write_text(root / "extra", "x"); });
  std::string child = this->tree_of("l2");
  child.erase(child.find("extra "),
              child.find('\n', child.find("extra ")) - child.find("extra ") + 1);
  EXPECT_EQ(child, parent);
}

TYPED_TEST_P(SnapshotterSuite, ActiveSnapshotIsRemovedUnlessCommitted) {
  auto& s = *this->s_;
  EXPECT_THROW(
      {
        ActiveSnapshot a(s, "doomed", "");
        MountGuard m(a.mounts(), a.mount_point());
        write_text(m.target() / "f", "x");
        throw std::runtime_error("step failed");
      },
      std::runtime_error);
  EXPECT_FALSE(s.stat("doomed"));
  {
    ActiveSnapshot a(s, "kept", "");
    a.commit("kept-done");
  }
  EXPECT_TRUE(s.stat("kept-done"));
  EXPECT_EQ(s.list().size(), 1u);
}

// Committed snapshots outlive the process; active ones of a live process survive a second
// open (another mybuild on the same root) untouched.
TYPED_TEST_P(SnapshotterSuite, ReopenKeepsCommittedAndLiveActive) {
  this->layer("l1", "", [](const auto& root) { write_text(root / "a", "x"); });
  this->s_->prepare("live", "l1");
  this->reopen();
  auto& s = *this->s_;
  EXPECT_TRUE(s.stat("l1"));
  ASSERT_TRUE(s.stat("live"));
  EXPECT_TRUE(std::filesystem::exists(s.dir("live")));
  EXPECT_NE(this->tree_of("l1").find("data=x"), std::string::npos);
}

// A process that dies (SIGKILL) with an active snapshot mounted leaves a record, a directory
// and a mount; the next open removes all three.
TYPED_TEST_P(SnapshotterSuite, CrashedProcessIsCleanedUpOnOpen) {
  this->layer("l1", "", [](const auto& root) { write_text(root / "a", "x"); });
  auto root = this->root_->path();
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    try {
      Database db(root / "metadata.db");
      auto s = make_snapshotter(TypeParam::kName, root, db);
      auto mounts = s->prepare("crashed", "l1");
      MountGuard m(mounts, s->mount_point("crashed"));
      write_text(m.target() / "half-written", "y");
      (void)!::write(ready[1], "k", 1);
      ::pause();  // killed here, the MountGuard never runs
    } catch (...) {
      ::_exit(1);  // before `ready`: the parent's read sees EOF and fails the test
    }
    ::_exit(1);
  }
  ::close(ready[1]);
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1) << "the child failed before mounting";
  ::close(ready[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto driver_dir = root / "snapshots" / TypeParam::kName;
  ASSERT_FALSE(mounts_under(read_mountinfo(), driver_dir).empty()) << "the child mounted nothing";
  std::filesystem::create_directories(driver_dir / "999999" / "fs");  // an orphan directory
  this->reopen();
  EXPECT_FALSE(this->s_->stat("crashed"));
  EXPECT_TRUE(mounts_under(read_mountinfo(), driver_dir).empty());
  EXPECT_FALSE(std::filesystem::exists(driver_dir / "999999"));
  EXPECT_EQ(this->s_->list().size(), 1u);
  EXPECT_TRUE(this->s_->stat("l1"));
}

REGISTER_TYPED_TEST_SUITE_P(SnapshotterSuite, PrepareCommitChainAndView, ViewsAreReadOnly,
                            RemovingAParentWithChildrenIsRefused, MisuseIsAnErrorNotAChange,
                            StatAndUsage, DeletionsInAChildHideParentFiles, ChildSeesParentMetadata,
                            ActiveSnapshotIsRemovedUnlessCommitted,
                            ReopenKeepsCommittedAndLiveActive, CrashedProcessIsCleanedUpOnOpen);

}  // namespace mybuild::snapshot::snapshotter_testing
