#include "builder/copy/sources.h"

#include <gtest/gtest.h>

#include "builder/context/test_util.h"
#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

using testing::symlink;
using testing::write;

class CopySources : public ::testing::Test {
 protected:
  void SetUp() override {
    write(root_ / "Dockerfile", "FROM scratch\n");
    write(root_ / "a.txt", "a");
    write(root_ / "b.txt", "b");
    write(root_ / "c.md", "c");
    write(root_ / "src/main.c", "int main;");
    write(root_ / "src/util.c", "int u;");
    write(root_ / "src/sub/deep.c", "int d;");
    write(root_ / "star*name", "literal");
    symlink("src", root_ / "srclink");
    symlink("../../a.txt", root_ / "src/up.txt");
  }
  BuildContext open() { return BuildContext::open_directory(root_, {}); }
  std::vector<CopySource> resolve(std::vector<std::string> srcs) {
    BuildContext ctx = open();
    return resolve_copy_sources(ctx, srcs);
  }
  common::TempDir dir_{"mybuild-copysrc-"};
  std::filesystem::path root_ = dir_.path();
};

TEST_F(CopySources, PlainPathsResolveWithNameAndKind) {
  auto r = resolve({"a.txt", "./src/", "/srclink", "../../b.txt"});
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].rel, "a.txt");
  EXPECT_FALSE(r[0].is_dir);
  EXPECT_EQ(r[1].rel, "src");
  EXPECT_TRUE(r[1].is_dir);
  EXPECT_EQ(r[2].rel, "src");  // the symlink named as a source is followed
  EXPECT_EQ(r[2].name, "srclink");
  EXPECT_EQ(r[3].rel, "b.txt");
  EXPECT_EQ(r[3].as_written, "../../b.txt");
}

TEST_F(CopySources, SymlinkOutOfTheContextResolvesInside) {
  auto r = resolve({"src/up.txt"});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].rel, "a.txt");  // "../../a.txt" from src/ clamps to the root
}

TEST_F(CopySources, MissingSourceNamesThePathAsWritten) {
  try {
    resolve({"a.txt", "../nope/x.txt"});
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound);
    EXPECT_EQ(e.message(), "\"../nope/x.txt\": not found");
  }
}

TEST_F(CopySources, WildcardsMatchInNameOrderPerLevel) {
  auto r = resolve({"*.txt", "src/*.c", "s*/m*.c"});
  std::vector<std::string> rels;
  for (const auto& s : r) rels.push_back(s.rel);
  // "s*" also matches the symlink "srclink", but BuildKit does not match below a symlinked
  // directory (its checksum tree has no children there), so "s*/m*.c" finds src/main.c once.
  EXPECT_EQ(rels,
            (std::vector<std::string>{"a.txt", "b.txt", "src/main.c", "src/util.c", "src/main.c"}));
}

TEST_F(CopySources, WildcardMatchingNothingIsAnError) {
  try {
    resolve({"*.xyz"});
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound);
    EXPECT_NE(e.message().find("no source files were specified"), std::string::npos);
    EXPECT_NE(e.message().find("\"*.xyz\""), std::string::npos);
  }
}

TEST_F(CopySources, EscapedWildcardIsLiteral) {
  auto r = resolve({"star\\*name"});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].rel, "star*name");
}

TEST_F(CopySources, DockerignoredFilesDoNotExist) {
  write(root_ / ".dockerignore", "b.txt\nsrc\n!src/util.c\n");
  BuildContext ctx = BuildContext::open_directory(
      root_, {.dockerfile = {}, .filter_factory = testing::prefix_filter_factory()});
  std::vector<std::string> star = {"*.txt"};
  auto r = resolve_copy_sources(ctx, star);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].rel, "a.txt");
  std::vector<std::string> excluded = {"b.txt"};
  EXPECT_THROW(resolve_copy_sources(ctx, excluded), common::Error);
  std::vector<std::string> reincluded = {"src/util.c", "src/*.c"};
  r = resolve_copy_sources(ctx, reincluded);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].rel, "src/util.c");  // src/main.c stays hidden
}

}  // namespace
}  // namespace mybuild::builder
