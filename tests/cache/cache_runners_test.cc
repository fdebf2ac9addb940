// --cache-to / --cache-from as CI uses them: runner A builds and exports, runner B starts with
// an empty state root (and a copy of the context at another path, with other mtimes, as a
// fresh clone has) and imports. What B runs is read from its progress output; what moves over
// the wire from the fault proxy's request log (every request passes it) and the sizes of the
// blobs in the registry's storage.
#include <gtest/gtest.h>

#include <iostream>

#include "tests/cache/cache_fixture.h"

namespace mybuild::build_testing {
namespace {

TEST_F(CacheRunners, RegistryCacheRunnerBRunsNothingAndMovesNoLayerBytes) {
  const std::string cache = "type=registry,ref=" + reg_ + "/app:cache,mode=max";
  Ran a = build({"-t", reg_ + "/app:1", "--push", "--cache-to", cache});
  ASSERT_TRUE(a.ok()) << a.both();
  EXPECT_EQ(run_steps(a.err).size(), 4u) << a.err;
  // The cache's layers are the image's blobs: exporting it uploaded only its record list.
  EXPECT_NE(a.err.find("1 blobs uploaded"), std::string::npos) << a.err;

  copy_context_to_b();
  clear_log();
  Ran b = build_b("root-b", {"-t", reg_ + "/app:1", "--push", "--cache-from", cache});
  ASSERT_TRUE(b.ok()) << b.both();
  EXPECT_TRUE(run_steps(b.err).empty()) << b.err;
  EXPECT_EQ(cached_steps(b.err).size(), 4u) << b.err;
  EXPECT_EQ(b.err.find("ran-b"), std::string::npos);
  // Fetched from app: the cache manifest's record list only; uploaded: nothing but the tag.
  EXPECT_EQ(log_lines("GET /v2/app/blobs/").size(), 1u) << read_file(log());
  EXPECT_EQ(log_lines("PUT /v2/app/blobs/").size() + log_lines("PATCH /v2/").size(), 0u)
      << read_file(log());
  const int64_t config_bytes = bytes_fetched("app");
  std::cout << "[ figures ] runner B, fully cached with --push: " << run_steps(b.err).size()
            << " steps run, " << config_bytes << " bytes fetched from the cache (records), 0 "
            << "layer bytes fetched or uploaded\n";

  // One file changes: B runs the two steps that read it, and fetches the two layers under them.
  write_file(ctx_b() / "c.txt", "C2\n");
  clear_log();
  Ran b2 = build_b("root-b", {"--cache-from", cache});
  ASSERT_TRUE(b2.ok()) << b2.both();
  std::vector<std::string> ran = run_steps(b2.err);
  ASSERT_EQ(ran.size(), 2u) << b2.err;
  EXPECT_NE(ran[0].find("COPY c.txt"), std::string::npos) << ran[0];
  EXPECT_NE(ran[1].find("RUN cat /c.txt"), std::string::npos) << ran[1];
  EXPECT_EQ(b2.err.find("ran-b"), std::string::npos);
  EXPECT_EQ(log_lines("GET /v2/app/blobs/").size(), 3u) << read_file(log());  // records + 2
  std::cout << "[ figures ] runner B, c.txt changed: " << ran.size() << " steps run, "
            << bytes_fetched("app") << " bytes fetched from the cache\n";
}

TEST_F(CacheRunners, LocalCacheMinAndMax) {
  two_stage_dockerfile();
  Ran a = build({"--cache-to", "type=local,dest=" + (work() / "min").string(), "--cache-to",
                 "type=local,dest=" + (work() / "max").string() + ",mode=max"});
  ASSERT_TRUE(a.ok()) << a.both();
  EXPECT_EQ(local_records(work() / "min"), 3u);  // the final stage's steps
  EXPECT_EQ(local_records(work() / "max"), 4u);  // and the tool stage's RUN

  copy_context_to_b();
  Ran max = build_b("root-max", {"--cache-from", "type=local,src=" + (work() / "max").string()});
  ASSERT_TRUE(max.ok()) << max.both();
  EXPECT_TRUE(run_steps(max.err).empty()) << max.err;
  Ran min = build_b("root-min", {"--cache-from", "type=local,src=" + (work() / "min").string()});
  ASSERT_TRUE(min.ok()) << min.both();
  EXPECT_NE(min.err.find("ran-tool"), std::string::npos) << min.err;  // not in a min cache
  EXPECT_EQ(min.err.find("ran-b"), std::string::npos) << min.err;
}

TEST_F(CacheRunners, RegistryMinHoldsTheFinalStagesStepsAndRunnerBHitsThem) {
  two_stage_dockerfile();
  Ran a = build({"--cache-to", "type=registry,ref=" + reg_ + "/app:min", "--cache-to",
                 "type=registry,ref=" + reg_ + "/app:max,mode=max"});
  ASSERT_TRUE(a.ok()) << a.both();
  auto created_by = [&](const std::string& tag) {
    std::vector<std::string> out;
    nlohmann::json config = registry_cache_config("app", tag);
    for (const auto& r : config["records"]) out.push_back(r["createdBy"].get<std::string>());
    return out;
  };
  auto has_tool_run = [](const std::vector<std::string>& steps) {
    for (const auto& s : steps) {
      if (s.find("echo tool") != std::string::npos) return true;
    }
    return false;
  };
  std::vector<std::string> min = created_by("min"), max = created_by("max");
  EXPECT_EQ(min.size(), 3u);  // COPY a.txt, RUN cat, COPY --from=tool
  EXPECT_FALSE(has_tool_run(min)) << nlohmann::json(min).dump();
  EXPECT_EQ(max.size(), 4u);
  EXPECT_TRUE(has_tool_run(max)) << nlohmann::json(max).dump();

  copy_context_to_b();
  clear_log();
  Ran b = build_b("root-b", {"--cache-from", "type=registry,ref=" + reg_ + "/app:min"});
  ASSERT_TRUE(b.ok()) << b.both();
  std::vector<std::string> ran = run_steps(b.err);
  // The tool stage's RUN is not in a min cache, so it runs; COPY --from=tool then misses too,
  // since its key names the tool stage's snapshot chain (builder/copy/plan.cc, copy_key::kFrom),
  // which the rerun changed (BuildKit's key would hold only the copied files' content).
  ASSERT_EQ(ran.size(), 2u) << b.err;
  EXPECT_NE(ran[0].find("echo tool"), std::string::npos) << ran[0];
  EXPECT_NE(ran[1].find("COPY --from=tool"), std::string::npos) << ran[1];
  EXPECT_NE(b.err.find("ran-tool"), std::string::npos) << b.err;
  EXPECT_EQ(b.err.find("ran-b"), std::string::npos) << b.err;
  std::vector<std::string> hit = cached_steps(b.err);  // the final stage's, from the cache
  ASSERT_EQ(hit.size(), 2u) << b.err;
  EXPECT_NE(hit[0].find("COPY a.txt"), std::string::npos) << hit[0];
  EXPECT_NE(hit[1].find("RUN cat /a.txt"), std::string::npos) << hit[1];
  std::cout << "[ figures ] registry mode=min: " << min.size() << " records (max: " << max.size()
            << "); runner B ran " << ran.size() << " steps, hit " << hit.size() << ", fetched "
            << bytes_fetched("app") << " bytes from the cache\n";

  Ran c = build_b("root-c", {"--cache-from", "type=registry,ref=" + reg_ + "/app:max"});
  ASSERT_TRUE(c.ok()) << c.both();
  EXPECT_TRUE(run_steps(c.err).empty()) << c.err;
}

TEST_F(CacheRunners, InlineCacheRoundTrip) {
  Ran a = build({"-t", reg_ + "/inl:1", "--push", "--cache-to", "type=inline"});
  ASSERT_TRUE(a.ok()) << a.both();
  copy_context_to_b();
  Ran b = build_b("root-b", {"--cache-from", "type=inline,ref=" + reg_ + "/inl:1"});
  ASSERT_TRUE(b.ok()) << b.both();
  EXPECT_TRUE(run_steps(b.err).empty()) << b.err;
  EXPECT_EQ(cached_steps(b.err).size(), 4u) << b.err;
}

TEST_F(CacheRunners, CacheRepoAliasAndBadCachesAreNotFatal) {
  Ran a = build({"--cache-repo", reg_ + "/kaniko"});
  ASSERT_TRUE(a.ok()) << a.both();
  EXPECT_NE(a.both().find("not found"), std::string::npos) << a.both();  // first run: no cache
  copy_context_to_b();
  Ran b = build_b("root-b", {"--cache-repo", reg_ + "/kaniko"});
  ASSERT_TRUE(b.ok()) << b.both();
  EXPECT_TRUE(run_steps(b.err).empty()) << b.err;

  // An image without an inline cache, and a layout whose index is garbage: named, then ignored.
  write_file(work() / "bad/index.json", "{not json");
  Ran c = build_b("root-c", {"--cache-from", reg_ + "/base:latest", "--cache-from",
                             "type=local,src=" + (work() / "bad").string()});
  ASSERT_TRUE(c.ok()) << c.both();
  EXPECT_NE(c.both().find("--cache-from " + reg_ + "/base:latest is an image without an inline"),
            std::string::npos)
      << c.both();
  EXPECT_NE(c.both().find("cannot use --cache-from " + (work() / "bad").string()),
            std::string::npos)
      << c.both();
  EXPECT_NE(c.err.find("ran-b"), std::string::npos);
}

}  // namespace
}  // namespace mybuild::build_testing
