// One cgroup per step, created under the cgroup mybuild itself runs in (never anywhere else),
// limited as the spec says, and removed when the owner is destroyed: the owner kills whatever is
// still inside, waits for it to be empty, and rmdirs it (STYLE.md §3, sandbox::Cgroup).
//
// Which hierarchy is picked by probing (cgroup_mode()), not configured: v2 when the unified
// hierarchy delegates memory and pids to our cgroup, v1 otherwise (hybrid hosts such as the
// development machine, where memory, cpu, cpuset and pids are v1 controllers).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "sandbox/spec.h"

namespace mybuild::sandbox {

enum class CgroupMode { kV2, kV1, kNone };

struct CgroupProbe {
  CgroupMode mode = CgroupMode::kNone;
  // v1: controller -> hierarchy directory of our own cgroup ("/sys/fs/cgroup/memory/a/b").
  // v2: one entry, "unified", our cgroup's directory.
  std::vector<std::pair<std::string, std::filesystem::path>> dirs;
  std::vector<std::string> controllers;  // usable (delegated) controllers
};

// What probing reads: the kernel's own files, or (tests) a tree laid out in a tmpfs.
struct CgroupSources {
  std::string mountinfo;    // the text of /proc/self/mountinfo
  std::string self_cgroup;  // the text of /proc/self/cgroup
  // Mount points named in mountinfo are looked up under this directory ("/" for the real ones).
  std::filesystem::path root = "/";
};

// Reads /proc/self/mountinfo and /proc/self/cgroup.
CgroupProbe probe_cgroups();
// The same decision from given texts: v2 when our unified cgroup's cgroup.subtree_control (read
// under sources.root) delegates memory and pids, else v1 when a v1 controller is mounted.
CgroupProbe probe_cgroups(const CgroupSources& sources);

class Cgroup {
 public:
  virtual ~Cgroup() = default;

  // Creates "mybuild-<name>" under our cgroup in every used hierarchy and applies limits.
  // Throws Error(kSandbox) naming the file that could not be written, unless `best_effort`
  // (chroot isolation, where a container's cgroupfs is usually read-only) or rootless: then a
  // cgroup that cannot be made is a warning (once) and a step without one.
  static std::unique_ptr<Cgroup> create(const CgroupProbe& probe, const std::string& name,
                                        const Limits& limits, bool best_effort = false);

  // v1: descriptors of each hierarchy's cgroup.procs, for the child to write "0" into.
  virtual std::vector<int> procs_fds() const = 0;
  // v2: a directory descriptor for clone3(CLONE_INTO_CGROUP); -1 for v1.
  virtual int clone_into_fd() const = 0;
  // Every directory created, for the leak records.
  virtual std::vector<std::filesystem::path> dirs() const = 0;
  // Which hierarchy the directories are in, and each one's controller (v1: "memory", ...; v2:
  // one "unified" entry); empty for no cgroup. What the step sees at /sys/fs/cgroup.
  virtual CgroupMode mode() const = 0;
  virtual std::vector<std::pair<std::string, std::filesystem::path>> controller_dirs() const = 0;

  virtual bool oom_killed() const = 0;
  virtual uint64_t peak_memory() const = 0;
  virtual std::optional<std::chrono::microseconds> cpu_time() const = 0;
  // Kills every process left inside (noexcept: used by destructors).
  virtual void kill_all() noexcept = 0;
};

// Removes one leftover cgroup directory: kill what is inside, wait until empty, rmdir.
// Returns false (and logs) when it could not.
bool remove_cgroup_dir(const std::filesystem::path& dir) noexcept;

std::unique_ptr<Cgroup> create_cgroup_v1(const CgroupProbe& probe, const std::string& name,
                                         const Limits& limits);
std::unique_ptr<Cgroup> create_cgroup_v2(const CgroupProbe& probe, const std::string& name,
                                         const Limits& limits);

}  // namespace mybuild::sandbox
