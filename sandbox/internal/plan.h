// Builds the ChildPlan for one run from a ProcessSpec, and owns every string and array the plan
// points into, so the child can read them after clone without allocating.
#pragma once

#include <deque>
#include <filesystem>
#include <string>
#include <vector>

#include "sandbox/internal/cgroup_mounts.h"
#include "sandbox/internal/child_plan.h"
#include "sandbox/spec.h"

namespace mybuild::sandbox::internal {

struct PlanInputs {
  std::filesystem::path run_dir;  // holds hosts, resolv.conf, hostname, root/, secrets/
  std::vector<int> cgroup_procs_fds;
  StepCgroupMounts cgroup_view;           // what the step sees at /sys/fs/cgroup
  const void* seccomp_program = nullptr;  // null when insecure
  int error_fd = -1, sync_fd = -1, output_fd = -1, status_fd = -1, devnull_fd = -1;
  int init_fd = -1;
  // The step gets its own network namespace (kNone, and kDefault behind slirp4netns): PID 1
  // brings its `lo` up.
  bool new_network = false;
};

class PlanStorage {
 public:
  // Throws Error(kSandbox) for a spec that cannot be run (no args, bad mount type, ...).
  PlanStorage(const ProcessSpec& spec, PlanInputs inputs);
  PlanStorage(const PlanStorage&) = delete;
  PlanStorage& operator=(const PlanStorage&) = delete;

  const ChildPlan& plan() const { return plan_; }

 private:
  const char* keep(std::string s);
  MountOp op_from(const common::Mount& m, std::string_view target);
  void add_rootfs(const ProcessSpec& spec);
  void add_system_mounts(const ProcessSpec& spec);
  void add_chroot_system_mounts();
  void add_namespace_system_mounts(const ProcessSpec& spec);
  void add_cgroup_mounts();
  void add_extra_mounts(const ProcessSpec& spec);
  void add_secrets(const ProcessSpec& spec);
  void add_process(const ProcessSpec& spec);
  void add_rlimits(const ProcessSpec& spec);

  PlanInputs inputs_;
  std::deque<std::string> strings_;  // a deque: c_str() pointers stay valid as it grows
  std::vector<MountOp> rootfs_, system_, etc_, cgroup_, extra_, secrets_;
  std::vector<const char*> symlinks_, masked_, readonly_, cgroup_seal_;
  std::vector<char*> argv_, envp_;
  std::vector<RlimitOp> rlimits_;
  ChildPlan plan_;
};

}  // namespace mybuild::sandbox::internal
