#include "common/descriptor.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::common {
namespace {

TEST(Platform, ParseNormalisesAliases) {
  EXPECT_EQ(Platform::parse("linux/x86_64").str(), "linux/amd64");
  EXPECT_EQ(Platform::parse("linux/aarch64").str(), "linux/arm64");
  EXPECT_EQ(Platform::parse("linux/arm64/v8").str(), "linux/arm64");
  EXPECT_EQ(Platform::parse("linux/arm").str(), "linux/arm/v7");
  EXPECT_EQ(Platform::parse("arm64").str(), "linux/arm64");
  EXPECT_THROW(Platform::parse("linux//amd64"), Error);
  EXPECT_THROW(Platform::parse("a/b/c/d"), Error);
  // buildx's multi-platform list is refused by name, not misread as arch "amd64,linux".
  try {
    Platform::parse("linux/amd64,linux/arm64");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("give one platform here"), std::string::npos) << e.what();
  }
}

TEST(Platform, Matches) {
  EXPECT_TRUE(Platform::parse("linux/arm/v7").matches(Platform::parse("linux/arm")));
  EXPECT_FALSE(Platform::parse("linux/arm/v6").matches(Platform::parse("linux/arm/v7")));
  EXPECT_FALSE(Platform::parse("linux/amd64").matches(Platform::parse("linux/arm64")));
}

TEST(Descriptor, JsonRoundTripOmitsEmptyFields) {
  Descriptor d;
  d.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  d.digest = Digest::sha256_of("x");
  d.size = 1;
  nlohmann::json j = d;
  EXPECT_FALSE(j.contains("urls"));
  EXPECT_FALSE(j.contains("annotations"));
  EXPECT_EQ(j.get<Descriptor>(), d);
}

TEST(Descriptor, MalformedIsIntegrityError) {
  auto j = nlohmann::json::parse(R"({"mediaType":"x","digest":"sha256:zz","size":1})");
  try {
    (void)j.get<Descriptor>();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIntegrity);
  }
  auto neg = nlohmann::json::parse(
      R"({"mediaType":"x","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":-1})");
  EXPECT_THROW((void)neg.get<Descriptor>(), Error);
}

// Found by fuzz/image_documents_fuzz.cc: a float size was converted to int64_t (undefined
// behaviour when out of range); Go's decoder refuses it, and so do we.
TEST(Descriptor, SizeMustBeAnInt64) {
  const std::string digest =
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  for (const char* size : {"9.36944e+59", "1.5", "1470.0", "18446744073709551615", "\"1\""}) {
    auto j = nlohmann::json::parse(std::string(R"({"mediaType":"x","digest":")") + digest +
                                   R"(","size":)" + size + "}");
    EXPECT_THROW((void)j.get<Descriptor>(), Error) << size;
  }
  EXPECT_EQ(json_int64(nlohmann::json::parse("9223372036854775807"), "n"), INT64_MAX);
  EXPECT_EQ(json_int64(nlohmann::json::parse("-3"), "n"), -3);
}

}  // namespace
}  // namespace mybuild::common
