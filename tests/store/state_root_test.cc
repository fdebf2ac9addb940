// The state root on a shared machine: after real commands (import, a build with a cache mount
// that a RUN filled with a setuid binary) the root is 0700 and another user reaches nothing
// below it; a root left 0755 by an older mybuild is tightened with a warning.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/io.h"
#include "common/temp_dir.h"
#include "snapshot/layer_writer.h"
#include "tests/store/shell.h"

namespace mybuild {
namespace {

namespace fs = std::filesystem;

using store_testing::Ran;
using store_testing::run;

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

// In a child that dropped to nobody (65534), tries to open each path; returns the paths that
// opened (they should be none).
std::vector<std::string> reachable_by_nobody(const std::vector<fs::path>& paths) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return {"pipe failed"};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipefd[0]);
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(2);
    for (const auto& p : paths) {
      int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0 || errno != EACCES) {
        std::string line = p.string() + "\n";
        (void)!::write(pipefd[1], line.data(), line.size());
      }
      if (fd >= 0) ::close(fd);
    }
    _exit(0);
  }
  ::close(pipefd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return {"child could not become nobody"};
  std::vector<std::string> opened;
  for (size_t i = 0; i < out.size();) {
    size_t j = out.find('\n', i);
    opened.push_back(out.substr(i, j - i));
    i = j + 1;
  }
  return opened;
}

class StateRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (to drop to another user and to build)";
    if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "busybox-static is not installed";
    // World-searchable, as /var/lib is: only the root's own mode may keep others out.
    ::chmod(work_.path().c_str(), 0755);
    root_ = work_.path() / "state";
    mybuild_ = std::string(MYBUILD_BINARY) + " --root " + root_.string();
  }
  fs::path busybox_tar() {
    fs::path rootfs = work_.path() / "rootfs";
    fs::create_directories(rootfs / "bin");
    fs::copy_file("/bin/busybox", rootfs / "bin/busybox");
    ::chmod((rootfs / "bin/busybox").c_str(), 0755);
    for (const char* applet : {"sh", "cp", "chmod", "echo"}) {
      fs::create_symlink("busybox", rootfs / "bin" / applet);
    }
    fs::path tar = work_.path() / "rootfs.tar";
    common::UniqueFd fd = common::open_file(tar, O_WRONLY | O_CREAT | O_TRUNC);
    common::FdWriter w(fd.get());
    snapshot::LayerOptions o;
    o.compression = snapshot::Compression::kNone;
    snapshot::write_tree_layer(rootfs, w, o);
    return tar;
  }

  common::TempDir work_{"mybuild-state-root-"};
  fs::path root_;
  std::string mybuild_;
};

TEST_F(StateRoot, PrivateAfterImportAndABuildWithACacheMount) {
  Ran imported = run(mybuild_ + " import " + busybox_tar().string() + " base:1");
  ASSERT_EQ(imported.code, 0) << imported.out;
  EXPECT_EQ(mode_of(root_), 0700u);
  fs::path ctx = work_.path() / "ctx";
  fs::create_directories(ctx);
  common::write_file_atomic(ctx / "Dockerfile",
                            "FROM base:1\n"
                            "RUN --mount=type=cache,target=/cache cp /bin/busybox /cache/suid && "
                            "chmod 4755 /cache/suid\n");
  Ran built = run(mybuild_ + " build -t app:1 " + ctx.string());
  ASSERT_EQ(built.code, 0) << built.out;
  EXPECT_EQ(mode_of(root_), 0700u);

  fs::path suid;
  std::vector<fs::path> below;
  for (const auto& e : fs::recursive_directory_iterator(root_)) {
    if (e.path().filename() == "suid" && !e.is_symlink()) suid = e.path();
    if (e.path().parent_path() == root_) below.push_back(e.path());
  }
  ASSERT_FALSE(suid.empty()) << "the cache mount's setuid file was not found under the root";
  EXPECT_NE(suid.string().find("cache-mounts"), std::string::npos) << suid;
  EXPECT_TRUE(mode_of(suid) & S_ISUID);
  std::vector<fs::path> probe = {root_, suid};
  probe.insert(probe.end(), below.begin(), below.end());
  EXPECT_EQ(reachable_by_nobody(probe), std::vector<std::string>{});
}

TEST_F(StateRoot, LooseExistingRootIsTightenedWithAWarning) {
  ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
  ::chmod(root_.c_str(), 0755);
  Ran first = run(mybuild_ + " images");
  ASSERT_EQ(first.code, 0) << first.out;
  EXPECT_NE(first.out.find("0755"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find(root_.string()), std::string::npos) << first.out;
  EXPECT_EQ(mode_of(root_), 0700u);
  Ran second = run(mybuild_ + " images");
  ASSERT_EQ(second.code, 0) << second.out;
  EXPECT_EQ(second.out.find("0755"), std::string::npos) << second.out;
}

}  // namespace
}  // namespace mybuild
