// ChildProcess: owns the cloned PID 1 of a step. Destruction SIGKILLs it (which kills its whole
// PID namespace) and reaps it, so no exception path leaves a process behind (STYLE.md §3).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>

#include "sandbox/internal/child_plan.h"

namespace mybuild::sandbox::internal {

class ChildProcess {
 public:
  // clone3 with the given namespace flags (into cgroup_fd when >= 0), then child_main(plan) in
  // the child. Throws Error(kSandbox) when clone3 fails. Without namespace flags and cgroup,
  // clone3's ENOSYS (Docker's and podman's default seccomp profiles answer it so) falls back to
  // clone. In chroot mode (plan.chroot) the child leads a process group of its own, which kill()
  // and wait() kill as a whole: there is no PID namespace whose end would.
  static ChildProcess spawn(const ChildPlan& plan, unsigned long namespace_flags, int cgroup_fd);

  ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_), group_(other.group_) {
    other.pid_ = -1;
  }
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  void kill() noexcept;
  // Blocks until PID 1 exits; returns its wait status and resource usage (its own and all it
  // reaped). After this the owner has nothing left to do.
  int wait(rusage* usage);

 private:
  ChildProcess(pid_t pid, bool group) : pid_(pid), group_(group) {}
  pid_t pid_ = -1;
  // Whether pid_ leads a process group to kill with it. Killed only while pid_ is unreaped, so
  // the group id cannot have been reused.
  bool group_ = false;
};

}  // namespace mybuild::sandbox::internal
