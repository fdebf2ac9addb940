// Mount-point stubs of a RUN step: the sandbox needs /dev, /proc, /sys, /etc/hosts,
// /etc/resolv.conf, /etc/hostname and every --mount target to exist in the rootfs, and makes
// them when the image lacks them. Left there they would end up in the step's layer (and, with
// fresh mtimes, break early cut-off). BuildKit's MountStubsCleaner removes them; so do we:
//
//   StubCleaner stubs(rootfs, {"/dev", "/etc/hosts", "/run/secrets/token"});  // before the run
//   ... run ...
//   stubs.clean();             // still mounted: remove what the run created and left empty,
//                              // put the mtimes of the directories that held them back
//   stubs.prune_upper(upper);  // unmounted (overlay): drop the copied-up, now unchanged
//                              // parent directories from the upper dir, so they are no change
//
// The step controls every file these touch: all of it is resolved beneath the root without
// following a symlink (see stubs.cc), never through a path string.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mybuild::builder {

class StubCleaner {
 public:
  StubCleaner(const std::filesystem::path& rootfs, const std::vector<std::string>& paths);
  void clean();
  void prune_upper(const std::filesystem::path& upper) const;

 private:
  // Whether upper/rel is an empty, non-opaque copy-up of a parent recorded before the step.
  bool unchanged_copy_up(int upper_fd, const std::string& rel) const;

  std::filesystem::path rootfs_;
  std::vector<std::string> created_;                          // relative, deepest last
  std::vector<std::pair<std::string, struct stat>> parents_;  // existing dirs and their stat
};

// Cleans the stubs when it goes, whether the run finished or threw; the StubCleaner stays
// shared for prune_upper after the unmount.
class StubCleanup {
 public:
  explicit StubCleanup(std::shared_ptr<StubCleaner> stubs) : stubs_(std::move(stubs)) {}
  ~StubCleanup() { stubs_->clean(); }
  StubCleanup(const StubCleanup&) = delete;
  StubCleanup& operator=(const StubCleanup&) = delete;

 private:
  std::shared_ptr<StubCleaner> stubs_;
};

}  // namespace mybuild::builder
