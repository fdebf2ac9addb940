#include "sandbox/rootless.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "common/io.h"
#include "common/unique_fd.h"

namespace mybuild::sandbox {
namespace {

using common::Error;
using common::ErrorKind;
using common::UniqueFd;

constexpr const char* kNewUidMap = "/usr/bin/newuidmap";
constexpr const char* kNewGidMap = "/usr/bin/newgidmap";
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

bool executable(const char* path) { return ::access(path, X_OK) == 0; }

// The child's messages to the parent: 'U' (namespace made, map me) or 'E' + errno.
struct ChildReport {
  char what = 0;
  int err = 0;
};

[[noreturn]] void child_fail(int fd, int err) {
  ChildReport r{'E', err};
  (void)!::write(fd, &r, sizeof(r));
  ::_exit(127);
}

// The child's side: unshare, wait for the maps, become 0 inside. Returns only on success.
void become_inside(const RootlessPlan& plan, pid_t parent, int to_parent, int from_parent) {
  // newuidmap opens /proc/<pid>/uid_map as the caller: the process must be dumpable (it is not
  // after a setuid() from root, as in the tests).
  ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || ::getppid() != parent) ::_exit(127);
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) child_fail(to_parent, errno);
  ChildReport ready{'U', 0};
  if (::write(to_parent, &ready, sizeof(ready)) != sizeof(ready)) ::_exit(127);
  char mapped = 0;
  if (::read(from_parent, &mapped, 1) != 1 || mapped != 'M') ::_exit(127);  // parent failed
  if (::setresgid(0, 0, 0) != 0) child_fail(to_parent, errno);
  // With a gid range setgroups is allowed: drop the caller's outside groups, which show as
  // nogroup inside. Without one it is denied and they stay (harmlessly unmapped).
  if (plan.gids.size() > 1 && ::setgroups(0, nullptr) != 0) child_fail(to_parent, errno);
  if (::setresuid(0, 0, 0) != 0) child_fail(to_parent, errno);
  // Our mounts (snapshots, the sandbox's) stay in this namespace and vanish with it.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    child_fail(to_parent, errno);
  }
  ::setenv(kRootlessEnv, "1", 1);
}

void write_maps(const RootlessPlan& plan, pid_t child) {
  write_id_map(child, IdKind::kUid, plan.uids, kNewUidMap);
  write_id_map(child, IdKind::kGid, plan.gids, kNewGidMap);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// Reaps the child (after killing it when `kill_first`) and returns its exit code.
int reap(pid_t child, bool kill_first) {
  if (kill_first) ::kill(child, SIGKILL);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return exit_code_of(status);
}

// The parent's side once the child is inside: forward signals until it exits.
int supervise(pid_t child, const sigset_t& waited) {
  for (;;) {
    siginfo_t info{};
    int sig = ::sigwaitinfo(&waited, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      // A terminal's ^C reaches both of us (one process group); the child cancels once either
      // way, so forwarding it again is harmless, and a kill aimed at this pid gets through.
      ::kill(child, sig);
      continue;
    }
    int status = 0;
    pid_t r = ::waitpid(child, &status, WNOHANG);
    if (r == child) return exit_code_of(status);
  }
}

std::optional<int> fork_inside(const RootlessPlan& plan, const sigset_t& old_mask,
                               const sigset_t& waited) {
  common::Pipe up = common::make_pipe("rootless bootstrap"),
               down = common::make_pipe("rootless bootstrap");
  pid_t parent = ::getpid();
  pid_t child = ::fork();
  if (child < 0) common::throw_errno("fork", "rootless bootstrap");
  if (child == 0) {
    up.read.reset();
    down.write.reset();
    become_inside(plan, parent, up.write.get(), down.read.get());
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    return std::nullopt;
  }
  up.write.reset();
  down.read.reset();
  ChildReport report{};
  ssize_t n = ::read(up.read.get(), &report, sizeof(report));
  if (n != sizeof(report) || report.what != 'U') {
    reap(child, true);
    std::string why =
        n == sizeof(report) && report.what == 'E' ? std::strerror(report.err) : "the child exited";
    throw Error(ErrorKind::kSandbox,
                "rootless: unshare(CLONE_NEWUSER|CLONE_NEWNS): " + why +
                    " (user namespaces must be allowed; run `mybuild doctor`)");
  }
  try {
    write_maps(plan, child);
  } catch (...) {
    reap(child, true);
    throw;
  }
  if (::write(down.write.get(), "M", 1) != 1) {
    reap(child, true);
    common::throw_errno("write", "rootless bootstrap");
  }
  down.write.reset();
  // A failure after the maps (setresuid, mount) arrives here; EOF means the child is running.
  n = ::read(up.read.get(), &report, sizeof(report));
  if (n == sizeof(report) && report.what == 'E') {
    reap(child, true);
    throw Error(
        ErrorKind::kSandbox,
        std::string("rootless: becoming root in the user namespace: ") + std::strerror(report.err));
  }
  return supervise(child, waited);
}

}  // namespace

bool in_user_namespace() {
  try {
    std::string map = common::read_file("/proc/self/uid_map", 4096);
    return map.find("4294967295") == std::string::npos;
  } catch (const Error&) {
    return false;
  }
}

bool inside_rootless() {
  const char* env = std::getenv(kRootlessEnv);
  return env != nullptr && std::string_view(env) == "1" && in_user_namespace();
}

RootlessPlan plan_rootless(const std::string& subuid_file, const std::string& subgid_file) {
  RootlessPlan plan;
  plan.user = current_user_name();
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  auto uid_ranges = read_subid(subuid_file, plan.user, uid);
  auto gid_ranges = read_subid(subgid_file, plan.user, uid);
  if ((!uid_ranges.empty() && !executable(kNewUidMap)) ||
      (!gid_ranges.empty() && !executable(kNewGidMap))) {
    plan.warnings.push_back(
        "rootless: newuidmap/newgidmap not found, so only your own uid and gid are mapped "
        "(files of other owners are kept as root); fix: apt-get install uidmap");
    uid_ranges.clear();
    gid_ranges.clear();
  } else if (uid_ranges.empty() || gid_ranges.empty()) {
    std::string which = uid_ranges.empty() && gid_ranges.empty() ? "/etc/subuid and /etc/subgid"
                        : uid_ranges.empty()                     ? "/etc/subuid"
                                                                 : "/etc/subgid";
    plan.warnings.push_back(
        "rootless: no range for " + plan.user + " in " + which +
        ", so only your own id is mapped (to 0): files of other owners in layers are kept as "
        "root, and COPY --chown, chown in RUN and USER to other ids fail; fix: " +
        subid_fix(plan.user));
  }
  plan.uids = rootless_mappings(uid, uid_ranges);
  plan.gids = rootless_mappings(gid, gid_ranges);
  return plan;
}

std::optional<int> enter_rootless(const RootlessPlan& plan) {
  // Blocked before the fork, so no signal can end the parent between fork and supervise; the
  // child restores the old mask.
  sigset_t waited, old_mask;
  sigemptyset(&waited);
  for (int sig : kForwarded) sigaddset(&waited, sig);
  sigaddset(&waited, SIGCHLD);
  if (::sigprocmask(SIG_BLOCK, &waited, &old_mask) != 0) {
    common::throw_errno("sigprocmask", "rootless bootstrap");
  }
  try {
    auto code = fork_inside(plan, old_mask, waited);
    if (code) ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    return code;
  } catch (...) {
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    throw;
  }
}

}  // namespace mybuild::sandbox
