#include "builder/run/mounts.h"

#include <gtest/gtest.h>

namespace mybuild::builder {
namespace {

TEST(RunMounts, CacheDefaultsToReadWriteWithTheTargetAsId) {
  RunMount m = parse_run_mount("type=cache,target=/root/.cache");
  EXPECT_EQ(m.type, "cache");
  EXPECT_EQ(m.target, "/root/.cache");
  EXPECT_EQ(m.id, "/root/.cache");
  EXPECT_FALSE(m.readonly);
  EXPECT_EQ(m.sharing, "shared");
  RunMount locked =
      parse_run_mount("type=cache,id=apt,target=/var/cache/apt,sharing=locked,mode=0700,uid=1000");
  EXPECT_EQ(locked.id, "apt");
  EXPECT_EQ(locked.sharing, "locked");
  EXPECT_EQ(*locked.mode, 0700u);
  EXPECT_EQ(locked.uid, 1000u);
}

TEST(RunMounts, BindIsReadOnlyUnlessRw) {
  RunMount m = parse_run_mount("target=/src,source=app");
  EXPECT_EQ(m.type, "bind");
  EXPECT_TRUE(m.readonly);
  EXPECT_EQ(m.source, "app");
  EXPECT_FALSE(parse_run_mount("type=bind,target=/src,rw").readonly);
  EXPECT_EQ(*parse_run_mount("type=bind,from=build,target=/x").from, "build");
}

TEST(RunMounts, CacheFromTakesASourceInsideTheStage) {
  RunMount m = parse_run_mount("type=cache,target=/x,from=deps,source=/var/cache/apt");
  EXPECT_EQ(*m.from, "deps");
  EXPECT_EQ(m.source, "/var/cache/apt");
  EXPECT_EQ(m.id, "/x");  // the id still defaults to the target, as in BuildKit
  EXPECT_FALSE(m.readonly);
  EXPECT_EQ(parse_run_mount("type=cache,target=/x,from=deps,src=a/../b/./c").source, "a/../b/./c");
  EXPECT_EQ(parse_run_mount("type=cache,target=/x,from=deps").source, "");
  for (const char* out :
       {"type=cache,target=/x,from=deps,source=..", "type=cache,target=/x,from=deps,source=/../etc",
        "type=cache,target=/x,from=deps,source=a/../../etc"}) {
    try {
      parse_run_mount(out);
      ADD_FAILURE() << out << " was accepted";
    } catch (const common::Error& e) {
      EXPECT_EQ(e.kind(), common::ErrorKind::kDockerfile) << out;
      EXPECT_NE(std::string(e.what()).find("climbs out of deps"), std::string::npos) << e.what();
    }
  }
}

TEST(RunMounts, SecretTargetDefaultsUnderRunSecrets) {
  RunMount s = parse_run_mount("type=secret,id=token");
  EXPECT_EQ(s.target, "/run/secrets/token");
  RunMount by_target = parse_run_mount("type=secret,target=/etc/key,required");
  EXPECT_EQ(by_target.id, "key");
  EXPECT_TRUE(by_target.required);
  RunMount tmp = parse_run_mount("type=tmpfs,target=/tmp,size=64m");
  EXPECT_EQ(*tmp.size_bytes, 64u << 20);
}

// BuildKit's defaults: id "default", /run/buildkit/ssh_agent.<n> by position among the ssh
// mounts; required defaults to false, as BuildKit's.
TEST(RunMounts, SshDefaults) {
  std::vector<RunMount> mounts = {parse_run_mount("type=ssh"),
                                  parse_run_mount("type=cache,target=/c"),
                                  parse_run_mount("type=ssh,id=deploy,required=false,mode=0644"),
                                  parse_run_mount("type=ssh,id=x,target=/agent")};
  assign_ssh_targets(mounts);
  EXPECT_EQ(mounts[0].id, "default");
  EXPECT_EQ(mounts[0].target, "/run/buildkit/ssh_agent.0");
  EXPECT_FALSE(mounts[0].required);
  EXPECT_TRUE(parse_run_mount("type=ssh,required").required);
  EXPECT_EQ(mounts[2].id, "deploy");
  EXPECT_EQ(mounts[2].target, "/run/buildkit/ssh_agent.1");
  EXPECT_FALSE(mounts[2].required);
  EXPECT_EQ(*mounts[2].mode, 0644u);
  EXPECT_EQ(mounts[3].target, "/agent");
  EXPECT_EQ(mounts[1].target, "/c");
}

TEST(RunMounts, BadValuesAreDockerfileErrors) {
  for (const char* bad :
       {"type=nfs,target=/x", "type=cache", "type=cache,target=/x,sharing=all",
        "type=bind,target=/x,bogus=1", "type=cache,target=/x,mode=999", "type=ssh,mode=9"}) {
    try {
      parse_run_mount(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const common::Error& e) {
      EXPECT_EQ(e.kind(), common::ErrorKind::kDockerfile) << bad;
    }
  }
}

}  // namespace
}  // namespace mybuild::builder
