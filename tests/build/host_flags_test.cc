// The RUN environment flags of `mybuild build` end to end: --add-host, --shm-size and --ulimit
// reach every RUN step's sandbox (its /etc/hosts, /dev/shm and resource limits), take part in
// the step's cache key as BuildKit's ExecOp does, and bad values are usage errors (exit 2) that
// name the flag. (sandbox/run_test.cc proves each in the sandbox itself.)
#include "sandbox/network.h"
#include "sandbox/slirp.h"
#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

using HostFlags = BuildTest;

TEST_F(HostFlags, AddHostLinesReachEveryRunStep) {
  dockerfile(
      "FROM busybox\n"
      "RUN grep myhost /etc/hosts > /h\n"
      "RUN grep -c other /etc/hosts > /count; tail -1 /etc/hosts > /last\n");
  Ran r = build({"--add-host", "myhost:10.1.2.3", "--add-host", "other=[fd00::7]", "-t", "app:v1"});
  ASSERT_EQ(r.failure(), "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/h"), "10.1.2.3\tmyhost\n");
  EXPECT_EQ(img.content("/count"), "1\n");
  EXPECT_EQ(img.content("/last"), "fd00::7\tother\n");  // in the order given, after the defaults

  // Another address is another step result, not a cache hit of the first.
  r = build({"--add-host", "myhost:10.9.9.9", "--add-host", "other=[fd00::7]", "-t", "app:v2"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(image("app:v2").content("/h"), "10.9.9.9\tmyhost\n");
}

// host-gateway is the host as the step's network reaches it (sandbox/network.h): behind
// slirp4netns (host loopback disabled) one of the host's own non-loopback addresses, on the
// host's network (the fallback without slirp4netns, or --network=host) 127.0.0.1.
TEST_F(HostFlags, HostGatewayIsTheHostAsTheStepsNetworkReachesIt) {
  dockerfile(
      "FROM busybox\nRUN grep host.docker.internal /etc/hosts > /h\n"
      "RUN --network=host grep host.docker.internal /etc/hosts > /host\n");
  Ran r = build({"--add-host", "host.docker.internal:host-gateway", "--allow", "network.host", "-t",
                 "app:v1"});
  ASSERT_EQ(r.failure(), "");
  std::string expected =
      sandbox::host_gateway_address(sandbox::effective_network(sandbox::NetworkMode::kDefault));
  EXPECT_EQ(image("app:v1").content("/h"), expected + "\thost.docker.internal\n");
  EXPECT_EQ(image("app:v1").content("/host"), "127.0.0.1\thost.docker.internal\n");
}

TEST_F(HostFlags, ShmSizeSetsTheStepsDevShm) {
  // df's 1K-blocks of /dev/shm (busybox has df, the base has no applet link for it).
  dockerfile("FROM busybox\nRUN busybox df -k /dev/shm | tail -1 | awk '{print $2}' > /shm\n");
  Ran r = build({"--shm-size", "8m", "-t", "app:v1"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(image("app:v1").content("/shm"), "8192\n");
  r = build({"-t", "app:default"});  // docker's 64 MiB; and not the 8m step from the cache
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(image("app:default").content("/shm"), "65536\n");
}

TEST_F(HostFlags, UlimitSetsTheStepsLimits) {
  dockerfile(
      "FROM busybox\n"
      "RUN ulimit -n > /n; ulimit -Hn >> /n; ulimit -c > /core\n"
      "USER app\n"
      "RUN ulimit -n > /tmp/app-n\n");
  Ran r = build({"--ulimit", "nofile=512:1024", "--ulimit", "core=-1", "-t", "app:v1"});
  ASSERT_EQ(r.failure(), "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/n"), "512\n1024\n");
  EXPECT_EQ(img.content("/core"), "unlimited\n");
  EXPECT_EQ(img.content("/tmp/app-n"), "512\n");  // kept by a non-root USER too

  // The later value for a resource wins, as in docker.
  r = build({"--ulimit", "nofile=512:1024", "--ulimit", "nofile=300", "-t", "app:v2"});
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(image("app:v2").content("/n"), "300\n300\n");
}

TEST_F(HostFlags, BadValuesAreUsageErrorsNamingTheFlag) {
  dockerfile("FROM busybox\nRUN true\n");
  for (const auto& args : std::vector<std::vector<std::string>>{{"--add-host", "myhost"},
                                                                {"--add-host", ":10.1.2.3"},
                                                                {"--add-host", "myhost:10.1.2"},
                                                                {"--add-host", "myhost:not-an-ip"},
                                                                {"--shm-size", "big"},
                                                                {"--shm-size", "0"},
                                                                {"--ulimit", "nofile"},
                                                                {"--ulimit", "openfiles=5"},
                                                                {"--ulimit", "nofile=abc"},
                                                                {"--ulimit", "nofile=1024:512"}}) {
    Ran r = build(args);
    EXPECT_EQ(r.code, 2) << args[0] << " " << args[1] << "\n" << r.both();
    EXPECT_NE(r.err.find(args[0]), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(args[1]), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace mybuild::build_testing
