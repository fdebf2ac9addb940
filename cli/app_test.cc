#include "cli/app.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cli/exit_codes.h"

namespace mybuild::cli {
namespace {

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result run_args(std::vector<std::string> args) {
  args.insert(args.begin(), "mybuild");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  int code = run(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

TEST(Cli, VersionAndHelp) {
  auto v = run_args({"--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("mybuild version "), std::string::npos);
  auto h = run_args({"--help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("build"), std::string::npos);
}

TEST(Cli, UnknownFlagIsUsageErrorWithHint) {
  auto r = run_args({"build", "--no-such-flag", "."});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("error: "), std::string::npos);
  EXPECT_NE(r.err.find("hint: "), std::string::npos);
}

// Kaniko's flags sit beside docker's on `build`; each place given twice is a usage error.
TEST(Cli, KanikoContextOrDockerfileGivenTwiceIsUsageError) {
  auto ctx = run_args({"build", "--context", "dir:///nonexistent-a", "/nonexistent-b"});
  EXPECT_EQ(ctx.code, kExitUsage) << ctx.err;
  EXPECT_NE(ctx.err.find("the context is given twice"), std::string::npos) << ctx.err;
  auto file = run_args({"build", "-f", "A", "--dockerfile", "B", "/nonexistent"});
  EXPECT_EQ(file.code, kExitUsage) << file.err;
  EXPECT_NE(file.err.find("the Dockerfile is given twice"), std::string::npos) << file.err;
  auto remote = run_args({"--destination", "r.lan/a:1", "-c", "git://example.com/repo.git"});
  EXPECT_EQ(remote.code, kExitUsage) << remote.err;
}

TEST(Cli, BadProgressValueIsUsageError) {
  EXPECT_EQ(run_args({"build", "--progress", "fancy", "."}).code, kExitUsage);
}

TEST(Cli, RunStepFlagsCheckTheirValuesBeforeBuilding) {
  // Parsed before the context is read: the missing context would otherwise be exit 1.
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--add-host", "nocolon"},
                                             {"--add-host", ":10.0.0.1"},
                                             {"--add-host", "db:10.0.0"},
                                             {"--add-host", "db:[::1"},
                                             {"--shm-size", "0"},
                                             {"--shm-size", "64x"},
                                             {"--ulimit", "nofile"},
                                             {"--ulimit", "files=1"},
                                             {"--ulimit", "nofile=2:1"}}) {
    auto r = run_args({"build", args[0], args[1], "/nonexistent-mybuild-context"});
    EXPECT_EQ(r.code, kExitUsage) << args[0] << " " << args[1] << ": " << r.err;
    EXPECT_NE(r.err.find("invalid " + args[0] + " value"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(args[1]), std::string::npos) << r.err;
  }
  auto good = run_args({"build", "--add-host", "db:10.0.0.1", "--add-host", "v6=[::1]",
                        "--add-host", "gw:host-gateway", "--shm-size", "8m", "--ulimit",
                        "nofile=512:1024", "--ulimit", "core=-1", "/nonexistent-mybuild-context"});
  EXPECT_NE(good.code, kExitUsage) << good.err;
  EXPECT_NE(good.err.find("/nonexistent-mybuild-context"), std::string::npos) << good.err;
}

TEST(Cli, DefaultSubcommandIsBuild) {
  // Without the rewrite, "-t" would be an unknown option of the top-level app (exit 2).
  auto r = run_args({"-t", "app:v1", "--progress=plain", "."});
  EXPECT_NE(r.code, kExitUsage) << r.err;
  auto help = run_args({"-t", "x", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--build-arg"), std::string::npos);
}

TEST(Cli, ImageCommandsNeedTheirArguments) {
  // cli/image_commands_test.cc runs them for real.
  for (const char* cmd : {"push", "pull", "tag", "rmi", "inspect"}) {
    auto r = run_args({cmd});
    EXPECT_EQ(r.code, kExitUsage) << cmd << ": " << r.err;
  }
}

TEST(Cli, LogoutWithoutCredentialsAndLoginUsage) {
  char dir[] = "/tmp/mybuild-cli-login-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  ::setenv("DOCKER_CONFIG", dir, 1);
  auto r = run_args({"logout", "localhost:5999"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "Not logged in to localhost:5999\n");
  auto l = run_args({"login", "--password-stdin", "localhost:5999"});
  EXPECT_EQ(l.code, kExitUsage);
  EXPECT_NE(l.err.find("--username"), std::string::npos) << l.err;
  ::unsetenv("DOCKER_CONFIG");
  ::rmdir(dir);
}

}  // namespace
}  // namespace mybuild::cli
