// cgroup v1: one directory per hierarchy we use (memory, pids, cpu, cpuacct, devices, and cpuset
// when --cpuset-cpus is given). The child joins by writing "0" to each cgroup.procs before it
// unshares its cgroup namespace. There is no cgroup.kill in v1: the step's processes all live
// in its PID namespace, which dies with its init, and the owner then kills any straggler it
// finds in cgroup.procs before rmdir.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "common/error.h"
#include "common/log.h"
#include "sandbox/cgroup.h"
#include "sandbox/device_rules.h"
#include "sandbox/internal/cgroup_files.h"

namespace mybuild::sandbox {
namespace {

using internal::cgroup_keyed_value;
using internal::cgroup_number;
using internal::read_cgroup_file;
using internal::write_cgroup_file;

class CgroupV1 final : public Cgroup {
 public:
  ~CgroupV1() override {
    kill_all();
    procs_.clear();
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) remove_cgroup_dir(*it);
  }

  void add(const std::string& controller, const std::filesystem::path& dir) {
    if (std::find(dirs_.begin(), dirs_.end(), dir) == dirs_.end()) {
      if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        common::throw_errno("mkdir", dir.string());
      dirs_.push_back(dir);
    }
    by_controller_.emplace_back(controller, dir);
  }

  std::optional<std::filesystem::path> dir_of(const std::string& controller) const {
    for (const auto& [c, d] : by_controller_) {
      if (c == controller) return d;
    }
    return std::nullopt;
  }

  void open_procs() {
    for (const auto& d : dirs_) {
      common::UniqueFd fd(::open((d / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
      if (!fd) common::throw_errno("open", (d / "cgroup.procs").string());
      procs_.push_back(std::move(fd));
    }
  }

  std::vector<int> procs_fds() const override {
    std::vector<int> out;
    for (const auto& fd : procs_) out.push_back(fd.get());
    return out;
  }
  int clone_into_fd() const override { return -1; }
  std::vector<std::filesystem::path> dirs() const override { return dirs_; }
  CgroupMode mode() const override { return CgroupMode::kV1; }
  std::vector<std::pair<std::string, std::filesystem::path>> controller_dirs() const override {
    return by_controller_;
  }

  bool oom_killed() const override {
    auto d = dir_of("memory");
    return d && cgroup_keyed_value(*d, "memory.oom_control", "oom_kill").value_or(0) > 0;
  }
  uint64_t peak_memory() const override {
    auto d = dir_of("memory");
    return d ? cgroup_number(*d, "memory.max_usage_in_bytes").value_or(0) : 0;
  }
  std::optional<std::chrono::microseconds> cpu_time() const override {
    auto d = dir_of("cpuacct");
    if (!d) return std::nullopt;
    auto ns = cgroup_number(*d, "cpuacct.usage");
    if (!ns) return std::nullopt;
    return std::chrono::microseconds(*ns / 1000);
  }
  void kill_all() noexcept override {
    for (const auto& d : dirs_) {
      auto procs = read_cgroup_file(d, "cgroup.procs");
      if (!procs) continue;
      size_t pos = 0;
      while (pos < procs->size()) {
        pid_t pid = static_cast<pid_t>(std::strtol(procs->c_str() + pos, nullptr, 10));
        if (pid > 0) ::kill(pid, SIGKILL);
        pos = procs->find('\n', pos);
        if (pos == std::string::npos) break;
        ++pos;
      }
    }
  }

 private:
  std::vector<std::filesystem::path> dirs_;
  std::vector<std::pair<std::string, std::filesystem::path>> by_controller_;
  std::vector<common::UniqueFd> procs_;
};

std::optional<std::filesystem::path> find(const CgroupProbe& probe, const std::string& c) {
  for (const auto& [name, dir] : probe.dirs) {
    if (name == c) return dir;
  }
  return std::nullopt;
}

// A new v1 devices cgroup inherits its parent's list (usually "a *:* rwm"): empty it, then allow
// Docker's defaults, in the order runc writes them. The kernel refuses (EPERM) to allow what the
// parent does not (mybuild inside a container whose own list is shorter): that device simply
// stays closed, the safe direction, so such a rule is skipped rather than failing the step.
void restrict_devices(const std::filesystem::path& dir) {
  write_cgroup_file(dir, "devices.deny", "a");
  for (const auto& rule : default_device_rules()) {
    try {
      write_cgroup_file(dir, "devices.allow", device_rule_line(rule));
    } catch (const common::Error& e) {
      common::log::debug("devices.allow: " + e.message());
    }
  }
}

}  // namespace

std::unique_ptr<Cgroup> create_cgroup_v1(const CgroupProbe& probe, const std::string& name,
                                         const Limits& limits) {
  auto cg = std::make_unique<CgroupV1>();
  std::string leaf = "mybuild-" + name;
  std::vector<std::string> wanted = {"memory", "pids", "cpu", "cpuacct", "devices"};
  if (!limits.cpuset_cpus.empty()) wanted.push_back("cpuset");
  for (const auto& c : wanted) {
    auto parent = find(probe, c);
    if (!parent) {
      // A limit we were asked for and cannot enforce is an error; accounting is best effort.
      bool needed = (c == "memory" && limits.memory_bytes) || c == "pids" ||
                    (c == "cpu" && limits.cpu_quota_us) || c == "cpuset" || c == "devices";
      if (needed) {
        throw common::Error(common::ErrorKind::kSandbox,
                            "cgroup v1 controller " + c + " is not mounted (run `mybuild doctor`)");
      }
      continue;
    }
    cg->add(c, *parent / leaf);
  }
  if (auto d = cg->dir_of("memory"); d && limits.memory_bytes) {
    std::string bytes = std::to_string(*limits.memory_bytes);
    write_cgroup_file(*d, "memory.limit_in_bytes", bytes);
    // Without this the step swaps instead of being OOM-killed; absent when swap accounting is off.
    if (std::filesystem::exists(*d / "memory.memsw.limit_in_bytes")) {
      write_cgroup_file(*d, "memory.memsw.limit_in_bytes", bytes);
    }
  }
  if (auto d = cg->dir_of("pids"))
    write_cgroup_file(*d, "pids.max", std::to_string(limits.pids_max));
  if (auto d = cg->dir_of("cpu"); d && limits.cpu_quota_us) {
    write_cgroup_file(*d, "cpu.cfs_period_us", std::to_string(limits.cpu_period_us));
    write_cgroup_file(*d, "cpu.cfs_quota_us", std::to_string(*limits.cpu_quota_us));
  }
  if (auto d = cg->dir_of("devices")) restrict_devices(*d);
  if (auto d = cg->dir_of("cpuset")) {
    // A new v1 cpuset starts empty (clone_children is usually 0): give it memory nodes too.
    auto parent_mems = read_cgroup_file(d->parent_path(), "cpuset.mems").value_or("0");
    write_cgroup_file(*d, "cpuset.cpus", limits.cpuset_cpus);
    write_cgroup_file(*d, "cpuset.mems", parent_mems.substr(0, parent_mems.find('\n')));
  }
  cg->open_procs();
  return cg;
}

}  // namespace mybuild::sandbox
