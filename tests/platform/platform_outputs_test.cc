// What a multi-platform build writes besides the index: one --cache-to holding every
// platform's steps (imported on a fresh store, both platforms' steps come from it; an inline
// cache, read from each platform's config, likewise, also through a plain image ref), and --index,
// which writes an index for a single platform too (read back with skopeo).
#include "tests/platform/fixture.h"

namespace mybuild::platform_testing {
namespace {

// How many "[<platform> ...] COPY a.txt /a.txt" steps the plain progress shows CACHED.
int cached_copies(const std::string& out, const std::string& platform) {
  int n = 0;
  const std::string step = "[" + platform + " ";
  for (size_t at = out.find(step); at != std::string::npos; at = out.find(step, at + 1)) {
    const size_t eol = out.find('\n', at);
    if (out.compare(eol - 17, 17, "COPY a.txt /a.txt") != 0) continue;
    const size_t hash = out.rfind('#', at);
    const std::string id = out.substr(hash, at - hash - 1);  // "#7"
    if (out.find(id + " CACHED\n", eol) != std::string::npos) ++n;
  }
  return n;
}

class PlatformCaches : public TwoPlatforms {
 protected:
  // Builds both platforms on a fresh store holding only the bases, with `--cache-from from`,
  // and expects each platform's COPY to come from that cache.
  void expect_both_platforms_cached(const std::string& from, const std::string& store) {
    const fs::path fresh = work_.path() / store;
    import_as("base-amd64", amd64_tar(), "linux/amd64", fresh);
    import_as("base-arm64", arm64_tar(), "linux/arm64", fresh);
    std::vector<std::string> args = {
        MYBUILD_BINARY, "--root", fresh.string(),   "build",
        "--progress",   "plain",  "--platform",     "linux/amd64,linux/arm64",
        "--cache-from", from,     context_.string()};
    std::string out;
    ASSERT_EQ(run_command(args, &out), 0) << out;
    EXPECT_EQ(cached_copies(out, "linux/amd64"), 1) << from << "\n" << out;
    EXPECT_EQ(cached_copies(out, "linux/arm64"), 1)
        << "the second platform's steps too: " << from << "\n"
        << out;
  }
};

TEST_F(PlatformCaches, OneCacheExportHoldsEveryPlatformsSteps) {
  // COPY only: no emulation needed, and each platform's step has its own key (its base).
  dockerfile("FROM base-$TARGETARCH\nCOPY a.txt /a.txt\n");
  const fs::path cache = work_.path() / "cache";
  built({"--platform", "linux/amd64,linux/arm64", "--cache-to",
         "type=local,dest=" + cache.string() + ",mode=max"});
  // A fresh store with the same bases: nothing cached but what --cache-from brings.
  expect_both_platforms_cached("type=local,src=" + cache.string(), "fresh");
}

TEST_F(PlatformCaches, AnInlineCacheIsReadForEveryPlatform) {
  dockerfile("FROM base-$TARGETARCH\nCOPY a.txt /a.txt\n");
  const std::string ref = on_registry("inline/app:v1");
  built(
      {"--platform", "linux/amd64,linux/arm64", "-t", ref, "--push", "--cache-to", "type=inline"});
  expect_both_platforms_cached("type=inline,ref=" + ref, "fresh");
  // A plain ref (type=registry) naming an image reads its inline cache too, as BuildKit does:
  // a pipeline's `--cache-from app:latest`.
  expect_both_platforms_cached(ref, "fresh2");
}

TEST_F(TwoPlatforms, IndexFlagWritesAnIndexForOnePlatform) {
  if (!have("skopeo")) GTEST_SKIP() << "skopeo is not installed (deps/platform.txt)";
  dockerfile("FROM base-$TARGETARCH\nCOPY a.txt /a.txt\n");
  const std::string ref = on_registry("single/app:v1");
  const fs::path layout = work_.path() / "layout";
  built({"--platform", "linux/arm64", "--index", "-t", ref, "--push", "-o",
         "type=oci,tar=false,dest=" + layout.string()});
  json index = skopeo_raw(ref);
  const std::string raw = index.dump();
  EXPECT_EQ(index["mediaType"], "application/vnd.oci.image.index.v1+json") << raw;
  ASSERT_EQ(index["manifests"].size(), 1u) << raw;
  EXPECT_EQ(index["manifests"][0]["platform"]["architecture"], "arm64") << raw;
  std::string config;
  ASSERT_EQ(run_command({"skopeo", "--override-arch", "arm64", "inspect", "--config",
                         "--tls-verify=false", "docker://" + ref},
                        &config),
            0)
      << config;
  EXPECT_EQ(json::parse(config)["architecture"], "arm64") << config;
  // The layout and the store name the index as well.
  json top = json::parse(common::read_file(layout / "index.json"));
  EXPECT_EQ(top["manifests"][0]["mediaType"], "application/vnd.oci.image.index.v1+json") << top;
  json local = mybuild_json({"inspect", ref}, store_);
  ASSERT_TRUE(local.is_array()) << local.dump();
  EXPECT_EQ(local[0]["Index"]["Platforms"], json({"linux/arm64"})) << local;

  // Without the flag, one platform stays one manifest (buildx's output).
  const std::string plain = on_registry("single/app:v2");
  built({"--platform", "linux/arm64", "-t", plain, "--push"});
  json manifest = skopeo_raw(plain);
  EXPECT_EQ(manifest["mediaType"], "application/vnd.oci.image.manifest.v1+json") << manifest;
}

}  // namespace
}  // namespace mybuild::platform_testing
