// Docker's default seccomp policy as data: which syscalls a RUN step may make, on which
// conditions. sandbox/seccomp.cc turns it into a libseccomp filter.
//
// Source: moby's default profile (github.com/moby/profiles/seccomp v0.2.3, default.json /
// default_linux.go), the policy of Docker Engine 29.5 through 29.7. Same semantics, our own
// layout. To follow a newer Docker, compare its default.json group by group with the tables
// below (the first list is alphabetical, as theirs is, to keep that diff readable).
//
// What the policy says:
// - Default action ERRNO(EPERM): a syscall not allowed below fails with EPERM.
// - kAllowed: allowed to every container.
// - kAllowedOnArch: allowed only when the *host* is that architecture (Docker matches the
//   daemon's GOARCH; the rule then covers the host's compatibility ABIs too).
// - kCapabilityGated: allowed only when the container keeps that capability. With Docker's
//   default capability set (sandbox/caps.cc) only CAP_SYS_CHROOT's group is granted.
// - kArgumentRules: allowed only for some argument values (socket families, personality).
// - clone: without CAP_SYS_ADMIN only without namespace flags; clone3 then fails ENOSYS (its
//   flags are in memory, out of a filter's reach), so libc falls back to clone.
// - ptrace, process_vm_readv/writev: allowed on kernels >= 4.8, where seccomp runs again after
//   a tracer changes a syscall, so tracing cannot get around the filter.
//
// Names this libseccomp does not know are skipped (they fail EPERM, or ENOSYS past the highest
// number the profile names: see seccomp.cc).
#pragma once

#include <linux/capability.h>
#include <sched.h>
#include <sys/socket.h>

#include <cstdint>

namespace mybuild::sandbox::seccomp_profile {

// clang-format off
inline constexpr const char* kAllowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
    "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
    "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat",
    "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
    "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
    "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
    "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2",
    "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr",
    "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
    "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64",
    "futex_wait", "futex_waitv", "futex_wake", "futimesat", "get_robust_list", "get_thread_area",
    "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32",
    "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid",
    "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32",
    "getresuid", "getresuid32", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt",
    "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "getxattrat", "inotify_add_watch",
    "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy",
    "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup", "io_submit", "ioctl",
    "ioprio_get", "ioprio_set", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
    "listmount", "listxattr", "listxattrat", "llistxattr", "_llseek", "lremovexattr", "lseek",
    "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier", "memfd_create",
    "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2",
    "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
    "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
    "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
    "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open",
    "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
    "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
    "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
    "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
    "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
    "remap_file_pages", "removexattr", "removexattrat", "rename", "renameat", "renameat2",
    "restart_syscall", "riscv_hwprobe", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam",
    "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
    "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield",
    "seccomp", "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
    "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "set_robust_list",
    "set_thread_area", "set_tid_address", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32",
    "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority",
    "setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid",
    "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid", "setuid32", "setxattr",
    "setxattrat", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
    "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat",
    "stat64", "statfs", "statfs64", "statmount", "statx", "symlink", "symlinkat", "sync",
    "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
    "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
    "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
    "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "uretprobe", "utime", "utimensat",
    "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
    "writev",
};
// clang-format on

enum class HostArch { kX86_64, kAarch64, kPpc64le, kS390x, kRiscv64, kOther };

struct ArchGroup {
  HostArch arch;
  const char* syscall;
};

inline constexpr ArchGroup kAllowedOnArch[] = {
    {HostArch::kX86_64, "arch_prctl"},
    {HostArch::kX86_64, "modify_ldt"},
    // aarch64 hosts run 32-bit arm binaries too: these are arm's private syscalls.
    {HostArch::kAarch64, "arm_fadvise64_64"},
    {HostArch::kAarch64, "arm_sync_file_range"},
    {HostArch::kAarch64, "sync_file_range2"},
    {HostArch::kAarch64, "breakpoint"},
    {HostArch::kAarch64, "cacheflush"},
    {HostArch::kAarch64, "set_tls"},
    {HostArch::kPpc64le, "sync_file_range2"},
    {HostArch::kPpc64le, "swapcontext"},
    {HostArch::kS390x, "s390_pci_mmio_read"},
    {HostArch::kS390x, "s390_pci_mmio_write"},
    {HostArch::kS390x, "s390_runtime_instr"},
    {HostArch::kRiscv64, "riscv_flush_icache"},
};

struct CapabilityGroup {
  int capability;
  const char* syscall;
};

// clone and clone3 are in CAP_SYS_ADMIN's group: with it they are allowed whatever the flags.
inline constexpr CapabilityGroup kCapabilityGated[] = {
    {CAP_DAC_READ_SEARCH, "open_by_handle_at"},
    {CAP_SYS_ADMIN, "bpf"},
    {CAP_SYS_ADMIN, "clone"},
    {CAP_SYS_ADMIN, "clone3"},
    {CAP_SYS_ADMIN, "fanotify_init"},
    {CAP_SYS_ADMIN, "fsconfig"},
    {CAP_SYS_ADMIN, "fsmount"},
    {CAP_SYS_ADMIN, "fsopen"},
    {CAP_SYS_ADMIN, "fspick"},
    {CAP_SYS_ADMIN, "lookup_dcookie"},
    {CAP_SYS_ADMIN, "lsm_get_self_attr"},
    {CAP_SYS_ADMIN, "lsm_list_modules"},
    {CAP_SYS_ADMIN, "lsm_set_self_attr"},
    {CAP_SYS_ADMIN, "mount"},
    {CAP_SYS_ADMIN, "mount_setattr"},
    {CAP_SYS_ADMIN, "move_mount"},
    {CAP_SYS_ADMIN, "open_tree"},
    {CAP_SYS_ADMIN, "perf_event_open"},
    {CAP_SYS_ADMIN, "quotactl"},
    {CAP_SYS_ADMIN, "quotactl_fd"},
    {CAP_SYS_ADMIN, "setdomainname"},
    {CAP_SYS_ADMIN, "sethostname"},
    {CAP_SYS_ADMIN, "setns"},
    {CAP_SYS_ADMIN, "syslog"},
    {CAP_SYS_ADMIN, "umount"},
    {CAP_SYS_ADMIN, "umount2"},
    {CAP_SYS_ADMIN, "unshare"},
    {CAP_SYS_BOOT, "reboot"},
    {CAP_SYS_CHROOT, "chroot"},
    {CAP_SYS_MODULE, "delete_module"},
    {CAP_SYS_MODULE, "init_module"},
    {CAP_SYS_MODULE, "finit_module"},
    {CAP_SYS_PACCT, "acct"},
    {CAP_SYS_PTRACE, "kcmp"},
    {CAP_SYS_PTRACE, "pidfd_getfd"},
    {CAP_SYS_PTRACE, "process_madvise"},
    {CAP_SYS_PTRACE, "process_vm_readv"},
    {CAP_SYS_PTRACE, "process_vm_writev"},
    {CAP_SYS_PTRACE, "ptrace"},
    {CAP_SYS_RAWIO, "iopl"},
    {CAP_SYS_RAWIO, "ioperm"},
    {CAP_SYS_TIME, "settimeofday"},
    {CAP_SYS_TIME, "stime"},
    {CAP_SYS_TIME, "clock_settime"},
    {CAP_SYS_TIME, "clock_settime64"},
    {CAP_SYS_TTY_CONFIG, "vhangup"},
    {CAP_SYS_NICE, "get_mempolicy"},
    {CAP_SYS_NICE, "mbind"},
    {CAP_SYS_NICE, "set_mempolicy"},
    {CAP_SYS_NICE, "set_mempolicy_home_node"},
    {CAP_SYSLOG, "syslog"},
    {CAP_BPF, "bpf"},
    {CAP_PERFMON, "perf_event_open"},
};

// Allowed on kernels >= 4.8 whatever the capabilities (see above).
inline constexpr const char* kAllowedSinceKernel48[] = {"process_vm_readv", "process_vm_writev",
                                                        "ptrace"};

enum class Compare { kEqual, kLess, kGreater };

// Allowed when argument 0 compares so with value (several rules for one syscall: any matches).
struct ArgumentRule {
  const char* syscall;
  Compare compare;
  uint64_t value;
};

inline constexpr ArgumentRule kArgumentRules[] = {
    // Every address family but AF_ALG (the kernel crypto API) and AF_VSOCK (host <-> VM).
    {"socket", Compare::kLess, AF_ALG},
    {"socket", Compare::kEqual, AF_NFC},
    {"socket", Compare::kGreater, AF_VSOCK},
    // personality(2): PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and 0xffffffff,
    // which only queries the current persona.
    {"personality", Compare::kEqual, 0x0},
    {"personality", Compare::kEqual, 0x8},
    {"personality", Compare::kEqual, 0x20000},
    {"personality", Compare::kEqual, 0x20008},
    {"personality", Compare::kEqual, 0xffffffff},
};
static_assert(AF_ALG == 38 && AF_NFC == 39 && AF_VSOCK == 40, "moby's rules use these numbers");

// clone() flags that create namespaces; without CAP_SYS_ADMIN clone is allowed only when none
// is set (moby's mask 0x7e020000; s390 has the flags in argument 1).
inline constexpr uint64_t kCloneNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
                                                 CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                                 CLONE_NEWNET;
static_assert(kCloneNamespaceFlags == 0x7e020000);

}  // namespace mybuild::sandbox::seccomp_profile
