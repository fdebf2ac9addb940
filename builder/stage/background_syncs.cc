// BackgroundSyncs (background_syncs.h): syncfs(2) of a snapshot's file system, joined later.
#include "builder/stage/background_syncs.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/trace.h"
#include "common/unique_fd.h"

namespace mybuild::builder {

BackgroundSyncs::~BackgroundSyncs() {
  try {
    wait_all();
  } catch (const std::exception& e) {
    common::log::warn(std::string("a snapshot's files may not be on the disk yet: ") + e.what());
  }
}

void BackgroundSyncs::start(const std::filesystem::path& dir) {
  common::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) common::throw_errno("open", dir.string());
  auto sync = [fd = std::move(fd), dir] {
    common::TraceSpan span("sync the snapshot's files (beside the build)");
    if (::syncfs(fd.get()) != 0) common::throw_errno("syncfs", dir.string());
  };
  std::lock_guard lock(mu_);
  pending_.push_back(std::async(std::launch::async, std::move(sync)));
}

void BackgroundSyncs::wait_all() {
  std::vector<std::future<void>> pending;
  {
    std::lock_guard lock(mu_);
    pending.swap(pending_);
  }
  if (pending.empty()) return;
  common::TraceSpan span("wait for the snapshots' syncs");
  std::exception_ptr first;
  for (auto& p : pending) {
    try {
      p.get();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

}  // namespace mybuild::builder
