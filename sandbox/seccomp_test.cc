#include "sandbox/seccomp.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "sandbox/caps.h"
#include "sandbox/internal/child_ops.h"

namespace mybuild::sandbox {
namespace {

constexpr int kKilled = -1;

// Loads `program` in a forked child and reports the probe's errno (0: success) through the
// exit code; kKilled when the child died of a signal.
int errno_under(const SeccompProgram& program, long (*probe)()) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(200);
    if (internal::load_seccomp(program.program()) != 0) ::_exit(201);
    errno = 0;
    long rc = probe();
    ::_exit(rc >= 0 ? 0 : errno);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : kKilled;
}

const SeccompProgram& docker_default() {
  static const SeccompProgram program = SeccompProgram::docker_default();
  return program;
}

int under_default(long (*probe)()) { return errno_under(docker_default(), probe); }

// x86_64 and aarch64 leave 335..423 unused; 100000 is past every table.
constexpr long kUnusedSyscall = 400;
constexpr long kBeyondEverySyscall = 100000;

TEST(Seccomp, BuildsAProgramTheKernelAccepts) {
  const auto& program = docker_default();
  EXPECT_GT(program.instructions(), 300u);
  EXPECT_LE(program.instructions(), size_t{BPF_MAXINSNS});
  EXPECT_EQ(program.program()->len, program.instructions());
  EXPECT_EQ(under_default([] { return 0L; }), 0);
}

TEST(Seccomp, DeniesDockersDangerousSyscallsWithEperm) {
  EXPECT_EQ(under_default([] {
              return ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
            }),
            EPERM);
  EXPECT_EQ(under_default([] {
              return ::syscall(SYS_add_key, "user", "k", "v", 1, KEY_SPEC_SESSION_KEYRING);
            }),
            EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_bpf, BPF_MAP_CREATE, nullptr, 0); }), EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_kexec_load, 0, 0, nullptr, 0); }), EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_kexec_file_load, -1, -1, 0, nullptr, 0); }),
            EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_reboot, 0, 0, 0, nullptr); }), EPERM);
  EXPECT_EQ(under_default([] {
              return static_cast<long>(::mount("none", "/nonexistent", "tmpfs", 0, nullptr));
            }),
            EPERM);
  EXPECT_EQ(under_default([] { return static_cast<long>(::umount2("/nonexistent", 0)); }), EPERM);
  EXPECT_EQ(under_default([] { return static_cast<long>(::unshare(CLONE_NEWUSER)); }), EPERM);
  EXPECT_EQ(under_default([] { return static_cast<long>(::unshare(0)); }), EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_setns, -1, 0); }), EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_open_by_handle_at, AT_FDCWD, nullptr, 0); }),
            EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_finit_module, -1, "", 0); }), EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_delete_module, "none", 0); }), EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_settimeofday, nullptr, nullptr); }), EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_clock_settime, CLOCK_REALTIME, nullptr); }),
            EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_swapon, "/nonexistent", 0); }), EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_acct, nullptr); }), EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0); }),
            EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_io_uring_setup, 1, nullptr); }), EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_pivot_root, "/", "/"); }), EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_userfaultfd, 0); }), EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_syslog, 10, nullptr, 0); }), EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_process_madvise, -1, nullptr, 0, 0, 0); }),
            EPERM);
  // Not named by the profile at all: the default action.
  EXPECT_EQ(under_default([] { return ::syscall(kUnusedSyscall); }), EPERM);
}

TEST(Seccomp, ArgumentRules) {
  EXPECT_EQ(under_default([] { return static_cast<long>(::socket(AF_VSOCK, SOCK_STREAM, 0)); }),
            EPERM);
  EXPECT_EQ(under_default([] { return static_cast<long>(::socket(AF_ALG, SOCK_SEQPACKET, 0)); }),
            EPERM);
  EXPECT_EQ(under_default([] { return static_cast<long>(::socket(AF_UNIX, SOCK_STREAM, 0)); }), 0);
  EXPECT_EQ(under_default([] { return static_cast<long>(::socket(AF_INET6, SOCK_DGRAM, 0)); }), 0);
  EXPECT_EQ(
      under_default([] { return static_cast<long>(::socket(AF_NETLINK, SOCK_RAW, 0 /*ROUTE*/)); }),
      0);
  EXPECT_EQ(under_default([] { return static_cast<long>(::personality(PER_BSD)); }), EPERM);
  EXPECT_EQ(under_default([] { return static_cast<long>(::personality(0xffffffff)); }), 0);
  EXPECT_EQ(under_default([] { return static_cast<long>(::personality(PER_LINUX)); }), 0);
  EXPECT_EQ(under_default([] { return static_cast<long>(::personality(PER_LINUX32)); }), 0);
}

// What libc needs from clone: fork-like clones work, namespace flags are refused, clone3 looks
// absent so glibc falls back to clone.
TEST(Seccomp, CloneWithoutNamespacesAndClone3Enosys) {
  EXPECT_EQ(under_default([] {
              long pid = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
              if (pid == 0) ::_exit(0);
              return pid > 0 && ::waitpid(static_cast<pid_t>(pid), nullptr, 0) == pid ? 0L : -1L;
            }),
            0);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0); }),
            EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0); }),
            EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_clone3, nullptr, 0); }), ENOSYS);
  EXPECT_EQ(under_default([] { return static_cast<long>(::fork() == 0 ? (::_exit(0), 0) : 0); }),
            0);
  // glibc's pthread_create tries clone3 first; ENOSYS sends it to clone.
  EXPECT_EQ(under_default([] {
              pthread_t thread;
              if (::pthread_create(
                      &thread, nullptr, [](void*) -> void* { return nullptr; }, nullptr) != 0) {
                return -1L;
              }
              return static_cast<long>(::pthread_join(thread, nullptr));
            }),
            0);
}

// Past the highest number the profile names, as under runc: ENOSYS, so that a syscall newer than
// this libseccomp looks absent and libc falls back.
TEST(Seccomp, NumbersPastTheProfileGetEnosys) {
  EXPECT_EQ(under_default([] { return ::syscall(kBeyondEverySyscall); }), ENOSYS);
  EXPECT_EQ(under_default([] { return ::syscall(0x3fffffff); }), ENOSYS);
}

TEST(Seccomp, AllowsOrdinarySyscalls) {
  EXPECT_EQ(under_default([] { return static_cast<long>(::getpid() > 0 ? 0 : -1); }), 0);
  EXPECT_EQ(under_default([] { return static_cast<long>(::access("/", R_OK)); }), 0);
  EXPECT_EQ(under_default([] {
              int fds[2];
              return static_cast<long>(::pipe2(fds, O_CLOEXEC));
            }),
            0);
  EXPECT_EQ(under_default([] { return ::syscall(SYS_memfd_create, "x", 0); }), 0);
  EXPECT_EQ(under_default([] {
              char buf[8];
              return ::syscall(SYS_getrandom, buf, sizeof(buf), 0);
            }),
            0);
  // CAP_SYS_CHROOT is in Docker's default set, so chroot is allowed.
  EXPECT_EQ(under_default([] { return static_cast<long>(::chroot("/")); }), 0);
  // ptrace is allowed (kernel >= 4.8): the kernel, not the filter, answers.
  EXPECT_EQ(under_default([] { return ::ptrace(PTRACE_PEEKDATA, 999999999, nullptr, nullptr); }),
            ESRCH);
}

TEST(Seccomp, CapabilitiesOpenTheirGroups) {
  auto none = SeccompProgram::for_capabilities(0);
  EXPECT_EQ(errno_under(none, [] { return static_cast<long>(::chroot("/")); }), EPERM);
  EXPECT_EQ(
      errno_under(none, [] { return ::ptrace(PTRACE_PEEKDATA, 999999999, nullptr, nullptr); }),
      ESRCH);

  uint64_t all = 0;
  for (int c = 0; c <= last_capability(); ++c) all |= uint64_t{1} << c;
  auto privileged = SeccompProgram::for_capabilities(all);
  // Allowed now: the kernel answers (this test runs as root with every capability).
  EXPECT_EQ(
      errno_under(
          privileged,
          [] { return static_cast<long>(::mount("none", "/nonexistent", "tmpfs", 0, nullptr)); }),
      ENOENT);
  EXPECT_EQ(errno_under(privileged, [] { return static_cast<long>(::unshare(0)); }), 0);
  EXPECT_EQ(errno_under(privileged, [] { return ::syscall(SYS_clone3, nullptr, 0); }), EINVAL);
  EXPECT_EQ(errno_under(privileged, [] { return ::syscall(SYS_reboot, 0, 0, 0, nullptr); }),
            EINVAL);
  EXPECT_NE(errno_under(privileged, [] { return ::syscall(SYS_bpf, BPF_MAP_CREATE, nullptr, 0); }),
            EPERM);
  // No capability opens what the profile never names.
  EXPECT_EQ(errno_under(privileged, [] { return ::syscall(SYS_kexec_load, 0, 0, nullptr, 0); }),
            EPERM);
  EXPECT_EQ(
      errno_under(
          privileged,
          [] { return ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0); }),
      EPERM);
}

TEST(Seccomp, DockerDefaultIsTheDefaultCapabilitySet) {
  auto expected = SeccompProgram::for_capabilities(default_capabilities());
  const auto& actual = docker_default();
  ASSERT_EQ(actual.instructions(), expected.instructions());
  EXPECT_EQ(std::memcmp(actual.program()->filter, expected.program()->filter,
                        actual.instructions() * sizeof(sock_filter)),
            0);
}

#if defined(__x86_64__)
// The i386 and x32 ABIs of an x86_64 host are filtered too (Docker's archMap): int $0x80 enters
// the i386 table from a 64-bit process; bit 30 of a syscall number selects x32.
long i386_syscall(long nr, long a = 0, long b = 0, long c = 0) {
  long ret;
  asm volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  return ret < 0 && ret > -4096 ? (errno = static_cast<int>(-ret), -1) : ret;
}
constexpr long kI386Getpid = 20, kI386Keyctl = 288;
constexpr long kX32Bit = 0x40000000, kX32Keyctl = kX32Bit | 250;

TEST(Seccomp, I386AbiOfX86_64) {
  // Without a filter first: IA32 emulation may be off (or, in some VMs, int $0x80 faults).
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(i386_syscall(kI386Getpid) == ::getpid() ? 0 : 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    GTEST_SKIP() << "int $0x80 does not reach an i386 syscall table on this kernel";
  }
  EXPECT_EQ(under_default([] { return i386_syscall(kI386Getpid); }), 0);
  EXPECT_EQ(under_default([] {
              return i386_syscall(kI386Keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING);
            }),
            EPERM);
  EXPECT_EQ(under_default([] { return i386_syscall(kBeyondEverySyscall); }), ENOSYS);
}

TEST(Seccomp, X32AbiOfX86_64) {
  // x32: the filter answers before the kernel (which may have x32 off) would say ENOSYS.
  EXPECT_EQ(under_default([] {
              return ::syscall(kX32Keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
            }),
            EPERM);
  EXPECT_EQ(under_default([] { return ::syscall(kX32Bit | kBeyondEverySyscall); }), ENOSYS);
}
#endif

}  // namespace
}  // namespace mybuild::sandbox
