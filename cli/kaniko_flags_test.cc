#include "cli/kaniko_flags.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "common/temp_dir.h"
#include "image/export.h"

namespace mybuild::cli {
namespace {

// Parses Kaniko flags as `mybuild build` does; `flags` gets the docker-style ones a test sets.
struct Parsed {
  BuildFlags flags;
  KanikoEffects effects;
};

Parsed parse(std::vector<std::string> args, BuildFlags flags = {}) {
  CLI::App app;
  auto* b = app.add_subcommand("build");
  KanikoFlags k;
  add_kaniko_flags(b, k);
  b->add_option("--cache-repo", flags.cache.cache_repo);
  b->add_option("--build-arg", flags.build_args)->allow_extra_args(false);
  args.insert(args.begin(), "build");
  std::reverse(args.begin(), args.end());
  app.parse(args);
  Parsed p{flags, {}};
  p.effects = apply_kaniko_flags(k, p.flags);
  return p;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(KanikoFlags, DestinationTagsAndPushes) {
  auto p = parse({"-d", "reg.lan/app:1", "--destination", "reg.lan/app:latest"});
  EXPECT_EQ(p.flags.tags, (std::vector<std::string>{"reg.lan/app:1", "reg.lan/app:latest"}));
  EXPECT_TRUE(p.flags.push);
  auto q = parse({"--destination=reg.lan/app:1", "--no-push"});
  EXPECT_EQ(q.flags.tags, std::vector<std::string>{"reg.lan/app:1"});
  EXPECT_FALSE(q.flags.push);
  EXPECT_FALSE(parse({}).flags.push);
}

TEST(KanikoFlags, ContextSchemes) {
  EXPECT_EQ(parse({"--context", "dir:///src/app"}).flags.context, "/src/app");
  EXPECT_EQ(parse({"-c", "src/app"}).flags.context, "src/app");
  auto tar = parse({"--context=tar:///ctx/context.tar.gz"});
  EXPECT_EQ(tar.flags.context, "-");
  EXPECT_EQ(tar.effects.context_tar, "/ctx/context.tar.gz");
  for (const char* in : {"tar://stdin", "tar:///dev/stdin"}) {
    auto s = parse({"--context", in});
    EXPECT_EQ(s.flags.context, "-") << in;
    EXPECT_EQ(s.effects.context_tar, "") << in;
  }
  try {
    parse({"--context", "gs://bucket/ctx.tar.gz"});
    FAIL() << "a remote context was accepted";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("gs://"), std::string::npos) << e.what();
  }
  BuildFlags positional;
  positional.context = "elsewhere";
  EXPECT_THROW(parse({"--context", "dir://x"}, positional), common::Error);
}

TEST(KanikoFlags, ContextSubPath) {
  EXPECT_EQ(parse({"-c", "dir:///src", "--context-sub-path", "app/web"}).flags.context,
            "/src/app/web");
  EXPECT_EQ(parse({"--context-sub-path", "app"}).flags.context, "./app");
  EXPECT_THROW(parse({"-c", "tar://stdin", "--context-sub-path", "app"}), common::Error);
}

TEST(KanikoFlags, DockerfileAsGivenElseInTheContext) {
  common::TempDir dir("kaniko-flags-");
  const auto existing = dir.path() / "Other.dockerfile";
  { std::ofstream(existing) << "FROM scratch\n"; }
  EXPECT_EQ(parse({"-c", "/src", "--dockerfile", existing.string()}).flags.file, existing.string());
  EXPECT_EQ(parse({"-c", "/src", "--dockerfile", "no/such/Dockerfile"}).flags.file,
            "/src/no/such/Dockerfile");
  EXPECT_EQ(parse({"-c", "tar://stdin", "--dockerfile", "sub/Dockerfile"}).flags.file,
            "sub/Dockerfile");
  BuildFlags with_f;
  with_f.file = "x";
  EXPECT_THROW(parse({"--dockerfile", "y"}, with_f), common::Error);
}

TEST(KanikoFlags, TarPathAndOciLayoutAreOutputs) {
  auto p = parse({"--tar-path", "/out/image.tar", "--oci-layout-path", "/out/layout"});
  ASSERT_EQ(p.flags.outputs.size(), 2u);
  auto tar = image::parse_output(p.flags.outputs[0]);
  EXPECT_EQ(tar.type, "docker");
  EXPECT_EQ(tar.dest, "/out/image.tar");
  auto oci = image::parse_output(p.flags.outputs[1]);
  EXPECT_EQ(oci.type, "oci");
  EXPECT_FALSE(oci.tar);
  EXPECT_EQ(oci.dest, "/out/layout");
}

TEST(KanikoFlags, CacheRepoGivenOrInferredFromTheDestination) {
  EXPECT_EQ(parse({"--cache=true", "-d", "reg.lan:5000/team/app:v1"}).flags.cache.cache_repo,
            "reg.lan:5000/team/app/cache");
  EXPECT_EQ(parse({"--cache=true", "--cache-repo", "reg.lan/c", "-d", "reg.lan/a:1"})
                .flags.cache.cache_repo,
            "reg.lan/c");
  EXPECT_EQ(parse({"--cache=false", "-d", "reg.lan/a:1"}).flags.cache.cache_repo, "");
  EXPECT_THROW(parse({"--cache"}), common::Error);  // no repository to infer it from
}

TEST(KanikoFlags, CacheTtlIsWholeSeconds) {
  auto p = parse({"--cache-ttl", "168h"});
  EXPECT_TRUE(p.effects.warnings.empty());
  EXPECT_EQ(p.flags.cache_ttl, 168 * 3600);
  EXPECT_EQ(parse({"--cache-ttl", "1.5s"}).flags.cache_ttl, 1);
  EXPECT_FALSE(parse({}).flags.cache_ttl.has_value());
  EXPECT_THROW(parse({"--cache-ttl", "a week"}), common::Error);
  EXPECT_THROW(parse({"--cache-ttl", "500ms"}), common::Error);  // rounds to nothing
}

TEST(KanikoFlags, InsecureAndSkipTlsVerifyAreInsecureRegistryRules) {
  auto p = parse(
      {"--insecure", "-d", "reg.lan:5000/a:1", "-d", "alpine:1", "--cache-repo", "cache.lan/c"});
  EXPECT_TRUE(has(p.flags.registry.insecure_registries, "reg.lan:5000"));
  EXPECT_TRUE(has(p.flags.registry.insecure_registries, "docker.io"));
  EXPECT_TRUE(has(p.flags.registry.insecure_registries, "cache.lan"));
  auto q = parse({"--skip-tls-verify", "-d", "localhost/a:1"});
  EXPECT_EQ(q.flags.registry.insecure_registries, std::vector<std::string>{"localhost"});
  EXPECT_TRUE(parse({"-d", "reg.lan/a:1"}).flags.registry.insecure_registries.empty());
}

TEST(KanikoFlags, ReferenceDomain) {
  EXPECT_EQ(reference_domain("alpine"), "docker.io");
  EXPECT_EQ(reference_domain("library/alpine:3"), "docker.io");
  EXPECT_EQ(reference_domain("ghcr.io/o/r:1"), "ghcr.io");
  EXPECT_EQ(reference_domain("reg:5000/r"), "reg:5000");
  EXPECT_EQ(reference_domain("localhost/r"), "localhost");
}

TEST(KanikoFlags, PushRetryRaisesTheAttempts) {
  auto p = parse({"--push-retry", "9"});
  EXPECT_EQ(p.flags.registry.min_attempts, 10);
  // What the client makes of it: image/registry_options_test.cc (MinAttemptsOnlyRaises).
  EXPECT_EQ(parse({"--push-retry=0"}).flags.registry.min_attempts, 1);
  EXPECT_THROW(parse({"--push-retry", "-1"}), common::Error);
}

TEST(KanikoFlags, ReproducibleIsSourceDateEpochZero) {
  ::unsetenv("SOURCE_DATE_EPOCH");
  EXPECT_TRUE(has(parse({"--reproducible"}).flags.build_args, "SOURCE_DATE_EPOCH=0"));
  auto given = parse({"--reproducible", "--build-arg", "SOURCE_DATE_EPOCH=5"});
  EXPECT_FALSE(has(given.flags.build_args, "SOURCE_DATE_EPOCH=0"));
  EXPECT_FALSE(has(parse({}).flags.build_args, "SOURCE_DATE_EPOCH=0"));
}

TEST(KanikoFlags, VerbositySetsTheLogLevel) {
  const auto before = common::log::level();
  parse({"--verbosity", "debug"});
  EXPECT_EQ(common::log::level(), common::log::Level::kDebug);
  parse({"--verbosity=error"});
  EXPECT_EQ(common::log::level(), common::log::Level::kError);
  EXPECT_THROW(parse({"--verbosity", "loud"}), CLI::ValidationError);
  common::log::set_level(before);
}

TEST(KanikoFlags, FlagsWithoutMeaningWarnOnceEach) {
  auto p = parse({"--snapshot-mode=redo", "--use-new-run", "--cleanup", "--kaniko-dir", "/k",
                  "--ignore-path", "/a", "--ignore-path=/b", "--single-snapshot"});
  ASSERT_EQ(p.effects.warnings.size(), 5u);
  EXPECT_TRUE(p.flags.single_snapshot) << "--single-snapshot is real, not warned about";
  for (const char* flag :
       {"--snapshot-mode", "--use-new-run", "--cleanup", "--kaniko-dir", "--ignore-path"}) {
    EXPECT_EQ(std::count_if(p.effects.warnings.begin(), p.effects.warnings.end(),
                            [&](const std::string& w) { return w.starts_with(flag); }),
              1)
        << flag;
  }
  EXPECT_TRUE(parse({"--cleanup=false"}).effects.warnings.size() == 1u);
  EXPECT_TRUE(parse({}).effects.warnings.empty());
}

}  // namespace
}  // namespace mybuild::cli
