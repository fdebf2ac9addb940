#include "builder/stage/build_cache.h"

#include <gtest/gtest.h>

#include <ctime>

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

// last_used is kept to the hour, like relatime: a no-op rebuild's hits write nothing while the
// record's last use is recent, and move it when it is older (build_cache.cc).
TEST(BuildCache, AHitRecordsItsTimeOnlyWhenTheLastIsAnHourOld) {
  common::TempDir dir("build-cache-");
  snapshot::Database db(dir.path() / "metadata.db");
  BuildCache cache(db);
  CacheRecord r;
  r.key = "k";
  r.locator = "Dockerfile:stage-0:1";
  r.inputs = "{}";
  cache.store(r);
  auto last_used = [&db] {
    auto st = db.prepare("SELECT last_used FROM build_cache WHERE key = 'k'");
    EXPECT_TRUE(st.step());
    return st.is_null(0) ? int64_t{-1} : st.column_int(0);
  };
  const auto now = static_cast<int64_t>(std::time(nullptr));
  ASSERT_EQ(last_used(), -1);
  ASSERT_TRUE(cache.lookup("k"));  // the first hit always counts
  EXPECT_GE(last_used(), now);
  db.prepare("UPDATE build_cache SET last_used = ?").bind(1, now - 600).run();
  ASSERT_TRUE(cache.lookup("k"));
  EXPECT_EQ(last_used(), now - 600);  // ten minutes ago: recent enough, nothing written
  db.prepare("UPDATE build_cache SET last_used = ?").bind(1, now - 3700).run();
  ASSERT_TRUE(cache.lookup("k"));
  EXPECT_GE(last_used(), now);
}

}  // namespace
}  // namespace mybuild::builder
