#include "registry/www_authenticate.h"

#include <gtest/gtest.h>

namespace mybuild::registry {
namespace {

TEST(WwwAuthenticate, DockerHubBearer) {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c[0].param("service"), "registry.docker.io");
  EXPECT_EQ(c[0].param("scope"), "repository:library/alpine:pull");
}

TEST(WwwAuthenticate, BasicAndCaseAndSpaces) {
  auto c = parse_www_authenticate(R"(BASIC  Realm = "Registry Realm" , charset=UTF-8)");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].param("realm"), "Registry Realm");
  EXPECT_EQ(c[0].param("charset"), "UTF-8");
}

TEST(WwwAuthenticate, SeveralChallengesAndEscapes) {
  auto c = parse_www_authenticate(
      R"(Bearer realm="a\"b",error="insufficient_scope", Basic realm="r", Negotiate abc==)");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].param("realm"), "a\"b");
  EXPECT_EQ(c[0].param("error"), "insufficient_scope");
  EXPECT_EQ(c[1].scheme, "basic");
  EXPECT_EQ(c[1].param("realm"), "r");
  EXPECT_EQ(c[2].scheme, "negotiate");
}

TEST(WwwAuthenticate, MalformedGivesWhatItCan) {
  EXPECT_TRUE(parse_www_authenticate("").empty());
  EXPECT_TRUE(parse_www_authenticate("   ,,, ").empty());
  auto c = parse_www_authenticate(R"(Bearer realm="unterminated)");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].param("realm"), "unterminated");
  EXPECT_NO_THROW(parse_www_authenticate("=\"\"\\,=,=="));
}

}  // namespace
}  // namespace mybuild::registry
