#include "builder/output_options.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::builder {
namespace {

using Level = AnnotationLevel;

TEST(ParseAnnotation, PlainKeyGoesOnTheManifest) {
  Annotation a = parse_annotation("org.opencontainers.image.title=app=1");
  EXPECT_EQ(a.levels, std::vector<Level>{Level::kManifest});
  EXPECT_EQ(a.key, "org.opencontainers.image.title");
  EXPECT_EQ(a.value, "app=1");
  EXPECT_FALSE(a.platform);
}

TEST(ParseAnnotation, TypesAndPlatform) {
  Annotation a = parse_annotation("index,manifest-descriptor:k=v");
  EXPECT_EQ(a.levels, (std::vector<Level>{Level::kIndex, Level::kManifestDescriptor}));
  EXPECT_EQ(a.key, "k");
  Annotation p = parse_annotation("manifest[linux/amd64,linux/arm64]:k=v");
  EXPECT_EQ(p.levels, std::vector<Level>{Level::kManifest});
  EXPECT_EQ(p.platform, "linux/amd64,linux/arm64");
  EXPECT_EQ(parse_annotation("index-descriptor:k=").value, "");
}

TEST(ParseAnnotation, RejectsWhatBuildxRejects) {
  EXPECT_THROW(parse_annotation("novalue"), common::Error);
  EXPECT_THROW(parse_annotation("=v"), common::Error);
  EXPECT_THROW(parse_annotation("manifest:=v"), common::Error);
  EXPECT_THROW(parse_annotation("layer:k=v"), common::Error);
}

TEST(AnnotationsFor, SortsByLevelAndPlatform) {
  const auto amd64 = common::Platform::parse("linux/amd64");
  AnnotationSet set =
      annotations_for({parse_annotation("a=1"), parse_annotation("index:b=2"),
                       parse_annotation("manifest[linux/arm64]:c=3"),
                       parse_annotation("manifest[linux/amd64]:d=4"), parse_annotation("a=5")},
                      amd64);
  EXPECT_EQ(set.manifest, (std::map<std::string, std::string>{{"a", "5"}, {"d", "4"}}));
  EXPECT_EQ(set.index, (std::map<std::string, std::string>{{"b", "2"}}));
  EXPECT_TRUE(set.wants_index());
  EXPECT_FALSE(annotations_for({parse_annotation("a=1")}, amd64).wants_index());
}

TEST(ParseProvenance, ModesAsBuildxTakesThem) {
  using Mode = ProvenanceOptions::Mode;
  EXPECT_EQ(parse_provenance("false").mode, Mode::kOff);
  EXPECT_EQ(parse_provenance("true").mode, Mode::kMin);
  EXPECT_EQ(parse_provenance("mode=min").mode, Mode::kMin);
  EXPECT_EQ(parse_provenance("mode=max").mode, Mode::kMax);
  EXPECT_EQ(parse_provenance("disabled=true").mode, Mode::kOff);
  ProvenanceOptions p = parse_provenance("mode=max,builder-id=https://ci.example/run/7");
  EXPECT_EQ(p.mode, Mode::kMax);
  EXPECT_EQ(p.builder_id, "https://ci.example/run/7");
  EXPECT_THROW(parse_provenance("mode=full"), common::Error);
  EXPECT_THROW(parse_provenance("yes"), common::Error);
}

}  // namespace
}  // namespace mybuild::builder
