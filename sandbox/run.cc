// sandbox::run, the parent's side: prepare everything (record, cgroup, generated /etc files,
// seccomp program, child plan), clone the step's PID 1, hand it the credentials once its rootfs
// is mounted, then stream output until the main process exits, a timeout or a cancel.
#include "sandbox/run.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>

#include "common/error.h"
#include "common/io.h"
#include "common/log.h"
#include "common/trace.h"
#include "sandbox/cgroup.h"
#include "sandbox/init_binary.h"
#include "sandbox/internal/child_process.h"
#include "sandbox/internal/chroot_mounts.h"
#include "sandbox/internal/plan.h"
#include "sandbox/internal/step_writeback.h"
#include "sandbox/network.h"
#include "sandbox/records.h"
#include "sandbox/rlimits.h"
#include "sandbox/seccomp.h"
#include "sandbox/slirp.h"
#include "sandbox/user.h"

namespace mybuild::sandbox {
namespace {

using Clock = std::chrono::steady_clock;
using internal::ChildProcess;
using internal::Credentials;
using internal::StepError;

constexpr int kPollMs = 50;

[[noreturn]] void throw_step(const StepError& e, const ProcessSpec& spec) {
  std::string what = internal::step_name(e.step);
  if (e.step == internal::Step::kExec) what += " " + spec.args.front();
  if (e.step == internal::Step::kRlimits) {
    for (const auto& r : spec.rlimits) what.append(" ").append(describe(r));
  }
  // Which mount, secret or directory failed, as crun names it: "mount(/src -> /dst)".
  if (std::string subject = internal::describe_subject(e); !subject.empty()) {
    what += ": " + subject;
  }
  throw common::Error(common::ErrorKind::kSandbox, what + ": " + std::strerror(e.err));
}

// Reads a small file of the rootfs through the child's mount namespace, resolving symlinks
// inside the rootfs only.
std::string read_in_root(int rootfd, const char* rel) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
  if (fd < 0) return "";
  common::FdReader reader{common::UniqueFd(static_cast<int>(fd))};
  return common::read_all(reader, 4 << 20);
}

// `root`: the rootfs as the parent reaches it.
Credentials resolve_credentials(const ProcessSpec& spec, const std::string& root) {
  common::UniqueFd rootfd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) common::throw_errno("open", root);
  ResolvedUser user = resolve_user(spec.user, read_in_root(rootfd.get(), "etc/passwd"),
                                   read_in_root(rootfd.get(), "etc/group"));
  Credentials creds;
  creds.uid = user.uid;
  creds.gid = user.gid;
  for (uint32_t g : user.groups) {
    if (creds.ngroups == sizeof(creds.groups) / sizeof(creds.groups[0])) break;
    creds.groups[creds.ngroups++] = g;
  }
  return creds;
}

// Waits (cancellably) for PID 1 to say its rootfs is mounted; a setup error before that point
// arrives on the error pipe.
void await_rootfs(int sync_fd, int error_fd, const ProcessSpec& spec, common::CancelToken& cancel) {
  while (true) {
    cancel.check(spec.description);
    pollfd p{sync_fd, POLLIN, 0};
    int n = ::poll(&p, 1, kPollMs);
    if (n < 0 && errno != EINTR) common::throw_errno("poll", "sandbox sync");
    if (n <= 0) continue;
    char c = 0;
    if (::read(sync_fd, &c, 1) == 1 && c == 'R') return;
    StepError e{};
    if (::read(error_fd, &e, sizeof(e)) == sizeof(e)) throw_step(e, spec);
    throw common::Error(common::ErrorKind::kSandbox, "sandbox init exited during setup");
  }
}

struct Supervised {
  int main_status = 0;
  bool have_status = false;
  bool timed_out = false;
};

// Streams output until the main process has exited and every writer of the output pipe is gone.
Supervised supervise(ChildProcess& child, int error_fd, int output_fd, int status_fd,
                     const ProcessSpec& spec, common::CancelToken& cancel, common::Writer& output) {
  Supervised s;
  std::optional<Clock::time_point> deadline;
  if (spec.timeout) deadline = Clock::now() + *spec.timeout;
  bool error_open = true, output_open = true, status_open = true;
  // chroot mode: once the main process is done, its process group is killed; a process that left
  // the group (setsid) and still holds the output gets this long before we stop reading.
  std::optional<Clock::time_point> drain_deadline;
  std::vector<char> buf(64 * 1024);
  while (output_open || status_open) {
    if (drain_deadline && Clock::now() >= *drain_deadline) {
      common::log::warn(spec.description +
                        ": a process of the step left its process group and still holds its "
                        "output; no longer waiting for it");
      break;
    }
    if (cancel.cancelled()) {
      child.kill();
      cancel.check(spec.description);
    }
    if (deadline && !s.timed_out && Clock::now() >= *deadline) {
      s.timed_out = true;
      child.kill();
    }
    pollfd fds[3] = {{error_open ? error_fd : -1, POLLIN, 0},
                     {output_open ? output_fd : -1, POLLIN, 0},
                     {status_open ? status_fd : -1, POLLIN, 0}};
    int n = ::poll(fds, 3, kPollMs);
    if (n < 0 && errno != EINTR) common::throw_errno("poll", "sandbox output");
    if (n <= 0) continue;
    if (fds[0].revents != 0) {
      StepError e{};
      ssize_t r = ::read(error_fd, &e, sizeof(e));
      if (r == sizeof(e)) throw_step(e, spec);
      error_open = false;  // EOF: the exec succeeded
    }
    if (fds[1].revents != 0) {
      ssize_t r = ::read(output_fd, buf.data(), buf.size());
      if (r > 0) {
        output.write(std::string_view(buf.data(), static_cast<size_t>(r)));
      } else if (r == 0 || errno != EINTR) {
        output_open = false;
      }
    }
    if (fds[2].revents != 0) {
      ssize_t r = ::read(status_fd, &s.main_status, sizeof(s.main_status));
      s.have_status = r == sizeof(s.main_status);
      status_open = false;
      if (spec.isolation == Isolation::kChroot) {
        child.kill();
        drain_deadline = Clock::now() + std::chrono::seconds(2);
      }
    }
  }
  return s;
}

// supervise() with the step's writeback (internal/step_writeback.h) running meanwhile, stopped
// as soon as the process is done: the diff takes over from there.
Supervised supervise_step(ChildProcess& child, int error_fd, int output_fd, int status_fd,
                          const ProcessSpec& spec, const Cgroup& cgroup,
                          common::CancelToken& cancel, common::Writer& output) {
  auto writeback = internal::start_step_writeback(spec, cgroup);
  Supervised s = supervise(child, error_fd, output_fd, status_fd, spec, cancel, output);
  if (writeback) {
    common::log::debug(spec.description + ": " + std::to_string(writeback->write_backs()) +
                       " write-backs while it ran");
  }
  return s;
}

void warn_shared_network() {
  static std::once_flag once;
  std::call_once(once, [] {
    common::log::warn(
        "chroot isolation: RUN steps use the container's network (no network namespace can be "
        "made here); --network=none and the default private network are not applied");
  });
}

void join_v2(const Cgroup& cgroup, pid_t pid) {
  for (const auto& dir : cgroup.dirs()) {
    common::UniqueFd procs(::open((dir / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
    std::string text = std::to_string(pid);
    if (!procs || ::write(procs.get(), text.data(), text.size()) < 0) {
      common::throw_errno("write", (dir / "cgroup.procs").string());
    }
  }
}

unsigned long namespace_flags(NetworkMode network) {
  unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
  if (network != NetworkMode::kHost) flags |= CLONE_NEWNET;
  return flags;
}

const SeccompProgram& default_seccomp() {
  // Immutable once built; the same program serves every step.
  static const SeccompProgram program = SeccompProgram::docker_default();
  return program;
}

std::string host_resolv_conf() {
  try {
    return common::read_file("/etc/resolv.conf", 1 << 20);
  } catch (const common::Error&) {
    return "";
  }
}

// /etc/hosts, /etc/resolv.conf and /etc/hostname for a step on `network` (the effective one).
void write_etc_files(const ProcessSpec& spec, NetworkMode network,
                     const std::filesystem::path& dir) {
  bool gateway = false;
  for (const auto& h : spec.extra_hosts) gateway = gateway || h.ip == kHostGateway;
  write_run_file(dir / "hosts",
                 generate_hosts(spec.hostname, spec.extra_hosts,
                                gateway ? host_gateway_address(network) : "127.0.0.1"));
  write_run_file(dir / "resolv.conf", generate_resolv_conf(network, host_resolv_conf()));
  write_run_file(dir / "hostname", spec.hostname + "\n");
}

// How the step ended, from what supervise saw, PID 1's rusage and the cgroup's accounting.
ExitStatus exit_status(const Supervised& s, const rusage& usage, const Cgroup& cgroup,
                       const ProcessSpec& spec) {
  ExitStatus result;
  if (s.have_status && WIFEXITED(s.main_status)) {
    result.code = WEXITSTATUS(s.main_status);
  } else if (s.have_status && WIFSIGNALED(s.main_status)) {
    result.signal = WTERMSIG(s.main_status);
    result.code = 128 + result.signal;
  } else {
    result.signal = SIGKILL;  // PID 1 itself was killed (timeout, or the OOM killer chose it)
    result.code = 128 + SIGKILL;
  }
  result.timed_out = s.timed_out;
  result.oom_killed = cgroup.oom_killed();
  result.memory_limit = spec.limits.memory_bytes;
  result.usage.peak_memory_bytes = cgroup.peak_memory();
  auto rusage_cpu = std::chrono::seconds(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                    std::chrono::microseconds(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  result.usage.cpu_time =
      cgroup.cpu_time().value_or(std::chrono::duration_cast<std::chrono::microseconds>(rusage_cpu));
  return result;
}

// The network the step gets. chroot mode can make no network namespace: the container's network,
// whatever was asked (said once), and mybuild made non-dumpable: the step shares its PID
// namespace and uid, and /proc/<mybuild>/root would lead it out of its root, /proc/<mybuild>/mem
// into registry tokens; non-dumpable, those need CAP_SYS_PTRACE, which the step does not have.
// (Other processes of the container stay reachable: the container is the boundary there.)
NetworkMode step_network(const ProcessSpec& spec) {
  if (spec.isolation != Isolation::kChroot) return effective_network(spec.network);
  if (spec.network != NetworkMode::kHost) warn_shared_network();
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) common::throw_errno("prctl", "PR_SET_DUMPABLE");
  return NetworkMode::kHost;
}

// The step's user, read from the rootfs once PID 1 has it ready (namespaces: through
// /proc/<pid>/root of its mount namespace; chroot: the directory itself). chroot mode has no
// CLONE_INTO_CGROUP (clone3 may be refused): its init joins a v2 cgroup here, before it forks the
// step's process (v1: it writes cgroup.procs itself).
Credentials step_credentials(const ProcessSpec& spec, pid_t child, const internal::ChildPlan& plan,
                             const Cgroup& cgroup) {
  if (spec.isolation != Isolation::kChroot) {
    return resolve_credentials(spec, "/proc/" + std::to_string(child) + "/root" + plan.root_path);
  }
  if (cgroup.mode() == CgroupMode::kV2) join_v2(cgroup, child);
  return resolve_credentials(spec, spec.rootfs_dir.string());
}

ExitStatus run_step(const ProcessSpec& spec, common::CancelToken& cancel, common::Writer& output) {
  cancel.check(spec.description);
  // Setup ends when PID 1 may exec the step's process; teardown is what follows `process`.
  std::optional<common::TraceSpan> setup(std::in_place, "sandbox setup");
  clean_stale_runs(spec.state_dir);
  RunRecord record(spec.state_dir, new_run_id());
  const auto& dir = record.dir();
  const bool chroot = spec.isolation == Isolation::kChroot;
  const NetworkMode network = step_network(spec);
  write_etc_files(spec, network, dir);
  for (const char* sub : {"root", "secrets"}) {
    if (::mkdir((dir / sub).c_str(), 0700) != 0) common::throw_errno("mkdir", (dir / sub).string());
  }

  auto cgroup = Cgroup::create(probe_cgroups(), record.id(), spec.limits, chroot);
  record.add_cgroups(cgroup->dirs());

  common::Pipe error = common::make_pipe("sandbox"), out = common::make_pipe("sandbox"),
               status = common::make_pipe("sandbox");
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    common::throw_errno("socketpair", "sandbox");
  }
  common::UniqueFd sync_parent(sv[0]), sync_child(sv[1]);
  common::UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) common::throw_errno("open", "/dev/null");

  internal::PlanStorage storage(
      spec, {.run_dir = dir,
             .cgroup_procs_fds = cgroup->procs_fds(),
             .cgroup_view = internal::step_cgroup_mounts(cgroup->mode(), cgroup->controller_dirs()),
             .seccomp_program = spec.insecure ? nullptr : default_seccomp().program(),
             .error_fd = error.write.get(),
             .sync_fd = sync_child.get(),
             .output_fd = out.write.get(),
             .status_fd = status.write.get(),
             .devnull_fd = devnull.get(),
             .init_fd = init_binary_fd(),
             .new_network = network != NetworkMode::kHost});
  // chroot mode: the binds (or device nodes) on the rootfs, taken down after the child is gone.
  std::optional<internal::ChrootMounts> chroot_mounts;
  if (chroot) {
    chroot_mounts.emplace(storage.plan());
    common::log::debug(spec.description + ": chroot with " + chroot_mounts->summary());
  }
  ChildProcess child = ChildProcess::spawn(storage.plan(), chroot ? 0 : namespace_flags(network),
                                           chroot ? -1 : cgroup->clone_into_fd());
  // Started as soon as the namespace exists, so that slirp4netns's start (exec, libslirp, tap
  // setup: most of what the private network costs) overlaps PID 1 assembling the rootfs; the
  // step's process execs only after wait_ready below. Declared after `child`: destroyed first.
  std::optional<SlirpNetwork> slirp;
  if (network == NetworkMode::kDefault) {
    slirp.emplace(SlirpNetwork::start(*find_slirp4netns(), child.pid()));
  }
  error.write.reset();
  out.write.reset();
  status.write.reset();
  sync_child.reset();

  await_rootfs(sync_parent.get(), error.read.get(), spec, cancel);
  Credentials creds = step_credentials(spec, child.pid(), storage.plan(), *cgroup);
  if (slirp) slirp->wait_ready(cancel, spec.description);
  if (::write(sync_parent.get(), &creds, sizeof(creds)) != sizeof(creds)) {
    // PID 1 died meanwhile; the error pipe says why.
    StepError e{};
    if (::read(error.read.get(), &e, sizeof(e)) == sizeof(e)) throw_step(e, spec);
    common::throw_errno("write", "sandbox sync");
  }
  setup.reset();
  common::TraceSpan process("process");
  Supervised s = supervise_step(child, error.read.get(), out.read.get(), status.read.get(), spec,
                                *cgroup, cancel, output);
  rusage usage{};
  child.wait(&usage);

  return exit_status(s, usage, *cgroup, spec);
}

}  // namespace

ExitStatus run(const ProcessSpec& spec, common::CancelToken& cancel, common::Writer& output) {
  try {
    return run_step(spec, cancel, output);
  } catch (common::Error& e) {
    e.add_context(spec.description);
    throw;
  }
}

}  // namespace mybuild::sandbox
