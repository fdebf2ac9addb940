// Leak tests (issue 6): 200 steps (succeeding, failing, timed out, OOM-killed, failing setup,
// cancelled) leave mountinfo, the cgroup tree, the process table and the state directory as
// they were; and after a kill -9 of the process running a step, the next start cleans up.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/temp_dir.h"
#include "sandbox/cgroup.h"
#include "sandbox/records.h"
#include "sandbox/run.h"
#include "tests/sandbox/fixture.h"

namespace mybuild::sandbox {
namespace {

struct HostState {
  std::vector<std::string> mounts;  // mountinfo lines naming our rootfs or state dir
  std::set<std::string> cgroups;    // mybuild-* directories under our cgroups
  std::vector<pid_t> children;      // processes whose parent is this test
  std::vector<std::string> runs;    // run records in the state dir
  int proc_mounts = 0;              // our proc/devpts/mqueue mounts in the host namespace

  friend bool operator==(const HostState&, const HostState&) = default;
  friend std::ostream& operator<<(std::ostream& out, const HostState& s) {
    out << "{mounts:";
    for (const auto& m : s.mounts) out << " [" << m << "]";
    out << " cgroups:";
    for (const auto& c : s.cgroups) out << " " << c;
    out << " children:";
    for (pid_t p : s.children) out << " " << p;
    out << " runs:";
    for (const auto& r : s.runs) out << " " << r;
    return out << " proc_mounts: " << s.proc_mounts << "}";
  }
};

// Cgroups of runs started by `owners` (run ids begin with the pid): concurrent tests of other
// processes come and go.
HostState snapshot(const std::filesystem::path& rootfs, const std::filesystem::path& state,
                   const std::vector<pid_t>& owners = {::getpid()}) {
  HostState s;
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    if (line.find(rootfs.string()) != std::string::npos ||
        line.find(state.string()) != std::string::npos) {
      s.mounts.push_back(line);
    }
    // Only ours: other suites running at the same time (podman, buildah) mount proc in the
    // host namespace too, at paths of their own.
    bool kernel_fs = line.find(" - proc ") != std::string::npos ||
                     line.find(" - devpts ") != std::string::npos ||
                     line.find(" - mqueue ") != std::string::npos;
    if (kernel_fs && line.find("mybuild") != std::string::npos) ++s.proc_mounts;
  }
  for (const auto& [controller, dir] : probe_cgroups().dirs) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      for (pid_t owner : owners) {
        std::string prefix = "mybuild-" + std::to_string(owner) + "-";
        if (e.path().filename().string().rfind(prefix, 0) == 0) s.cgroups.insert(e.path());
      }
    }
  }
  pid_t self = ::getpid();
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (!std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::ifstream stat(e.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    char state_char;
    pid_t ppid = 0;
    std::istringstream(text.substr(close + 2)) >> state_char >> ppid;
    if (ppid == self) s.children.push_back(std::stoi(name));
  }
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(state, ec)) {
    s.runs.push_back(e.path().filename());
  }
  return s;
}

class LeakTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    if (IsSkipped()) return;
    // Orphans of a step would be reparented to us and show up as our children.
    ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
    state_.emplace("mybuild-state-");
    state_dir_ = state_->path();
  }
  std::optional<common::TempDir> state_;
};

TEST_F(LeakTest, TwoHundredStepsLeaveNothingBehind) {
  std::filesystem::path state = spec("").state_dir;
  clean_stale_runs(state);
  HostState before = snapshot(rootfs_->path(), state);
  int failed = 0, timed_out = 0, oom = 0, setup_errors = 0, cancelled = 0, ok = 0;
  for (int i = 0; i < 200; ++i) {
    ProcessSpec s = spec("true");
    s.args = {"/bin/true"};
    if (i % 10 == 1) s.args = {"/bin/false"};
    if (i % 20 == 2) {
      s = spec("sleep 10 & sleep 10");
      s.timeout = std::chrono::milliseconds(50);
    }
    if (i % 40 == 3) {
      s = spec("dd if=/dev/zero of=/dev/null bs=64M count=1");
      s.limits.memory_bytes = 16ull << 20;
    }
    if (i % 20 == 4) s.args = {"/no/such/binary"};
    if (i % 40 == 5) s.network = NetworkMode::kNone;
    common::CancelToken cancel;
    if (i % 40 == 6) {
      s = spec("sleep 10");
      cancel.cancel();  // already cancelled: nothing may start
    }
    common::NullWriter out;
    try {
      ExitStatus r = run(s, cancel, out);
      if (r.oom_killed) {
        ++oom;
      } else if (r.timed_out) {
        ++timed_out;
      } else if (!r.success()) {
        ++failed;
      } else {
        ++ok;
      }
    } catch (const common::Error& e) {
      if (e.kind() == common::ErrorKind::kCancelled) {
        ++cancelled;
      } else {
        ++setup_errors;
      }
    }
  }
  EXPECT_EQ(ok, 150);  // including the five with network none
  EXPECT_EQ(failed, 20);
  EXPECT_EQ(timed_out, 10);
  EXPECT_EQ(oom, 5);
  EXPECT_EQ(setup_errors, 10);
  EXPECT_EQ(cancelled, 5);
  HostState after = snapshot(rootfs_->path(), state);
  EXPECT_EQ(after.mounts, before.mounts);
  EXPECT_EQ(after.cgroups, before.cgroups);
  EXPECT_EQ(after.children, before.children);
  EXPECT_EQ(after.runs, before.runs);
  EXPECT_EQ(after.proc_mounts, before.proc_mounts);
}

TEST_F(LeakTest, CancelDuringARunKillsTheTreeAndCleansUp) {
  std::filesystem::path state = spec("").state_dir;
  HostState before = snapshot(rootfs_->path(), state);
  common::CancelToken cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    cancel.cancel();
  });
  common::NullWriter out;
  EXPECT_THROW(run(spec("sleep 30 & sleep 30 & sleep 30"), cancel, out), common::Error);
  canceller.join();
  EXPECT_EQ(snapshot(rootfs_->path(), state), before);
}

TEST_F(LeakTest, AfterKillNineTheNextStartCleansUp) {
  std::filesystem::path state = spec("").state_dir;
  clean_stale_runs(state);
  HostState before = snapshot(rootfs_->path(), state, {::getpid()});
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t runner = ::fork();
  if (runner == 0) {
    // Stand-in for mybuild: runs a step that tells us it started, then sleeps.
    ::close(ready[0]);
    ProcessSpec s = spec("echo started; sleep 30");
    common::CancelToken cancel;
    common::FdWriter out(ready[1]);
    try {
      run(s, cancel, out);
    } catch (...) {
    }
    ::_exit(0);
  }
  ::close(ready[1]);
  char buf[16] = {};
  ASSERT_GT(::read(ready[0], buf, sizeof(buf)), 0);
  ::close(ready[0]);
  ASSERT_EQ(::kill(runner, SIGKILL), 0);
  ::waitpid(runner, nullptr, 0);
  HostState left = snapshot(rootfs_->path(), state, {::getpid(), runner});
  EXPECT_EQ(left.runs.size(), before.runs.size() + 1) << "the run's record should remain";
  EXPECT_GT(left.cgroups.size(), before.cgroups.size()) << "and so should its cgroup";
  // The step died with its parent (PR_SET_PDEATHSIG on its init, then the PID namespace).
  // Its orphaned init is reparented to us (the subreaper) to be reaped: it must be dead.
  for (int i = 0; i < 200 && !snapshot(rootfs_->path(), state).children.empty(); ++i) {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(snapshot(rootfs_->path(), state).children, before.children);
  // The next run cleans up what the killed one left.
  EXPECT_EQ(sh("true"), "");
  EXPECT_EQ(snapshot(rootfs_->path(), state, {::getpid(), runner}), before);
}

}  // namespace
}  // namespace mybuild::sandbox
