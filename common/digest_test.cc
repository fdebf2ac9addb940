#include "common/digest.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::common {
namespace {

TEST(Digest, Sha256OfKnownVectors) {
  EXPECT_EQ(Digest::sha256_of("").str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Digest::sha256_of("abc").str(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, StreamingEqualsOneShot) {
  Sha256 h;
  h.update("a");
  h.update("bc");
  EXPECT_EQ(h.bytes(), 3u);
  EXPECT_EQ(h.finish(), Digest::sha256_of("abc"));
}

TEST(Digest, ParseRejectsMalformed) {
  EXPECT_FALSE(Digest::try_parse("sha256:abc"));
  EXPECT_FALSE(Digest::try_parse("md5:d41d8cd98f00b204e9800998ecf8427e"));
  EXPECT_FALSE(
      Digest::try_parse("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
  EXPECT_FALSE(
      Digest::try_parse("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_THROW(Digest::parse("nope"), Error);
  auto d = Digest::parse("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(d.algorithm(), "sha256");
  EXPECT_EQ(d.short_hex(), "e3b0c44298fc");
}

}  // namespace
}  // namespace mybuild::common
