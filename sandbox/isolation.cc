#include "sandbox/isolation.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iterator>

#include "common/temp_dir.h"

namespace mybuild::sandbox {
namespace {

// The namespaces sandbox::run makes (run.cc's namespace_flags, and child.cc's cgroup unshare).
constexpr int kNamespaces =
    CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP;

// What failed in the probe child, and the errno; written once to a pipe.
struct Failure {
  int step = 0;
  int err = 0;
};
constexpr const char* kStepNames[] = {
    "",
    "unshare(CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET|CLONE_NEWCGROUP)",
    "fork into the new PID namespace",
    "making mounts private in a new mount namespace",
    "mount(tmpfs) in a new mount namespace",
    "mount(proc) in a new PID namespace"};

[[noreturn]] void fail(int fd, int step) {
  Failure f{step, errno};
  (void)!::write(fd, &f, sizeof(f));
  ::_exit(1);
}

// In a forked child: what the sandbox's PID 1 does first (namespaces, a private mount tree, a
// tmpfs and a fresh /proc for the new PID namespace), on a scratch directory.
[[noreturn]] void try_namespaces(int fd, const char* scratch, const char* proc) {
  if (::unshare(kNamespaces) != 0) fail(fd, 1);
  pid_t pid = ::fork();  // the first child in the new PID namespace may mount its /proc
  if (pid < 0) fail(fd, 2);
  if (pid > 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail(fd, 3);
  if (::mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") != 0) fail(fd, 4);
  if (::mkdir(proc, 0755) != 0 ||
      ::mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    fail(fd, 5);
  }
  ::_exit(0);
}

std::optional<std::string> probe_namespaces(const std::filesystem::path& scratch) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::string("pipe2: ") + std::strerror(errno);
  std::string proc = (scratch / "proc").string();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return std::string("fork: ") + std::strerror(errno);
  }
  if (pid == 0) {
    ::close(fds[0]);
    try_namespaces(fds[1], scratch.c_str(), proc.c_str());
  }
  ::close(fds[1]);
  Failure f;
  bool failed = ::read(fds[0], &f, sizeof(f)) == sizeof(f);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (failed && f.step > 0 && f.step < static_cast<int>(std::size(kStepNames))) {
    return std::string(kStepNames[f.step]) + ": " + std::strerror(f.err);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "the namespace probe failed";
  return std::nullopt;
}

std::optional<std::string> probe_bind(const std::filesystem::path& scratch) {
  std::filesystem::path a = scratch / "bind-source", b = scratch / "bind-target";
  if (::mkdir(a.c_str(), 0700) != 0 || ::mkdir(b.c_str(), 0700) != 0) {
    return std::string("mkdir: ") + std::strerror(errno);
  }
  if (::mount(a.c_str(), b.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return std::string("mount(MS_BIND): ") + std::strerror(errno);
  }
  ::umount2(b.c_str(), MNT_DETACH);
  return std::nullopt;
}

std::optional<std::string> probe_chroot() {
  pid_t pid = ::fork();
  if (pid < 0) return std::string("fork: ") + std::strerror(errno);
  if (pid == 0) ::_exit(::chroot("/") == 0 ? 0 : errno);
  int status = 0;
  ::waitpid(pid, &status, 0);
  int err = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
  if (err == 0) return std::nullopt;
  return std::string("chroot: ") + std::strerror(err);
}

bool probe_mknod(const std::filesystem::path& scratch) {
  std::filesystem::path node = scratch / "null";
  if (::mknod(node.c_str(), S_IFCHR | 0600, makedev(1, 3)) != 0) return false;
  ::unlink(node.c_str());
  return true;
}

}  // namespace

IsolationProbe probe_isolation() {
  IsolationProbe probe;
  try {
    common::TempDir scratch("mybuild-isolation-");
    probe.namespaces_error = probe_namespaces(scratch.path());
    probe.bind_error = probe_bind(scratch.path());
    probe.chroot_error = probe_chroot();
    probe.can_mknod = probe_mknod(scratch.path());
  } catch (const std::exception& e) {
    std::string why = std::string("probe failed: ") + e.what();
    probe.namespaces_error = probe.bind_error = probe.chroot_error = why;
  }
  return probe;
}

}  // namespace mybuild::sandbox
