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
  // the child. Throws Error(kSandbox) when clone3 fails.
  static ChildProcess spawn(const ChildPlan& plan, unsigned long namespace_flags, int cgroup_fd);

  ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  void kill() noexcept;
  // Blocks until PID 1 exits; returns its wait status and resource usage (its own and all it
  // reaped). After this the owner has nothing left to do.
  int wait(rusage* usage);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

}  // namespace mybuild::sandbox::internal
