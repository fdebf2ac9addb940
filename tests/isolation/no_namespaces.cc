// no_namespaces: runs a command the way a plain Kubernetes pod or `docker run` without flags runs
// it, on a host that would allow more: Docker's default capabilities only (no CAP_SYS_ADMIN, so
// no mount and no namespace but a user namespace), and a seccomp filter that refuses what
// Docker's default profile refuses an unprivileged container: unshare, setns, clone with any
// namespace flag, mount, umount2, pivot_root and the new mount API with EPERM, clone3 with
// ENOSYS (so that glibc and mybuild fall back to clone). Written with raw BPF (linux/filter.h):
// the test must not depend on the sandbox's own seccomp code it is checking.
//
//   no_namespaces [--keep-caps] -- PROGRAM ARGS...
//
// As root the capability drop is what matters most; as an unprivileged user the filter is what
// refuses the user namespace a rootless mybuild would make.
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

#if defined(__x86_64__)
constexpr unsigned kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kArch = AUDIT_ARCH_AARCH64;
#else
#error "no_namespaces: add this architecture's AUDIT_ARCH"
#endif

constexpr unsigned kNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                     CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | 0x80 /*NEWTIME*/;

// moby's profiles/seccomp/default.json, "defaultAction" aside: the capabilities Docker keeps.
constexpr int kDockerCaps[] = {CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
                               CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
                               CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
                               CAP_KILL,    CAP_AUDIT_WRITE};

sock_filter stmt(unsigned short code, unsigned k) { return BPF_STMT(code, k); }
sock_filter jump(unsigned short code, unsigned k, unsigned char jt, unsigned char jf) {
  return BPF_JUMP(code, k, jt, jf);
}

std::vector<sock_filter> build_filter() {
  constexpr unsigned kEperm = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);
  constexpr unsigned kEnosys = SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA);
  const long refused[] = {SYS_unshare,    SYS_setns,     SYS_mount,        SYS_umount2,
                          SYS_pivot_root, SYS_fsopen,    SYS_fsconfig,     SYS_fsmount,
                          SYS_move_mount, SYS_open_tree, SYS_mount_setattr};
  std::vector<sock_filter> f;
  f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  f.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0));
  f.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  for (long nr : refused) {
    f.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(nr), 0, 1));
    f.push_back(stmt(BPF_RET | BPF_K, kEperm));
  }
  f.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1));
  f.push_back(stmt(BPF_RET | BPF_K, kEnosys));
  // clone(flags, ...): flags is the first argument; namespace flags are all in its low word.
  f.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3));
  f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0])));
  f.push_back(jump(BPF_JMP | BPF_JSET | BPF_K, kNamespaceFlags, 0, 1));
  f.push_back(stmt(BPF_RET | BPF_K, kEperm));
  f.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  return f;
}

bool kept(int cap) {
  for (int c : kDockerCaps) {
    if (c == cap) return true;
  }
  return false;
}

// Drops every capability Docker does not grant from the bounding set (so a root exec gets no
// more) and from this process's own sets.
bool drop_capabilities() {
  for (int cap = 0; cap <= 63; ++cap) {
    if (kept(cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return false;
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  for (int cap = 0; cap <= 63; ++cap) {
    if (kept(cap)) continue;
    unsigned bit = 1U << (cap % 32);
    data[cap / 32].effective &= ~bit;
    data[cap / 32].permitted &= ~bit;
    data[cap / 32].inheritable &= ~bit;
  }
  return ::syscall(SYS_capset, &header, data) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool keep_caps = false;
  int i = 1;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
    if (std::strcmp(argv[i], "--keep-caps") == 0) keep_caps = true;
  }
  if (i + 1 >= argc) {
    std::fprintf(stderr, "usage: no_namespaces [--keep-caps] -- PROGRAM ARGS...\n");
    return 125;
  }
  std::vector<sock_filter> filter = build_filter();
  sock_fprog prog{static_cast<unsigned short>(filter.size()), filter.data()};
  // Unprivileged, a filter needs no_new_privs; as root Docker does not set it, nor do we.
  if (::geteuid() != 0 && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    std::perror("no_namespaces: prctl(PR_SET_NO_NEW_PRIVS)");
    return 125;
  }
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    std::perror("no_namespaces: seccomp");
    return 125;
  }
  if (!keep_caps && ::geteuid() == 0 && !drop_capabilities()) {
    std::perror("no_namespaces: dropping capabilities");
    return 125;
  }
  ::execvp(argv[i + 1], argv + i + 1);
  std::perror("no_namespaces: exec");
  return 127;
}
