// Flags and forms that worked but had no end-to-end test (FEATURES.md listed them as
// untested): --no-cache-filter, proxy build args, a secret as an environment variable,
// RUN --network=host, EXPOSE ranges, a bind mount from another stage, HEALTHCHECK
// --start-interval.
#include <fstream>

#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

using Coverage = BuildTest;

TEST_F(Coverage, NoCacheFilterRebuildsOnlyTheNamedStage) {
  dockerfile(
      "FROM busybox AS deps\nRUN echo deps > /deps\n"
      "FROM busybox AS app\nCOPY --from=deps /deps /deps\nRUN echo app > /app\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  Ran r = build({"-t", "app:v1", "--no-cache-filter", "app"});
  ASSERT_TRUE(r.ok()) << r.both();
  const auto cached = cached_steps(r.err);
  // The deps stage's RUN is still a hit; the app stage's steps all ran again.
  EXPECT_EQ(
      std::count_if(cached.begin(), cached.end(),
                    [](const std::string& s) { return s.find("[deps") != std::string::npos; }),
      1)
      << r.err;
  EXPECT_EQ(std::count_if(cached.begin(), cached.end(),
                          [](const std::string& s) { return s.find("[app") != std::string::npos; }),
            0)
      << r.err;
  EXPECT_EQ(image("app:v1").content("/app"), "app\n");
}

// Docker's predefined proxy args reach RUN without an ARG, and are never persisted: not in
// the config's Env, not in the history, not in the cache key (a new proxy is no miss).
TEST_F(Coverage, ProxyArgsReachRunButNotTheImage) {
  dockerfile("FROM busybox\nRUN echo \"$HTTP_PROXY\" > /proxy\n");
  Ran r = build({"-t", "app:v1", "--build-arg", "HTTP_PROXY=http://proxy.example:3128"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(r.err.find("not consumed"), std::string::npos) << r.err;
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/proxy"), "http://proxy.example:3128\n");
  EXPECT_EQ(img.config.dump().find("proxy.example"), std::string::npos) << img.config.dump();
  Ran again = build({"-t", "app:v2", "--build-arg", "HTTP_PROXY=http://other.example:8080"});
  ASSERT_TRUE(again.ok()) << again.both();
  EXPECT_EQ(count_cached(again.err), 1) << "a proxy change is not a cache miss\n" << again.err;
}

TEST_F(Coverage, SecretAsAnEnvironmentVariable) {
  write_file(work() / "token.txt", "env-s3cr3t");
  dockerfile(
      "FROM busybox\n"
      "RUN --mount=type=secret,id=tok,env=TOKEN test \"$(echo $TOKEN | tr a-z A-Z)\" = "
      "ENV-S3CR3T && touch /ok\n"
      "RUN test -z \"$TOKEN\" && touch /gone\n");
  Ran r = build({"-t", "app:v1", "--secret", "id=tok,src=" + (work() / "token.txt").string()});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_TRUE(img.has("/ok"));
  EXPECT_TRUE(img.has("/gone")) << "the variable lives only in its step";
  EXPECT_EQ(img.config.dump().find("env-s3cr3t"), std::string::npos);  // only in upper case
  EXPECT_EQ(r.err.find("env-s3cr3t"), std::string::npos);
}

// --network=host shares the host's interfaces; none has only loopback.
TEST_F(Coverage, RunNetworkHostSeesTheHostsInterfaces) {
  std::ifstream dev("/proc/net/dev");
  std::string line;
  int host_ifaces = -2;  // two header lines
  while (std::getline(dev, line)) ++host_ifaces;
  if (host_ifaces < 2) GTEST_SKIP() << "this host has only loopback";
  dockerfile(
      "FROM busybox\n"
      "RUN --network=host tail -n +3 /proc/net/dev | wc -l > /host\n"
      "RUN --network=none tail -n +3 /proc/net/dev | wc -l > /none\n");
  Ran refused = build({"-t", "app:v1"});
  EXPECT_NE(refused.err.find("--allow network.host"), std::string::npos)
      << "a Dockerfile gave itself the host's network: " << refused.err;
  ASSERT_EQ(build({"--allow", "network.host", "-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/host"), std::to_string(host_ifaces) + "\n");
  EXPECT_EQ(img.content("/none"), "1\n");
}

TEST_F(Coverage, ExposeRangesAndProtocols) {
  dockerfile("FROM busybox\nEXPOSE 8000-8002/tcp 53/udp\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  // BuildKit's dispatchExpose runs nat.ParsePortSpecs, which expands a range port by port.
  EXPECT_EQ(img.runtime()["ExposedPorts"],
            nlohmann::json::parse(R"({"53/udp":{},"8000/tcp":{},"8001/tcp":{},"8002/tcp":{}})"));
}

TEST_F(Coverage, BindMountFromAnotherStage) {
  dockerfile(
      "FROM busybox AS tools\nRUN mkdir /out && echo from-tools > /out/tool\n"
      "FROM busybox\n"
      "RUN --mount=type=bind,from=tools,source=/out,target=/mnt cat /mnt/tool > /copied\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/copied"), "from-tools\n");
  EXPECT_FALSE(img.has("/mnt/tool")) << "the mount is not in the layer";
}

TEST_F(Coverage, HealthcheckStartInterval) {
  dockerfile(
      "FROM busybox\n"
      "HEALTHCHECK --interval=30s --start-period=10s --start-interval=2s CMD true\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  const auto& hc = img.runtime()["Healthcheck"];
  EXPECT_EQ(hc["StartInterval"], 2000000000) << hc.dump();
  EXPECT_EQ(hc["StartPeriod"], 10000000000) << hc.dump();
  EXPECT_EQ(hc["Interval"], 30000000000) << hc.dump();
}

}  // namespace
}  // namespace mybuild::build_testing
