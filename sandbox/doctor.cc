#include "sandbox/doctor.h"

#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/temp_dir.h"
#include "sandbox/cgroup.h"
#include "sandbox/device_filter.h"
#include "sandbox/device_rules.h"
#include "sandbox/emulation.h"
#include "sandbox/idmap.h"
#include "sandbox/isolation.h"
#include "sandbox/rootless.h"

namespace mybuild::sandbox {
namespace {

using State = DoctorCheck::State;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool write_text(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

// Tries an overlay mount on dirs in a temp dir, in a child (with a user namespace when
// `in_userns`), so the probe leaves no mount behind whatever happens. Returns 0 or errno.
int try_overlay(bool in_userns) {
  common::TempDir dir("mybuild-doctor-");
  for (const char* d : {"lower", "upper", "work", "merged"}) {
    std::filesystem::create_directory(dir.path() / d);
  }
  std::string data = "lowerdir=" + (dir.path() / "lower").string() +
                     ",upperdir=" + (dir.path() / "upper").string() +
                     ",workdir=" + (dir.path() / "work").string();
  std::string target = (dir.path() / "merged").string();
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  pid_t pid = ::fork();
  if (pid < 0) return errno;
  if (pid == 0) {
    int flags = CLONE_NEWNS | (in_userns ? CLONE_NEWUSER : 0);
    if (::unshare(flags) != 0) ::_exit(errno);
    if (in_userns && (!write_text("/proc/self/setgroups", "deny") ||
                      !write_text("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
                      !write_text("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))) {
      ::_exit(errno != 0 ? errno : EPERM);
    }
    ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
    if (::mount("overlay", target.c_str(), "overlay", 0, data.c_str()) != 0) ::_exit(errno);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  // overlay leaves work/work with mode 0; unprivileged, TempDir could not remove it otherwise.
  ::chmod((dir.path() / "work/work").c_str(), 0700);
  return WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
}

DoctorCheck check_overlay() {
  DoctorCheck c{"overlayfs"};
  if (::geteuid() != 0) {
    // Unprivileged, only a user namespace may mount overlay; rootless mybuild works in one
    // (the next check tries exactly that).
    c.detail = "mounted by a rootless mybuild inside its user namespace (see user namespaces)";
    return c;
  }
  if (read_text("/proc/filesystems").find("overlay") == std::string::npos) {
    // Not loaded yet is common; a mount attempt loads it when the module exists.
  }
  int rc = try_overlay(false);
  if (rc == 0) {
    c.detail = "overlay mounts work";
  } else {
    c.state = State::kMissing;
    c.detail = std::string("overlay mount failed: ") + std::strerror(rc);
    c.fix = "modprobe overlay  (mybuild falls back to copying snapshots, which is slower)";
  }
  return c;
}

DoctorCheck check_userns() {
  DoctorCheck c{"user namespaces"};
  std::string max = read_text("/proc/sys/user/max_user_namespaces");
  if (!max.empty() && std::stol(max) == 0) {
    c.state = State::kMissing;
    c.detail = "user.max_user_namespaces is 0";
    c.fix = "sysctl -w user.max_user_namespaces=15000";
    return c;
  }
  std::string restrict_apparmor =
      read_text("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(::unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
  int status = 0;
  ::waitpid(pid, &status, 0);
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
  if (rc != 0) {
    c.state = State::kMissing;
    c.detail = std::string("unshare(CLONE_NEWUSER): ") + std::strerror(rc);
    c.fix = !restrict_apparmor.empty() && restrict_apparmor[0] == '1'
                ? "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"
                : "sysctl -w kernel.unprivileged_userns_clone=1  (Debian kernels before 6.x)";
    return c;
  }
  c.detail = "creating a user namespace works";
  int overlay = try_overlay(true);
  if (overlay == 0) {
    c.detail += "; overlay mounts inside one work (kernel >= 5.11)";
  } else {
    c.state = State::kWarning;
    c.detail += std::string("; overlay inside one fails: ") + std::strerror(overlay);
    c.fix =
        "rootless builds need Linux >= 5.11 for overlay in a user namespace "
        "(or fuse-overlayfs); mybuild falls back to copying";
  }
  return c;
}

// What the rootless bootstrap meets: sandbox/cgroup.cc then runs steps without a cgroup and
// warns at the first RUN; not fatal, so a warning here too.
void note_rootless_cgroups(const CgroupProbe& probe, DoctorCheck& c) {
  std::string fix =
      probe.mode == CgroupMode::kV2
          ? "systemd-run --user --scope -p Delegate=yes mybuild ...  (delegates memory, pids and "
            "cpu to your user)"
          : "cgroup v1 cannot be delegated to a user: boot with "
            "systemd.unified_cgroup_hierarchy=1 and delegate memory, pids and cpu to your user";
  std::string effect =
      ": rootless RUN steps run without a cgroup, so --memory, --cpus, --cpuset-cpus and "
      "--pids-limit are not applied";
  if (probe.mode == CgroupMode::kNone) {
    c.state = State::kWarning;
    c.detail += effect;
    c.fix = fix;
    return;
  }
  for (const auto& [controller, dir] : probe.dirs) {
    if (::access(dir.c_str(), W_OK) == 0) continue;
    c.state = State::kWarning;
    c.detail += "; " + dir.string() + " is not writable by you" + effect;
    c.fix = fix;
    return;
  }
}

DoctorCheck check_cgroups() {
  DoctorCheck c{"cgroups"};
  CgroupProbe probe = probe_cgroups();
  std::string controllers;
  for (const auto& name : probe.controllers) controllers += (controllers.empty() ? "" : " ") + name;
  switch (probe.mode) {
    case CgroupMode::kV2:
      c.detail = "cgroup v2 at " + probe.dirs.front().second.string() +
                 ", delegated controllers: " + controllers;
      break;
    case CgroupMode::kV1:
      c.detail = "cgroup v1 (hybrid or legacy host), controllers: " + controllers;
      c.state = State::kWarning;
      c.fix = "works; for cgroup v2 boot with systemd.unified_cgroup_hierarchy=1";
      break;
    case CgroupMode::kNone:
      c.state = State::kMissing;
      c.detail = "no cgroup hierarchy usable from this process";
      c.fix = ::geteuid() == 0
                  ? "mount -t cgroup2 none /sys/fs/cgroup"
                  : "systemd-run --user --scope -p Delegate=yes mybuild ...  (delegates memory, "
                    "pids and cpu to your user)";
      break;
  }
  if (::geteuid() != 0) note_rootless_cgroups(probe, c);
  return c;
}

std::string device_rules_text() {
  std::string out;
  for (const auto& r : default_device_rules())
    out += (out.empty() ? "" : ", ") + device_rule_line(r);
  return out;
}

// The device policy RUN steps get (device_rules.h): which mechanism enforces it here, or why
// none does.
DoctorCheck check_device_policy() {
  DoctorCheck c{"device policy"};
  if (::geteuid() != 0 || in_user_namespace()) {
    c.detail =
        "none (rootless: no device cgroup can be written from a user namespace); the user "
        "namespace itself refuses mknod and opening device nodes on the mounts it makes";
    return c;
  }
  CgroupProbe probe = probe_cgroups();
  std::string allow = "deny all but Docker's defaults (" + device_rules_text() + ")";
  if (probe.mode == CgroupMode::kV1) {
    for (const auto& [controller, dir] : probe.dirs) {
      if (controller != "devices") continue;
      c.detail = "cgroup v1 devices controller at " + dir.string() + ": " + allow;
      return c;
    }
    c.state = State::kMissing;
    c.detail = "none: cgroup v1 without a devices controller (RUN steps refuse to start)";
    c.fix =
        "mkdir -p /sys/fs/cgroup/devices && mount -t cgroup -o devices cgroup "
        "/sys/fs/cgroup/devices";
    return c;
  }
  if (probe.mode == CgroupMode::kNone) {
    c.state = State::kMissing;
    c.detail = "none: no usable cgroup hierarchy (RUN steps refuse to start)";
    c.fix = "mount -t cgroup2 none /sys/fs/cgroup";
    return c;
  }
  try {
    load_device_filter(build_device_filter(default_device_rules()));  // what each step attaches
    c.detail = "cgroup v2 BPF_PROG_TYPE_CGROUP_DEVICE program on each step's cgroup: " + allow;
  } catch (const std::exception& e) {
    c.state = State::kMissing;
    c.detail = std::string("none: ") + e.what() + " (RUN steps refuse to start)";
    c.fix = "a kernel built with CONFIG_CGROUP_BPF=y and CONFIG_BPF_SYSCALL=y";
  }
  return c;
}

std::string user_name() {
  const char* sudo = std::getenv("SUDO_USER");
  if (sudo != nullptr && *sudo != '\0') return sudo;
  passwd* pw = ::getpwuid(::getuid());
  return pw != nullptr ? pw->pw_name : std::to_string(::getuid());
}

DoctorCheck check_subid(const char* file) {
  std::string name = user_name();
  DoctorCheck c{std::string(file)};
  passwd* pw = ::getpwnam(name.c_str());
  uint32_t uid = pw != nullptr ? pw->pw_uid : ::getuid();
  uint64_t total = 0;
  for (const auto& r : read_subid(file, name, uid)) total += r.count;
  if (total >= 65536) {
    c.detail = std::to_string(total) + " ids for " + name;
  } else {
    // Only rootless builds need subordinate ids; root runs without a user namespace. Without
    // them a rootless mybuild maps only the user (sandbox/rootless.cc says so at every start).
    bool rootless = ::geteuid() != 0 || std::getenv("SUDO_USER") != nullptr;
    c.state = rootless ? State::kMissing : State::kWarning;
    c.detail = total == 0 ? "no range for " + name
                          : std::to_string(total) + " ids for " + name + " (65536 needed)";
    if (!rootless) c.detail += " (needed only for rootless builds)";
    c.fix = subid_fix(name);
  }
  return c;
}

DoctorCheck check_newuidmap() {
  DoctorCheck c{"newuidmap/newgidmap"};
  for (const char* tool : {"/usr/bin/newuidmap", "/usr/bin/newgidmap"}) {
    struct stat st {};
    if (::stat(tool, &st) != 0) {
      c.state = State::kMissing;
      c.detail = std::string(tool) + " not found (rootless mybuild then maps only your own id)";
      c.fix = "apt-get install uidmap";
      return c;
    }
    // The tools act for an unprivileged caller only when setuid root (Debian's) or given
    // cap_setuid/cap_setgid as file capabilities (some distributions); the latter we cannot
    // tell from a stat, so only "no setuid bit, no security.capability" is reported.
    char cap[64];
    if ((st.st_mode & S_ISUID) == 0 && st.st_uid == 0 &&
        ::getxattr(tool, "security.capability", cap, sizeof(cap)) < 0) {
      c.state = State::kMissing;
      c.detail = std::string(tool) + " is neither setuid root nor has file capabilities";
      c.fix =
          std::string("chmod u+s ") + tool + "  (or reinstall: apt-get install --reinstall uidmap)";
      return c;
    }
  }
  c.detail = "present (Debian uidmap)";
  return c;
}

DoctorCheck check_seccomp() {
  DoctorCheck c{"seccomp"};
  if (::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 ||
      read_text("/proc/self/status").find("Seccomp_filters") == std::string::npos) {
    c.state = State::kMissing;
    c.detail = "the kernel has no seccomp filter support";
    c.fix = "use a kernel built with CONFIG_SECCOMP_FILTER=y";
    return c;
  }
  c.detail = "seccomp filters supported";
  return c;
}

// The platforms a static QEMU emulator on PATH runs where no handler does (how_to_run's
// fallback), as ", linux/arm64 (/usr/bin/qemu-aarch64-static)"; `listed` gains them.
std::string static_emulator_platforms(std::set<std::string>& listed) {
  const char* search = std::getenv("PATH");
  for (const auto& p : native_platforms()) listed.insert(p.str());
  std::string out;
  for (const char* name :
       {"linux/arm64", "linux/arm/v7", "linux/amd64", "linux/386", "linux/ppc64le", "linux/s390x",
        "linux/riscv64", "linux/mips64le", "linux/loong64"}) {
    const common::Platform p = common::Platform::parse(name);
    if (listed.count(p.str())) continue;
    auto emulator = find_static_emulator(p, search ? search : "");
    if (emulator && listed.insert(p.str()).second) {
      out += ", " + p.str() + " (" + emulator->string() + ")";
    }
  }
  return out;
}

// The platforms a RUN step can be for: the host's, each one an enabled binfmt_misc handler
// with the F flag emulates, and those a static emulator on PATH runs (sandbox/emulation.h).
DoctorCheck check_binfmt() {
  DoctorCheck c{"platforms (RUN for other platforms)"};
  std::string runs;
  for (const auto& p : native_platforms()) runs += (runs.empty() ? "" : ", ") + p.str();
  int emulated = 0;
  std::string unusable;
  std::set<std::string> listed;
  for (const auto& e : registered_emulators(binfmt_dir())) {
    if (e.enabled && e.fix_binary) {
      if (listed.insert(e.platform.str()).second) {
        runs += ", " + e.platform.str() + " (" + e.name + ")";
      }
      ++emulated;
    } else {
      unusable += " " + e.name + (e.enabled ? " (no F flag)" : " (disabled)");
    }
  }
  const std::string fallback = static_emulator_platforms(listed);
  c.detail = "runs " + runs;
  if (!unusable.empty()) c.detail += "; unusable handlers:" + unusable;
  if (!fallback.empty()) c.detail += "; through a static emulator on PATH:" + fallback.substr(1);
  if (emulated > 0 || !fallback.empty()) return c;
  c.state = State::kWarning;
  if (!std::filesystem::exists(binfmt_dir() / "status")) {
    c.detail += "; binfmt_misc is not mounted";
    c.fix =
        "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; "
        "apt-get install qemu-user-static binfmt-support";
  } else {
    c.fix = "apt-get install qemu-user-static binfmt-support (registers QEMU with the F flag)";
  }
  return c;
}

// What --isolation=auto picks here (builder/isolation.h), from the same probe.
DoctorCheck check_isolation() {
  DoctorCheck c{"isolation (--isolation=auto)"};
  IsolationProbe probe = probe_isolation();
  if (!probe.namespaces_error) {
    c.detail = in_user_namespace() ? "rootless: the sandbox's namespaces inside a user namespace"
                                   : "namespaces: mount, PID, UTS, IPC, cgroup, network";
    return c;
  }
  c.state = State::kWarning;
  c.detail = "chroot: no new namespaces allowed (" + *probe.namespaces_error + ")";
  c.detail += probe.bind_error ? "; no mounts (" + *probe.bind_error + ")"
                               : "; the container's /proc, /dev, /sys bound in";
  if (probe.chroot_error) {
    c.state = State::kMissing;
    c.detail += "; and " + *probe.chroot_error + ": RUN steps cannot run";
  }
  c.fix =
      "in chroot mode the container is the security boundary; for namespaces give the container "
      "user namespaces (podman, hostUsers: false) or CAP_SYS_ADMIN with an unconfined seccomp "
      "profile";
  return c;
}

}  // namespace

std::vector<DoctorCheck> run_doctor() {
  std::vector<DoctorCheck> checks;
  auto guarded = [&](const char* name, DoctorCheck (*probe)()) {
    try {
      checks.push_back(probe());
    } catch (const std::exception& e) {
      checks.push_back({name, State::kMissing, std::string("probe failed: ") + e.what(), ""});
    }
  };
  guarded("overlayfs", check_overlay);
  guarded("user namespaces", check_userns);
  guarded("cgroups", check_cgroups);
  guarded("device policy", check_device_policy);
  guarded("/etc/subuid", [] { return check_subid("/etc/subuid"); });
  guarded("/etc/subgid", [] { return check_subid("/etc/subgid"); });
  guarded("newuidmap/newgidmap", check_newuidmap);
  guarded("seccomp", check_seccomp);
  guarded("binfmt_misc", check_binfmt);
  guarded("RUN network", check_network);
  guarded("isolation", check_isolation);
  return checks;
}

}  // namespace mybuild::sandbox
