// The system-call steps the child runs between clone and execve. Every function here is
// async-signal-safe in practice: no allocation, no locks, no exceptions. Each returns 0 or an
// errno value (functions returning a descriptor return it, or -errno).
#pragma once

#include <cstdint>

#include "sandbox/internal/child_plan.h"

namespace mybuild::sandbox::internal {

// mounts.cc: on failure each also sets `subject` to the call and paths that failed.
int open_in_root(int rootfd, const char* rel, int flags);
int apply_mount(int rootfd, const MountOp& op, Subject& subject);
int apply_mounts(int rootfd, const MountList& list, Subject& subject);
int make_symlinks(int rootfd, const char* const* pairs, Subject& subject);
int mask_paths(int rootfd, const char* const* paths, Subject& subject);
int make_readonly(int rootfd, const char* const* paths, Subject& subject);
int seal_readonly(int rootfd, const char* const* paths, Subject& subject);
int make_dir_in_root(int rootfd, const char* rel, Subject& subject);
int stage_secrets(const char* staging, const MountList& secrets, Subject& subject);

// pivot_root.cc
int enter_root(int rootfd);

// network.cc
int bring_up_loopback();

// rlimits.cc
int apply_rlimits(const RlimitList& list);

// caps.cc
int drop_bounding_set(uint64_t keep, int cap_last);
int set_capabilities(uint64_t effective_permitted);

// seccomp.cc
int load_seccomp(const void* program);

// exec.cc
int exec_in_path(char* const* argv, char* const* envp, const char* path);

}  // namespace mybuild::sandbox::internal
