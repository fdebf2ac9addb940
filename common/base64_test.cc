#include "common/base64.h"

#include <gtest/gtest.h>

namespace mybuild::common {
namespace {

TEST(Base64, EncodesWithPaddingForEveryRemainder) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(Base64, DecodeRoundTripsBinaryAndRefusesWhatIsNotBase64) {
  const std::string binary("\x00\x01\xff:pw", 6);
  EXPECT_EQ(base64_decode(base64_encode(binary)), binary);
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_FALSE(base64_decode("Zg="));
  EXPECT_FALSE(base64_decode("Z!=="));
}

}  // namespace
}  // namespace mybuild::common
