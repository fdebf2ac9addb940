// LayerConverter on hand-made stores: what gets converted and what is reused, the conversion
// table (a second run converts nothing), Docker schema 2 manifests, indexes with attestations,
// corrupt input, and the garbage-collection roots that keep converted layers while their source
// is kept.
#include "image/layer_convert.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/media_types.h"
#include "common/temp_dir.h"
#include "image/export_test_image.h"
#include "snapshot/gc.h"
#include "snapshot/image_store.h"

namespace mybuild::image {
namespace {

using common::Descriptor;
using common::Digest;
using nlohmann::json;
using snapshot::Compression;
namespace mt = common::media_type;
namespace et = export_testing;

class Convert : public ::testing::Test {
 protected:
  Convert()
      : content_(dir_.path()),
        db_(snapshot::metadata_path(dir_.path())),
        converter_(content_, db_) {}

  et::TestImage image(Compression c) {
    et::StoredLayer base = et::put_layer(
        content_, {et::dir("a"), et::file("a/x", std::string(100000, 'x')), et::file("b", "b")}, c);
    et::StoredLayer top = et::put_layer(content_, {et::file("c", "c")}, c);
    return et::put_image(content_, {base, top});
  }
  json read(const Descriptor& d) { return json::parse(content_.read_small(d.digest)); }
  // The uncompressed bytes of a stored layer.
  std::string plain(const Digest& d) {
    auto in = content_.open(d);
    auto out = snapshot::open_decompressed(*in);
    return common::read_all(*out, 16 << 20);
  }
  int64_t records() {
    auto st = db_.prepare("SELECT count(*) FROM layer_conversions");
    st.step();
    return st.column_int(0);
  }
  // Rewrites a manifest with Docker schema 2 media types (a pulled Docker Hub image).
  Descriptor as_docker(const et::TestImage& img) {
    json m = read(img.manifest);
    m["mediaType"] = mt::kDockerManifest;
    m["config"]["mediaType"] = mt::kDockerConfig;
    for (auto& l : m["layers"]) l["mediaType"] = mt::kDockerLayerGzip;
    return content_.put(m.dump(), mt::kDockerManifest);
  }

  common::TempDir dir_{"mybuild-layer-convert-"};
  snapshot::ContentStore content_;
  snapshot::Database db_;
  LayerConverter converter_;
};

TEST(LayerFormat, ParsesNamesAndChecksLevels) {
  EXPECT_EQ(parse_layer_format("gzip").compression, Compression::kGzip);
  EXPECT_EQ(parse_layer_format("zstd", 19), (LayerFormat{Compression::kZstd, 19}));
  EXPECT_EQ(parse_layer_format("uncompressed").compression, Compression::kNone);
  EXPECT_EQ(parse_layer_format("none", 9), (LayerFormat{Compression::kNone, -1}));
  auto kind = [](std::string_view name, int level) {
    try {
      parse_layer_format(name, level);
    } catch (const common::Error& e) {
      return e.kind();
    }
    return common::ErrorKind::kInternal;
  };
  EXPECT_EQ(kind("brotli", -1), common::ErrorKind::kUsage);
  EXPECT_EQ(kind("gzip", 13), common::ErrorKind::kUsage);
  EXPECT_EQ(kind("zstd", 0), common::ErrorKind::kUsage);
  EXPECT_EQ(kind("zstd", 23), common::ErrorKind::kUsage);
  EXPECT_EQ(kind("gzip", -5), common::ErrorKind::kUsage);
}

TEST_F(Convert, UncompressedLayersBecomeGzipOnceThenComeFromTheTable) {
  et::TestImage img = image(Compression::kNone);
  ConvertResult first = converter_.convert(img.manifest, {});
  EXPECT_EQ(first.layers_converted, 2);
  EXPECT_EQ(first.layers_remembered, 0);
  ASSERT_NE(first.root.digest, img.manifest.digest);
  EXPECT_EQ(first.root.media_type, mt::kOciManifest);
  EXPECT_EQ(first.root.platform, img.manifest.platform) << "the platform stays on the descriptor";
  json m = read(first.root);
  EXPECT_EQ(m["config"]["digest"], img.config.digest.str()) << "the config never changes";
  ASSERT_EQ(m["layers"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    Descriptor l = m["layers"][i].get<Descriptor>();
    EXPECT_EQ(l.media_type, mt::kOciLayerGzip);
    ASSERT_TRUE(content_.contains(l.digest));
    EXPECT_EQ(content_.info(l.digest)->size, l.size);
    EXPECT_EQ(Digest::sha256_of(plain(l.digest)), img.layers[i].diff_id);
  }
  EXPECT_LT(m["layers"][0]["size"].get<int64_t>(), img.layers[0].descriptor.size)
      << "100 kB of 'x' compresses";
  EXPECT_EQ(records(), 2);

  ConvertResult again = converter_.convert(img.manifest, {});
  EXPECT_EQ(again.layers_converted, 0);
  EXPECT_EQ(again.layers_remembered, 2);
  EXPECT_EQ(again.root, first.root) << "same layers, same manifest bytes";

  // Another converter (another process) finds the records too.
  LayerConverter other(content_, db_);
  EXPECT_EQ(other.convert(img.manifest, {}).layers_converted, 0);
}

TEST_F(Convert, LayersAlreadyInTheFormatAreReused) {
  et::TestImage img = image(Compression::kGzip);
  ConvertResult r = converter_.convert(img.manifest, {Compression::kGzip, 9});
  EXPECT_EQ(r.root, img.manifest) << "a gzip image pushed as gzip is sent as it is";
  EXPECT_EQ(r.layers_kept, 2);
  EXPECT_EQ(r.layers_converted, 0);
  EXPECT_EQ(records(), 0);
}

TEST_F(Convert, GzipIsRecompressedAsZstdNeverPassedThrough) {
  et::TestImage img = image(Compression::kGzip);
  std::vector<std::string> lines;
  ConvertResult r = converter_.convert(img.manifest, {Compression::kZstd, 3},
                                       [&](std::string_view l) { lines.emplace_back(l); });
  EXPECT_EQ(r.layers_converted, 2);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].rfind(img.layers[0].descriptor.digest.short_hex() + ": Compressed to zstd", 0),
            0u)
      << lines[0];
  json m = read(r.root);
  for (size_t i = 0; i < 2; ++i) {
    Descriptor l = m["layers"][i].get<Descriptor>();
    EXPECT_EQ(l.media_type, mt::kOciLayerZstd);
    std::string head = content_.read_small(l.digest).substr(0, 4);
    EXPECT_EQ(head, std::string("\x28\xb5\x2f\xfd", 4)) << "zstd magic";
    EXPECT_EQ(Digest::sha256_of(plain(l.digest)), img.layers[i].diff_id);
  }
  // A different level is a different conversion.
  EXPECT_EQ(converter_.convert(img.manifest, {Compression::kZstd, 1}).layers_converted, 2);
  EXPECT_EQ(records(), 4);
  // And back to gzip: recompressed from the gzip source? No: gzip layers are reused as they are.
  EXPECT_EQ(converter_.convert(img.manifest, {}).root, img.manifest);
}

TEST_F(Convert, DockerManifestsKeepDockerTypesExceptForZstd) {
  et::TestImage img = image(Compression::kGzip);
  Descriptor docker = as_docker(img);
  EXPECT_EQ(converter_.convert(docker, {}).root, docker);

  ConvertResult plain_tar = converter_.convert(docker, {Compression::kNone, -1});
  EXPECT_EQ(plain_tar.root.media_type, mt::kDockerManifest);
  json m = read(plain_tar.root);
  EXPECT_EQ(m["mediaType"], mt::kDockerManifest);
  EXPECT_EQ(m["layers"][0]["mediaType"], "application/vnd.docker.image.rootfs.diff.tar");
  EXPECT_EQ(m["layers"][0]["digest"], img.layers[0].diff_id.str()) << "a plain tar is its diff_id";

  ConvertResult zstd = converter_.convert(docker, {Compression::kZstd, -1});
  EXPECT_EQ(zstd.root.media_type, mt::kOciManifest);
  json z = read(zstd.root);
  EXPECT_EQ(z["mediaType"], mt::kOciManifest);
  EXPECT_EQ(z["config"]["mediaType"], mt::kOciConfig);
  EXPECT_EQ(z["config"]["digest"], img.config.digest.str());
  EXPECT_EQ(z["layers"][1]["mediaType"], mt::kOciLayerZstd);
}

TEST_F(Convert, IndexesAreRewrittenWithTheirAttestationReferences) {
  et::TestImage img = image(Compression::kNone);
  // Another platform sharing the base layer, and an attestation manifest naming the first.
  et::TestImage arm =
      et::put_image(content_, {img.layers[0]}, common::Platform::parse("linux/arm64"));
  Descriptor statement = content_.put("{}", "application/vnd.in-toto+json");
  json att = {{"schemaVersion", 2},
              {"mediaType", mt::kOciManifest},
              {"config", content_.put("{}", mt::kOciConfig)},
              {"layers", json::array({statement})}};
  Descriptor att_desc = content_.put(att.dump(), mt::kOciManifest);
  att_desc.annotations["vnd.docker.reference.type"] = "attestation-manifest";
  att_desc.annotations["vnd.docker.reference.digest"] = img.manifest.digest.str();
  Descriptor missing = arm.manifest;  // a platform the store does not hold
  missing.digest = Digest::sha256_of("not here");
  json index = {{"schemaVersion", 2},
                {"mediaType", mt::kOciIndex},
                {"manifests", json::array({img.manifest, arm.manifest, att_desc, missing})}};
  Descriptor idx = content_.put(index.dump(), mt::kOciIndex);

  ConvertResult r = converter_.convert(idx, {});
  EXPECT_EQ(r.layers_converted, 2) << "the shared base layer is converted once";
  EXPECT_EQ(r.layers_remembered, 0);
  EXPECT_EQ(r.layers_kept, 1) << "the in-toto statement is not a layer";
  json out = read(r.root);
  ASSERT_EQ(out["manifests"].size(), 4u);
  Descriptor amd = out["manifests"][0].get<Descriptor>();
  EXPECT_NE(amd.digest, img.manifest.digest);
  EXPECT_EQ(amd.platform, img.manifest.platform);
  EXPECT_EQ(read(amd)["layers"][0], read(out["manifests"][1].get<Descriptor>())["layers"][0]);
  EXPECT_EQ(out["manifests"][2]["digest"], att_desc.digest.str()) << "nothing in it to convert";
  EXPECT_EQ(out["manifests"][2]["annotations"]["vnd.docker.reference.digest"], amd.digest.str());
  EXPECT_EQ(out["manifests"][3]["digest"], missing.digest.str());
}

TEST_F(Convert, ADiffIdMismatchIsAnIntegrityErrorAndRecordsNothing) {
  et::TestImage img = image(Compression::kGzip);
  json m = read(img.manifest);
  json config = read(img.config);
  config["rootfs"]["diff_ids"][1] = Digest::sha256_of("other").str();
  m["config"] = content_.put(config.dump(), mt::kOciConfig);
  Descriptor bad = content_.put(m.dump(), mt::kOciManifest);
  try {
    converter_.convert(bad, {Compression::kZstd, -1});
    FAIL() << "converted";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity);
    EXPECT_NE(e.full_message().find("but the image config says"), std::string::npos)
        << e.full_message();
  }
  EXPECT_EQ(records(), 1) << "only the first layer, which matched";
}

TEST_F(Convert, ASizeMismatchOrAMissingLayerIsAnError) {
  et::TestImage img = image(Compression::kNone);
  json m = read(img.manifest);
  m["layers"][0]["size"] = m["layers"][0]["size"].get<int64_t>() - 1;
  Descriptor lying = content_.put(m.dump(), mt::kOciManifest);
  try {
    converter_.convert(lying, {});
    FAIL() << "converted";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity) << e.full_message();
  }
  ASSERT_TRUE(content_.remove(img.layers[1].descriptor.digest));
  try {
    converter_.convert(img.manifest, {});
    FAIL() << "converted";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound) << e.full_message();
  }
}

TEST_F(Convert, ARecordWhoseBlobIsGoneIsConvertedAgain) {
  et::TestImage img = image(Compression::kNone);
  ConvertResult first = converter_.convert(img.manifest, {});
  Descriptor converted = read(first.root)["layers"][0].get<Descriptor>();
  ASSERT_TRUE(content_.remove(converted.digest));
  ConvertResult again = converter_.convert(img.manifest, {});
  EXPECT_EQ(again.layers_converted, 1);
  EXPECT_EQ(again.layers_remembered, 1);
  EXPECT_EQ(again.root, first.root) << "gzip output is deterministic";
  EXPECT_TRUE(content_.contains(converted.digest));
}

TEST_F(Convert, RootsFollowReachableSources) {
  et::TestImage img = image(Compression::kNone);
  ConvertResult r = converter_.convert(img.manifest, {});
  Digest base = img.layers[0].descriptor.digest;
  std::vector<Descriptor> roots = conversion_roots(db_, {base});
  ASSERT_EQ(roots.size(), 1u);
  EXPECT_EQ(roots[0].digest, read(r.root)["layers"][0].get<Descriptor>().digest);
  EXPECT_TRUE(conversion_roots(db_, {}).empty());
  common::TempDir fresh("mybuild-layer-convert-fresh-");
  snapshot::Database empty(snapshot::metadata_path(fresh.path()));
  EXPECT_TRUE(conversion_roots(empty, {base}).empty()) << "no table, no roots, no error";
  EXPECT_EQ(forget_stale_conversions(empty, content_), 0);
}

}  // namespace
}  // namespace mybuild::image
