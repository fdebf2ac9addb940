// find_local_image on hand-made stores: tags and digests, platform choice in an index, and the
// "pull instead" answer (nullopt) whenever a blob the image needs is missing. pull_image itself
// runs against a real registry in tests/store_commands.
#include "image/pull.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/media_types.h"
#include "common/temp_dir.h"
#include "snapshot/database.h"

namespace mybuild::image {
namespace {

using common::Descriptor;
using common::Platform;
using nlohmann::json;
namespace mt = common::media_type;

struct Made {
  Descriptor manifest, config, layer;
};

class FindLocalImage : public ::testing::Test {
 protected:
  FindLocalImage()
      : content_(dir_.path()), db_(snapshot::metadata_path(dir_.path())), images_(content_, db_) {}

  Made make(const std::string& arch, const std::string& variant, const std::string& layer_data) {
    Made m;
    m.layer = content_.put(layer_data, mt::kOciLayerGzip);
    json cfg = {{"architecture", arch}, {"os", "linux"}, {"rootfs", {{"type", "layers"}}}};
    if (!variant.empty()) cfg["variant"] = variant;
    m.config = content_.put(cfg.dump(), mt::kOciConfig);
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", mt::kOciManifest},
                     {"config", m.config},
                     {"layers", json::array({m.layer})}};
    m.manifest = content_.put(manifest.dump(), mt::kOciManifest);
    return m;
  }
  Descriptor index_of(std::vector<std::pair<Made, std::string>> entries) {
    json list = json::array();
    for (auto& [made, platform] : entries) {
      Descriptor d = made.manifest;
      d.platform = Platform::parse(platform);
      list.push_back(d);
    }
    // Docker's manifest list type: the lookup must treat it as an index like OCI's.
    return content_.put(
        json({{"schemaVersion", 2}, {"mediaType", mt::kDockerManifestList}, {"manifests", list}})
            .dump(),
        mt::kDockerManifestList);
  }
  std::optional<LocalImage> find(const std::string& ref, const std::string& platform) {
    return find_local_image(content_, images_, registry::parse_reference(ref),
                            Platform::parse(platform));
  }

  common::TempDir dir_{"mybuild-find-local-"};
  snapshot::ContentStore content_;
  snapshot::Database db_;
  snapshot::ImageStore images_;
};

TEST_F(FindLocalImage, TaggedManifestWithEveryBlob) {
  Made m = make("amd64", "", "layer-a");
  images_.tag("docker.io/library/app:v1", m.manifest);
  auto img = find("app:v1", "linux/amd64");
  ASSERT_TRUE(img);
  EXPECT_EQ(img->name, "docker.io/library/app:v1");
  EXPECT_EQ(img->root, m.manifest);
  EXPECT_EQ(img->manifest, m.manifest);
  EXPECT_EQ(img->config, m.config);
  ASSERT_EQ(img->layers.size(), 1u);
  EXPECT_EQ(img->layers[0], m.layer);
  // No such tag, and a manifest for another platform: the caller must pull.
  EXPECT_FALSE(find("app:v2", "linux/amd64"));
  EXPECT_FALSE(find("app:v1", "linux/arm64"));
}

TEST_F(FindLocalImage, IndexChoosesThePlatformAndSkipsUnpulledOnes) {
  Made amd = make("amd64", "", "layer-amd"), arm = make("arm64", "v8", "layer-arm");
  images_.tag("docker.io/library/multi:1",
              index_of({{amd, "linux/amd64"}, {arm, "linux/arm64/v8"}}));
  auto got = find("multi:1", "linux/arm64");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->manifest.digest, arm.manifest.digest);
  EXPECT_EQ(got->root.media_type, mt::kDockerManifestList);
  EXPECT_EQ(got->layers.at(0), arm.layer);
  EXPECT_EQ(find("multi:1", "linux/amd64")->config, amd.config);
  EXPECT_FALSE(find("multi:1", "linux/s390x"));
  // Only one platform pulled: the other is absent, not an error.
  ASSERT_TRUE(content_.remove(arm.manifest.digest));
  EXPECT_FALSE(find("multi:1", "linux/arm64"));
  EXPECT_TRUE(find("multi:1", "linux/amd64"));
}

TEST_F(FindLocalImage, AnyMissingBlobMeansPull) {
  Made m = make("amd64", "", "layer-a");
  images_.tag("docker.io/library/app:v1", m.manifest);
  ASSERT_TRUE(content_.remove(m.layer.digest));
  EXPECT_FALSE(find("app:v1", "linux/amd64"));
  content_.put("layer-a", mt::kOciLayerGzip);
  ASSERT_TRUE(find("app:v1", "linux/amd64"));
  ASSERT_TRUE(content_.remove(m.config.digest));
  EXPECT_FALSE(find("app:v1", "linux/amd64"));
  ASSERT_TRUE(content_.remove(m.manifest.digest));
  EXPECT_FALSE(find("app:v1", "linux/amd64"));
}

TEST_F(FindLocalImage, ByDigestTaggedOrNot) {
  Made m = make("amd64", "", "layer-a");
  auto img = find("app@" + m.manifest.digest.str(), "linux/amd64");
  ASSERT_TRUE(img);
  EXPECT_EQ(img->manifest.digest, m.manifest.digest);
  EXPECT_EQ(img->manifest.media_type, mt::kOciManifest);
  EXPECT_FALSE(find("app@" + common::Digest::sha256_of("absent").str(), "linux/amd64"));
  // A digest that names a layer is not an image.
  try {
    find("app@" + m.layer.digest.str(), "linux/amd64");
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity) << e.full_message();
  }
}

TEST_F(FindLocalImage, MalformedStoredManifestIsAnIntegrityError) {
  for (const std::string& body : {std::string("not json"), std::string("[1,2]"),
                                  std::string(R"({"config":{"digest":"sha256:xx"},"layers":[]})"),
                                  std::string(R"({"config":{}})")}) {
    images_.tag("docker.io/library/bad:1", content_.put(body, mt::kOciManifest));
    try {
      find("bad:1", "linux/amd64");
      FAIL() << body;
    } catch (const common::Error& e) {
      EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity) << body << ": " << e.full_message();
      EXPECT_NE(e.full_message().find("docker.io/library/bad:1"), std::string::npos);
    }
  }
  images_.tag("docker.io/library/bad:2", content_.put(R"({"manifests":5})", mt::kOciIndex));
  EXPECT_THROW(find("bad:2", "linux/amd64"), common::Error);
}

}  // namespace
}  // namespace mybuild::image
