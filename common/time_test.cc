#include "common/time.h"

#include <gtest/gtest.h>

namespace mybuild::common {
namespace {

TEST(Rfc3339Test, FormatsUtcWithWholeSeconds) {
  EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339(1700000000), "2023-11-14T22:13:20Z");
}

TEST(Rfc3339Test, ParsesFractionsAndOffsets) {
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20Z"), 1700000000);
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20.123456789Z"), 1700000000);
  EXPECT_EQ(parse_rfc3339("2023-11-14T23:13:20+01:00"), 1700000000);
  EXPECT_EQ(parse_rfc3339("2023-11-14T21:13:20-01:00"), 1700000000);
}

TEST(Rfc3339Test, RoundTrips) {
  for (int64_t t : {int64_t{0}, int64_t{86399}, int64_t{1234567890}, int64_t{4102444800}}) {
    EXPECT_EQ(parse_rfc3339(rfc3339(t)), t);
  }
}

TEST(Rfc3339Test, RejectsMalformed) {
  EXPECT_EQ(parse_rfc3339(""), std::nullopt);
  EXPECT_EQ(parse_rfc3339("yesterday"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20+0100"), std::nullopt);
}

}  // namespace
}  // namespace mybuild::common
