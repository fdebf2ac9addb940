// Child side of a run: PID 1 of the step's PID namespace. It assembles the root (mounts.cc),
// switches into it (pivot_root.cc), forks the step's process and then execs mybuild-init
// (init/step_init.cc, from a sealed memfd) which stays behind as the step's init: reaping
// zombies, forwarding signals, and writing the main process's wait status to the parent. When it
// exits the kernel kills everything else in the namespace, so nothing outlives a step. The main
// process execs only after PID 1 has: no user code ever runs beside a copy of mybuild's memory.
//
// Between clone and execve nothing allocates or throws (STYLE.md §3): forks are raw clone
// syscalls, because glibc's fork() runs atfork handlers that take malloc's locks, which another
// thread of mybuild may have held at the moment we were cloned.
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

#include "sandbox/internal/child_ops.h"

namespace mybuild::sandbox::internal {
namespace {

void check(const ChildPlan& plan, Step step, int rc, const Subject& subject = {}) {
  if (rc != 0) fail_step(plan, step, rc, subject);
}

// Copies text into a record buffer, cut to fit; targets relative to the rootfs get their '/'.
template <size_t N>
void copy_text(char (&out)[N], const char* text, bool root_relative) {
  size_t pos = 0;
  if (text == nullptr) {
    out[0] = '\0';
    return;
  }
  if (root_relative && text[0] != '/') out[pos++] = '/';
  for (; *text != '\0' && pos + 1 < N; ++text) out[pos++] = *text;
  out[pos] = '\0';
}

bool write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool read_all(int fd, void* data, size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Whether /proc/self/setgroups says "deny": a rootless mybuild without a subgid range, where
// setgroups(2) fails with EPERM and the process keeps the groups it has (all unmapped).
bool setgroups_denied() {
  int fd = ::open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[8] = {};
  ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  return n >= 4 && std::strncmp(buf, "deny", 4) == 0;
}

pid_t raw_fork() { return static_cast<pid_t>(::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0)); }

// Marks every descriptor above 2 close-on-exec: whatever another thread of mybuild opened
// without O_CLOEXEC (a library's pipe, a store file) must not reach the step. Descriptors the
// child still needs before exec (the error pipe) stay usable until then.
void cloexec_all_above_stderr() {
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  // Before Linux 5.11: one fcntl per possible descriptor.
  long max = ::sysconf(_SC_OPEN_MAX);
  for (int fd = 3; fd < max && fd < (1 << 20); ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

[[noreturn]] void become_process(const ChildPlan& plan, const Credentials& creds) {
  sigset_t none;
  sigemptyset(&none);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  // Every disposition back to default: an ignored one (mybuild's SIGPIPE) would survive exec.
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  // In chroot mode the process stays in the session and process group its init made, which is
  // what mybuild kills as a whole (there is no PID namespace to end with it).
  if (!plan.chroot) ::setsid();
  if (::dup2(plan.devnull_fd, 0) < 0 || ::dup2(plan.output_fd, 1) < 0 ||
      ::dup2(plan.output_fd, 2) < 0) {
    fail_step(plan, Step::kStdio, errno);
  }
  cloexec_all_above_stderr();
  if (::chdir(plan.cwd_absolute) != 0) {
    fail_step(plan, Step::kChdir, errno, {"chdir", nullptr, plan.cwd_absolute});
  }
  check(plan, Step::kRlimits, apply_rlimits(plan.rlimits));
  if (!plan.insecure)
    check(plan, Step::kCapabilityBounding, drop_bounding_set(plan.capabilities, plan.cap_last));
  if (::syscall(SYS_setgroups, creds.ngroups, creds.groups) != 0) {
    int err = errno;
    if (err != EPERM || !setgroups_denied()) fail_step(plan, Step::kGroups, err);
  }
  check_call(plan, Step::kSetGid,
             static_cast<int>(::syscall(SYS_setresgid, creds.gid, creds.gid, creds.gid)));
  check_call(plan, Step::kSetUid,
             static_cast<int>(::syscall(SYS_setresuid, creds.uid, creds.uid, creds.uid)));
  if (!plan.insecure) {
    check(plan, Step::kCapabilities, set_capabilities(creds.uid == 0 ? plan.capabilities : 0));
    check_call(plan, Step::kNoNewPrivs, ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    check(plan, Step::kSeccomp, load_seccomp(plan.seccomp_program));
  }
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  fail_step(plan, Step::kExec, exec_in_path(plan.argv, plan.envp, plan.path_search));
}

// Decimal digits of v into buf (no snprintf between clone and exec).
const char* format_uint(unsigned v, char (&buf)[16]) {
  char* p = buf + sizeof(buf) - 1;
  *p = '\0';
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return p;
}

// PID 1 becomes mybuild-init. Only the status pipe survives the exec (as argv[1]); stdio is
// /dev/null; the error, output and sync descriptors close, so the parent's error pipe sees EOF
// once the main process has exec'd too.
[[noreturn]] void exec_init(const ChildPlan& plan, pid_t main_pid) {
  if (::dup2(plan.devnull_fd, 0) < 0 || ::dup2(plan.devnull_fd, 1) < 0 ||
      ::dup2(plan.devnull_fd, 2) < 0) {
    fail_step(plan, Step::kExecInit, errno);
  }
  cloexec_all_above_stderr();
  check_call(plan, Step::kExecInit, ::fcntl(plan.status_fd, F_SETFD, 0));
  char fd_buf[16], pid_buf[16];
  const char* argv[] = {"mybuild-init", format_uint(static_cast<unsigned>(plan.status_fd), fd_buf),
                        format_uint(static_cast<unsigned>(main_pid), pid_buf), nullptr};
  const char* envp[] = {nullptr};
  ::syscall(SYS_execveat, plan.init_fd, "", argv, envp, AT_EMPTY_PATH);
  fail_step(plan, Step::kExecInit, errno);
}

// The main process waits for PID 1's exec (EOF on a pipe whose write end only PID 1 holds,
// close-on-exec) before it runs anything of the user's.
void await_init_exec(int read_fd) {
  char c;
  while (::read(read_fd, &c, 1) < 0 && errno == EINTR) {
  }
  ::close(read_fd);
}

void join_cgroups(const ChildPlan& plan) {
  join_cgroups_v1(plan);
  // The step sees its own cgroup as "/" (and cannot name its parent's).
  check_call(plan, Step::kUnshareCgroup, ::unshare(CLONE_NEWCGROUP));
}

int assemble_root(const ChildPlan& plan, Credentials& creds) {
  check_call(plan, Step::kPropagation,
             ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr));
  for (size_t i = 0; i < plan.rootfs.count; ++i) {
    const MountOp& op = plan.rootfs.ops[i];
    Subject subject{"mount", op.source, plan.root_path};
    if (::mount(op.source, plan.root_path, op.fstype, op.flags, op.data) != 0) {
      fail_step(plan, Step::kMountRootfs, errno, subject);
    }
    subject.call = "remount";
    if (op.remount_flags != 0 && ::mount(nullptr, plan.root_path, nullptr,
                                         MS_REMOUNT | MS_BIND | op.remount_flags, nullptr) != 0) {
      fail_step(plan, Step::kMountRootfs, errno, subject);
    }
  }
  int rootfd = ::open(plan.root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) fail_step(plan, Step::kOpenRootfs, errno, {"open", nullptr, plan.root_path});
  // Tell the parent the rootfs is there (it reads /etc/passwd through /proc/<pid>/root), and
  // wait for the credentials it resolved.
  sync_with_parent(plan, creds);
  return rootfd;
}

void populate_root(const ChildPlan& plan, int rootfd) {
  Subject s;  // set by each op to what it was doing when it failed
  check(plan, Step::kMountProc, apply_mount(rootfd, plan.system_mounts.ops[0], s), s);
  MountList rest{plan.system_mounts.ops + 1, plan.system_mounts.count - 1};
  check(plan, Step::kMountDev, apply_mounts(rootfd, rest, s), s);
  check(plan, Step::kMountDev, make_symlinks(rootfd, plan.dev_symlinks, s), s);
  check(plan, Step::kMountEtcFiles, apply_mounts(rootfd, plan.etc_files, s), s);
  check(plan, Step::kMountCgroup, apply_mounts(rootfd, plan.cgroup_mounts, s), s);
  check(plan, Step::kMountCgroup, seal_readonly(rootfd, plan.cgroup_seal, s), s);
  check(plan, Step::kMountExtra, apply_mounts(rootfd, plan.extra_mounts, s), s);
  check(plan, Step::kMountSecret, stage_secrets(plan.secret_staging, plan.secrets, s), s);
  check(plan, Step::kMountSecret, apply_mounts(rootfd, plan.secrets, s), s);
  check(plan, Step::kMaskPaths, mask_paths(rootfd, plan.masked_paths, s), s);
  check(plan, Step::kReadonlyPaths, make_readonly(rootfd, plan.readonly_paths, s), s);
  check(plan, Step::kCreateCwd, make_dir_in_root(rootfd, plan.cwd, s), s);
}

}  // namespace

[[noreturn]] void fail_step(const ChildPlan& plan, Step step, int err, const Subject& subject) {
  report_step_error(plan.error_fd, step, err, subject);
  ::_exit(127);
}

void check_call(const ChildPlan& plan, Step step, int rc, const Subject& subject) {
  if (rc != 0) fail_step(plan, step, errno, subject);
}

void report_step_error(int fd, Step step, int err, const Subject& subject) {
  StepError e{};
  e.step = step;
  e.err = err;
  copy_text(e.call, subject.call, false);
  copy_text(e.source, subject.source, false);
  copy_text(e.target, subject.target, true);
  write_all(fd, &e, sizeof(e));
}

std::string describe_subject(const StepError& e) {
  // The child's buffers came through a pipe: never trust their terminators.
  auto text = [](const auto& buf) { return std::string(buf, strnlen(buf, sizeof(buf))); };
  if (e.call[0] == '\0') return "";
  std::string out = text(e.call) + "(";
  if (e.source[0] != '\0') out += text(e.source) + " -> ";
  return out + text(e.target) + ")";
}

void child_main(const ChildPlan& plan) {
  if (plan.chroot) chroot_child_main(plan);
  // mybuild killed with -9: the step dies with it (and its PID namespace with it).
  check_call(plan, Step::kParentDeathSignal, ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0));
  join_cgroups(plan);
  Credentials creds;
  int rootfd = assemble_root(plan, creds);
  populate_root(plan, rootfd);
  check_call(plan, Step::kHostname, ::sethostname(plan.hostname, std::strlen(plan.hostname)));
  if (plan.new_network) check(plan, Step::kLoopback, bring_up_loopback());
  check(plan, Step::kPivotRoot, enter_root(rootfd));
  ::close(rootfd);

  start_process(plan, creds);
}

void join_cgroups_v1(const ChildPlan& plan) {
  for (size_t i = 0; i < plan.cgroup_procs_count; ++i) {
    if (::write(plan.cgroup_procs_fds[i], "0", 1) != 1) fail_step(plan, Step::kJoinCgroup, errno);
  }
}

void sync_with_parent(const ChildPlan& plan, Credentials& creds) {
  char ready = 'R';
  if (!write_all(plan.sync_fd, &ready, 1) || !read_all(plan.sync_fd, &creds, sizeof(creds))) {
    fail_step(plan, Step::kSync, errno != 0 ? errno : EPIPE);
  }
  if (creds.ngroups > sizeof(creds.groups) / sizeof(creds.groups[0]))
    fail_step(plan, Step::kSync, EINVAL);
}

void start_process(const ChildPlan& plan, const Credentials& creds) {
  // Blocked from here to mybuild-init's sigwaitinfo (the mask survives execve): a SIGCHLD or
  // forwarded signal that arrives meanwhile stays pending.
  sigset_t all;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  int barrier[2];
  check_call(plan, Step::kFork, ::pipe2(barrier, O_CLOEXEC));
  pid_t pid = raw_fork();
  if (pid < 0) fail_step(plan, Step::kFork, errno);
  if (pid == 0) {
    ::close(barrier[1]);
    await_init_exec(barrier[0]);
    become_process(plan, creds);
  }
  ::close(barrier[0]);
  exec_init(plan, pid);
}

const char* step_name(Step step) {
  switch (step) {
    case Step::kNone:
      return "none";
    case Step::kParentDeathSignal:
      return "prctl(PR_SET_PDEATHSIG)";
    case Step::kJoinCgroup:
      return "joining the step's cgroup";
    case Step::kUnshareCgroup:
      return "unshare(CLONE_NEWCGROUP)";
    case Step::kPropagation:
      return "making mounts private";
    case Step::kMountRootfs:
      return "mounting the root filesystem";
    case Step::kOpenRootfs:
      return "opening the root filesystem";
    case Step::kSync:
      return "waiting for the parent";
    case Step::kMountProc:
      return "mounting /proc";
    case Step::kMountDev:
      return "populating /dev";
    case Step::kMountSys:
      return "mounting /sys";
    case Step::kMountCgroup:
      return "mounting /sys/fs/cgroup";
    case Step::kMountEtcFiles:
      return "mounting /etc/hosts, /etc/resolv.conf, /etc/hostname";
    case Step::kMountExtra:
      return "mounting an extra mount";
    case Step::kMountSecret:
      return "mounting a secret";
    case Step::kMaskPaths:
      return "masking /proc paths";
    case Step::kReadonlyPaths:
      return "making /proc paths read-only";
    case Step::kCreateCwd:
      return "creating the working directory";
    case Step::kHostname:
      return "sethostname";
    case Step::kLoopback:
      return "bringing up lo";
    case Step::kPivotRoot:
      return "pivot_root";
    case Step::kChroot:
      return "chroot";
    case Step::kProcessGroup:
      return "setsid (the step's process group)";
    case Step::kDetachOldRoot:
      return "detaching the old root";
    case Step::kFork:
      return "forking the step's process";
    case Step::kExecInit:
      return "exec of the step's init (mybuild-init)";
    case Step::kStdio:
      return "setting up stdout/stderr";
    case Step::kChdir:
      return "chdir to the working directory";
    case Step::kRlimits:
      return "setrlimit";
    case Step::kCapabilityBounding:
      return "dropping the capability bounding set";
    case Step::kGroups:
      return "setgroups";
    case Step::kSetGid:
      return "setresgid";
    case Step::kSetUid:
      return "setresuid";
    case Step::kCapabilities:
      return "capset";
    case Step::kNoNewPrivs:
      return "prctl(PR_SET_NO_NEW_PRIVS)";
    case Step::kSeccomp:
      return "loading the seccomp filter";
    case Step::kExec:
      return "exec";
  }
  return "unknown step";
}

}  // namespace mybuild::sandbox::internal
