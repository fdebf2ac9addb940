#include "sandbox/internal/plan.h"

#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>

#include "common/error.h"
#include "sandbox/caps.h"
#include "sandbox/rlimits.h"

namespace mybuild::sandbox::internal {
namespace {

// moby's oci/defaults.go maskedPaths (which runc's libcontainer/specconv/example.go trails),
// plus /proc/sysrq-trigger masked rather than read-only: a step has no business with it. The
// per-CPU thermal_throttle directories moby also masks are added by masked_paths().
constexpr const char* kMaskedPaths[] = {"proc/acpi",
                                        "proc/asound",
                                        "proc/interrupts",
                                        "proc/kcore",
                                        "proc/keys",
                                        "proc/latency_stats",
                                        "proc/timer_list",
                                        "proc/timer_stats",
                                        "proc/sched_debug",
                                        "proc/scsi",
                                        "proc/sysrq-trigger",
                                        "sys/firmware",
                                        "sys/devices/virtual/powercap"};
constexpr const char* kReadonlyPaths[] = {"proc/bus", "proc/fs", "proc/irq", "proc/sys"};
constexpr const char* kDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};
// The host's own nodes are bind-mounted (a node made on our tmpfs could not be opened: /dev is
// nodev) and read-only, as runc binds devices in user namespaces: a step with CAP_FOWNER and
// CAP_CHOWN would otherwise chmod or chown the host's /dev/null. nosuid and noexec too, since a
// remount must keep the flags the kernel locked on the host's /dev in a user namespace.
constexpr unsigned long kDeviceRemount = MS_RDONLY | MS_NOSUID | MS_NOEXEC;
constexpr const char* kDevSymlinks[][2] = {{"pts/ptmx", "dev/ptmx"},
                                           {"/proc/self/fd", "dev/fd"},
                                           {"/proc/self/fd/0", "dev/stdin"},
                                           {"/proc/self/fd/1", "dev/stdout"},
                                           {"/proc/self/fd/2", "dev/stderr"}};
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct FlagName {
  const char* name;
  unsigned long set;
  unsigned long clear;
};
constexpr FlagName kFlags[] = {{"ro", MS_RDONLY, 0},           {"rw", 0, MS_RDONLY},
                               {"nosuid", MS_NOSUID, 0},       {"nodev", MS_NODEV, 0},
                               {"noexec", MS_NOEXEC, 0},       {"bind", MS_BIND, 0},
                               {"rbind", MS_BIND | MS_REC, 0}, {"noatime", MS_NOATIME, 0},
                               {"relatime", MS_RELATIME, 0},   {"strictatime", MS_STRICTATIME, 0},
                               {"sync", MS_SYNCHRONOUS, 0},    {"suid", 0, MS_NOSUID},
                               {"dev", 0, MS_NODEV},           {"exec", 0, MS_NOEXEC}};

std::pair<unsigned long, std::string> parse_options(const std::vector<std::string>& options) {
  unsigned long flags = 0;
  std::string data;
  for (const auto& o : options) {
    auto it = std::find_if(std::begin(kFlags), std::end(kFlags),
                           [&](const FlagName& f) { return o == f.name; });
    if (it != std::end(kFlags)) {
      flags = (flags | it->set) & ~it->clear;
    } else {
      if (!data.empty()) data += ',';
      data += o;
    }
  }
  return {flags, data};
}

std::string relative(std::string_view target) {
  while (!target.empty() && target.front() == '/') target.remove_prefix(1);
  return std::string(target);
}

// moby masks /sys/devices/system/cpu/cpu*/thermal_throttle (its throttle counters and reset
// files); sysfs inside the step shows the host's CPUs, so the host's list is the step's.
const std::vector<std::string>& thermal_throttle_paths() {
  static const std::vector<std::string> paths = [] {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/sys/devices/system/cpu", ec)) {
      std::string name = e.path().filename();
      if (name.size() < 4 || name.rfind("cpu", 0) != 0 ||
          name.find_first_not_of("0123456789", 3) != std::string::npos) {
        continue;
      }
      if (std::filesystem::exists(e.path() / "thermal_throttle", ec)) {
        out.push_back("sys/devices/system/cpu/" + name + "/thermal_throttle");
      }
    }
    return out;
  }();
  return paths;
}

}  // namespace

const char* PlanStorage::keep(std::string s) { return strings_.emplace_back(std::move(s)).c_str(); }

PlanStorage::PlanStorage(const ProcessSpec& spec, PlanInputs inputs) : inputs_(std::move(inputs)) {
  if (spec.args.empty()) throw common::Error(common::ErrorKind::kSandbox, "no command to run");
  plan_.error_fd = inputs_.error_fd;
  plan_.sync_fd = inputs_.sync_fd;
  plan_.output_fd = inputs_.output_fd;
  plan_.status_fd = inputs_.status_fd;
  plan_.devnull_fd = inputs_.devnull_fd;
  plan_.init_fd = inputs_.init_fd;
  plan_.cgroup_procs_fds = inputs_.cgroup_procs_fds.data();
  plan_.cgroup_procs_count = inputs_.cgroup_procs_fds.size();
  plan_.chroot = spec.isolation == Isolation::kChroot;
  // chroot mode enters the rootfs directory itself; namespaces assemble it under the run dir.
  plan_.root_path =
      keep(plan_.chroot ? spec.rootfs_dir.string() : (inputs_.run_dir / "root").string());
  plan_.secret_staging = keep((inputs_.run_dir / "secrets").string());
  plan_.hostname = keep(spec.hostname);
  plan_.new_network = inputs_.new_network;
  plan_.insecure = spec.insecure;
  plan_.capabilities = default_capabilities();
  if (plan_.chroot) {
    // Without a mount namespace, CAP_SYS_CHROOT is the classic way out of a chroot (chroot into
    // a subdirectory, then `cd ..` past the old root); without a device cgroup of our own,
    // CAP_MKNOD would make the container's block devices. The step gets neither.
    plan_.capabilities &= ~((uint64_t{1} << CAP_SYS_CHROOT) | (uint64_t{1} << CAP_MKNOD));
  }
  plan_.cap_last = last_capability();
  plan_.seccomp_program = inputs_.seccomp_program;
  add_rootfs(spec);
  add_system_mounts(spec);
  add_cgroup_mounts();
  add_extra_mounts(spec);
  add_secrets(spec);
  add_process(spec);
  add_rlimits(spec);
}

MountOp PlanStorage::op_from(const common::Mount& m, std::string_view target) {
  auto [flags, data] = parse_options(m.options);
  MountOp op;
  op.target = keep(relative(target));
  op.source = keep(m.source);
  if (m.type == "bind" || (flags & MS_BIND) != 0) {
    // A bind ignores every flag but MS_BIND|MS_REC: read-only etc. need a remount.
    op.flags = MS_BIND | MS_REC;
    unsigned long extra = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (extra != 0) op.remount_flags = extra;
  } else if (m.type == "tmpfs") {
    op.fstype = "tmpfs";
    op.flags = flags | MS_NOSUID | MS_NODEV;
    op.data = keep(data);
  } else if (m.type == "overlay") {
    op.fstype = "overlay";
    op.flags = flags;
    op.data = keep(data);
  } else {
    throw common::Error(common::ErrorKind::kSandbox,
                        "unsupported mount type '" + m.type + "' for " + std::string(target));
  }
  return op;
}

void PlanStorage::add_rootfs(const ProcessSpec& spec) {
  if (plan_.chroot && (!spec.rootfs.empty() || spec.rootfs_dir.empty())) {
    throw common::Error(common::ErrorKind::kSandbox,
                        "chroot isolation needs the root filesystem as a directory");
  }
  if (plan_.chroot) return;  // entered as it is: nothing to mount
  if (spec.rootfs.empty()) {
    if (spec.rootfs_dir.empty()) {
      throw common::Error(common::ErrorKind::kSandbox, "no root filesystem given");
    }
    common::Mount dir{"bind", spec.rootfs_dir.string(), "", {"rbind"}};
    rootfs_.push_back(op_from(dir, ""));
    plan_.rootfs_is_dir = true;
  }
  for (const auto& m : spec.rootfs) {
    if (m.target.empty()) {
      rootfs_.push_back(op_from(m, ""));
    } else {
      extra_.push_back(op_from(m, m.target));
    }
  }
  plan_.rootfs = {rootfs_.data(), rootfs_.size()};
}

void PlanStorage::add_system_mounts(const ProcessSpec& spec) {
  // tmpfs takes size=0 as "no limit": never what a caller of --shm-size meant.
  if (spec.shm_size_bytes == 0) {
    throw common::Error(common::ErrorKind::kSandbox, "/dev/shm size must be above 0 bytes");
  }
  if (plan_.chroot) {
    add_chroot_system_mounts();
  } else {
    add_namespace_system_mounts(spec);
  }
  masked_.assign(std::begin(kMaskedPaths), std::end(kMaskedPaths));
  for (const auto& p : thermal_throttle_paths()) masked_.push_back(p.c_str());
  masked_.push_back(nullptr);
  plan_.masked_paths = masked_.data();
  readonly_.assign(std::begin(kReadonlyPaths), std::end(kReadonlyPaths));
  readonly_.push_back(nullptr);
  plan_.readonly_paths = readonly_.data();
  for (const char* f : {"hosts", "resolv.conf", "hostname"}) {
    etc_.push_back({.source = keep((inputs_.run_dir / f).string()),
                    .target = keep(std::string("etc/") + f),
                    .flags = MS_BIND,
                    .target_is_file = true});
  }
  plan_.etc_files = {etc_.data(), etc_.size()};
}

// No namespace to mount a fresh /proc, devpts or sysfs in: the container's own are bound in
// (Buildah's chroot isolation does the same), /sys read-only and without its submounts (the
// container's cgroupfs stays out; the step's own cgroup is bound as in namespaces mode).
void PlanStorage::add_chroot_system_mounts() {
  system_.push_back({.source = "/proc", .target = "proc", .flags = MS_BIND | MS_REC});
  system_.push_back({.source = "/dev", .target = "dev", .flags = MS_BIND | MS_REC});
  system_.push_back({.source = "/sys",
                     .target = "sys",
                     .flags = MS_BIND,
                     .remount_flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC});
  plan_.system_mounts = {system_.data(), system_.size()};
  symlinks_.push_back(nullptr);  // the container's /dev has its own
  plan_.dev_symlinks = symlinks_.data();
}

void PlanStorage::add_namespace_system_mounts(const ProcessSpec& spec) {
  // /proc first: child.cc mounts system_[0] as its own step.
  system_.push_back({.source = "proc",
                     .target = "proc",
                     .fstype = "proc",
                     .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC});
  system_.push_back({.source = "tmpfs",
                     .target = "dev",
                     .fstype = "tmpfs",
                     // nodev, unlike Docker's: nothing but the binds below opens as a
                     // device here, whatever a step mknods in /dev.
                     .flags = MS_NOSUID | MS_NODEV | MS_STRICTATIME,
                     .data = "mode=755,size=65536k"});
  for (const char* dev : kDevices) {
    system_.push_back({.source = keep(std::string("/dev/") + dev),
                       .target = keep(std::string("dev/") + dev),
                       .flags = MS_BIND,
                       .target_is_file = true,
                       .remount_flags = kDeviceRemount});
  }
  system_.push_back({.source = "devpts",
                     .target = "dev/pts",
                     .fstype = "devpts",
                     .flags = MS_NOSUID | MS_NOEXEC,
                     .data = "newinstance,ptmxmode=0666,mode=0620,gid=5"});
  system_.push_back({.source = "shm",
                     .target = "dev/shm",
                     .fstype = "tmpfs",
                     .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC,
                     .data = keep("mode=1777,size=" + std::to_string(spec.shm_size_bytes))});
  system_.push_back({.source = "mqueue",
                     .target = "dev/mqueue",
                     .fstype = "mqueue",
                     .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC});
  system_.push_back({.source = "sysfs",
                     .target = "sys",
                     .fstype = "sysfs",
                     .flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC});
  plan_.system_mounts = {system_.data(), system_.size()};
  for (const auto& pair : kDevSymlinks) {
    symlinks_.push_back(pair[0]);
    symlinks_.push_back(pair[1]);
  }
  symlinks_.push_back(nullptr);
  plan_.dev_symlinks = symlinks_.data();
}

void PlanStorage::add_cgroup_mounts() {
  for (const auto& m : inputs_.cgroup_view.mounts) cgroup_.push_back(op_from(m, m.target));
  plan_.cgroup_mounts = {cgroup_.data(), cgroup_.size()};
  if (inputs_.cgroup_view.seal_readonly) cgroup_seal_.push_back("sys/fs/cgroup");
  cgroup_seal_.push_back(nullptr);
  plan_.cgroup_seal = cgroup_seal_.data();
}

void PlanStorage::add_extra_mounts(const ProcessSpec& spec) {
  for (const auto& m : spec.mounts) {
    if (m.target.empty() || m.target.front() != '/') {
      throw common::Error(common::ErrorKind::kSandbox,
                          "mount target must be an absolute path: '" + m.target + "'");
    }
    extra_.push_back(op_from(m, m.target));
    // A bind of a single file needs a file to mount on, not a directory.
    struct stat st {};
    if (m.type == "bind" && ::stat(m.source.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      extra_.back().target_is_file = true;
    }
  }
  plan_.extra_mounts = {extra_.data(), extra_.size()};
}

void PlanStorage::add_secrets(const ProcessSpec& spec) {
  for (size_t i = 0; i < spec.secrets.size(); ++i) {
    const SecretFile& s = spec.secrets[i];
    if (s.content.size() > kMaxSecretBytes) {
      throw common::Error(common::ErrorKind::kSandbox,
                          "secret for " + s.target + " is larger than 512 KiB");
    }
    secrets_.push_back(
        {.source = keep((inputs_.run_dir / "secrets" / std::to_string(i)).string()),
         .target = keep(relative(s.target)),
         .flags = MS_BIND,
         .target_is_file = true,
         // An executable "secret" is a RUN heredoc script (/dev/pipes/<name>).
         .remount_flags = MS_RDONLY | MS_NOSUID | MS_NODEV |
                          ((s.mode & 0111) != 0 ? 0UL : static_cast<unsigned long>(MS_NOEXEC)),
         .content = s.content.data(),
         .content_size = s.content.size(),
         .file_mode = s.mode,
         .file_uid = s.uid,
         .file_gid = s.gid});
  }
  plan_.secrets = {secrets_.data(), secrets_.size()};
}

void PlanStorage::add_process(const ProcessSpec& spec) {
  for (const auto& a : spec.args) argv_.push_back(const_cast<char*>(keep(a)));
  argv_.push_back(nullptr);
  const char* path = kDefaultPath;
  for (const auto& e : spec.env) {
    const char* kept = keep(e);
    envp_.push_back(const_cast<char*>(kept));
    if (e.rfind("PATH=", 0) == 0) path = kept + 5;
  }
  envp_.push_back(nullptr);
  plan_.argv = argv_.data();
  plan_.envp = envp_.data();
  plan_.path_search = path;
  std::string cwd = spec.cwd.empty() ? "/" : spec.cwd;
  if (cwd.front() != '/') cwd = "/" + cwd;
  plan_.cwd_absolute = keep(cwd);
  plan_.cwd = keep(relative(cwd));
}

void PlanStorage::add_rlimits(const ProcessSpec& spec) {
  for (const auto& r : spec.rlimits) {
    if (r.soft > r.hard) {
      throw common::Error(common::ErrorKind::kSandbox,
                          "resource limit " + describe(r) + ": soft is above hard");
    }
    rlimits_.push_back({.resource = r.resource, .soft = r.soft, .hard = r.hard});
  }
  plan_.rlimits = {rlimits_.data(), rlimits_.size()};
}

}  // namespace mybuild::sandbox::internal
