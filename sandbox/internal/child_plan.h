// The child's half of a run, prepared in full by the parent before clone (STYLE.md §3): every
// string, array and buffer the child touches lives here, so the code between clone and execve
// allocates nothing and throws nothing. It reports failure as (step, errno, the call and the paths
// it failed on) on an O_CLOEXEC pipe.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace mybuild::sandbox::internal {

// Each thing the child does, named for the parent's error message.
enum class Step : int {
  kNone = 0,
  kParentDeathSignal,
  kJoinCgroup,
  kUnshareCgroup,
  kPropagation,
  kMountRootfs,
  kOpenRootfs,
  kSync,
  kMountProc,
  kMountDev,
  kMountSys,
  kMountCgroup,
  kMountEtcFiles,
  kMountExtra,
  kMountSecret,
  kMaskPaths,
  kReadonlyPaths,
  kCreateCwd,
  kHostname,
  kLoopback,
  kPivotRoot,
  kChroot,
  kProcessGroup,
  kDetachOldRoot,
  kFork,
  kExecInit,
  kStdio,
  kChdir,
  kRlimits,
  kCapabilityBounding,
  kGroups,
  kSetGid,
  kSetUid,
  kCapabilities,
  kNoNewPrivs,
  kSeccomp,
  kExec,
};
const char* step_name(Step step);

// What a failing step was working on: the call ("mount", "mkdir") and its paths, as pointers
// into the plan's strings (alive until exec). Null fields were not involved.
struct Subject {
  const char* call = nullptr;
  const char* source = nullptr;  // a host path or a file system's source ("proc"), as given
  const char* target = nullptr;  // relative to the rootfs (shown with a leading '/') or absolute
};

// The error record the child writes: the subject is copied into fixed buffers (the child cannot
// allocate; longer paths are cut). Well under PIPE_BUF, so one write delivers it whole.
inline constexpr size_t kSubjectPathSize = 1024;
struct StepError {
  Step step;
  int err;
  char call[24];
  char source[kSubjectPathSize];
  char target[kSubjectPathSize];
};
static_assert(sizeof(StepError) <= 4096, "one atomic pipe write (PIPE_BUF)");

// One mount into the new root. Targets are relative to the rootfs and resolved inside it
// (openat2 RESOLVE_IN_ROOT), so symlinks in an untrusted rootfs cannot point a mount outside.
struct MountOp {
  const char* source = nullptr;
  const char* target = nullptr;  // relative to the rootfs, no leading '/'
  const char* fstype = nullptr;
  unsigned long flags = 0;
  const char* data = nullptr;
  bool target_is_file = false;      // create an empty file (not a dir) as the mount point
  unsigned long remount_flags = 0;  // nonzero: remount the bind with these (e.g. MS_RDONLY)
  // Secrets: after mounting a tmpfs at `target`'s directory in the staging area, write this.
  const char* content = nullptr;
  size_t content_size = 0;
  uint32_t file_mode = 0400;
  uint32_t file_uid = 0;
  uint32_t file_gid = 0;
};

// Where a mount op comes from: the system mounts (/proc, /dev, ...) and the spec's extras are
// kept apart so an error names which failed.
struct MountList {
  const MountOp* ops = nullptr;
  size_t count = 0;
};

// setrlimit(2) values for the step's process, in order (ProcessSpec::rlimits).
struct RlimitOp {
  int resource = 0;
  uint64_t soft = 0;
  uint64_t hard = 0;
};
struct RlimitList {
  const RlimitOp* ops = nullptr;
  size_t count = 0;
};

struct Credentials {
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t ngroups = 0;
  uint32_t groups[64] = {};
};

struct ChildPlan {
  // File descriptors (inherited through clone, all O_CLOEXEC).
  int error_fd = -1;   // write (Step, errno) here on failure
  int sync_fd = -1;    // socket to the parent: "rootfs ready" out, Credentials in
  int output_fd = -1;  // the step's stdout and stderr
  int status_fd = -1;  // PID 1 writes the main process's wait status here
  int devnull_fd = -1;
  int init_fd = -1;  // sealed memfd of mybuild-init (init_binary.h), exec'd as PID 1
  const int* cgroup_procs_fds = nullptr;  // cgroup v1: one per hierarchy; child writes "0"
  size_t cgroup_procs_count = 0;

  const char* root_path = nullptr;  // absolute host path where the rootfs is assembled
  MountList rootfs;                 // targets "" = onto root_path itself
  bool rootfs_is_dir = false;       // rootfs is a directory bind (source of rootfs.ops[0])

  MountList system_mounts;                    // proc, dev, devpts, shm, sys, device nodes
  const char* const* dev_symlinks = nullptr;  // pairs: target, linkpath (relative), null-ended
  MountList etc_files;                        // hosts, resolv.conf, hostname
  MountList cgroup_mounts;                    // /sys/fs/cgroup: the step's own cgroup, read-only
  const char* const* cgroup_seal = nullptr;   // relative, null-ended: made read-only after
  MountList extra_mounts;
  MountList secrets;
  const char* const* masked_paths = nullptr;    // relative, null-ended
  const char* const* readonly_paths = nullptr;  // relative, null-ended
  const char* secret_staging = nullptr;         // absolute host path of an empty dir

  const char* cwd = nullptr;           // relative to the rootfs, for mkdir
  const char* cwd_absolute = nullptr;  // for chdir after pivot_root
  const char* hostname = nullptr;
  bool new_network = false;
  // Isolation::kChroot: no new namespaces; chroot_child_main instead of the namespaced setup.
  bool chroot = false;

  // The process.
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* path_search = nullptr;  // PATH from envp, for argv[0] without '/'
  RlimitList rlimits;

  // Security.
  bool insecure = false;
  uint64_t capabilities = 0;  // bit per capability kept
  int cap_last = 40;
  const void* seccomp_program = nullptr;  // struct sock_fprog*
};

// Runs in the cloned child as PID 1 of the new PID namespace: sets the step up, forks the main
// process, then execs mybuild-init; never returns.
[[noreturn]] void child_main(const ChildPlan& plan);

// chroot_child.cc: chroot mode's child (Isolation::kChroot), a child of mybuild in mybuild's own
// namespaces: a new session and process group, chroot into root_path, then start_process.
[[noreturn]] void chroot_child_main(const ChildPlan& plan);

// Shared by both modes (child.cc). v1 cgroups: write "0" to each cgroup.procs descriptor.
void join_cgroups_v1(const ChildPlan& plan);
// Says "rootfs ready" on sync_fd and reads the Credentials the parent resolved.
void sync_with_parent(const ChildPlan& plan, Credentials& creds);
// Forks the step's process (which waits for this process's exec, then becomes the user's
// command with `creds`) and execs mybuild-init.
[[noreturn]] void start_process(const ChildPlan& plan, const Credentials& creds);

// Writes (step, errno, subject) to fd; async-signal-safe.
void report_step_error(int fd, Step step, int err, const Subject& subject = {});
// Reports that `step` failed with `err` on plan.error_fd and exits the child with 127.
[[noreturn]] void fail_step(const ChildPlan& plan, Step step, int err, const Subject& subject = {});
// fail_step with errno when a system call returned nonzero.
void check_call(const ChildPlan& plan, Step step, int rc, const Subject& subject = {});

// "mount(/host/cache -> /root/.cache)", "mkdir(/app/src)", or "" when no call is recorded.
std::string describe_subject(const StepError& e);

}  // namespace mybuild::sandbox::internal
