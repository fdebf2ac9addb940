// main() of the rootless sandbox suite: the sandbox's escape checks (tests/sandbox/
// escape_test.cc, compiled in unchanged) and rootless_sandbox_test.cc run as an unprivileged
// user inside the same user namespace a rootless mybuild makes (sandbox::enter_rootless).
//
// Run as root (as `make test` does), it creates the users (ensure_users.sh), drops to
// mybuild-rootless (or $MYBUILD_ROOTLESS_TEST_USER) and enters; run as any other user it
// enters as that user. Where the kernel or the host cannot (no user namespaces, no user), every
// test skips with the reason. Listing the tests (ctest's discovery) does none of this.
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "common/io.h"
#include "common/log.h"
#include "sandbox/rootless.h"

namespace {

// Why the suite cannot run rootless here; empty when it can.
std::string g_unavailable;

class SkipAll : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!g_unavailable.empty()) GTEST_SKIP() << "rootless sandbox suite: " << g_unavailable;
  }
};

bool listing(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--gtest_list_tests") == 0) return true;
  }
  return false;
}

// Root only: make the users and become `name` for good (real, effective and saved ids).
std::string drop_to(const char* name) {
  std::string script = std::string(MYBUILD_SOURCE_DIR) + "/tests/rootless/ensure_users.sh";
  if (std::system(script.c_str()) != 0) return script + " failed (needs useradd, usermod, flock)";
  passwd* pw = ::getpwnam(name);
  if (pw == nullptr) return std::string("no user ") + name;
  // The sandbox tests' state directory (sandbox/testing's shell_spec) is under /run, which
  // only real root may write: made here, covered by a tmpfs of our own once inside.
  ::mkdir("/run/mybuild-test", 0755);
  if (::setgroups(0, nullptr) != 0 || ::setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
      ::setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
    return std::string("dropping to ") + name + ": " + std::strerror(errno);
  }
  ::setenv("HOME", pw->pw_dir, 1);
  ::setenv("USER", name, 1);
  ::setenv("LOGNAME", name, 1);
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!listing(argc, argv)) {
    std::string probe;  // read while still privileged (see CMakeLists.txt)
    try {
      probe = mybuild::common::read_file(MYBUILD_SECCOMP_PROBE_BUILT, 64 << 20);
    } catch (const std::exception& e) {
      g_unavailable = e.what();
    }
    const char* user = std::getenv("MYBUILD_ROOTLESS_TEST_USER");
    if (g_unavailable.empty() && ::geteuid() == 0) {
      g_unavailable = drop_to(user != nullptr ? user : "mybuild-rootless");
    }
    if (g_unavailable.empty()) {
      try {
        mybuild::sandbox::RootlessPlan plan = mybuild::sandbox::plan_rootless();
        for (const auto& w : plan.warnings) mybuild::common::log::warn(w);
        if (auto code = mybuild::sandbox::enter_rootless(plan)) return *code;  // the parent
        if (::mount("tmpfs", "/run/mybuild-test", "tmpfs", 0, "mode=0755") != 0) {
          g_unavailable = std::string("tmpfs on /run/mybuild-test: ") + std::strerror(errno);
        } else {
          mybuild::common::write_file_atomic(MYBUILD_SECCOMP_PROBE, probe, 0755);
        }
      } catch (const std::exception& e) {
        g_unavailable = e.what();
      }
    }
    ::testing::AddGlobalTestEnvironment(new SkipAll);
  }
  return RUN_ALL_TESTS();
}
