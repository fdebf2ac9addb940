// The scratch directories of the two tar fuzz targets (snapshot_layer, builder_context_tar).
// Each input is extracted into <base>/p/root; afterwards <base> must hold only `p`, `p` only
// `root`, and `/` the same names as before: an archive that wrote anything outside the root
// it was given (through "..", an absolute name, a symlink or a hard link) is a finding, and
// the target traps. The base is on /dev/shm when there is one (tmpfs keeps each input cheap)
// and is removed when the process exits.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <system_error>

#include "common/temp_dir.h"

namespace mybuild::fuzz {

class ScratchRoot {
 public:
  ScratchRoot()
      : base_("mybuild-fuzz-", std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : ""),
        root_(base_.path() / "p" / "root"),
        top_(names("/")) {
    std::filesystem::create_directories(root_);
  }

  // The empty <base>/p/root (check_and_clear leaves it so).
  const std::filesystem::path& fresh() const { return root_; }
  const std::filesystem::path& root() const { return root_; }

  // Traps when anything landed outside root(), then empties it.
  void check_and_clear() {
    if (names(base_.path()) != std::set<std::string>{"p"}) __builtin_trap();
    if (names(root_.parent_path()) != std::set<std::string>{"root"}) __builtin_trap();
    if (names("/") != top_) __builtin_trap();
    clear();
  }

 private:
  static std::set<std::string> names(const std::filesystem::path& dir) {
    std::set<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      out.insert(e.path().filename().string());
    }
    return out;
  }
  // Recreates the root rather than emptying it: an archive may have changed the root's own
  // mode, owner or times, and the next input must not inherit them. Most inputs are refused
  // before anything is written, and an empty root costs one rmdir and one mkdir.
  void clear() {
    if (::rmdir(root_.c_str()) != 0) {
      // An archive may leave directories without write or search permission; root can still
      // remove them, which is how the fuzzers run (see tools/run_fuzz.sh).
      std::error_code ec;
      std::filesystem::remove_all(root_, ec);
      if (ec) __builtin_trap();
    }
    if (::mkdir(root_.c_str(), 0755) != 0) __builtin_trap();
  }

  common::TempDir base_;
  std::filesystem::path root_;
  std::set<std::string> top_;
};

}  // namespace mybuild::fuzz
