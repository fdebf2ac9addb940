#include "common/ascii.h"

#include <gtest/gtest.h>

namespace mybuild::common {
namespace {

TEST(AsciiLower, FoldsOnlyAsciiLetters) {
  EXPECT_EQ(ascii_lower("FROM Alpine:3.19"), "from alpine:3.19");
  // UTF-8 bytes (here "Ä") and other high bytes pass through as they are.
  EXPECT_EQ(ascii_lower("\xC3\x84Z"), "\xC3\x84z");
  EXPECT_EQ(ascii_lower(""), "");
}

}  // namespace
}  // namespace mybuild::common
