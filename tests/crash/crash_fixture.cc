#include "tests/crash/crash_fixture.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace mybuild::crash_testing {

std::vector<std::string> CrashTest::mounts_under_root() const {
  std::string prefix = fs::weakly_canonical(root()).string();
  std::vector<std::string> found;
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, dev, rootdir, point;
    fields >> id >> parent >> dev >> rootdir >> point;
    if (point == prefix || point.rfind(prefix + "/", 0) == 0) found.push_back(point);
  }
  return found;
}

std::string CrashTest::leaks(const std::vector<pid_t>& pids) const {
  std::string out;
  for (const auto& m : mounts_under_root()) out += "mount " + m + "\n";
  std::error_code ec;
  for (const auto& hierarchy : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    for (const auto& dir : fs::directory_iterator(hierarchy.path(), ec)) {
      std::string name = dir.path().filename().string();
      for (pid_t pid : pids) {
        if (name.rfind("mybuild-" + std::to_string(pid) + "-", 0) == 0) {
          out += "cgroup " + dir.path().string() + "\n";
        }
      }
    }
  }
  // A step's processes see a rootfs under <root>/snapshots as their "/".
  std::string prefix = fs::weakly_canonical(root()).string() + "/";
  for (const auto& p : fs::directory_iterator("/proc", ec)) {
    std::error_code link_ec;
    fs::path rootlink = fs::read_symlink(p.path() / "root", link_ec);
    if (!link_ec && rootlink.string().rfind(prefix, 0) == 0) {
      out += "process " + p.path().filename().string() + " rooted at " + rootlink.string() + "\n";
    }
  }
  return out;
}

std::string CrashTest::check_failure() {
  Ran r = mybuild({"check"});
  if (r.ok() && r.out.find("clean") != std::string::npos) return "";
  return r.both();
}

Background CrashTest::start(const std::vector<std::string>& args, RunOptions opts) {
  std::vector<std::string> argv = {MYBUILD_BINARY, "--root", root().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  if (opts.cwd.empty()) opts.cwd = work();
  return start_process(argv, opts, work());
}

bool CrashTest::wait_for_text(const fs::path& path, const std::string& text, double seconds) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (read_file(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace mybuild::crash_testing
