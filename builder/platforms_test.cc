#include "builder/platforms.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::builder {
namespace {

TEST(PlatformList, EmptyIsTheHost) {
  auto p = parse_platform_list("");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], common::Platform::host());
}

TEST(PlatformList, KeepsOrderAndNormalisesAliases) {
  auto p = parse_platform_list("linux/arm64,x86_64,linux/arm/v7");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].str(), "linux/arm64");
  EXPECT_EQ(p[1].str(), "linux/amd64");
  EXPECT_EQ(p[2].str(), "linux/arm/v7");
}

TEST(PlatformList, BadListsAreUsageErrors) {
  for (const char* bad : {"linux/amd64,", ",linux/amd64", "linux/amd64,,linux/arm64",
                          "linux/amd64,amd64", "linux/amd64,linux//arm64"}) {
    try {
      parse_platform_list(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const common::Error& e) {
      EXPECT_EQ(e.kind(), common::ErrorKind::kUsage) << bad;
    }
  }
}

}  // namespace
}  // namespace mybuild::builder
