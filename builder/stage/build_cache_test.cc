#include "builder/stage/build_cache.h"

#include <gtest/gtest.h>

#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

TEST(BuildCache, RecordsSurviveAndTheLastPerLocatorExplainsAMiss) {
  common::TempDir dir("build-cache-");
  {
    snapshot::Database db(dir.path() / "metadata.db");
    BuildCache cache(db);
    CacheRecord r;
    r.key = "k1";
    r.locator = "Dockerfile:stage-0:2";
    r.inputs = R"({"op":"COPY","files of src":"sha256:aa","parent":"p"})";
    r.created_at = 100;
    image::LayerRef layer;
    layer.blob.digest = common::Digest::sha256_of("layer");
    layer.blob.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    layer.blob.size = 5;
    layer.diff_id = common::Digest::sha256_of("tar");
    r.layer = layer;
    cache.store(r);
    CacheRecord empty = r;
    empty.key = "k0";
    empty.layer.reset();
    empty.created_at = 50;
    cache.store(empty);
  }
  snapshot::Database db(dir.path() / "metadata.db");
  BuildCache cache(db);
  auto hit = cache.lookup("k1");
  ASSERT_TRUE(hit);
  ASSERT_TRUE(hit->layer);
  EXPECT_EQ(hit->layer->blob.size, 5);
  EXPECT_FALSE(cache.lookup("k0")->layer);
  EXPECT_FALSE(cache.lookup("missing"));
  auto last = cache.last_for("Dockerfile:stage-0:2");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->key, "k1");
  EXPECT_EQ(BuildCache::roots(db).size(), 1u);

  std::string why = explain_miss(R"({"op":"COPY","files of src":"sha256:bb","parent":"p"})", last);
  EXPECT_NE(why.find("files of src changed"), std::string::npos) << why;
  EXPECT_EQ(why.find("parent"), std::string::npos) << why;
  EXPECT_EQ(explain_miss("{}", std::nullopt), "no earlier build of this step");
}

TEST(BuildCache, CacheTtlComparesTheRecordsTime) {
  CacheRecord r;
  r.created_at = 1000;
  EXPECT_TRUE(within_cache_ttl(r, std::nullopt, 999999));
  EXPECT_TRUE(within_cache_ttl(r, 60, 1060));
  EXPECT_FALSE(within_cache_ttl(r, 60, 1061));
}

}  // namespace
}  // namespace mybuild::builder
