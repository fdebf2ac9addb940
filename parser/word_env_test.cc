#include "parser/word_env.h"

#include <gtest/gtest.h>

namespace mybuild::parser {
namespace {

TEST(WordEnv, LaterWinsAndUnsetDiffersFromEmpty) {
  Env env{{"A", "1"}, {"EMPTY", ""}};
  env.set("A", "2");
  EXPECT_EQ(env.lookup("A"), "2");
  ASSERT_TRUE(env.lookup("EMPTY").has_value());
  EXPECT_EQ(*env.lookup("EMPTY"), "");
  EXPECT_FALSE(env.lookup("B").has_value());
  EXPECT_FALSE(env.lookup("a").has_value());  // case-sensitive
  EXPECT_EQ(env.entries().size(), 3u);
}

}  // namespace
}  // namespace mybuild::parser
