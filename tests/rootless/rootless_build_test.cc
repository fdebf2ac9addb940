// Rootless end to end: the real mybuild binary run as the unprivileged users ensure_users.sh
// makes (through setpriv, which execs it directly, so signals reach mybuild itself), with a
// busybox base made as tests/build makes it (`mybuild import`). Results are read back as root
// with tests/build's independent readers of the store's OCI layout, and on disk, where the ids
// must be the subordinate ones (300000 + id - 1).
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "common/temp_dir.h"
#include "tests/build/build_fixture.h"
#include "tests/build/stored_image.h"

namespace mybuild::build_testing {
namespace {

constexpr const char* kUser = "mybuild-rootless";           // subuids/subgids 300000-365535
constexpr const char* kNoIdUser = "mybuild-rootless-noid";  // no subordinate ids
constexpr uint32_t kSubidStart = 300000;

std::optional<passwd> user_entry(const char* name) {
  passwd* pw = ::getpwnam(name);
  if (pw == nullptr) return std::nullopt;
  return *pw;
}

class RootlessBuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "the rootless suite creates its users, so runs as root";
    if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "busybox-static is not installed";
    if (!fs::exists("/usr/bin/newuidmap") || !have_tool("setpriv")) {
      GTEST_SKIP() << "uidmap or setpriv is not installed (deps/rootless.txt)";
    }
    Ran users = run_process({"sh", MYBUILD_SOURCE_DIR "/tests/rootless/ensure_users.sh"}, {});
    ASSERT_TRUE(users.ok()) << users.both();
    Ran probe = as(kUser, {"/usr/bin/unshare", "--user", "--map-root-user", "--mount", "true"});
    if (!probe.ok()) {
      GTEST_SKIP() << "this kernel does not let an unprivileged user make a user namespace "
                      "(rootless builds impossible here): "
                   << probe.err;
    }
    // Everything the users touch lives under work(), which they can read; the binary is copied
    // there because a clean clone's build tree may sit under a directory only root can enter.
    ::chmod(work().c_str(), 0755);
    fs::create_directories(work() / "bin");
    fs::copy_file(MYBUILD_BINARY, binary());
    ::chmod(binary().c_str(), 0755);
    for (const char* u : {kUser, kNoIdUser}) {
      auto pw = user_entry(u);
      ASSERT_TRUE(pw) << u;
      fs::create_directories(home(u));
      ASSERT_EQ(::chown(home(u).c_str(), pw->pw_uid, pw->pw_gid), 0);
    }
    fs::create_directories(ctx());
    base_tar_ = make_busybox_tar(work());
  }

  fs::path work() const { return work_.path(); }
  fs::path binary() const { return work() / "bin/mybuild"; }
  fs::path home(const std::string& user) const { return work() / user; }
  fs::path root(const std::string& user) const { return home(user) / "root"; }
  fs::path ctx() const { return work() / "ctx"; }

  // argv as `user` (real, effective and saved ids, its groups, a clean environment).
  Ran as(const std::string& user, std::vector<std::string> argv, RunOptions opts = {}) {
    std::vector<std::string> full = {"setpriv",       "--reuid=" + user, "--regid=" + user,
                                     "--init-groups", "--reset-env",     "--"};
    full.insert(full.end(), argv.begin(), argv.end());
    if (opts.cwd.empty()) opts.cwd = work();
    return run_process(full, opts);
  }
  std::vector<std::string> mybuild_argv(const std::string& user, std::vector<std::string> args) {
    std::vector<std::string> argv = {binary().string(), "--root", root(user).string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  Ran mybuild(const std::string& user, std::vector<std::string> args) {
    return as(user, mybuild_argv(user, std::move(args)));
  }
  void import_base(const std::string& user) {
    Ran r = mybuild(user, {"import", "--compression", "none", base_tar_.string(), "busybox"});
    ASSERT_TRUE(r.ok()) << "mybuild import as " << user << ": " << r.both();
  }
  Ran build(const std::string& user, const std::string& tag, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"build", "--progress", "plain", "-t", tag};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(ctx().string());
    return mybuild(user, args);
  }

  common::TempDir work_{"mybuild-rootless-test-"};
  fs::path base_tar_;
};

// The on-disk owner of the first file called `name` under `dir` (as root sees it).
std::optional<uid_t> disk_owner(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->path().filename() == name) {
      struct stat st {};
      if (::lstat(it->path().c_str(), &st) == 0) return st.st_uid;
    }
  }
  return std::nullopt;
}

TEST_F(RootlessBuildTest, BuildWithRunCopyAndChownKeepsOwners) {
  import_base(kUser);
  write_file(ctx() / "owned.txt", "owned\n");
  write_file(ctx() / "plain.txt", "plain\n");
  write_file(ctx() / "Dockerfile",
             "FROM busybox\n"
             "COPY --chown=1000:1000 owned.txt /owned.txt\n"
             "COPY plain.txt /plain.txt\n"
             "RUN id -u > /uid && stat -c %u:%g /home/app > /home-owner && mkdir /data &&"
             " echo hi > /data/f && chown 1234:2345 /data/f\n"
             "USER app\n"
             "RUN id -u > /tmp/appuid && touch /tmp/byapp\n");
  Ran r = build(kUser, "rootless:test");
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(r.err.find("no range for"), std::string::npos) << r.err;
  // The user's state root is its own: 0700, as the root's /var/lib/mybuild is.
  struct stat root_st {};
  ASSERT_EQ(::stat(root(kUser).c_str(), &root_st), 0);
  EXPECT_EQ(root_st.st_mode & 07777, 0700u);

  StoredImage image = read_stored_image(root(kUser) / "oci", "rootless:test");
  EXPECT_EQ(image.content("/uid"), "0\n");                 // RUN is root inside
  EXPECT_EQ(image.content("/home-owner"), "1000:1000\n");  // the base was unpacked with owners
  const FileEntry* f = image.find("/data/f");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->uid, 1234);
  EXPECT_EQ(f->gid, 2345);
  const FileEntry* owned = image.find("/owned.txt");
  ASSERT_TRUE(owned);
  EXPECT_EQ(owned->uid, 1000);
  EXPECT_EQ(owned->gid, 1000);
  const FileEntry* plain = image.find("/plain.txt");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->uid, 0);
  EXPECT_EQ(image.content("/tmp/appuid"), "1000\n");
  const FileEntry* byapp = image.find("/tmp/byapp");
  ASSERT_TRUE(byapp);
  EXPECT_EQ(byapp->uid, 1000);

  // On the host the snapshot's files belong to the subordinate ids, and uid 0 inside is the user.
  auto pw = user_entry(kUser);
  ASSERT_TRUE(pw);
  EXPECT_EQ(disk_owner(root(kUser), "byapp"), std::optional<uid_t>(kSubidStart + 1000 - 1));
  EXPECT_EQ(disk_owner(root(kUser), "uid"), std::optional<uid_t>(pw->pw_uid));

  Ran cat = mybuild(kUser, {"run", "rootless:test", "cat", "/data/f"});
  EXPECT_EQ(cat.failure(), "");
  EXPECT_EQ(cat.out, "hi\n");
  Ran id = mybuild(kUser, {"run", "rootless:test", "id", "-u"});
  EXPECT_EQ(id.out, "1000\n") << id.both();
}

TEST_F(RootlessBuildTest, WithoutSubordinateIdsRootOwnedFilesStillBuild) {
  import_base(kNoIdUser);
  write_file(ctx() / "plain.txt", "plain\n");
  write_file(ctx() / "Dockerfile",
             "FROM busybox\n"
             "COPY plain.txt /plain.txt\n"
             "RUN id -u > /uid && echo data > /f && stat -c %u /home/app > /home-owner\n");
  Ran r = build(kNoIdUser, "noid:test");
  ASSERT_EQ(r.failure(), "");
  // Told once, with the fix, that only its own id is mapped...
  EXPECT_NE(r.err.find("no range for mybuild-rootless-noid"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("usermod --add-subuids 100000-165535 --add-subgids 100000-165535 "
                       "mybuild-rootless-noid"),
            std::string::npos)
      << r.err;
  StoredImage image = read_stored_image(root(kNoIdUser) / "oci", "noid:test");
  EXPECT_EQ(image.content("/uid"), "0\n");
  EXPECT_EQ(image.content("/plain.txt"), "plain\n");
  const FileEntry* f = image.find("/f");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->uid, 0);
  // ...and the base's /home/app (1000:1000, unmapped here) was kept as root, which import
  // said when it unpacked the layer.
  EXPECT_EQ(image.content("/home-owner"), "0\n");

  // Another owner cannot exist: the RUN fails as a build failure, not a crash.
  write_file(ctx() / "Dockerfile", "FROM busybox\nRUN echo x > /g && chown 1000 /g\n");
  Ran chown = build(kNoIdUser, "noid:chown");
  EXPECT_EQ(chown.code, 1) << chown.both();
  // COPY --chown to it is an error naming the ids and the fix.
  write_file(ctx() / "Dockerfile", "FROM busybox\nCOPY --chown=1000:1000 plain.txt /p\n");
  Ran copy = build(kNoIdUser, "noid:copy");
  EXPECT_EQ(copy.code, 1) << copy.both();
  EXPECT_NE(copy.err.find("lchown(/p) to 1000:1000: the id is not mapped"), std::string::npos)
      << copy.err;
  EXPECT_NE(copy.err.find("usermod --add-subuids"), std::string::npos) << copy.err;
}

TEST_F(RootlessBuildTest, DefaultStateRootIsInTheUsersHome) {
  auto pw = user_entry(kUser);
  ASSERT_TRUE(pw);
  fs::path data = fs::path(pw->pw_dir) / ".local/share/mybuild";
  bool existed = fs::exists(data);
  Ran r = as(kUser, {binary().string(), "import", "--compression", "none", base_tar_.string(),
                     "default-root:test"});
  EXPECT_EQ(r.failure(), "");
  EXPECT_TRUE(find_manifest(data / "oci", "default-root:test")) << r.both();
  struct stat st {};
  ASSERT_EQ(::stat(data.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);  // $XDG_DATA_HOME/mybuild (~/.local/share) too
  EXPECT_EQ(st.st_uid, pw->pw_uid);
  if (!existed) fs::remove_all(data);
}

TEST_F(RootlessBuildTest, SigtermToMybuildCancelsTheRunningStep) {
  import_base(kUser);
  write_file(ctx() / "Dockerfile", "FROM busybox\nRUN echo started && sleep 60\n");
  std::vector<std::string> argv = {"setpriv",
                                   std::string("--reuid=") + kUser,
                                   std::string("--regid=") + kUser,
                                   "--init-groups",
                                   "--reset-env",
                                   "--"};
  for (auto& a : mybuild_argv(kUser, {"build", "--progress", "plain", ctx().string()})) {
    argv.push_back(a);
  }
  common::TempDir scratch("mybuild-rootless-run-");
  RunOptions opts;
  opts.cwd = work();
  Background b = start_process(argv, opts, scratch.path());
  // Wait for the step to run (its sleep is a process of the user: uid 0 inside).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool running = false;
  while (!running && std::chrono::steady_clock::now() < deadline) {
    running = run_process({"pgrep", "-u", kUser, "-x", "sleep"}, {}).ok();
    if (!running) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(running) << read_file(b.err);
  auto sent = std::chrono::steady_clock::now();
  ::kill(b.pid, SIGTERM);  // setpriv exec'd mybuild: this is the outer mybuild
  Ran r = wait_process(b);
  EXPECT_EQ(r.code, 143) << r.both();  // cancelled by SIGTERM: 128 + 15, as a shell reports it
  EXPECT_LT(std::chrono::steady_clock::now() - sent, std::chrono::seconds(20));
  EXPECT_FALSE(run_process({"pgrep", "-u", kUser, "-x", "sleep"}, {}).ok())
      << "the step's sleep outlived the build";
}

TEST_F(RootlessBuildTest, LimitsThatCannotBeAppliedAreSaidNotSilentlyClaimed) {
  // This host's memory/cpu/pids are cgroup v1, which a user cannot be delegated.
  std::string cgroups = read_file("/proc/self/cgroup");
  if (cgroups.find(":memory:") == std::string::npos) {
    GTEST_SKIP() << "memory is not a cgroup v1 controller here; the warning depends on delegation";
  }
  import_base(kUser);
  write_file(ctx() / "Dockerfile", "FROM busybox\nRUN echo limited\n");
  Ran r = build(kUser, "limits:test", {"--memory", "64m"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_NE(r.err.find("--memory, --cpus, --cpuset-cpus and --pids-limit are NOT applied"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace mybuild::build_testing
