#include "builder/copy/chmod.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::builder {
namespace {

mode_t file(std::string_view spec, mode_t mode) {
  return ChmodSpec::parse(spec).apply(mode, false);
}
mode_t dir(std::string_view spec, mode_t mode) { return ChmodSpec::parse(spec).apply(mode, true); }

TEST(Chmod, OctalReplacesTheBits) {
  EXPECT_EQ(file("755", 0600), 0755u);
  EXPECT_EQ(file("0644", 04777), 0644u);
  EXPECT_EQ(file("4755", 0600), 04755u);
  EXPECT_EQ(file("7777", 0), 07777u);
  EXPECT_EQ(ChmodSpec::parse("750").octal(), 0750u);
  EXPECT_FALSE(ChmodSpec::parse("u+x").octal());
}

TEST(Chmod, SymbolicClauses) {
  EXPECT_EQ(file("u=rwx,go=rx", 0600), 0755u);
  EXPECT_EQ(file("go-w", 0777), 0755u);
  EXPECT_EQ(file("a-w", 0777), 0555u);
  EXPECT_EQ(file("+x", 0644), 0755u);     // no "who": everybody (umask 0, as BuildKit)
  EXPECT_EQ(file("u+r-w", 0200), 0400u);  // several operations in one clause
  EXPECT_EQ(file("=", 0777), 0u);
  EXPECT_EQ(file("o=", 0777), 0770u);
}

TEST(Chmod, CapitalXAddsExecuteOnlyForDirectoriesAndExecutables) {
  EXPECT_EQ(file("a+rX", 0600), 0644u);
  EXPECT_EQ(file("a+rX", 0700), 0755u);
  EXPECT_EQ(dir("a+rX", 0700), 0755u);
  // X sees the mode before the value was applied (BSD setmode, so BuildKit).
  EXPECT_EQ(file("a-x,a+X", 0700), 0711u);
  // X is ignored unless the operator is '+' (BSD setmode, so BuildKit).
  EXPECT_EQ(dir("a=rX", 0700), 0444u);
}

TEST(Chmod, CopyingClasses) {
  EXPECT_EQ(file("g=u-w", 0700), 0750u);
  EXPECT_EQ(file("o=g", 0750), 0755u);
  EXPECT_EQ(file("go=u", 0644), 0666u);
  EXPECT_EQ(file("g+o", 0601), 0611u);
}

TEST(Chmod, SpecialBits) {
  EXPECT_EQ(file("u+s", 0755), 04755u);
  EXPECT_EQ(file("g+s", 0755), 02755u);
  EXPECT_EQ(file("o+s", 0755), 0755u);  // set-id makes no sense for "other": ignored
  EXPECT_EQ(file("+t", 0755), 01755u);
  EXPECT_EQ(file("o+t", 0755), 0755u);
  EXPECT_EQ(file("u-s", 04755), 0755u);
}

TEST(Chmod, InvalidValuesNameTheValue) {
  for (const char* bad : {"", "8", "0888", "17777", "u", "u+z", "u+x,", "x+r", "u+x;g+w", "+-q"}) {
    try {
      ChmodSpec::parse(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const common::Error& e) {
      EXPECT_EQ(e.kind(), common::ErrorKind::kDockerfile);
      EXPECT_NE(e.message().find("\"" + std::string(bad) + "\""), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace mybuild::builder
