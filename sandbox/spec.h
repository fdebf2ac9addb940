// What one sandboxed process is given (ProcessSpec) and how it ended (ExitStatus). Plain data;
// sandbox::run (sandbox/run.h) is what acts on it. The sandbox never knows what a layer is: its
// root filesystem is either a list of mounts (the snapshotter's active snapshot) or a directory.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/mount.h"

namespace mybuild::sandbox {

// --network for RUN. kDefault is what `docker build` gives a RUN step: outbound network access
// from a namespace of its own. Docker does it with a bridge and NAT; mybuild is daemonless and
// starts slirp4netns (user-mode networking, sandbox/slirp.h) per step: the step gets a private
// network namespace with lo and tap0 (10.0.2.100/24, gateway 10.0.2.2, DNS 10.0.2.3), cannot
// reach the host's loopback or abstract UNIX sockets, and its CAP_NET_RAW sees only its own
// interfaces. Without slirp4netns on PATH kDefault falls back to kHost with a warning (see
// effective_network). kNone is a fresh network namespace with only `lo` up. kHost shares the
// host's network namespace (BuildKit's "network.host" entitlement): the host's loopback, its
// abstract sockets and interfaces are all there.
enum class NetworkMode { kDefault, kNone, kHost };

// How a step is isolated (--isolation; sandbox/isolation.h probes which this host allows).
// kNamespaces: fresh mount, PID, UTS, IPC, cgroup (and network) namespaces and pivot_root, as
// runc does for BuildKit; a rootless mybuild runs the same inside its user namespace.
// kChroot: for containers that forbid new namespaces and mounts (a plain Kubernetes pod, the
// default seccomp profile, no CAP_SYS_ADMIN): chroot(2) into the rootfs with the container's own
// /proc, /dev and /sys bound in when bind mounts are allowed, in a process group (and a cgroup
// when one is writable) of its own, with the same capabilities (less CAP_SYS_CHROOT and
// CAP_MKNOD), seccomp filter and rlimits. The network is the container's; the container is the
// security boundary (README, "Isolation modes").
enum class Isolation { kNamespaces, kChroot };

struct Limits {
  std::optional<uint64_t> memory_bytes;  // --memory; swap is capped to the same amount
  // --cpus N becomes quota = N * period. Both unset: no CPU limit.
  std::optional<uint64_t> cpu_quota_us;
  uint64_t cpu_period_us = 100000;
  std::string cpuset_cpus;    // --cpuset-cpus, e.g. "0-1"; empty: inherit
  uint64_t pids_max = 32768;  // --pids-limit; a safe cap by default (fork bombs stop here)
};

// A secret made visible as a read-only file on a tmpfs (RUN --mount=type=secret): the content
// never touches the rootfs or any disk the step can write.
struct SecretFile {
  std::string content{};  // at most kMaxSecretBytes
  std::string target{};   // absolute path inside the sandbox
  uint32_t mode = 0400;
  uint32_t uid = 0;
  uint32_t gid = 0;
};
inline constexpr size_t kMaxSecretBytes = 512 * 1024;

// An extra /etc/hosts line (--add-host): "ip\thost", after the defaults. sandbox/network.h parses
// docker's HOST:IP spelling into one.
struct HostEntry {
  std::string host{};
  // A valid IPv4 or IPv6 address without brackets, or kHostGateway (sandbox/network.h).
  std::string ip{};
  bool operator==(const HostEntry&) const = default;
};

// One resource limit (--ulimit) set with setrlimit(2) on the step's process before it execs;
// resources the spec does not name keep mybuild's own limits. sandbox/rlimits.h parses docker's
// NAME=SOFT[:HARD] spelling into one.
inline constexpr uint64_t kRlimitUnlimited = ~uint64_t{0};  // RLIM_INFINITY, docker's -1
struct Rlimit {
  int resource = 0;  // RLIMIT_NOFILE, ...
  uint64_t soft = 0;
  uint64_t hard = 0;  // soft <= hard
  bool operator==(const Rlimit&) const = default;
};

// docker's default --shm-size: 64 MiB.
inline constexpr uint64_t kDefaultShmSizeBytes = 64 * 1024 * 1024;

struct ProcessSpec {
  std::vector<std::string> args;  // args[0] is looked up in PATH from `env` when it has no '/'
  std::vector<std::string> env;   // "K=V"
  std::string cwd = "/";          // created (owned by root) when missing, as Docker does
  // "" (root), "uid", "uid:gid", "name", "name:group": names resolve from the rootfs's
  // /etc/passwd and /etc/group; supplementary groups are those listing the user.
  std::string user;
  // The root filesystem: mounts whose target is "" stack onto the root in order (an overlay from
  // the snapshotter), or, when `rootfs` is empty, the directory `rootfs_dir` bind-mounted.
  std::vector<common::Mount> rootfs;
  std::filesystem::path rootfs_dir;
  // Extra mounts, target absolute inside the sandbox. type "bind" (options "ro"/"rw",
  // source a host path: cache directories are rw binds) or "tmpfs" (options like "size=64m").
  std::vector<common::Mount> mounts;
  std::vector<SecretFile> secrets;
  std::string hostname = "buildkitsandbox";
  std::vector<HostEntry> extra_hosts;  // appended to the generated /etc/hosts
  NetworkMode network = NetworkMode::kDefault;
  Limits limits;
  uint64_t shm_size_bytes = kDefaultShmSizeBytes;  // the /dev/shm tmpfs; must not be 0
  std::vector<Rlimit> rlimits;  // set in order: a later one for the same resource wins
  std::optional<std::chrono::milliseconds> timeout;
  bool insecure = false;  // RUN --security=insecure: all capabilities, no seccomp
  Isolation isolation = Isolation::kNamespaces;
  // Names the step in errors ("RUN make"); the builder sets it.
  std::string description = "RUN";
  // Where runs leave records so that a later start can clean up after a kill -9.
  std::filesystem::path state_dir = "/run/mybuild/sandbox";
};

struct ResourceUsage {
  uint64_t peak_memory_bytes = 0;         // 0 when the host has no memory accounting
  std::chrono::microseconds cpu_time{0};  // user + system of the whole process tree
};

struct ExitStatus {
  int code = 0;    // exit code when signal == 0
  int signal = 0;  // terminating signal of the main process, 0 if it exited
  bool oom_killed = false;
  bool timed_out = false;
  std::optional<uint64_t> memory_limit{};  // copied from the spec, for the message
  ResourceUsage usage{};

  bool success() const { return signal == 0 && code == 0 && !oom_killed && !timed_out; }
  // "exit code 2", "killed by signal 9 (Killed)", "RUN step killed: out of memory, limit 256 MiB"
  std::string describe() const;
};

}  // namespace mybuild::sandbox
