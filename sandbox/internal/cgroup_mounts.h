// What a RUN step sees at /sys/fs/cgroup: its own cgroup, read-only, as runc mounts it for a
// BuildKit step, so that JVMs, Go and Node size heaps and threads from the limits the step
// really has. Nothing of the host's other cgroups is visible, and nothing is writable.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/mount.h"
#include "sandbox/cgroup.h"

namespace mybuild::sandbox::internal {

struct StepCgroupMounts {
  // Targets absolute inside the sandbox, mounted in order after /sys.
  std::vector<common::Mount> mounts;
  // v1: the tmpfs at /sys/fs/cgroup is made read-only once the controllers are bound into it.
  bool seal_readonly = false;
};

// v2: the step's cgroup directory bound read-only at /sys/fs/cgroup. v1: a tmpfs there with each
// controller's step directory bound read-only at /sys/fs/cgroup/<controller>. No cgroup (rootless
// without delegation): an empty read-only tmpfs, hiding the host's cgroups that a bind of the
// host's /sys would show. `dirs` is Cgroup::controller_dirs().
StepCgroupMounts step_cgroup_mounts(
    CgroupMode mode, const std::vector<std::pair<std::string, std::filesystem::path>>& dirs);

}  // namespace mybuild::sandbox::internal
