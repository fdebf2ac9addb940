// A static helper the escape tests copy into a busybox rootfs: makes the syscalls named on its
// command line, with arguments that are harmless if the call were allowed, and prints one line
// per call: "<name> OK" or "<name> <errno name>" (EPERM, ENOSYS, ...). Statically linked so it
// runs in a rootfs without libc.
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace {

struct Probe {
  const char* name;
  long (*call)();
};

// A syscall number no ABI has (x86_64 and aarch64 leave 335..423 unused) and one far past every
// table: the filter answers EPERM for the first and ENOSYS for the second.
constexpr long kUnusedSyscall = 400;
constexpr long kBeyondEverySyscall = 100000;

const Probe kProbes[] = {
    {"keyctl",
     [] { return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0); }},
    {"add_key",
     [] { return syscall(SYS_add_key, "user", "mybuild", "x", 1, KEY_SPEC_SESSION_KEYRING); }},
    {"request_key",
     [] { return syscall(SYS_request_key, "user", "mybuild", nullptr, KEY_SPEC_SESSION_KEYRING); }},
    {"bpf", [] { return syscall(SYS_bpf, BPF_MAP_CREATE, nullptr, 0); }},
    {"kexec_load", [] { return syscall(SYS_kexec_load, 0, 0, nullptr, 0); }},
    // Bad magic numbers: EINVAL, not a reboot, should the call ever get through.
    {"reboot", [] { return syscall(SYS_reboot, 0, 0, 0, nullptr); }},
    {"mount", [] { return static_cast<long>(mount("none", "/mnt", "tmpfs", 0, nullptr)); }},
    {"unshare_user", [] { return static_cast<long>(unshare(CLONE_NEWUSER)); }},
    {"setns", [] { return syscall(SYS_setns, -1, 0); }},
    {"ptrace_init", [] { return ptrace(PTRACE_ATTACH, 1, nullptr, nullptr); }},
    {"open_by_handle_at", [] { return syscall(SYS_open_by_handle_at, AT_FDCWD, nullptr, 0); }},
    {"io_uring_setup", [] { return syscall(SYS_io_uring_setup, 1, nullptr); }},
    {"socket_vsock", [] { return static_cast<long>(socket(AF_VSOCK, SOCK_STREAM, 0)); }},
    {"socket_unix", [] { return static_cast<long>(socket(AF_UNIX, SOCK_STREAM, 0)); }},
    {"personality_bsd", [] { return static_cast<long>(personality(0x0006)); }},
    {"personality_query", [] { return personality(0xffffffff) >= 0 ? 0L : -1L; }},
    {"chroot", [] { return static_cast<long>(chroot("/")); }},
    {"clone3", [] { return syscall(SYS_clone3, nullptr, 0); }},
    {"unused_number", [] { return syscall(kUnusedSyscall); }},
    {"beyond_every_number", [] { return syscall(kBeyondEverySyscall); }},
};

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const Probe* probe = nullptr;
    for (const auto& p : kProbes) {
      if (std::strcmp(p.name, argv[i]) == 0) probe = &p;
    }
    if (probe == nullptr) {
      std::printf("%s unknown-probe\n", argv[i]);
      continue;
    }
    errno = 0;
    long rc = probe->call();
    const char* errname = strerrorname_np(errno);
    std::printf("%s %s\n", argv[i], rc >= 0 ? "OK" : (errname != nullptr ? errname : "?"));
  }
  return 0;
}
