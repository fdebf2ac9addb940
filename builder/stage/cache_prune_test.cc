#include "builder/stage/cache_prune.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ctime>

#include "builder/stage/build_cache.h"
#include "common/io.h"
#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

CacheRecord record(const std::string& key, int64_t created, const std::string& layer_text) {
  CacheRecord r;
  r.key = key;
  r.locator = "Dockerfile:0:" + key;
  r.inputs = "{}";
  r.created_at = created;
  image::LayerRef layer;
  layer.blob.digest = common::Digest::sha256_of(layer_text);
  layer.blob.media_type = "application/vnd.oci.image.layer.v1.tar";
  layer.blob.size = 1000;
  layer.diff_id = layer.blob.digest;
  r.layer = layer;
  return r;
}

TEST(CachePrune, OldestFirstAndAHitMakesARecordRecent) {
  common::TempDir root;
  snapshot::Database db(root.path() / "metadata.db");
  BuildCache cache(db);
  const int64_t now = std::time(nullptr);
  cache.store(record("a", now - 300, "layer-a"));
  cache.store(record("b", now - 200, "shared"));
  cache.store(record("c", now - 100, "shared"));
  ASSERT_TRUE(cache.lookup("a"));  // a hit: "a" is now the most recently used

  std::vector<CacheItem> items = cache_items(db, root.path(), false);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].id, "b");
  EXPECT_EQ(items[1].id, "c");
  EXPECT_EQ(items[2].id, "a");
  EXPECT_GE(items[2].last_used, now);
  // "b" and "c" share a layer: dropping "b" alone frees nothing.
  EXPECT_EQ(items[0].bytes, 0);
  EXPECT_EQ(items[1].bytes, 1000);

  drop_cache_item(db, items[0]);
  EXPECT_FALSE(cache.lookup("b"));
  EXPECT_TRUE(cache.lookup("c"));
}

TEST(CachePrune, CacheMountDirectoriesByMtime) {
  common::TempDir root;
  snapshot::Database db(root.path() / "metadata.db");
  auto dir = root.path() / "cache-mounts" / "id1";
  std::filesystem::create_directories(dir);
  common::write_file_atomic(dir / "f", std::string(300, 'x'));
  timespec times[2] = {{std::time(nullptr) - 50, 0}, {std::time(nullptr) - 50, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, dir.c_str(), times, 0), 0);
  std::vector<CacheItem> items = cache_items(db, root.path(), true);
  ASSERT_EQ(items.size(), 1u) << "no build_cache table yet: no records";
  EXPECT_EQ(items[0].kind, CacheItem::Kind::kMountDir);
  EXPECT_EQ(items[0].bytes, 300);
  EXPECT_EQ(items[0].last_used, times[1].tv_sec);
  EXPECT_TRUE(cache_items(db, root.path(), false).empty());
  drop_cache_item(db, items[0]);
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_GE(store_usage(root.path()), 0);
}

TEST(CachePrune, GitCheckoutsByMtimeAfterOlderCacheMounts) {
  common::TempDir root;
  snapshot::Database db(root.path() / "metadata.db");
  auto mount = root.path() / "cache-mounts" / "id1";
  auto checkout = root.path() / "git" / "commits" / "0123abcd";
  std::filesystem::create_directories(mount);
  std::filesystem::create_directories(checkout);
  common::write_file_atomic(checkout / "f", std::string(100, 'x'));
  timespec old_times[2] = {{std::time(nullptr) - 90, 0}, {std::time(nullptr) - 90, 0}};
  timespec new_times[2] = {{std::time(nullptr) - 10, 0}, {std::time(nullptr) - 10, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, mount.c_str(), old_times, 0), 0);
  ASSERT_EQ(::utimensat(AT_FDCWD, checkout.c_str(), new_times, 0), 0);
  std::vector<CacheItem> items = cache_items(db, root.path(), true);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].kind, CacheItem::Kind::kMountDir) << "oldest first";
  EXPECT_EQ(items[1].kind, CacheItem::Kind::kGitCheckout);
  EXPECT_EQ(items[1].id, checkout.string());
  EXPECT_EQ(items[1].bytes, 100);
  drop_cache_item(db, items[1]);
  EXPECT_FALSE(std::filesystem::exists(checkout));
}

}  // namespace
}  // namespace mybuild::builder
