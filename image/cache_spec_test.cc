#include "image/cache_spec.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mybuild::image
