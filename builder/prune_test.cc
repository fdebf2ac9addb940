// prune_store over a hand-made store: the build's extra roots (converted layers kept while their
// source is kept) reach the collector.
#include "builder/prune.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/temp_dir.h"
#include "image/export_test_image.h"
#include "image/layer_convert.h"
#include "snapshot/content_store.h"
#include "snapshot/database.h"
#include "snapshot/image_store.h"

namespace mybuild::builder {
namespace {

using common::Descriptor;
using common::Digest;
using nlohmann::json;
using snapshot::Compression;
namespace et = image::export_testing;

class PruneTest : public ::testing::Test {
 protected:
  PruneTest() : content_(dir_.path()), db_(snapshot::metadata_path(dir_.path())) {}

  et::TestImage image(Compression c) {
    et::StoredLayer base = et::put_layer(
        content_, {et::dir("a"), et::file("a/x", std::string(100000, 'x')), et::file("b", "b")}, c);
    et::StoredLayer top = et::put_layer(content_, {et::file("c", "c")}, c);
    return et::put_image(content_, {base, top});
  }
  json read(const Descriptor& d) { return json::parse(content_.read_small(d.digest)); }
  int64_t records() {
    auto st = db_.prepare("SELECT count(*) FROM layer_conversions");
    st.step();
    return st.column_int(0);
  }

  common::TempDir dir_{"mybuild-prune-"};
  snapshot::ContentStore content_;
  snapshot::Database db_;
};

TEST_F(PruneTest, KeepsConvertedLayersWhileTheirSourceIsKept) {
  et::TestImage img = image(Compression::kNone);
  {
    snapshot::ImageStore images(content_, db_);
    images.tag("docker.io/library/app:v1", img.manifest);
  }
  image::ConvertResult r =
      image::LayerConverter(content_, db_).convert(img.manifest, {});  // lease released
  Digest converted = read(r.root)["layers"][0].get<Descriptor>().digest;

  PruneResult kept = prune_store(dir_.path(), {});
  EXPECT_TRUE(content_.contains(converted)) << "its source is tagged";
  EXPECT_FALSE(content_.contains(r.root.digest)) << "a converted manifest is made again";
  EXPECT_EQ(records(), 2);
  (void)kept;

  {
    snapshot::ImageStore images(content_, db_);
    images.untag("docker.io/library/app:v1");
  }
  PruneResult dry = prune_store(dir_.path(), {.dry_run = true});
  EXPECT_NE(std::find(dry.removed.begin(), dry.removed.end(), converted.str()), dry.removed.end())
      << "a dry run names the converted layer too";
  prune_store(dir_.path(), {});
  EXPECT_FALSE(content_.contains(converted));
  EXPECT_FALSE(content_.contains(img.layers[0].descriptor.digest));
  EXPECT_EQ(records(), 0) << "records of gone blobs are dropped";
}

}  // namespace
}  // namespace mybuild::builder
