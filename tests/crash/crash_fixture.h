// What the crash suite shares: the build suite's fixture (a root with a busybox base, the real
// binary) plus ways to look for what a mybuild process may leak outside its files: mounts under
// the root, mybuild's cgroup directories, processes whose root is inside the store.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/build/build_fixture.h"

namespace mybuild::crash_testing {

using namespace mybuild::build_testing;

class CrashTest : public BuildTest {
 protected:
  // Mount points at or below the root (/proc/self/mountinfo).
  std::vector<std::string> mounts_under_root() const;
  // Everything leaked: mounts under the root, cgroup directories "mybuild-<pid>-*" of `pids`
  // (in every hierarchy under /sys/fs/cgroup: a step process that outlived mybuild keeps its
  // cgroup, which cannot be removed while it runs), processes whose /proc root link is in the
  // store (seen only for processes not pivoted into their own mount namespace). "" when none.
  std::string leaks(const std::vector<pid_t>& pids) const;
  // `mybuild check`: "" when it exits 0 and says clean, else what it printed.
  std::string check_failure();
  // Starts `mybuild --root ROOT <args>` in the background (its own process group).
  Background start(const std::vector<std::string>& args, RunOptions opts = {});
  // Waits until `path` holds `text` (a progress line) or `seconds` pass; false on timeout.
  static bool wait_for_text(const fs::path& path, const std::string& text, double seconds);
};

}  // namespace mybuild::crash_testing
