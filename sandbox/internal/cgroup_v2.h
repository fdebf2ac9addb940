// The part of a cgroup v2 step cgroup that is plain files: making the directory and writing its
// limits. Apart from the device filter (a BPF program, which only a real cgroup accepts), so that
// tests can run it against a v2 tree laid out in a tmpfs on hosts without the unified controllers.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "sandbox/cgroup.h"

namespace mybuild::sandbox::internal {

// Makes parent/"mybuild-<name>" (an existing one is reused) and writes memory.max (and
// memory.swap.max = 0 when the kernel has swap accounting), pids.max, cpu.max, cpuset.cpus as
// `limits` asks. The owner writes cgroup.kill and removes the directory when destroyed.
std::unique_ptr<Cgroup> create_cgroup_v2_dir(const std::filesystem::path& parent,
                                             const std::string& name, const Limits& limits);

}  // namespace mybuild::sandbox::internal
