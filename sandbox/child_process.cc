#include "sandbox/internal/child_process.h"

#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace mybuild::sandbox::internal {

ChildProcess ChildProcess::spawn(const ChildPlan& plan, unsigned long namespace_flags,
                                 int cgroup_fd) {
  clone_args args{};
  args.flags = namespace_flags;
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  // Without CLONE_VM and with no stack given, clone3 behaves like fork: the child continues
  // here on a copy of our memory, where `plan` and everything it points to already are.
  long pid = ::syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0 && errno == ENOSYS && namespace_flags == 0 && cgroup_fd < 0) {
    pid = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  }
  if (pid < 0) {
    throw common::Error(common::ErrorKind::kSandbox,
                        std::string("clone3 (new namespaces): ") + std::strerror(errno));
  }
  if (pid == 0) child_main(plan);
  return ChildProcess(static_cast<pid_t>(pid), plan.chroot);
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0) return;
  kill();
  rusage ignored{};
  wait(&ignored);
}

void ChildProcess::kill() noexcept {
  if (pid_ > 0 && group_) ::kill(-pid_, SIGKILL);
  if (pid_ > 0) ::kill(pid_, SIGKILL);
}

int ChildProcess::wait(rusage* usage) {
  // What is left of the step's process group goes before its leader is reaped (after that its
  // id could name another group).
  if (pid_ > 0 && group_) ::kill(-pid_, SIGKILL);
  int status = 0;
  while (::wait4(pid_, &status, 0, usage) < 0) {
    if (errno != EINTR) break;
  }
  pid_ = -1;
  return status;
}

}  // namespace mybuild::sandbox::internal
