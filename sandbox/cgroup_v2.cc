// cgroup v2: one directory under our own cgroup in the unified hierarchy. The child is born in
// it (clone3 with CLONE_INTO_CGROUP, so not one instruction runs outside the limits), and
// cgroup.kill ends the whole tree at once.
#include "sandbox/internal/cgroup_v2.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "sandbox/cgroup.h"
#include "sandbox/device_filter.h"
#include "sandbox/internal/cgroup_files.h"
#include "sandbox/rootless.h"

namespace mybuild::sandbox {
namespace {

using internal::cgroup_keyed_value;
using internal::cgroup_number;
using internal::write_cgroup_file;

class CgroupV2 final : public Cgroup {
 public:
  explicit CgroupV2(std::filesystem::path dir) : dir_(std::move(dir)) {
    if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST)
      common::throw_errno("mkdir", dir_.string());
    fd_.reset(::open(dir_.c_str(), O_DIRECTORY | O_PATH | O_CLOEXEC));
    if (!fd_) common::throw_errno("open", dir_.string());
  }
  ~CgroupV2() override {
    kill_all();
    fd_.reset();
    remove_cgroup_dir(dir_);
  }
  const std::filesystem::path& dir() const { return dir_; }

  std::vector<int> procs_fds() const override { return {}; }
  int clone_into_fd() const override { return fd_.get(); }
  std::vector<std::filesystem::path> dirs() const override { return {dir_}; }
  CgroupMode mode() const override { return CgroupMode::kV2; }
  std::vector<std::pair<std::string, std::filesystem::path>> controller_dirs() const override {
    return {{"unified", dir_}};
  }
  bool oom_killed() const override {
    return cgroup_keyed_value(dir_, "memory.events", "oom_kill").value_or(0) > 0;
  }
  uint64_t peak_memory() const override { return cgroup_number(dir_, "memory.peak").value_or(0); }
  std::optional<std::chrono::microseconds> cpu_time() const override {
    auto us = cgroup_keyed_value(dir_, "cpu.stat", "usage_usec");
    if (!us) return std::nullopt;
    return std::chrono::microseconds(*us);
  }
  void kill_all() noexcept override {
    try {
      write_cgroup_file(dir_, "cgroup.kill", "1");
    } catch (const common::Error& e) {
      // Kernels before 5.14 have no cgroup.kill; the PID namespace teardown covers them.
      common::log::debug("cgroup.kill: " + e.full_message());
    }
  }

 private:
  std::filesystem::path dir_;
  common::UniqueFd fd_;
};

}  // namespace

namespace internal {

std::unique_ptr<Cgroup> create_cgroup_v2_dir(const std::filesystem::path& parent,
                                             const std::string& name, const Limits& limits) {
  auto cg = std::make_unique<CgroupV2>(parent / ("mybuild-" + name));
  const auto& d = cg->dir();
  if (limits.memory_bytes) {
    write_cgroup_file(d, "memory.max", std::to_string(*limits.memory_bytes));
    if (std::filesystem::exists(d / "memory.swap.max"))
      write_cgroup_file(d, "memory.swap.max", "0");
  }
  write_cgroup_file(d, "pids.max", std::to_string(limits.pids_max));
  if (limits.cpu_quota_us) {
    write_cgroup_file(
        d, "cpu.max",
        std::to_string(*limits.cpu_quota_us) + " " + std::to_string(limits.cpu_period_us));
  }
  if (!limits.cpuset_cpus.empty()) write_cgroup_file(d, "cpuset.cpus", limits.cpuset_cpus);
  return cg;
}

}  // namespace internal

std::unique_ptr<Cgroup> create_cgroup_v2(const CgroupProbe& probe, const std::string& name,
                                         const Limits& limits) {
  auto cg = internal::create_cgroup_v2_dir(probe.dirs.at(0).second, name, limits);
  // Attaching a BPF program needs CAP_SYS_ADMIN in the initial user namespace, which a rootless
  // mybuild never has; there the user namespace itself keeps devices closed (mknod is refused and
  // mounts made in it are nodev), so the step runs without the filter (doctor says so).
  if (!in_user_namespace()) {
    const auto& d = cg->dirs().front();
    common::UniqueFd dir(::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) common::throw_errno("open", d.string());
    attach_device_filter(dir.get(), default_device_rules());
  }
  return cg;
}

}  // namespace mybuild::sandbox
