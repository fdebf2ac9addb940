// A cold COPY of one context directory writes its layer while it copies (builder/copy/follow.h,
// snapshot/layer_follow.h). Its layer must be byte for byte the layer of the same copy made
// through the overlay mount and diffed after, which a parent that already has the destination
// directory (made as the copy would make it) forces.
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

constexpr const char* kFollowedSpan = "(the layer written alongside)";

class CopyFollowBuild : public BuildTest {
 protected:
  void SetUp() override {
    BuildTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    write("ctx/top.txt", "top\n", 0600);
    write("ctx/empty", "");
    write("ctx/big.bin", std::string(3 << 20, 'b'), 0755);
    write("ctx/a/b/c/leaf", "leaf\n");
    write("ctx/a/z", "z\n");
    fs::create_directories(ctx() / "ctx/a/emptydir");
    fs::create_directory_symlink("b", ctx() / "ctx/a/to-b");
    fs::create_symlink("../top.txt", ctx() / "ctx/a/to-top");
    ASSERT_EQ(::link((ctx() / "ctx/a/z").c_str(), (ctx() / "ctx/a-hard-z").c_str()), 0);
    ASSERT_EQ(::chmod((ctx() / "ctx/a/b").c_str(), 0700), 0);
    // user.* xattrs where the file system takes them (tmpfs before Linux 6.6 does not).
    ::setxattr((ctx() / "ctx/top.txt").c_str(), "user.mybuild", "f", 1, 0);
    ::setxattr((ctx() / "ctx/a").c_str(), "user.mybuild", "d", 1, 0);
  }

  // Builds `text` as `tag` and returns its trace.
  std::string build_traced(const std::string& text, const std::string& tag) {
    dockerfile(text);
    const fs::path trace = work() / (tag + ".json");
    Ran ran = build({"-t", tag, "--trace", trace.string()});
    EXPECT_TRUE(ran.ok()) << ran.both();
    return read_file(trace);
  }
};

TEST_F(CopyFollowBuild, GivesTheLayerOfACopyThroughTheMount) {
  const std::string followed =
      build_traced("FROM busybox\nRUN mkdir -m 755 /other\nCOPY ctx/ /data/\n", "app:followed");
  EXPECT_NE(followed.find(kFollowedSpan), std::string::npos) << "the layer was not followed";
  EXPECT_EQ(followed.find("not followed"), std::string::npos);
  const std::string mounted =
      build_traced("FROM busybox\nRUN mkdir -m 755 /data\nCOPY ctx/ /data/\n", "app:mounted");
  EXPECT_EQ(mounted.find(kFollowedSpan), std::string::npos) << "/data is in the parent";
  const auto a = image("app:followed").manifest["layers"];
  const auto b = image("app:mounted").manifest["layers"];
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(a[2], b[2]) << "the followed layer differs from the diff of a copy through the mount";
  EXPECT_EQ(image("app:followed").content("/data/a/b/c/leaf"), "leaf\n");
}

TEST_F(CopyFollowBuild, ADestinationDeletedInTheParentIsCopiedThroughTheMount) {
  // The parent's whiteout of /data would make a new /data opaque there: the usual path.
  const std::string trace = build_traced(
      "FROM busybox\nRUN mkdir /data && touch /data/old\nRUN rm -r /data\nCOPY ctx/ /data/\n",
      "app:whiteout");
  EXPECT_EQ(trace.find(kFollowedSpan), std::string::npos);
  Ran check = check_with("FROM app:whiteout\nRUN test ! -e /data/old && test -f /data/a/z\n");
  EXPECT_TRUE(check.ok()) << check.both();
}

}  // namespace
}  // namespace mybuild::build_testing
