// The default network's fallback rule and the slirp4netns owner (sandbox/slirp.h). What a step
// sees on that network is tested end to end in tests/sandbox/network_test.cc.
#include "sandbox/slirp.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "common/error.h"

namespace mybuild::sandbox {
namespace {

TEST(EffectiveNetwork, FixesNameWhatToDo) {
  EXPECT_EQ(network_fix("slirp4netns was not found on PATH"), "apt-get install slirp4netns");
  EXPECT_NE(network_fix("open(\"/dev/net/tun\"): Permission denied").find("chmod 0666"),
            std::string::npos);
}

TEST(EffectiveNetwork, DefaultFallsBackToTheHostsOnlyWithoutSlirp4netns) {
  EXPECT_EQ(effective_network(NetworkMode::kDefault, true), NetworkMode::kDefault);
  EXPECT_EQ(effective_network(NetworkMode::kDefault, false), NetworkMode::kHost);
  for (bool found : {true, false}) {
    EXPECT_EQ(effective_network(NetworkMode::kNone, found), NetworkMode::kNone);
    EXPECT_EQ(effective_network(NetworkMode::kHost, found), NetworkMode::kHost);
  }
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

// A process in a network namespace of its own, killed and reaped on destruction.
struct NetnsHolder {
  pid_t pid = -1;
  NetnsHolder() {
    pid = ::fork();
    if (pid == 0) {
      if (::unshare(CLONE_NEWNET) != 0) ::_exit(1);
      ::pause();
      ::_exit(0);
    }
  }
  ~NetnsHolder() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
};

TEST(SlirpNetwork, ReadyThenKilledAndReapedByItsOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: a network namespace to serve";
  if (!find_slirp4netns()) GTEST_SKIP() << "needs slirp4netns (apt-get install slirp4netns)";
  NetnsHolder target;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let it unshare
  pid_t pid = -1;
  {
    common::CancelToken cancel;
    SlirpNetwork slirp = SlirpNetwork::start(*find_slirp4netns(), target.pid);
    pid = slirp.pid();
    slirp.wait_ready(cancel, "RUN test");
    EXPECT_TRUE(alive(pid));
  }
  // Reaped, not a zombie: the pid is gone (and not our child any more).
  EXPECT_FALSE(alive(pid));
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
}

TEST(SlirpNetwork, ATargetWithoutANamespaceIsAnErrorQuotingSlirp4netns) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  if (!find_slirp4netns()) GTEST_SKIP() << "needs slirp4netns (apt-get install slirp4netns)";
  common::CancelToken cancel;
  // A pid that does not exist: slirp4netns cannot open /proc/<pid>/ns/net and exits.
  SlirpNetwork slirp = SlirpNetwork::start(*find_slirp4netns(), 0x3ffffff0);
  try {
    slirp.wait_ready(cancel, "RUN test");
    FAIL() << "no error";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kSandbox);
    EXPECT_NE(e.message().find("slirp4netns"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("exited before the network was up"), std::string::npos)
        << e.message();
  }
}

}  // namespace
}  // namespace mybuild::sandbox
