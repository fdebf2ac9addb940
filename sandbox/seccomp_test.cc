#include "sandbox/seccomp.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "sandbox/internal/child_ops.h"

namespace mybuild::sandbox {
namespace {

// Loads the filter in a forked child and reports each probe's errno through the exit code.
int errno_under_filter(long (*probe)()) {
  auto program = SeccompProgram::docker_default();
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(200);
    if (internal::load_seccomp(program.program()) != 0) ::_exit(201);
    long rc = probe();
    ::_exit(rc == 0 ? 0 : errno);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Seccomp, BuildsAProgram) {
  auto program = SeccompProgram::docker_default();
  EXPECT_GT(program.instructions(), 50u);
  EXPECT_EQ(program.program()->len, program.instructions());
}

TEST(Seccomp, DeniesDockersDangerousSyscallsWithEperm) {
  EXPECT_EQ(errno_under_filter([] { return ::syscall(SYS_keyctl, 0, 0, 0, 0, 0); }), EPERM);
  EXPECT_EQ(errno_under_filter([] { return ::syscall(SYS_bpf, 0, nullptr, 0); }), EPERM);
  EXPECT_EQ(errno_under_filter([] { return static_cast<long>(::unshare(CLONE_NEWUSER)); }), EPERM);
  EXPECT_EQ(errno_under_filter(
                [] { return static_cast<long>(::mount("none", "/mnt", "tmpfs", 0, nullptr)); }),
            EPERM);
  EXPECT_EQ(errno_under_filter([] { return ::syscall(SYS_reboot, 0, 0, 0, nullptr); }), EPERM);
  EXPECT_EQ(
      errno_under_filter([] { return ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0); }),
      EPERM);
  EXPECT_EQ(errno_under_filter([] { return ::syscall(SYS_clone3, nullptr, 0); }), ENOSYS);
}

TEST(Seccomp, AllowsOrdinarySyscalls) {
  EXPECT_EQ(errno_under_filter([] { return static_cast<long>(::getpid() > 0 ? 0 : -1); }), 0);
  EXPECT_EQ(errno_under_filter([] { return static_cast<long>(::access("/", R_OK)); }), 0);
}

}  // namespace
}  // namespace mybuild::sandbox
