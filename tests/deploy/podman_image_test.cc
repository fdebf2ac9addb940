// mybuild's own image (deploy/Dockerfile, made by deploy/make_image.sh as `make image` makes it)
// run by Debian's podman as an unprivileged user, the way CI runs it: the image builds a
// multi-stage Dockerfile whose stages RUN commands, FROM a base in a real docker-registry on
// loopback, and pushes the result there. Twice:
//   - a user-namespaced container (rootless podman's defaults: what GitHub runners and
//     `hostUsers: false` pods give), and the same with CAP_SYS_ADMIN over its user namespace
//     and an unmasked /proc;
//   - a container that forbids new namespaces and mounts (no added capabilities and the
//     RuntimeDefault seccomp profile a plain Kubernetes pod gets: runtime_default_seccomp.py),
//     where --isolation=auto must pick chroot.
// The push is checked by skopeo (the manifest digest equals --digest-file's), the isolation by
// the first progress line.
//
// Podman on the development machine (a container itself, cgroup v1/v2 hybrid, hard
// RLIMIT_NOFILE 20000) needs three settings that are not about mybuild: runc (crun refuses hybrid
// cgroups), explicit --ulimit values (podman's default nofile 1048576 is above the hard limit, so
// setrlimit fails) and --network=host (the registry listens on the host's loopback).
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/temp_dir.h"
#include "tests/build/build_fixture.h"
#include "tests/registry/registry_server.h"

namespace mybuild::build_testing {
namespace {

using nlohmann::json;
using registry::testing::RegistryServer;

const fs::path kSource = MYBUILD_SOURCE_DIR;
const fs::path kBuildDir = MYBUILD_BUILD_DIR;
const char* kUser = "mybuild-podman";

// Set by SetUpTestSuite; a non-empty reason skips every test.
std::string skip_reason;
std::string setup_failure;

class PodmanImage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (const char* tool : {"podman", "runc", "setpriv", "skopeo", "newuidmap"}) {
      if (!have_tool(tool)) skip_reason = std::string(tool) + " is not installed (deps/deploy.txt)";
    }
    if (!registry::testing::have_registry()) skip_reason = "docker-registry is not installed";
    if (::geteuid() != 0) skip_reason = "needs root (creates the user, builds the image)";
    if (!skip_reason.empty()) return;
    // `make image`, cached in the build tree: a second run costs nothing.
    Ran image = run_process({"sh", (kSource / "deploy/make_image.sh").string(), kBuildDir},
                            in_dir(kBuildDir, {}, 900));
    if (!image.ok()) setup_failure = "deploy/make_image.sh:\n" + image.both();
    Ran user = run_process({"sh", (kSource / "tests/deploy/ensure_podman_user.sh").string()},
                           in_dir(kBuildDir));
    if (!user.ok()) setup_failure += "ensure_podman_user.sh:\n" + user.both();
    if (setup_failure.empty()) remove_older_images();
  }

  // `podman ARGS` as the test user, in its own storage.
  static Ran podman_as_user(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"setpriv",
                                     std::string("--reuid=") + kUser,
                                     std::string("--regid=") + kUser,
                                     "--init-groups",
                                     "env",
                                     "-i",
                                     "HOME=/home/" + std::string(kUser),
                                     "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                     "podman"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, in_dir("/"));
  }

  // Each `podman run oci-archive:` stores the image in the user's storage, and every rebuilt
  // binary makes a new one (~70 MB): images other than the current two go, so runs on a reused
  // machine do not fill its disk. The current ones stay (tests running beside this one use them),
  // and no --force: an image a container uses (another build tree's run) is left alone.
  static void remove_older_images() {
    std::set<std::string> current;
    for (const char* tar : {"mybuild-image.tar", "mybuild-image-debug.tar"}) {
      Ran raw =
          run_process({"skopeo", "inspect", "--raw", "oci-archive:" + (kBuildDir / tar).string()},
                      in_dir(kBuildDir));
      if (!raw.ok()) return;
      current.insert(json::parse(raw.out)["config"].value("digest", ""));
    }
    Ran ids = podman_as_user({"images", "--quiet", "--no-trunc"});
    std::istringstream lines(ids.out);
    for (std::string id; std::getline(lines, id);) {
      if (!id.empty() && !current.count(id))
        podman_as_user({"rmi", id});  // fails, harmlessly, for one in use
    }
  }

  void SetUp() override {
    if (!skip_reason.empty()) GTEST_SKIP() << skip_reason;
    ASSERT_EQ(setup_failure, "");
    struct passwd* pw = ::getpwnam(kUser);
    ASSERT_NE(pw, nullptr);
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
    home_ = pw->pw_dir;
    registry_ = std::make_unique<RegistryServer>();
    reg_ = registry_->domain();
    push_base();
    // The build context, and the image archive where the user can read it (the build tree
    // may sit under a directory only root enters).
    write_file(ctx() / "Dockerfile",
               "FROM " + reg_ +
                   "/base/busybox:1 AS tool\n"
                   "RUN echo built-in-stage-one > /made.txt && cat /made.txt && id -u > /uid.txt\n"
                   "FROM " +
                   reg_ +
                   "/base/busybox:1\n"
                   "COPY --from=tool /made.txt /uid.txt /\n"
                   "RUN cat /made.txt /uid.txt > /final.txt\n");
    fs::copy_file(kBuildDir / "mybuild-image.tar", work() / "image.tar");
    fs::copy_file(kBuildDir / "mybuild-image-debug.tar", work() / "debug.tar");
    ASSERT_EQ(::chmod(work().c_str(), 0755), 0);
    Ran own = run_process(
        {"chown", "-R", std::to_string(uid_) + ":" + std::to_string(gid_), work().string()},
        in_dir(work()));
    ASSERT_TRUE(own.ok()) << own.both();
  }

  fs::path work() const { return work_.path(); }
  fs::path ctx() const { return work() / "ctx"; }

  // A busybox base in the registry, imported and pushed by the host's mybuild.
  void push_base() {
    fs::path tar = make_busybox_tar(base_dir_.path());
    std::string ref = reg_ + "/base/busybox:1";
    RunOptions o = in_dir(base_dir_.path(), {{"MYBUILD_ROOT", base_dir_.path() / "root"}});
    Ran imported = run_process({MYBUILD_BINARY, "import", tar.string(), ref}, o);
    ASSERT_TRUE(imported.ok()) << imported.both();
    Ran pushed = run_process({MYBUILD_BINARY, "push", ref}, o);
    ASSERT_TRUE(pushed.ok()) << pushed.both();
  }

  // `podman run` of the image as the unprivileged user, `extra` podman options, the image's
  // entrypoint (mybuild) given `args`.
  Ran podman_run(const std::vector<std::string>& extra, const std::vector<std::string>& args,
                 const std::string& image = "image.tar") {
    std::vector<std::string> argv = {"setpriv",
                                     "--reuid=" + std::to_string(uid_),
                                     "--regid=" + std::to_string(gid_),
                                     "--init-groups",
                                     "env",
                                     "-i",
                                     "HOME=" + home_,
                                     "USER=" + std::string(kUser),
                                     "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                     "podman",
                                     "--runtime",
                                     "runc",
                                     "run",
                                     "--rm",
                                     "--quiet",
                                     "--network=host",
                                     "--ulimit",
                                     "nofile=1024:1024",
                                     "--ulimit",
                                     "nproc=4096:4096",
                                     "-v",
                                     ctx().string() + ":/workspace"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("oci-archive:" + (work() / image).string());
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, in_dir(work(), {}, 300));
  }

  // Builds and pushes `tag` inside the container; returns mybuild's progress (stderr).
  std::string build_and_push(const std::vector<std::string>& extra, const std::string& tag) {
    Ran r = podman_run(extra, {"build", "--progress=plain", "--push", "-t", reg_ + "/app:" + tag,
                               "--digest-file", "/workspace/digest-" + tag, "/workspace"});
    EXPECT_TRUE(r.ok()) << r.both();
    // The push landed, under the digest the build wrote (skopeo, an independent client).
    Ran seen =
        run_process({"skopeo", "inspect", "--tls-verify=false", "docker://" + reg_ + "/app:" + tag},
                    in_dir(work()));
    EXPECT_TRUE(seen.ok()) << seen.both();
    if (seen.ok()) {
      json image = json::parse(seen.out);
      EXPECT_EQ(image.value("Digest", ""), read_file(ctx() / ("digest-" + tag)));
      // The base's layer, COPY --from's and the final RUN's.
      EXPECT_EQ(image["Layers"].size(), 3u) << seen.out;
    }
    return r.err;
  }

  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

  common::TempDir work_;
  common::TempDir base_dir_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  std::string home_;
  std::unique_ptr<RegistryServer> registry_;
  std::string reg_;
};

// Rootless podman's defaults: the container's root holds no CAP_SYS_ADMIN, so it can make no
// mount namespace of its own (only a nested user namespace, whose /proc mount podman's masked
// /proc refuses): auto picks chroot, and says the container is user-namespaced.
TEST_F(PodmanImage, UserNamespacedContainerBuildsAndPushes) {
  std::string progress = build_and_push({}, "userns");
  EXPECT_EQ(first_line(progress).rfind("isolation: chroot", 0), 0u) << progress;
  EXPECT_NE(first_line(progress).find("inside a user namespace"), std::string::npos) << progress;
  EXPECT_NE(progress.find("built-in-stage-one"), std::string::npos) << progress;
  std::cout << "[ figures ] rootless podman, defaults: " << first_line(progress) << "\n";
}

// The same user-namespaced container given CAP_SYS_ADMIN (over its own user namespace only) and
// an unmasked /proc, as nested builds are run with podman (and `hostUsers: false` pods with
// procMount: Unmasked): auto picks the sandbox's namespaces, nested in the container's user
// namespace.
TEST_F(PodmanImage, UserNamespacedContainerWithNamespacedAdminGetsNamespaces) {
  std::string progress =
      build_and_push({"--cap-add=SYS_ADMIN", "--security-opt", "unmask=ALL"}, "userns-admin");
  EXPECT_EQ(first_line(progress), "isolation: namespaces") << progress;
  EXPECT_NE(progress.find("built-in-stage-one"), std::string::npos) << progress;
}

TEST_F(PodmanImage, ContainerWithoutNamespacesOrMountsPicksChroot) {
  fs::path profile = work() / "runtime-default.json";
  Ran made = run_process({registry::testing::python3().string(),
                          (kSource / "tests/deploy/runtime_default_seccomp.py").string(), profile},
                         in_dir(work()));
  ASSERT_TRUE(made.ok()) << made.both();
  ::chmod(profile.c_str(), 0644);
  std::string progress = build_and_push(
      {"--security-opt", "seccomp=" + profile.string(), "--security-opt", "no-new-privileges"},
      "chroot");
  EXPECT_EQ(first_line(progress).rfind("isolation: chroot", 0), 0u) << progress;
  EXPECT_NE(progress.find("built-in-stage-one"), std::string::npos) << progress;
  std::cout << "[ figures ] rootless podman, RuntimeDefault seccomp: " << first_line(progress)
            << "\n";
}

// GitLab runs a job's script with the job image's shell: deploy/gitlab-ci.yml's script, as
// written, run by the debug image's busybox sh with the variables GitLab sets, logs in with the
// job's credentials to a registry that requires them, pushes, and leaves the dotenv artifact.
TEST_F(PodmanImage, DebugImageRunsTheGitlabJobScript) {
  RegistryServer gitlab(registry::testing::RegistryOptions{
      .htpasswd = std::make_pair(std::string("gitlab-ci-token"), std::string("job-token"))});
  Ran lines = run_process({registry::testing::python3().string(),
                           (kSource / "tests/deploy/pipeline_commands.py").string(), "--script",
                           (kSource / "deploy/gitlab-ci.yml").string()},
                          in_dir(work()));
  ASSERT_TRUE(lines.ok()) << lines.both();
  std::string script = "set -e\n";
  for (const auto& line : json::parse(lines.out)) script += line.get<std::string>() + "\n";
  const std::string image = gitlab.domain() + "/group/app";
  Ran r =
      podman_run({"--entrypoint", "/busybox/sh", "-e", "CI_REGISTRY=" + gitlab.domain(), "-e",
                  "CI_REGISTRY_USER=gitlab-ci-token", "-e", "CI_REGISTRY_PASSWORD=job-token", "-e",
                  "CI_REGISTRY_IMAGE=" + image, "-e", "CI_COMMIT_SHORT_SHA=0123abcd", "-e",
                  "CI_PROJECT_DIR=/builds/group/app", "-v", ctx().string() + ":/builds/group/app"},
                 {"-c", script}, "debug.tar");
  ASSERT_TRUE(r.ok()) << script << "\n" << r.both();
  Ran seen = run_process({"skopeo", "inspect", "--tls-verify=false",
                          "--creds=gitlab-ci-token:job-token", "docker://" + image + ":0123abcd"},
                         in_dir(work()));
  ASSERT_TRUE(seen.ok()) << seen.both();
  EXPECT_EQ("IMAGE_DIGEST=" + json::parse(seen.out).value("Digest", "") + "\n",
            read_file(ctx() / "build.env"));
}

}  // namespace
}  // namespace mybuild::build_testing
