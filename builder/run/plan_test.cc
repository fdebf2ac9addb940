// plan_run: the argv, env, history text and the exact cache-input JSON of representative RUN
// steps. The JSON is what users' caches are keyed by: a change here invalidates them all, so
// these strings may change only on purpose.
#include "builder/run/plan.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "parser/stages.h"
#include "sandbox/rlimits.h"

namespace mybuild::builder {
namespace {

using Args = std::vector<std::pair<std::string, std::optional<std::string>>>;

parser::Run first_run(const std::string& dockerfile) {
  parser::Dockerfile df = parser::parse_typed(dockerfile, "Dockerfile");
  for (const auto& i : df.stages.at(0).instructions) {
    if (auto* run = std::get_if<parser::Run>(&i)) return *run;
  }
  throw std::runtime_error("no RUN in the test Dockerfile");
}

TEST(PlanRun, ExecForm) {
  image::ContainerConfig config;
  config.env = {"PATH=/bin"};
  Args args;
  BuildRequest request;
  RunPlan plan = plan_run(first_run("FROM busybox\nRUN [\"echo\", \"hi there\"]\n"),
                          RunScope{config, args, {"PATH=/bin"}}, request);
  EXPECT_EQ(plan.argv, (std::vector<std::string>{"echo", "hi there"}));
  EXPECT_EQ(plan.env, (std::vector<std::string>{"PATH=/bin"}));
  EXPECT_EQ(plan.created_by, "RUN echo hi there # buildkit");
  EXPECT_EQ(plan.cwd, "/");
  EXPECT_EQ(plan.network, sandbox::NetworkMode::kDefault);
  EXPECT_EQ(plan.inputs.dump(), R"({"command":["echo","hi there"],"env":["PATH=/bin"],"mounts":[],)"
                                R"("network":"default","op":"RUN","user":"","workdir":""})");
}

TEST(PlanRun, ShellFormThroughShellWithArgsAndRequestFlags) {
  image::ContainerConfig config;
  config.env = {"PATH=/bin", "B=from-env"};
  config.user = "app";
  config.working_dir = "/src";
  config.shell = std::vector<std::string>{"/bin/bash", "-eo", "pipefail", "-c"};
  Args args = {{"A", "1"}, {"B", "2"}, {"C", std::nullopt}};
  BuildRequest request;
  request.build_args = {{"HTTP_PROXY", "http://proxy:3128"}, {"A", "1"}};
  request.extra_hosts = {{"db", "10.0.0.2"}};
  request.shm_size_bytes = 1 << 20;
  request.ulimits = {sandbox::parse_ulimit("nofile=512:1024")};
  RunPlan plan = plan_run(first_run("FROM busybox\nRUN make  all\n"),
                          RunScope{config, args, {"PATH=/bin", "B=from-env", "A=1"}}, request);
  EXPECT_EQ(plan.argv,
            (std::vector<std::string>{"/bin/bash", "-eo", "pipefail", "-c", "make  all"}));
  // Proxy args reach the process, never the cache key or the image.
  EXPECT_EQ(plan.env, (std::vector<std::string>{"PATH=/bin", "B=from-env", "A=1",
                                                "HTTP_PROXY=http://proxy:3128"}));
  EXPECT_EQ(plan.created_by,
            "RUN |3 A=1 B=from-env C= /bin/bash -eo pipefail -c make  all # buildkit");
  EXPECT_EQ(plan.user, "app");
  EXPECT_EQ(plan.cwd, "/src");
  EXPECT_EQ(plan.inputs.dump(),
            R"({"command":["/bin/bash","-eo","pipefail","-c","make  all"],)"
            R"("env":["PATH=/bin","B=from-env","A=1"],"extra hosts":["db=10.0.0.2"],)"
            R"("mounts":[],"network":"default","op":"RUN","shm size":1048576,)"
            R"("ulimits":["nofile=512:1024"],"user":"app","workdir":"/src"})");
}

TEST(PlanRun, HeredocWithShebangIsAScript) {
  image::ContainerConfig config;
  Args args;
  BuildRequest request;
  RunPlan plan = plan_run(first_run("FROM busybox\nRUN <<EOF\n#!/bin/sh\necho hi\nEOF\n"),
                          RunScope{config, args, {}}, request);
  EXPECT_EQ(plan.argv, (std::vector<std::string>{"/bin/sh", "-c", "/dev/pipes/EOF"}));
  ASSERT_EQ(plan.scripts.size(), 1u);
  EXPECT_EQ(plan.scripts[0].target, "/dev/pipes/EOF");
  EXPECT_EQ(plan.scripts[0].content, "#!/bin/sh\necho hi\n");
  EXPECT_EQ(plan.scripts[0].mode, 0755u);
  EXPECT_EQ(plan.created_by, "RUN /bin/sh -c /dev/pipes/EOF # buildkit");
  EXPECT_EQ(plan.inputs.dump(),
            R"({"command":["/bin/sh","-c","/dev/pipes/EOF"],"env":[],"mounts":[],)"
            R"("network":"default","op":"RUN",)"
            R"("script /dev/pipes/EOF":"#!/bin/sh\necho hi\n","user":"","workdir":""})");
}

TEST(PlanRun, HeredocWithoutShebangIsTheCommandAndOthersFollowTheLine) {
  image::ContainerConfig config;
  Args args;
  BuildRequest request;
  RunPlan whole = plan_run(first_run("FROM busybox\nRUN <<EOF\necho hi\nEOF\n"),
                           RunScope{config, args, {}}, request);
  EXPECT_EQ(whole.argv, (std::vector<std::string>{"/bin/sh", "-c", "echo hi\n"}));
  EXPECT_TRUE(whole.scripts.empty());
  RunPlan piped = plan_run(first_run("FROM busybox\nRUN cat <<EOF > /x\nhello\nEOF\n"),
                           RunScope{config, args, {}}, request);
  EXPECT_EQ(piped.argv, (std::vector<std::string>{"/bin/sh", "-c", "cat <<EOF > /x\nhello\nEOF"}));
}

TEST(PlanRun, CacheMountAndNetworkNone) {
  image::ContainerConfig config;
  config.env = {"PATH=/bin"};
  Args args;
  BuildRequest request;
  RunPlan plan = plan_run(
      first_run(
          "FROM busybox\n"
          "RUN --mount=type=cache,target=/root/.cache,sharing=locked --network=none go build\n"),
      RunScope{config, args, {"PATH=/bin"}}, request);
  EXPECT_EQ(plan.network, sandbox::NetworkMode::kNone);
  EXPECT_EQ(plan.created_by, "RUN /bin/sh -c go build # buildkit");
  EXPECT_EQ(plan.inputs.dump(),
            R"({"command":["/bin/sh","-c","go build"],"env":["PATH=/bin"],)"
            R"("mounts":["type=cache,target=/root/.cache,sharing=locked"],"network":"none",)"
            R"("op":"RUN","user":"","workdir":""})");
}

TEST(PlanRun, ResolvedMountKeysAndSecurity) {
  image::ContainerConfig config;
  Args args;
  BuildRequest request;
  request.allow_insecure = true;
  request.allow_network_host = true;
  RunPlan plan = plan_run(first_run("FROM busybox\nRUN --security=insecure --network=host id\n"),
                          RunScope{config, args, {}}, request);
  EXPECT_TRUE(plan.insecure);
  EXPECT_EQ(plan.network, sandbox::NetworkMode::kHost);
  key_mount_from(plan.inputs, "builder", "sha256:abc");
  key_mount_context(plan.inputs, "", "sha256:def");
  EXPECT_EQ(plan.inputs.dump(),
            R"({"command":["/bin/sh","-c","id"],"env":[],"mount context ":"sha256:def",)"
            R"("mount from builder":"sha256:abc","mounts":[],"network":"host","op":"RUN",)"
            R"("security":"insecure","user":"","workdir":""})");
}

TEST(PlanRun, CacheMountSeedKey) {
  image::ContainerConfig config;
  Args args;
  BuildRequest request;
  RunPlan plan = plan_run(
      first_run("FROM busybox\nRUN --mount=type=cache,target=/x,from=deps,source=/sub ls\n"),
      RunScope{config, args, {}}, request);
  key_cache_from(plan.inputs, "deps", "/sub", "sha256:abc");
  key_cache_from(plan.inputs, "ctx", "", "sha256:def");
  EXPECT_EQ(plan.inputs.dump(),
            R"({"cache from ctx /":"sha256:def","cache from deps /sub":"sha256:abc",)"
            R"("command":["/bin/sh","-c","ls"],"env":[],)"
            R"("mounts":["type=cache,target=/x,from=deps,source=/sub"],"network":"default",)"
            R"("op":"RUN","user":"","workdir":""})");
}

TEST(PlanRun, InsecureNeedsTheEntitlement) {
  image::ContainerConfig config;
  Args args;
  BuildRequest request;
  try {
    plan_run(first_run("FROM busybox\nRUN --security=insecure id\n"), RunScope{config, args, {}},
             request);
    FAIL() << "no error";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kUsage);
  }
}

TEST(PlanRun, HostNetworkNeedsTheEntitlementOrTheBuildFlag) {
  image::ContainerConfig config;
  Args args;
  const parser::Run run = first_run("FROM busybox\nRUN --network=host id\n");
  BuildRequest request;
  try {
    plan_run(run, RunScope{config, args, {}}, request);
    FAIL() << "a Dockerfile gave itself the host's network";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("--allow network.host"), std::string::npos) << e.what();
  }
  request.allow_network_host = true;
  EXPECT_EQ(plan_run(run, RunScope{config, args, {}}, request).network,
            sandbox::NetworkMode::kHost);
  BuildRequest by_flag;
  by_flag.network = "host";  // build --network host: the user's own choice
  EXPECT_EQ(plan_run(run, RunScope{config, args, {}}, by_flag).network,
            sandbox::NetworkMode::kHost);
}

constexpr const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "app:x:1000:1000::/home/app:/bin/sh\n";

RunPlan plan_as(const std::string& user, std::vector<std::string> env = {}) {
  RunPlan plan;
  plan.user = user;
  plan.env = std::move(env);
  return plan;
}

TEST(RunHome, FromTheRunUsersPasswdEntry) {
  // The bug this pins: HOME was looked up for root whatever USER said.
  EXPECT_EQ(home_for(plan_as("app"), kPasswd, ""), "/home/app");
  EXPECT_EQ(home_for(plan_as("1000"), kPasswd, ""), "/home/app");
  EXPECT_EQ(home_for(plan_as("app:nogroup"), kPasswd, ""), "/home/app");
  EXPECT_EQ(home_for(plan_as(""), kPasswd, ""), "/root");
}

TEST(RunHome, SlashForAUidWithoutEntryNoneForUnknownNameOrWhenSet) {
  EXPECT_EQ(home_for(plan_as("4242"), kPasswd, ""), "/");
  EXPECT_EQ(home_for(plan_as(""), "", ""), "/");
  EXPECT_EQ(home_for(plan_as("nobody-here"), kPasswd, ""), std::nullopt);
  EXPECT_EQ(home_for(plan_as("app", {"HOME=/x"}), kPasswd, ""), std::nullopt);
  EXPECT_FALSE(needs_home(plan_as("app", {"HOME=/x"})));
}

}  // namespace
}  // namespace mybuild::builder
