// Probing which cgroup hierarchy to use, and removing cgroup directories; the per-version
// details are in cgroup_v1.cc and cgroup_v2.cc.
#include "sandbox/cgroup.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "common/io.h"
#include "common/log.h"
#include "sandbox/rootless.h"

namespace mybuild::sandbox {
namespace {

std::vector<std::string> split_words(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string word;
  while (std::getline(in, word, sep)) {
    if (!word.empty()) out.push_back(word);
  }
  return out;
}

struct CgroupMountPoint {
  std::string fstype;
  std::filesystem::path dir;
  std::vector<std::string> options;  // super options: the v1 controllers
};

std::vector<CgroupMountPoint> cgroup_mounts(const std::string& mountinfo,
                                            const std::filesystem::path& root) {
  std::vector<CgroupMountPoint> out;
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    // "36 25 0:31 / /sys/fs/cgroup/memory rw,relatime shared:15 - cgroup cgroup rw,memory"
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    auto before = split_words(line.substr(0, dash), ' ');
    auto after = split_words(line.substr(dash + 3), ' ');
    if (before.size() < 5 || after.size() < 3) continue;
    if (after[0] != "cgroup" && after[0] != "cgroup2") continue;
    if (before[3] != "/") continue;  // a bind of a sub-cgroup: not a hierarchy root
    out.push_back({after[0], root / std::filesystem::path(before[4]).relative_path(),
                   split_words(after[2], ',')});
  }
  return out;
}

// Rootless without a writable (delegated) hierarchy: the step runs in the cgroup mybuild is in.
// Its PID namespace still ends every process with PID 1; only limits and accounting are lost,
// and the caller is told so once (never a silent limit).
class NoCgroup final : public Cgroup {
 public:
  std::vector<int> procs_fds() const override { return {}; }
  int clone_into_fd() const override { return -1; }
  std::vector<std::filesystem::path> dirs() const override { return {}; }
  bool oom_killed() const override { return false; }
  uint64_t peak_memory() const override { return 0; }
  std::optional<std::chrono::microseconds> cpu_time() const override { return std::nullopt; }
  void kill_all() noexcept override {}
  CgroupMode mode() const override { return CgroupMode::kNone; }
  std::vector<std::pair<std::string, std::filesystem::path>> controller_dirs() const override {
    return {};
  }
};

void warn_no_cgroup(const CgroupProbe& probe, const std::string& why) {
  static std::once_flag once;
  std::call_once(once, [&] {
    if (!in_user_namespace()) {
      common::log::warn("no cgroup for RUN steps (" + why +
                        "): --memory, --cpus, --cpuset-cpus and --pids-limit are NOT applied, "
                        "peak memory is not measured, and a process that leaves the step's "
                        "process group is not killed with it; the container's own limits apply");
      return;
    }
    std::string how =
        probe.mode == CgroupMode::kV2
            ? "delegate memory, pids and cpu to your user (systemd-run --user --scope -p "
              "Delegate=yes mybuild ...)"
            : "cgroup v1 cannot be delegated to a user: boot with "
              "systemd.unified_cgroup_hierarchy=1 and delegate memory, pids and cpu to your user";
    common::log::warn("rootless: no cgroup for RUN steps (" + why +
                      "): --memory, --cpus, --cpuset-cpus and --pids-limit are NOT applied and "
                      "peak memory is not measured; to apply them, " +
                      how);
  });
}

}  // namespace

CgroupProbe probe_cgroups() {
  CgroupSources sources;
  // Unreadable (no /proc): empty texts, which probe to kNone and the caller reports it.
  for (auto [file, text] : {std::pair{"/proc/self/mountinfo", &sources.mountinfo},
                            std::pair{"/proc/self/cgroup", &sources.self_cgroup}}) {
    try {
      *text = common::read_file(file, 16 << 20);
    } catch (const common::Error& e) {
      common::log::debug("cgroup probe: " + e.full_message());
    }
  }
  return probe_cgroups(sources);
}

CgroupProbe probe_cgroups(const CgroupSources& sources) {
  CgroupProbe probe;
  auto mounts = cgroup_mounts(sources.mountinfo, sources.root);
  std::istringstream in(sources.self_cgroup);
  std::string line;
  std::optional<std::filesystem::path> unified_dir;
  std::vector<std::pair<std::string, std::filesystem::path>> v1;
  while (std::getline(in, line)) {
    // "4:memory:/a/b", "0::/a/b"
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    std::filesystem::path rel = std::filesystem::path(path).relative_path();
    for (const auto& m : mounts) {
      // The root cgroup ("/") is the mount point itself, without a trailing '/'.
      const std::filesystem::path dir = rel.empty() ? m.dir : m.dir / rel;
      if (controllers.empty() && m.fstype == "cgroup2") unified_dir = dir;
      if (controllers.empty() || m.fstype != "cgroup") continue;
      for (const auto& c : split_words(controllers, ',')) {
        if (c.rfind("name=", 0) == 0) continue;
        bool mounted_here = false;
        for (const auto& o : m.options) mounted_here = mounted_here || o == c;
        if (mounted_here) v1.emplace_back(c, dir);
      }
    }
  }
  if (unified_dir) {
    // Usable on v2 when our cgroup delegates memory and pids to children.
    std::string sub;
    try {
      sub = common::read_file(*unified_dir / "cgroup.subtree_control", 4096);
    } catch (const common::Error& e) {
      // Unreadable means nothing is delegated to us: the limits are reported unavailable.
      common::log::debug("cgroup v2 not usable: " + e.full_message());
    }
    auto enabled = split_words(sub.substr(0, sub.find('\n')), ' ');
    auto has = [&](const char* c) {
      for (const auto& e : enabled) {
        if (e == c) return true;
      }
      return false;
    };
    if (has("memory") && has("pids")) {
      probe.mode = CgroupMode::kV2;
      probe.dirs.emplace_back("unified", *unified_dir);
      probe.controllers = enabled;
      return probe;
    }
  }
  if (!v1.empty()) {
    probe.mode = CgroupMode::kV1;
    probe.dirs = v1;
    for (const auto& [c, dir] : v1) probe.controllers.push_back(c);
  }
  return probe;
}

std::unique_ptr<Cgroup> Cgroup::create(const CgroupProbe& probe, const std::string& name,
                                       const Limits& limits, bool best_effort) {
  const bool optional = best_effort || in_user_namespace();
  try {
    switch (probe.mode) {
      case CgroupMode::kV2:
        return create_cgroup_v2(probe, name, limits);
      case CgroupMode::kV1:
        return create_cgroup_v1(probe, name, limits);
      case CgroupMode::kNone:
        break;
    }
  } catch (const common::Error& e) {
    // As real root a cgroup that cannot be made is an error; rootless it is the usual case.
    if (!optional) throw;
    warn_no_cgroup(probe, e.message());
    return std::make_unique<NoCgroup>();
  }
  if (optional) {
    warn_no_cgroup(probe, "no cgroup hierarchy is usable");
    return std::make_unique<NoCgroup>();
  }
  throw common::Error(common::ErrorKind::kSandbox,
                      "no usable cgroup hierarchy (run `mybuild doctor`)");
}

bool remove_cgroup_dir(const std::filesystem::path& dir) noexcept {
  // The step's PID namespace is gone by now, so this is normally one rmdir; the loop covers a
  // tree that is still exiting (the kernel frees a dying task's cgroup a moment later).
  for (int attempt = 0; attempt < 400; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return true;
    if (errno != EBUSY) break;
    std::ifstream procs(dir / "cgroup.procs");
    pid_t pid;
    while (procs >> pid) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  common::log::warn("rmdir " + dir.string() + ": " + std::strerror(errno));
  return false;
}

}  // namespace mybuild::sandbox
