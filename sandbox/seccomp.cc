#include "sandbox/seccomp.h"

#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"
#include "sandbox/internal/child_ops.h"

namespace mybuild::sandbox {
namespace {

// Syscalls Docker's default profile denies to a container without CAP_SYS_ADMIN and friends.
constexpr const char* kDenied[] = {
    "acct",
    "add_key",
    "bpf",
    "clock_adjtime",
    "clock_settime",
    "create_module",
    "delete_module",
    "finit_module",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "get_kernel_syms",
    "get_mempolicy",
    "init_module",
    "io_uring_enter",
    "io_uring_register",
    "io_uring_setup",
    "ioperm",
    "iopl",
    "kcmp",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "lookup_dcookie",
    "mbind",
    "mount",
    "mount_setattr",
    "move_mount",
    "move_pages",
    "name_to_handle_at",
    "nfsservctl",
    "open_by_handle_at",
    "open_tree",
    "perf_event_open",
    "pivot_root",
    "process_vm_readv",
    "process_vm_writev",
    "quotactl",
    "quotactl_fd",
    "reboot",
    "request_key",
    "set_mempolicy",
    "setns",
    "settimeofday",
    "stime",
    "swapoff",
    "swapon",
    "sysfs",
    "_sysctl",
    "umount",
    "umount2",
    "unshare",
    "uselib",
    "userfaultfd",
    "ustat",
    "vm86",
    "vm86old",
    "fanotify_init",
    "syslog",
};

// clone() flags that create namespaces (moby: "clone" allowed only when none is set).
constexpr unsigned long kNamespaceFlags[] = {CLONE_NEWNS,    CLONE_NEWUTS, CLONE_NEWIPC,
                                             CLONE_NEWUSER,  CLONE_NEWPID, CLONE_NEWNET,
                                             CLONE_NEWCGROUP};

struct ContextDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

[[noreturn]] void fail(const std::string& what, int rc) {
  throw common::Error(common::ErrorKind::kSandbox,
                      "seccomp: " + what + ": " + std::strerror(rc < 0 ? -rc : rc));
}

void deny(void* ctx, const char* name) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return;  // not a syscall on this architecture
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
  if (rc != 0) fail(std::string("deny ") + name, rc);
}

std::vector<sock_filter> export_bpf(void* ctx) {
  common::UniqueFd fd(::memfd_create("mybuild-seccomp", MFD_CLOEXEC));
  if (!fd) common::throw_errno("memfd_create", "seccomp");
  int rc = seccomp_export_bpf(ctx, fd.get());
  if (rc != 0) fail("export", rc);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) common::throw_errno("fstat", "seccomp memfd");
  std::vector<sock_filter> filter(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
  size_t bytes = filter.size() * sizeof(sock_filter);
  if (::pread(fd.get(), filter.data(), bytes, 0) != static_cast<ssize_t>(bytes)) {
    common::throw_errno("pread", "seccomp memfd");
  }
  return filter;
}

}  // namespace

SeccompProgram SeccompProgram::docker_default() {
  Context ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) fail("init", ENOMEM);
  for (const char* name : kDenied) deny(ctx.get(), name);
  for (unsigned long flag : kNamespaceFlags) {
    int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
    if (rc != 0) fail("clone flags", rc);
  }
  int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  if (rc != 0) fail("clone3", rc);
  // no_new_privs is set by the child itself, right before loading.
  rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  if (rc != 0) fail("attributes", rc);
  return SeccompProgram(export_bpf(ctx.get()));
}

namespace internal {

int load_seccomp(const void* program) {
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, program, 0, 0) != 0) return errno;
  return 0;
}

}  // namespace internal
}  // namespace mybuild::sandbox
