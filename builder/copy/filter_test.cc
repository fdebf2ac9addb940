#include "builder/copy/filter.h"

#include <gtest/gtest.h>

#include "builder/context/file_checksum.h"
#include "builder/context/test_util.h"
#include "builder/copy/into.h"
#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

using testing::write;

class CopyFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    write(root_ / "dir/a.txt", "a");
    write(root_ / "dir/b.log", "b");
    write(root_ / "dir/sub/c.log", "c");
    write(root_ / "dir/sub/d.txt", "d");
    write(root_ / "x/y/file", "f");
    write(root_ / "x/z/other", "o");
    write(root_ / "ignored/secret", "s");
    write(root_ / ".dockerignore", "ignored\n");
  }
  // Every path the view shows below `rel`, depth first ("dir/a.txt", "dir/sub", ...).
  static void walk(const BuildContext& ctx, const std::string& rel, std::vector<std::string>& out) {
    for (const auto& name : ctx.list(rel)) {
      std::string child = rel.empty() ? name : rel + "/" + name;
      out.push_back(child);
      if (std::filesystem::is_directory(ctx.host_path(child))) walk(ctx, child, out);
    }
  }
  std::vector<std::string> copied(const std::vector<std::string>& srcs,
                                  const std::vector<std::string>& excludes, bool parents) {
    NarrowedSources n = narrow_sources(ctx_, srcs, excludes, parents);
    common::TempDir dest("mybuild-copyfilter-dest-");
    copy_into(dest.path(), "/out/", ctx_, n.sources, srcs.size(), {});
    BuildContext out = BuildContext::open_directory(dest.path() / "out", {});
    std::vector<std::string> paths;
    walk(out, "", paths);
    return paths;
  }
  common::TempDir dir_{"mybuild-copyfilter-"};
  std::filesystem::path root_ = dir_.path();
  BuildContext ctx_ = BuildContext::open_directory(root_, {});
};

TEST_F(CopyFilter, ExcludeMatchesRelativeToEachSource) {
  EXPECT_EQ(copied({"dir"}, {"*.log"}, false),
            (std::vector<std::string>{"a.txt", "sub", "sub/c.log", "sub/d.txt"}));
  EXPECT_EQ(copied({"dir"}, {"**/*.log"}, false),
            (std::vector<std::string>{"a.txt", "sub", "sub/d.txt"}));
  EXPECT_EQ(copied({"dir"}, {"sub", "!sub/d.txt"}, false),
            (std::vector<std::string>{"a.txt", "b.log", "sub", "sub/d.txt"}));
  // The source itself is never excluded, only what is below it (fsutil).
  EXPECT_EQ(copied({"dir/b.log"}, {"*.log"}, false), (std::vector<std::string>{"b.log"}));
}

TEST_F(CopyFilter, ExcludeKeepsTheDockerignore) {
  EXPECT_EQ(copied({"."}, {"dir", "x"}, false), (std::vector<std::string>{".dockerignore"}));
}

TEST_F(CopyFilter, ParentsSplitsAtThePivot) {
  EXPECT_EQ(split_parents_source("./x/./y/file").pivot, "./x");
  EXPECT_EQ(split_parents_source("./x/./y/file").pattern, "y/file");
  EXPECT_EQ(split_parents_source("x/y").pivot, "");
  EXPECT_EQ(split_parents_source("/x/y").pattern, "x/y");
  EXPECT_EQ(split_parents_source("/./x").pivot, "/");
  EXPECT_EQ(copied({"./x/./y/file"}, {}, true), (std::vector<std::string>{"y", "y/file"}));
  EXPECT_EQ(copied({"x/*/file", "dir/a.txt"}, {}, true),
            (std::vector<std::string>{"dir", "dir/a.txt", "x", "x/y", "x/y/file"}));
  // With --parents the source is the pivot, so excludes are relative to it.
  EXPECT_EQ(copied({"dir"}, {"*.log"}, true),
            (std::vector<std::string>{"dir", "dir/a.txt", "dir/b.log", "dir/sub", "dir/sub/c.log",
                                      "dir/sub/d.txt"}));
  EXPECT_EQ(
      copied({"dir"}, {"dir/*.log"}, true),
      (std::vector<std::string>{"dir", "dir/a.txt", "dir/sub", "dir/sub/c.log", "dir/sub/d.txt"}));
}

TEST_F(CopyFilter, ParentsWithoutWildcardsMustMatch) {
  try {
    narrow_sources(ctx_, std::vector<std::string>{"x/nope"}, {}, true);
    FAIL() << "expected an error";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find("x/nope"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(narrow_sources(ctx_, std::vector<std::string>{"x/*.none"}, {}, true).sources.size() ==
              1)
      << "a wildcard matching nothing copies nothing (the pivot, filtered empty)";
}

TEST_F(CopyFilter, ChecksumDoesNotSeeExcludedFiles) {
  auto sum = [&](const std::vector<std::string>& excludes) {
    NarrowedSources n = narrow_sources(ctx_, std::vector<std::string>{"dir"}, excludes, false);
    return checksum_sources(*n.sources[0].view, n.sources, nullptr).str();
  };
  const std::string before = sum({"*.log"});
  write(root_ / "dir/b.log", "changed");
  EXPECT_EQ(sum({"*.log"}), before);
  write(root_ / "dir/a.txt", "changed");
  EXPECT_NE(sum({"*.log"}), before);
}

TEST_F(CopyFilter, BadPatternIsADockerfileError) {
  try {
    narrow_sources(ctx_, std::vector<std::string>{"dir"}, {"!"}, false);
    FAIL() << "expected an error";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kDockerfile);
  }
}

}  // namespace
}  // namespace mybuild::builder
