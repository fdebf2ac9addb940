// deploy/'s pipelines (Kubernetes Job, GitLab CI, GitHub Actions, Tekton Task) are parsed as YAML
// (pipeline_commands.py, python3-yaml) and the mybuild command lines in them run with the real
// binary against a real docker-registry with htpasswd auth, their variables pointing at a small
// context and that registry. A flag mybuild renames or drops makes a pipeline's command exit 2
// here; a pipeline whose push or digest file goes wrong fails on what skopeo reads back.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/temp_dir.h"
#include "tests/build/build_fixture.h"
#include "tests/registry/registry_server.h"

namespace mybuild::build_testing {
namespace {

using nlohmann::json;
using registry::testing::RegistryServer;

const fs::path kSource = MYBUILD_SOURCE_DIR;
const std::string kUser = "ci-user";
const std::string kPassword = "ci-password";

class Pipelines : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!registry::testing::have_registry() || !have_tool("skopeo")) {
      GTEST_SKIP() << "docker-registry or skopeo is not installed (deps/deploy.txt)";
    }
    if (run_process({registry::testing::python3().string(), "-c", "import yaml"}, in_dir(work()))
            .code != 0) {
      GTEST_SKIP() << "python3-yaml is not installed (deps/deploy.txt)";
    }
    registry_ = std::make_unique<RegistryServer>(
        registry::testing::RegistryOptions{.htpasswd = std::make_pair(kUser, kPassword)});
    reg_ = registry_->domain();
    // A context as a repository checkout has it; FROM scratch keeps each build well under a
    // second, and RUN is what tests/deploy/podman_image_test.cc covers.
    write_file(ctx() / "Dockerfile", "FROM scratch\nCOPY app.txt /app.txt\n");
    write_file(ctx() / "app.txt", "app\n");
    fs::create_directories(work() / "docker");
  }

  fs::path work() const { return work_.path(); }
  fs::path ctx() const { return work() / "ctx"; }
  fs::path docker_config() const { return work() / "docker"; }

  // What a pipeline's credential mount or login step leaves: docker's config.json.
  void store_credentials() {
    json cfg = {{"auths", {{reg_, {{"auth", common::base64_encode(kUser + ":" + kPassword)}}}}}};
    write_file(docker_config() / "config.json", cfg.dump(), 0600);
  }

  // The mybuild argument lists in deploy/FILE, with `vars` and `rewrite` applied.
  std::vector<std::vector<std::string>> commands(const std::string& file, const json& vars,
                                                 const json& rewrite) {
    fs::path subst = work() / "subst.json";
    write_file(subst, json{{"vars", vars}, {"rewrite", rewrite}}.dump());
    Ran r = run_process({registry::testing::python3().string(),
                         (kSource / "tests/deploy/pipeline_commands.py").string(),
                         (kSource / "deploy" / file).string(), subst.string()},
                        in_dir(work()));
    EXPECT_EQ(r.code, 0) << r.both();
    return json::parse(r.out.empty() ? "[]" : r.out).get<std::vector<std::vector<std::string>>>();
  }

  // Runs each command as the image's entrypoint would: `mybuild ARGS`, in `cwd`.
  void run_all(const std::vector<std::vector<std::string>>& cmds, const fs::path& cwd) {
    ASSERT_FALSE(cmds.empty()) << "no mybuild command found";
    for (const auto& args : cmds) {
      std::vector<std::string> argv = {MYBUILD_BINARY};
      argv.insert(argv.end(), args.begin(), args.end());
      Ran r = run_process(argv, in_dir(cwd, {{"MYBUILD_ROOT", (work() / "root").string()},
                                             {"DOCKER_CONFIG", docker_config().string()}}));
      std::string line;
      for (const auto& a : args) line += " " + a;
      ASSERT_EQ(r.code, 0) << "mybuild" << line << "\n" << r.both();
    }
  }

  // The digest the registry serves for `ref`, read by skopeo (an independent client).
  std::string pushed_digest(const std::string& ref) {
    Ran r = run_process({"skopeo", "inspect", "--tls-verify=false",
                         "--creds=" + kUser + ":" + kPassword, "docker://" + ref},
                        in_dir(work()));
    EXPECT_EQ(r.code, 0) << r.both();
    return r.code == 0 ? json::parse(r.out).value("Digest", "") : "";
  }

  // The push landed, the digest file says its digest, and the cache repository was written.
  void expect_pushed(const std::string& ref, const fs::path& digest_file,
                     const std::string& cache_ref) {
    std::string digest = pushed_digest(ref);
    EXPECT_EQ(digest.rfind("sha256:", 0), 0u) << digest;
    EXPECT_EQ(read_file(digest_file), digest);
    // The cache is an OCI manifest with mybuild's own config type, which only --raw reads.
    Ran cache = run_process({"skopeo", "inspect", "--raw", "--tls-verify=false",
                             "--creds=" + kUser + ":" + kPassword, "docker://" + cache_ref},
                            in_dir(work()));
    ASSERT_TRUE(cache.ok()) << "no cache at " << cache_ref << "\n" << cache.both();
    EXPECT_EQ(json::parse(cache.out)["config"].value("mediaType", ""),
              "application/vnd.mybuild.cache.config.v1+json");
  }

  common::TempDir work_;
  std::unique_ptr<RegistryServer> registry_;
  std::string reg_;
};

TEST_F(Pipelines, KubernetesJob) {
  store_credentials();  // the Secret the Job mounts
  fs::path digest = work() / "termination-log";
  run_all(commands("kubernetes-job.yaml", json::object(),
                   {{"/workspace", ctx().string()},
                    {"/dev/termination-log", digest.string()},
                    {"registry.example.com", reg_}}),
          ctx());
  expect_pushed(reg_ + "/team/app:latest", digest, reg_ + "/team/app:cache");
}

TEST_F(Pipelines, GitlabCi) {
  // No stored credentials: the job's own `mybuild login` must make them.
  std::string image = reg_ + "/group/app";
  run_all(commands("gitlab-ci.yml",
                   {{"CI_REGISTRY", reg_},
                    {"CI_REGISTRY_USER", kUser},
                    {"CI_REGISTRY_PASSWORD", kPassword},
                    {"CI_REGISTRY_IMAGE", image},
                    {"CI_COMMIT_SHORT_SHA", "0123abcd"},
                    {"CI_PROJECT_DIR", ctx().string()}},
                   json::object()),
          ctx());
  expect_pushed(image + ":0123abcd", ctx() / "image-digest", image + "/cache:cache");
}

TEST_F(Pipelines, GithubActions) {
  store_credentials();  // the login step's authfile, mounted as DOCKER_CONFIG
  std::string image = reg_ + "/owner/app";
  run_all(commands("github-actions.yml", {{"IMAGE", image}, {"GITHUB_SHA", "feedbeef"}},
                   {{"/workspace", ctx().string()}}),
          ctx());
  expect_pushed(image + ":feedbeef", ctx() / "image-digest", image + "/cache:cache");
}

TEST_F(Pipelines, TektonTask) {
  store_credentials();  // the dockerconfig workspace
  std::string image = reg_ + "/tekton/app:v1";
  fs::path digest = work() / "IMAGE_DIGEST";
  run_all(commands("tekton-task.yaml",
                   {{"params.IMAGE", image},
                    {"params.DOCKERFILE", "./Dockerfile"},
                    {"params.CONTEXT", "./"},
                    {"params.CACHE_REPO", reg_ + "/tekton/cache"},
                    {"results.IMAGE_DIGEST.path", digest.string()},
                    {"workspaces.source.path", ctx().string()}},
                   json::object()),
          ctx());  // the step's workingDir
  expect_pushed(image, digest, reg_ + "/tekton/cache:cache");
}

}  // namespace
}  // namespace mybuild::build_testing
