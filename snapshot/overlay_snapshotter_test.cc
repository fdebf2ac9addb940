#include "snapshot/overlay_snapshotter.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "snapshot/snapshotter_suite.h"

namespace mybuild::snapshot::snapshotter_testing {

struct OverlayDriver {
  static constexpr const char* kName = "overlay";
};
INSTANTIATE_TYPED_TEST_SUITE_P(Overlay, SnapshotterSuite, OverlayDriver);

using OverlaySnapshotterTest = SnapshotterSuite<OverlayDriver>;

// 130 layers with absolute lowerdir paths overflow mount(2)'s one-page option limit; the
// mount still works (relative paths from the snapshots directory) and shows every layer.
TEST_F(OverlaySnapshotterTest, ChainDeeperThanThePageLimitMounts) {
  auto& s = *s_;
  constexpr int kLayers = 130;
  std::string parent;
  for (int i = 0; i < kLayers; ++i) {
    // Written straight into the upper dir, as the layer applier's fast path does: mounting
    // and unmounting 130 overlays (each umount syncs the upper filesystem) would cost ~10 s.
    // (Strings built with += : GCC 12 -O3 gives a false -Wrestrict on "lit" + std::string.)
    std::string name = "layer-", file = "f";
    name += std::to_string(i);
    file += std::to_string(i);
    s.prepare(name + "-active", parent);
    write_text(s.dir(name + "-active") / file, name);
    s.commit(name, name + "-active");
    parent = name;
  }
  auto mounts = s.prepare("top", parent);
  ASSERT_EQ(mounts.size(), 1u);
  size_t option_bytes = 0;
  for (const auto& o : mounts[0].options) option_bytes += o.size() + 1;
  EXPECT_GT(option_bytes, static_cast<size_t>(::sysconf(_SC_PAGESIZE)))
      << "the chain is not deep enough to test the page limit";
  MountGuard m(mounts, s.mount_point("top"));
  EXPECT_EQ(read_text(m.target() / "f0"), "layer-0");
  EXPECT_EQ(read_text(m.target() / "f129"), "layer-129");
  write_text(m.target() / "f0", "mine");
  EXPECT_EQ(read_text(s.dir("top") / "f0"), "mine") << "writes go to the upper dir";
  EXPECT_EQ(*s.upper_dir("top"), s.dir("top"));
}

TEST_F(OverlaySnapshotterTest, SingleLayerViewIsAReadOnlyBind) {
  layer("l1", "", [](const auto& root) { write_text(root / "a", "x"); });
  auto mounts = s_->view("v", "l1");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].type, "bind");
  EXPECT_EQ(mounts[0].source, s_->dir("l1").string());
  EXPECT_NE(std::find(mounts[0].options.begin(), mounts[0].options.end(), "ro"),
            mounts[0].options.end());
}

}  // namespace mybuild::snapshot::snapshotter_testing

namespace mybuild::snapshot::snapshotter_testing {
namespace {

// Runs `body` in a child process inside new user and mount namespaces (uid and gid 0 mapped to
// themselves, as rootless mybuild under newuidmap would see it). Returns "" on success, else
// what failed.
template <typename Body>
std::string in_user_namespace(Body body) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::close(pipe_fds[0]);
    std::string error;
    try {
      if (::unshare(CLONE_NEWUSER) != 0) throw std::runtime_error("unshare(CLONE_NEWUSER)");
      write_text("/proc/self/setgroups", "deny");
      write_text("/proc/self/uid_map", "0 0 1");
      write_text("/proc/self/gid_map", "0 0 1");
      if (::unshare(CLONE_NEWNS) != 0) throw std::runtime_error("unshare(CLONE_NEWNS)");
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        throw std::runtime_error("making / private");
      }
      body();
    } catch (const std::exception& e) {
      error = e.what();
    }
    (void)!::write(pipe_fds[1], error.data(), error.size());
    ::_exit(error.empty() ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buf[512];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buf, sizeof buf)) > 0) message.append(buf, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) return "the child died: " + message;
  if (WEXITSTATUS(status) != 0 && message.empty()) return "the child failed";
  return message;
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

TEST(OverlayUserNamespaceTest, LayersAndWhiteoutsWorkInsideAUserNamespace) {
  if (auto why = mount_skip_reason()) GTEST_SKIP() << *why;
  common::TempDir root("mybuild-snapshotter-userns-");
  std::string error = in_user_namespace([&] {
    if (auto why = OverlaySnapshotter::probe(root.path())) {
      throw std::runtime_error("skip: " + *why);
    }
    Database db(root.path() / "metadata.db");
    auto s = make_snapshotter("overlay", root.path(), db);
    auto step = [&](const std::string& name, const std::string& parent, auto change) {
      ActiveSnapshot a(*s, name + "-active", parent);
      {
        MountGuard m(a.mounts(), a.mount_point());
        change(m.target());
      }
      a.commit(name);
    };
    step("l1", "", [](const std::filesystem::path& r) { write_text(r / "a", "1"); });
    step("l2", "l1", [](const std::filesystem::path& r) {
      std::filesystem::remove(r / "a");
      write_text(r / "b", "2");
    });
    step("l3", "l2", [](const std::filesystem::path& r) { write_text(r / "c", "3"); });
    auto mounts = s->view("v", "l3");
    const auto& options = mounts.at(0).options;
    require(std::find(options.begin(), options.end(), "userxattr") != options.end(),
            "no userxattr option inside a user namespace");
    {
      MountGuard m(mounts, s->mount_point("v"));
      require(!exists_nofollow(m.target() / "a"), "a deleted file came back");
      require(read_text(m.target() / "b") == "2", "b is wrong");
      require(read_text(m.target() / "c") == "3", "c is wrong");
    }
    s->remove("v");
  });
  if (error.starts_with("skip: ")) GTEST_SKIP() << "overlay in a user namespace: " << error;
  EXPECT_EQ(error, "") << "overlay inside a user namespace";
}

TEST(OverlayRootTest, PathsOverlayCannotExpressAreRefused) {
  common::TempDir dir("mybuild-snapshotter-");
  Database db(dir.path() / "metadata.db");
  try {
    OverlaySnapshotter s(dir.path() / "a,b", db);
    ADD_FAILURE() << "a root with a comma was accepted";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kUsage);
  }
}

}  // namespace
}  // namespace mybuild::snapshot::snapshotter_testing
