// StepWriteback (internal/step_writeback.h).
#include "sandbox/internal/step_writeback.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "common/log.h"
#include "common/unique_fd.h"
#include "sandbox/cgroup.h"
#include "sandbox/internal/cgroup_files.h"
#include "sandbox/spec.h"

namespace mybuild::sandbox::internal {

StepWriteback::StepWriteback(std::function<std::optional<uint64_t>()> dirty,
                             std::function<void()> write_back)
    : dirty_(std::move(dirty)), write_back_(std::move(write_back)), thread_([this] { work(); }) {}

StepWriteback::~StepWriteback() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

int StepWriteback::write_backs() const {
  std::lock_guard lock(mu_);
  return write_backs_;
}

void StepWriteback::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (cv_.wait_for(lock, kPoll, [this] { return stop_; })) return;
    lock.unlock();
    const std::optional<uint64_t> dirty = dirty_();
    const bool due = dirty && *dirty >= kDirtyBytes;
    if (due) write_back_();
    lock.lock();
    if (due) ++write_backs_;
  }
}

namespace {

// The step's dirty page cache: memory.stat's "dirty" (v1) or "file_dirty" (v2).
std::function<std::optional<uint64_t>()> step_dirty_bytes(const Cgroup& cgroup) {
  for (const auto& [controller, dir] : cgroup.controller_dirs()) {
    if (cgroup.mode() == CgroupMode::kV1 && controller == "memory") {
      return [dir] { return cgroup_keyed_value(dir, "memory.stat", "dirty"); };
    }
    if (cgroup.mode() == CgroupMode::kV2) {
      return [dir] { return cgroup_keyed_value(dir, "memory.stat", "file_dirty"); };
    }
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<StepWriteback> start_step_writeback(const ProcessSpec& spec, const Cgroup& cgroup) {
  if (spec.rootfs_dir.empty() || !spec.rootfs.empty()) return nullptr;
  auto dirty = step_dirty_bytes(cgroup);
  if (!dirty) return nullptr;
  auto fd = std::make_shared<common::UniqueFd>(
      ::open(spec.rootfs_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!*fd) {
    common::log::debug("open " + spec.rootfs_dir.string() + ": " + std::strerror(errno) +
                       ": no writeback while the step runs");
    return nullptr;
  }
  // A failed syncfs is not the step's failure: the unmount's syncfs, which makes the snapshot
  // durable, reports what it cannot write; this one only starts that work early.
  auto sync = [fd, path = spec.rootfs_dir] {
    if (::syncfs(fd->get()) != 0)
      common::log::debug("syncfs " + path.string() + ": " + std::strerror(errno));
  };
  try {
    return std::make_unique<StepWriteback>(std::move(dirty), std::move(sync));
  } catch (const std::system_error& e) {
    common::log::debug(std::string("no thread for writeback while the step runs: ") + e.what());
    return nullptr;
  }
}

}  // namespace mybuild::sandbox::internal
