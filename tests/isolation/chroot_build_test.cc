// --isolation end to end where a container forbids new namespaces and mounts (issue 15): the real
// mybuild binary run under no_namespaces (Docker's default capabilities and a seccomp filter
// refusing unshare, clone with namespace flags, mount and pivot_root, clone3 with ENOSYS), as
// root the way a plain Kubernetes pod runs Kaniko, and as an unprivileged user. Results are read
// back with tests/build's independent readers of the store's OCI layout.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/build/build_fixture.h"
#include "tests/build/stored_image.h"

namespace mybuild::build_testing {
namespace {

class ChrootBuildTest : public BuildTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "the suite drops root's privileges itself";
    if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "busybox-static is not installed";
    fs::create_directories(ctx());
    fs::path tar = make_busybox_tar(work());
    Ran r = confined({"import", "--compression", "none", tar.string(), "busybox:latest"});
    ASSERT_TRUE(r.ok()) << "mybuild import without namespaces: " << r.both();
  }

  // `mybuild --root ROOT <args>` under no_namespaces.
  Ran confined(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {MYBUILD_NO_NAMESPACES, "--", MYBUILD_BINARY, "--root",
                                     root().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions opts;
    opts.cwd = work();
    opts.timeout_seconds = 300;
    return run_process(argv, opts);
  }
  Ran confined_build(const std::vector<std::string>& flags) {
    std::vector<std::string> args = {"build", "--progress", "plain"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(ctx().string());
    return confined(args);
  }
};

// The first progress line of a build's output ("isolation: ...").
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

TEST_F(ChrootBuildTest, AutoPicksChrootAndSaysWhy) {
  dockerfile("FROM busybox\nRUN echo hi > /hi\n");
  Ran r = confined_build({"-t", "auto:1"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(first_line(r.err).rfind("isolation: chroot (no new namespaces allowed: unshare(", 0),
            0u)
      << r.err;
  EXPECT_NE(first_line(r.err).find("Operation not permitted"), std::string::npos) << r.err;
  EXPECT_NE(first_line(r.err).find("no mounts allowed"), std::string::npos) << r.err;
  EXPECT_EQ(image("auto:1").content("hi"), "hi\n");
}

// A container started with fewer capabilities than Docker's default set (podman's default lacks
// CAP_MKNOD, CAP_NET_RAW and CAP_AUDIT_WRITE): RUN steps keep what mybuild holds, where asking
// for the missing three failed every step with capset: EPERM (found running mybuild's image
// under podman, tests/deploy).
TEST_F(ChrootBuildTest, FewerCapabilitiesThanDockersDefaultAreWhatStepsKeep) {
  if (!have_tool("setpriv")) GTEST_SKIP() << "setpriv (util-linux) is not installed";
  dockerfile("FROM busybox\nRUN grep CapEff /proc/self/status > /caps\n");
  RunOptions opts;
  opts.cwd = work();
  Ran r = run_process(
      {"setpriv", "--bounding-set=-mknod,-net_raw,-audit_write", MYBUILD_BINARY, "--root",
       root().string(), "build", "--progress", "plain", "-t", "caps:1", ctx().string()},
      opts);
  ASSERT_EQ(r.failure(), "");
  std::string caps = image("caps:1").content("caps");
  // Docker's default 00000000a80425fb less bits 27, 13 and 29.
  EXPECT_EQ(caps, "CapEff:\t00000000800405fb\n");
}

TEST_F(ChrootBuildTest, MultiStageBuildWithRunStepsHasTheRightContent) {
  write("app.txt", "from the context\n");
  dockerfile(
      "FROM busybox AS build\n"
      "WORKDIR /src\n"
      "COPY app.txt .\n"
      "RUN mkdir -p /out && tr a-z A-Z < app.txt > /out/upper.txt && "
      "echo built-by-$(id -u) > /out/who && chown 1000:1000 /out/who\n"
      "RUN rm /src/app.txt && ln -s upper.txt /out/link\n"
      "FROM busybox\n"
      "COPY --from=build /out /app\n"
      "RUN test -c /dev/null && echo null-ok > /app/dev && cat /app/upper.txt >> /app/dev\n"
      "RUN rm /etc/group\n");
  Ran r = confined_build({"-t", "multi:1"});
  ASSERT_EQ(r.failure(), "");
  StoredImage img = image("multi:1");
  EXPECT_EQ(img.content("app/upper.txt"), "FROM THE CONTEXT\n");
  EXPECT_EQ(img.content("app/who"), "built-by-0\n");
  ASSERT_TRUE(img.find("app/who"));
  EXPECT_EQ(img.find("app/who")->uid, 1000);
  ASSERT_TRUE(img.find("app/link"));
  EXPECT_EQ(img.find("app/link")->link, "upper.txt");
  EXPECT_EQ(img.content("app/dev"), "null-ok\nFROM THE CONTEXT\n");
  EXPECT_FALSE(img.has("etc/group"));  // a deletion became a whiteout in the tree diff
  // The device nodes made for the step are gone again: nothing of /dev in any layer.
  for (size_t i = 1; i < img.layers.size(); ++i) {
    EXPECT_FALSE(img.layer_has(i, "dev")) << "layer " << i;
  }
}

TEST_F(ChrootBuildTest, ExplicitNamespacesFailsNamingWhatFailed) {
  dockerfile("FROM busybox\nRUN true\n");
  Ran r = confined_build({"--isolation=namespaces", "-t", "ns:1"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("--isolation=namespaces: this host does not allow the namespaces"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("unshare(CLONE_NEWNS"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
}

// chroot done right: fchdir to the root, then chroot("."), no descriptor to anything outside,
// and no CAP_SYS_CHROOT to chroot deeper and climb out.
TEST_F(ChrootBuildTest, RunStepCannotClimbOutOfItsRoot) {
  write_file(work() / "outside-marker", "host\n");
  std::string marker = (work() / "outside-marker").string();
  dockerfile(
      "FROM busybox\n"
      "RUN cd / && cd ../../../../../../.. && pwd > /pwd && ls / > /root-listing && "
      "! test -e " +
      marker +
      "\n"
      // The classic way out needs CAP_SYS_CHROOT, which the step does not have.
      "RUN mkdir -p /jail && ! busybox chroot /jail /bin/sh -c true 2> /chroot-error\n");
  Ran r = confined_build({"-t", "escape:1"});
  ASSERT_EQ(r.failure(), "");
  StoredImage img = image("escape:1");
  EXPECT_EQ(img.content("pwd"), "/\n");
  EXPECT_EQ(img.content("root-listing").find("outside-marker"), std::string::npos);
  EXPECT_NE(img.content("chroot-error").find("Operation not permitted"), std::string::npos)
      << img.content("chroot-error");
}

// No PID namespace ends with the step: its process group does. A background process still
// holding the step's output is killed when the main process exits, and the build goes on.
TEST_F(ChrootBuildTest, BackgroundProcessesDieWithTheStep) {
  dockerfile("FROM busybox\nRUN (sleep 313 &) ; echo started\n");
  auto started = std::chrono::steady_clock::now();
  Ran r = confined_build({"-t", "bg:1"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(60));
  Ran left = run_process({"pgrep", "-f", "^sleep 313$"}, {});
  EXPECT_NE(left.code, 0) << "a step's background process outlived it: " << left.out;
}

TEST_F(ChrootBuildTest, ExplicitChrootWhereMountsWorkBindsProcAndHidesMybuild) {
  // No filter here: root on this host, chroot chosen by hand. The container's (here the host's)
  // /proc is bound in; mybuild itself is not dumpable, so its /proc/<pid>/root and fds are closed
  // to the step, which has no CAP_SYS_PTRACE.
  dockerfile(
      "FROM busybox\n"
      "RUN test -r /proc/self/status && test -c /dev/null && test -d /sys/kernel && "
      "mybuild=$(awk '/^PPid/ {print $2}' /proc/$PPID/status) && test -n \"$mybuild\" && "
      "! ls /proc/$mybuild/root/ > /dev/null 2>&1 && ! busybox readlink /proc/$mybuild/fd/1 > "
      "/dev/null 2>&1 && "
      "ls /proc/self/fd | wc -l > /fds\n");
  Ran r = mybuild(
      {"--isolation=chroot", "build", "--progress", "plain", "-t", "bound:1", ctx().string()});
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(first_line(r.err), "isolation: chroot (the container's /proc, /dev and /sys bound in)");
  // ls's own directory descriptor, 0, 1 and 2: nothing of mybuild's.
  EXPECT_EQ(image("bound:1").content("fds"), "4\n");
}

TEST_F(ChrootBuildTest, RootOnThisHostStillGetsNamespaces) {
  dockerfile("FROM busybox\nRUN echo $$ > /pid\n");
  Ran r = build({"-t", "plain:1"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(first_line(r.err), "isolation: namespaces");
  // PID 2 of a namespace of its own (mybuild-init is PID 1), not a PID of the host's.
  EXPECT_EQ(image("plain:1").content("pid"), "2\n");
}

// An unprivileged user (tests/rootless/ensure_users.sh's mybuild-rootless): rootless where user
// namespaces are allowed; under the filter, no isolation is left (chroot needs root) and the
// error says both.
class UnprivilegedIsolationTest : public BuildTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "the suite creates its user, so runs as root";
    if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "busybox-static is not installed";
    if (!fs::exists("/usr/bin/newuidmap") || !have_tool("setpriv")) {
      GTEST_SKIP() << "uidmap or setpriv is not installed (deps/rootless.txt)";
    }
    Ran users = run_process({"sh", MYBUILD_SOURCE_DIR "/tests/rootless/ensure_users.sh"}, {});
    ASSERT_TRUE(users.ok()) << users.both();
    ::chmod(work().c_str(), 0755);
    fs::create_directories(work() / "bin");
    fs::copy_file(MYBUILD_BINARY, work() / "bin/mybuild");
    fs::copy_file(MYBUILD_NO_NAMESPACES, work() / "bin/no_namespaces");
    fs::create_directories(ctx());
    fs::create_directories(home());
    Ran own = run_process({"chown", std::string(kUser) + ":", home().string()}, {});
    ASSERT_TRUE(own.ok()) << own.both();
    tar_ = make_busybox_tar(work());
  }
  static constexpr const char* kUser = "mybuild-rootless";
  fs::path home() const { return work() / "home"; }

  Ran as_user(std::vector<std::string> argv) {
    std::vector<std::string> full = {"setpriv",
                                     "--reuid=" + std::string(kUser),
                                     "--regid=" + std::string(kUser),
                                     "--init-groups",
                                     "--reset-env",
                                     "--"};
    full.insert(full.end(), argv.begin(), argv.end());
    RunOptions opts;
    opts.cwd = work();
    return run_process(full, opts);
  }
  std::vector<std::string> mybuild_argv(std::vector<std::string> args) {
    std::vector<std::string> argv = {(work() / "bin/mybuild").string(), "--root",
                                     (home() / "root").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  fs::path tar_;
};

TEST_F(UnprivilegedIsolationTest, UnprivilegedGetsRootless) {
  Ran probe = as_user({"/usr/bin/unshare", "--user", "--map-root-user", "--mount", "true"});
  if (!probe.ok()) GTEST_SKIP() << "no unprivileged user namespaces here: " << probe.err;
  Ran imported =
      as_user(mybuild_argv({"import", "--compression", "none", tar_.string(), "busybox"}));
  ASSERT_EQ(imported.failure(), "");
  dockerfile("FROM busybox\nRUN id -u > /uid\n");
  Ran r = as_user(mybuild_argv({"build", "--progress", "plain", "-t", "r:1", ctx().string()}));
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(first_line(r.err), "isolation: rootless") << r.err;
}

TEST_F(UnprivilegedIsolationTest, UnprivilegedWithoutUserNamespacesFailsClearly) {
  dockerfile("FROM busybox\nRUN true\n");
  std::vector<std::string> argv = {(work() / "bin/no_namespaces").string(), "--"};
  for (auto& a : mybuild_argv({"build", "--progress", "plain", ctx().string()})) argv.push_back(a);
  Ran r = as_user(argv);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("unshare(CLONE_NEWUSER|CLONE_NEWNS): Operation not permitted"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("chroot isolation, the fallback where namespaces are forbidden, needs "
                       "mybuild to run as root"),
            std::string::npos)
      << r.err;
  Ran chroot = as_user(mybuild_argv({"--isolation=chroot", "build", ctx().string()}));
  EXPECT_EQ(chroot.code, 2) << chroot.both();
  EXPECT_NE(chroot.err.find("--isolation=chroot needs root"), std::string::npos) << chroot.err;
}

}  // namespace
}  // namespace mybuild::build_testing
