// Kaniko's executor flags through the real binary, the way a pipeline that switched from Kaniko
// calls it (`mybuild --destination ... --context ...`, no subcommand), against a real
// docker-registry, with skopeo as the independent reader: --destination pushes every tag,
// --image-name-tag-with-digest-file and --digest-file agree with the registry, --no-push pushes
// nothing, --tar-path and --oci-layout-path write archives skopeo reads, --context tar:// (a file
// and stdin) and --context-sub-path pick the context, --cache=true finds Kaniko's default cache
// repository, --reproducible dates the image 1970, and a flag without meaning here warns once. The
// builds only COPY and LABEL (no sandbox needed).
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "common/digest.h"
#include "tests/store_commands/fixture.h"

namespace mybuild::store_commands_testing {
namespace {

using nlohmann::json;
using registry::testing::run_command;

class Kaniko : public WithRegistry {
 protected:
  void SetUp() override {
    WithRegistry::SetUp();
    if (IsSkipped()) return;
    if (!have("skopeo")) GTEST_SKIP() << "skopeo is not installed (deps/store_commands.txt)";
    import(store_, "busybox:latest");
    context(ctx_, "dir");
  }
  // A context whose image is labelled from=`label`.
  void context(const fs::path& dir, const std::string& label) {
    fs::create_directories(dir);
    common::write_file_atomic(dir / "Dockerfile",
                              "FROM busybox\nLABEL from=" + label + "\nCOPY a.txt /a.txt\n");
    common::write_file_atomic(dir / "a.txt", label + "\n");
  }
  // `mybuild --root STORE ARGS...` (no subcommand: "build" is implied, as Kaniko has none).
  int mybuild(std::vector<std::string> args, std::string* out) {
    args.insert(args.begin(), {MYBUILD_BINARY, "--root", store_.string()});
    return run_command(args, out);
  }
  std::string skopeo(const std::vector<std::string>& what) {
    std::vector<std::string> argv = {"skopeo", "inspect"};
    argv.insert(argv.end(), what.begin(), what.end());
    std::string out;
    EXPECT_EQ(run_command(argv, &out), 0) << out;
    return out;
  }
  std::string label_of(const std::string& transport_ref) {
    json config = json::parse(skopeo({"--config", transport_ref}));
    return config["config"]["Labels"].value("from", "");
  }
  std::string path(const std::string& name) { return (work_.path() / name).string(); }

  fs::path store_ = work_.path() / "store";
  fs::path ctx_ = work_.path() / "ctx";
};

TEST_F(Kaniko, DestinationPushesEveryTagAndTheDigestFilesAgree) {
  const std::string v1 = on_registry("k/app:v1"), v2 = on_registry("k/app:v2");
  std::string out;
  ASSERT_EQ(mybuild({"--destination", v1, "-d", v2, "--context", "dir://" + ctx_.string(),
                     "--digest-file", path("digest"), "--image-name-tag-with-digest-file",
                     path("tags"), "--image-name-with-digest-file", path("names")},
                    &out),
            0)
      << out;
  const std::string raw = skopeo({"--raw", "--tls-verify=false", "docker://" + v1});
  const std::string digest = common::Digest::sha256_of(raw).str();
  EXPECT_EQ(common::read_file(path("digest")), digest);
  EXPECT_EQ(skopeo({"--raw", "--tls-verify=false", "docker://" + v2}), raw);
  EXPECT_EQ(common::read_file(path("tags")), v1 + "@" + digest + "\n" + v2 + "@" + digest + "\n");
  const std::string repo = on_registry("k/app");
  EXPECT_EQ(common::read_file(path("names")),
            repo + "@" + digest + "\n" + repo + "@" + digest + "\n");
  json config = json::parse(skopeo({"--config", "--tls-verify=false", "docker://" + v1}));
  EXPECT_EQ(config["config"]["Labels"]["from"], "dir");
}

TEST_F(Kaniko, NoPushWritesTheTarAndTheOciLayoutOnly) {
  const std::string tag = on_registry("k/nopush:v1");
  std::string out;
  ASSERT_EQ(mybuild({"-d", tag, "--no-push", "-c", ctx_.string(), "--tar-path", path("image.tar"),
                     "--oci-layout-path", path("layout")},
                    &out),
            0)
      << out;
  std::string ignored;
  EXPECT_NE(run_command({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + tag},
                        &ignored),
            0)
      << "--no-push pushed: " << ignored;
  EXPECT_EQ(label_of("docker-archive:" + path("image.tar")), "dir");
  json archive = json::parse([&] {
    std::string m;
    EXPECT_EQ(run_command({"tar", "-xOf", path("image.tar"), "manifest.json"}, &m), 0) << m;
    return m;
  }());
  EXPECT_EQ(archive[0]["RepoTags"][0], tag) << archive;
  EXPECT_TRUE(fs::exists(work_.path() / "layout/oci-layout"));
  EXPECT_EQ(label_of("oci:" + path("layout")), "dir");
}

TEST_F(Kaniko, ContextFromATarFileStdinOrASubPath) {
  // tar://FILE: a compressed tar, with the Dockerfile in it.
  context(work_.path() / "tarred", "tar");
  std::string out;
  ASSERT_EQ(run_command({"tar", "-czf", path("ctx.tar.gz"), "-C", path("tarred"), "."}, &out), 0)
      << out;
  ASSERT_EQ(mybuild({"--no-push", "-d", "k/tar:1", "--context", "tar://" + path("ctx.tar.gz"),
                     "--tar-path", path("tar.tar")},
                    &out),
            0)
      << out;
  EXPECT_EQ(label_of("docker-archive:" + path("tar.tar")), "tar");

  // tar:///dev/stdin, with --dockerfile naming a file inside the tar.
  fs::rename(work_.path() / "tarred/Dockerfile", work_.path() / "tarred/Kaniko.dockerfile");
  ASSERT_EQ(run_command({"tar", "-cf", path("ctx.tar"), "-C", path("tarred"), "."}, &out), 0);
  ASSERT_EQ(
      run_command({"/bin/sh", "-c",
                   "exec \"$0\" --root \"$1\" --no-push -d k/stdin:1 --context "
                   "tar:///dev/stdin --dockerfile Kaniko.dockerfile --tar-path \"$2\" < \"$3\"",
                   MYBUILD_BINARY, store_.string(), path("stdin.tar"), path("ctx.tar")},
                  &out),
      0)
      << out;
  EXPECT_EQ(label_of("docker-archive:" + path("stdin.tar")), "tar");

  // --context-sub-path: a directory inside the context, and the Dockerfile in it.
  context(ctx_ / "services/web", "sub");
  ASSERT_EQ(mybuild({"--no-push", "-d", "k/sub:1", "--context", "dir://" + ctx_.string(),
                     "--context-sub-path", "services/web", "--tar-path", path("sub.tar")},
                    &out),
            0)
      << out;
  EXPECT_EQ(label_of("docker-archive:" + path("sub.tar")), "sub");
}

// --cache=true without --cache-repo: Kaniko's default repository, DESTINATION-REPO/cache, which
// mybuild fills with its registry cache (tag "cache"). --reproducible dates the image 1970.
TEST_F(Kaniko, CacheTrueUsesTheDestinationsCacheRepoAndReproducibleIsEpochZero) {
  const std::string tag = on_registry("k/cached:v1");
  std::string out;
  ASSERT_EQ(mybuild({"-d", tag, "-c", ctx_.string(), "--cache=true", "--reproducible"}, &out), 0)
      << out;
  json cache = json::parse(
      skopeo({"--raw", "--tls-verify=false", "docker://" + on_registry("k/cached/cache:cache")}));
  EXPECT_TRUE(cache.contains("layers")) << cache;
  json config = json::parse(skopeo({"--config", "--tls-verify=false", "docker://" + tag}));
  EXPECT_EQ(config["created"], "1970-01-01T00:00:00Z") << config;
}

TEST_F(Kaniko, FlagsWithoutMeaningWarnOnce) {
  std::string out;
  ASSERT_EQ(
      mybuild({"--no-push", "-d", "k/warn:1", "-c", ctx_.string(), "--progress", "plain",
               "--snapshot-mode=redo", "--cleanup", "--ignore-path", "/a", "--ignore-path", "/b"},
              &out),
      0)
      << out;
  for (const std::string flag : {"--snapshot-mode", "--cleanup", "--ignore-path"}) {
    std::regex warning("WARN: " + flag + " has no meaning in mybuild");
    auto n = std::distance(std::sregex_iterator(out.begin(), out.end(), warning),
                           std::sregex_iterator());
    EXPECT_EQ(n, 1) << flag << "\n" << out;
  }
}

}  // namespace
}  // namespace mybuild::store_commands_testing
