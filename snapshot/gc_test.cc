#include "snapshot/gc.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/media_types.h"
#include "common/temp_dir.h"

namespace mybuild::snapshot {
namespace {

using common::Descriptor;
using nlohmann::json;
namespace mt = common::media_type;

// A store on a temp root with helpers to make small images.
class GcTest : public ::testing::Test {
 protected:
  GcTest() : content_(root_.path()), db_(root_.path() / "metadata.db") {}

  Descriptor blob(std::string_view data, std::string_view media_type) {
    return content_.put(data, media_type);
  }
  // config + one layer + manifest; returns the manifest descriptor.
  Descriptor image(const std::string& seed) {
    Descriptor layer = blob("layer " + seed, mt::kOciLayerGzip);
    Descriptor config = blob(R"({"config":")" + seed + R"("})", mt::kOciConfig);
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", mt::kOciManifest},
                     {"config", config},
                     {"layers", json::array({layer})}};
    return blob(manifest.dump(), mt::kOciManifest);
  }
  // Makes a blob look `age` seconds old.
  void age(const Digest& d, int64_t seconds_ago) {
    struct timespec times[2];
    times[0].tv_sec = times[1].tv_sec = Leases::now() - seconds_ago;
    times[0].tv_nsec = times[1].tv_nsec = 0;
    ASSERT_EQ(::utimensat(AT_FDCWD, content_.blob_path(d).c_str(), times, 0), 0);
  }

  common::TempDir root_;
  ContentStore content_;
  Database db_;
};

TEST_F(GcTest, KeepsWhatTagsReachAndRemovesTheRest) {
  Descriptor kept = image("kept");
  Descriptor dropped = image("dropped");
  // An index reaching a manifest whose layer is absent (never pulled): skipped, not an error.
  Descriptor partial =
      blob(json({{"schemaVersion", 2},
                 {"config", blob("{}", mt::kOciConfig)},
                 {"layers", json::array({Descriptor{.media_type = std::string(mt::kOciLayerGzip),
                                                    .digest = Digest::sha256_of("absent"),
                                                    .size = 6,
                                                    .urls = {},
                                                    .annotations = {},
                                                    .platform = std::nullopt,
                                                    .artifact_type = std::nullopt}})}})
               .dump(),
           mt::kDockerManifest);
  json index = {{"schemaVersion", 2}, {"manifests", json::array({kept, partial})}};
  Descriptor idx = blob(index.dump(), mt::kOciIndex);
  Descriptor loose = blob("loose", "application/octet-stream");
  ImageStore(content_, db_).tag("app:v1", idx);
  EXPECT_EQ(content_.list().size(), 10u);

  GarbageCollector gc(content_, db_);
  GcReport dry = gc.collect({.dry_run = true});
  EXPECT_EQ(dry.removed.size(), 4u);  // dropped's manifest, config, layer + loose
  EXPECT_EQ(content_.list().size(), 10u);

  GcReport report = gc.collect();
  EXPECT_EQ(report.removed.size(), 4u);
  EXPECT_EQ(report.blobs_kept, 6);
  int64_t bytes = 0;
  for (auto& b : report.removed) bytes += b.size;
  EXPECT_EQ(report.bytes_removed, bytes);
  EXPECT_FALSE(content_.contains(dropped.digest));
  EXPECT_FALSE(content_.contains(loose.digest));
  EXPECT_TRUE(content_.contains(kept.digest));
  EXPECT_TRUE(content_.contains(idx.digest));
  EXPECT_TRUE(content_.contains(partial.digest));
  json kept_manifest = json::parse(content_.read_small(kept.digest));  // outlives the loop
  for (auto& c : kept_manifest["layers"]) {
    EXPECT_TRUE(content_.contains(Digest::parse(c["digest"].get<std::string>())));
  }
  // Untagging makes everything collectable.
  ImageStore(content_, db_).untag("app:v1");
  EXPECT_EQ(gc.collect().removed.size(), 6u);
  EXPECT_TRUE(content_.list().empty());
}

TEST_F(GcTest, LeasesProtectWhatTheyHoldUntilTheyExpire) {
  Descriptor held = image("held");
  for (auto& b : content_.list()) age(b.digest, 3600);
  Leases leases(db_);
  Lease lease = leases.create(std::chrono::seconds(600), "build");
  leases.add(lease.id, held.digest);
  Descriptor old_loose = blob("old loose", "application/octet-stream");
  age(old_loose.digest, 3600);

  GarbageCollector gc(content_, db_);
  GcReport report = gc.collect();
  ASSERT_EQ(report.removed.size(), 1u);
  EXPECT_EQ(report.removed[0].digest, old_loose.digest);
  EXPECT_TRUE(content_.contains(held.digest));
  EXPECT_EQ(content_.list().size(), 3u);  // manifest, config, layer, through the lease

  leases.release(lease.id);
  EXPECT_EQ(gc.collect().removed.size(), 3u);
}

// A blob written after a live lease began is kept even though nothing names it yet: the build
// holding the lease may be about to reference it.
TEST_F(GcTest, BlobsNewerThanALiveLeaseAreKept) {
  Descriptor old_blob = blob("old", "application/octet-stream");
  age(old_blob.digest, 3600);
  Leases leases(db_);
  Lease lease = leases.create(std::chrono::seconds(600), "running build");
  Descriptor fresh = blob("fresh", "application/octet-stream");
  GarbageCollector gc(content_, db_);
  GcReport report = gc.collect();
  ASSERT_EQ(report.removed.size(), 1u);
  EXPECT_EQ(report.removed[0].digest, old_blob.digest);
  EXPECT_TRUE(content_.contains(fresh.digest));

  // An expired lease protects nothing and is deleted by the collection.
  Lease expired = leases.create(std::chrono::seconds(0), "dead build");
  leases.release(lease.id);
  report = gc.collect();
  EXPECT_EQ(report.leases_expired, 1);
  EXPECT_FALSE(content_.contains(fresh.digest));
  EXPECT_TRUE(leases.active(Leases::now()).empty());
}

TEST_F(GcTest, RegisteredRootsAreKept) {
  Descriptor cached = image("cache");
  Descriptor layer_only = blob("a cached layer", mt::kOciLayer);
  Descriptor other = blob("other", "application/octet-stream");
  GarbageCollector gc(content_, db_);
  bool called_in_transaction = false;
  gc.add_roots("build cache", [&](Database& db) {
    called_in_transaction = db.in_transaction();
    Descriptor digest_only;
    digest_only.digest = cached.digest;  // no media type: sniffed as JSON
    return std::vector<Descriptor>{digest_only, layer_only};
  });
  GcReport report = gc.collect();
  EXPECT_TRUE(called_in_transaction);
  ASSERT_EQ(report.removed.size(), 1u);
  EXPECT_EQ(report.removed[0].digest, other.digest);
  EXPECT_EQ(content_.list().size(), 4u);
}

TEST_F(GcTest, ErrorsFromRootSourcesAbortWithoutRemoving) {
  blob("would go", "application/octet-stream");
  GarbageCollector gc(content_, db_);
  gc.add_roots("broken source", [](Database&) -> std::vector<Descriptor> {
    throw common::Error(common::ErrorKind::kResource, "cannot read cache");
  });
  try {
    gc.collect();
    FAIL() << "no error";
  } catch (const common::Error& e) {
    ASSERT_FALSE(e.context().empty());
    EXPECT_NE(e.context()[0].find("broken source"), std::string::npos);
  }
  EXPECT_EQ(content_.list().size(), 1u);
}

TEST_F(GcTest, CorruptManifestDoesNotStopPrune) {
  Descriptor bad = blob("{not json", mt::kOciManifest);
  Descriptor loose = blob("loose", "application/octet-stream");
  ImageStore(content_, db_).tag("broken:1", bad);
  GarbageCollector gc(content_, db_);
  GcReport report = gc.collect();
  ASSERT_EQ(report.removed.size(), 1u);
  EXPECT_EQ(report.removed[0].digest, loose.digest);
  EXPECT_TRUE(content_.contains(bad.digest));
}

}  // namespace
}  // namespace mybuild::snapshot
