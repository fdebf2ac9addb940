#include "image/cache_spec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "image/cache_records.h"

namespace mybuild::image {
namespace {

TEST(CacheSpec, RegistryWithModeAndFlags) {
  CacheSpec s =
      parse_cache_spec("type=registry,ref=r:5000/a:cache,mode=max,ignore-error=true", true);
  EXPECT_EQ(s.type, "registry");
  EXPECT_EQ(s.ref, "r:5000/a:cache");
  EXPECT_EQ(s.mode, CacheMode::kMax);
  EXPECT_TRUE(s.ignore_error);
  EXPECT_EQ(parse_cache_spec("r/a:cache", false).ref, "r/a:cache");  // buildx's shorthand
  EXPECT_EQ(parse_cache_spec("type=registry,ref=r/a", true).mode, CacheMode::kMin);
}

TEST(CacheSpec, LocalReadsDestOrSrc) {
  EXPECT_EQ(parse_cache_spec("type=local,dest=/c", true).dir, "/c");
  EXPECT_EQ(parse_cache_spec("type=local,src=/c", false).dir, "/c");
  EXPECT_THROW(parse_cache_spec("type=local,src=/c", true), common::Error);
}

TEST(CacheSpec, BadValuesAreUsageErrors) {
  for (const char* bad : {"type=gha", "type=registry", "type=registry,ref=a,mode=all", "x"}) {
    try {
      parse_cache_spec(bad, true);
      if (std::string(bad) != "x") ADD_FAILURE() << bad;
    } catch (const common::Error& e) {
      EXPECT_EQ(e.kind(), common::ErrorKind::kUsage) << bad;
      EXPECT_NE(std::string(e.what()).find("--cache-to"), std::string::npos) << e.what();
    }
  }
}

TEST(CacheSpec, CacheMountsBySemicolonQuotedCommaOrRepeatedKey) {
  using V = std::vector<std::string>;
  EXPECT_EQ(
      parse_cache_spec("type=registry,ref=r/a,cache-mounts=pkgs;/root/.cache", true).cache_mounts,
      (V{"pkgs", "/root/.cache"}));
  // buildx's CSV: a quoted field keeps its commas; "" is a quote.
  CacheSpec q = parse_cache_spec(R"(type=local,dest=/c,"cache-mounts=a,b",mode=max)", true);
  EXPECT_EQ(q.cache_mounts, (V{"a", "b"}));
  EXPECT_EQ(q.mode, CacheMode::kMax);
  EXPECT_EQ(q.dir, "/c");
  EXPECT_EQ(parse_cache_spec(R"(type=local,"dest=/x""y")", true).dir, "/x\"y");
  // Repeated keys add up, each id once.
  EXPECT_EQ(
      parse_cache_spec("type=local,dest=/c,cache-mounts=a,cache-mounts=b;a", true).cache_mounts,
      (V{"a", "b"}));
  // Unquoted, the comma ends the field: "b" alone is not key=value.
  EXPECT_THROW(parse_cache_spec("type=local,dest=/c,cache-mounts=a,b", true), common::Error);
  for (const char* bad :
       {R"(type=local,dest=/c,"cache-mounts=a)", R"(type=local,dest=/c,"cache-mounts=a"x)",
        "type=inline,cache-mounts=a", "type=local,dest=/c,cache-mounts=;"}) {
    EXPECT_THROW(parse_cache_spec(bad, true), common::Error) << bad;
  }
  EXPECT_THROW(parse_cache_spec("type=local,src=/c,cache-mounts=a", false), common::Error);
}

TEST(CacheSpec, KanikoCacheRepo) {
  EXPECT_EQ(cache_repo_spec("127.0.0.1:5000/app").ref, "127.0.0.1:5000/app:cache");
  EXPECT_EQ(cache_repo_spec("reg/app:ci").ref, "reg/app:ci");
  EXPECT_EQ(cache_repo_spec("reg/app").mode, CacheMode::kMax);
}

TEST(CacheRecords, RoundTripAndCorruption) {
  CacheEntry e;
  e.key = common::Digest::sha256_of("inputs").str();
  e.inputs = R"({"op":"RUN"})";
  e.created_by = "RUN true";
  e.created_at = 42;
  LayerRef l;
  l.diff_id = common::Digest::sha256_of("tar");
  l.blob.digest = common::Digest::sha256_of("gz");
  l.blob.size = 2;
  l.blob.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  e.layer = l;
  auto back = decode_cache_records(encode_cache_records({e}), "t");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].key, e.key);
  EXPECT_EQ(back[0].inputs, e.inputs);
  EXPECT_EQ(back[0].layer->blob.digest, l.blob.digest);
  EXPECT_EQ(back[0].created_at, 42);
  // Inline: the blob comes from the image's layers, by diff_id.
  auto inl = decode_cache_records(encode_inline_records({e}), "t", {l});
  EXPECT_EQ(inl[0].layer->blob.digest, l.blob.digest);
  EXPECT_THROW(decode_cache_records(encode_inline_records({e}), "t"), common::Error);
  try {
    decode_cache_records(R"({"records":[{"key":"nope","inputs":{}}]})", "cache r/a:c");
    ADD_FAILURE();
  } catch (const common::Error& err) {
    EXPECT_EQ(err.kind(), common::ErrorKind::kIntegrity);
    EXPECT_NE(std::string(err.what()).find("nope"), std::string::npos) << err.what();
  }
}

TEST(CacheRecords, CacheMountsRoundTripAndBecomeManifestLayers) {
  CacheMountEntry m;
  m.id = "/root/.cache";
  m.layer.diff_id = common::Digest::sha256_of("mount tar");
  m.layer.blob.digest = common::Digest::sha256_of("mount gz");
  m.layer.blob.size = 7;
  m.layer.blob.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  std::string text = encode_cache_records({}, {m});
  auto back = decode_cache_mounts(text, "t");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].id, m.id);
  EXPECT_EQ(back[0].layer.diff_id, m.layer.diff_id);
  EXPECT_EQ(back[0].layer.blob.digest, m.layer.blob.digest);
  EXPECT_TRUE(decode_cache_records(text, "t").empty());
  // A cache without mounts keeps the bytes it had before mounts existed.
  EXPECT_EQ(encode_cache_records({}), R"({"records":[]})");
  EXPECT_TRUE(decode_cache_mounts(encode_cache_records({}), "t").empty());
  auto manifest = nlohmann::json::parse(cache_manifest_json(common::Descriptor{}, {}, {m}));
  ASSERT_EQ(manifest["layers"].size(), 1u);
  EXPECT_EQ(manifest["layers"][0]["digest"], m.layer.blob.digest.str());
  for (const char* bad : {R"({"records":[],"cacheMounts":[{"id":"","diffID":"x"}]})",
                          R"({"records":[],"cacheMounts":[{"id":"a","diffID":"nope"}]})",
                          R"({"records":[],"cacheMounts":{"id":"a"}})"}) {
    try {
      decode_cache_mounts(bad, "cache r/a:c");
      ADD_FAILURE() << bad;
    } catch (const common::Error& err) {
      EXPECT_EQ(err.kind(), common::ErrorKind::kIntegrity) << bad;
    }
  }
  auto twice = nlohmann::json::parse(encode_cache_records({}, {m, m}));
  EXPECT_THROW(decode_cache_mounts(twice.dump(), "t"), common::Error);
}

}  // namespace
}  // namespace mybuild::image
