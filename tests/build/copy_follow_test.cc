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

// The span of the copy with its layer written alongside: after the cache lookup, or before it
// (started early where a miss was likely: builder/stage/early_layer.h).
constexpr const char* kFollowedSpan = "(the layer written alongside)";
constexpr const char* kEarlySpan = "(before the cache lookup)";

bool followed(const std::string& trace) {
  return trace.find(kFollowedSpan) != std::string::npos ||
         trace.find(kEarlySpan) != std::string::npos;
}

// The snapshots in the store (active or committed): the entries of its "snapshots" folders.
size_t count_snapshots(const fs::path& root) {
  size_t n = 0;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    if (it.depth() > 2) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory() && it->path().filename() == "snapshots") {
      n += static_cast<size_t>(std::distance(fs::directory_iterator(it->path()), {}));
      it.disable_recursion_pending();
    }
  }
  return n;
}

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
  const std::string with_follower =
      build_traced("FROM busybox\nRUN mkdir -m 755 /other\nCOPY ctx/ /data/\n", "app:followed");
  EXPECT_TRUE(followed(with_follower)) << "the layer was not followed";
  EXPECT_EQ(with_follower.find("not followed"), std::string::npos);
  // No unmount synced its files: a sync ran beside the build, waited for before the naming.
  EXPECT_NE(with_follower.find("sync the snapshot's files (beside the build)"), std::string::npos);
  EXPECT_NE(with_follower.find("wait for the snapshots' syncs"), std::string::npos);
  const std::string mounted =
      build_traced("FROM busybox\nRUN mkdir -m 755 /data\nCOPY ctx/ /data/\n", "app:mounted");
  EXPECT_FALSE(followed(mounted)) << "/data is in the parent";
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
  EXPECT_FALSE(followed(trace));
  Ran check = check_with("FROM app:whiteout\nRUN test ! -e /data/old && test -f /data/a/z\n");
  EXPECT_TRUE(check.ok()) << check.both();
}

TEST_F(CopyFollowBuild, ACopyStartedBeforeACacheHitLeavesNoSnapshot) {
  const std::string first = build_traced("FROM busybox\nCOPY ctx/ /data/\n", "app:one");
  EXPECT_NE(first.find(kEarlySpan), std::string::npos) << "a first build starts the copy early";
  const size_t snapshots = count_snapshots(root());
  ASSERT_GT(snapshots, 0u);
  // The same steps from another Dockerfile: no record at its place, so the copy starts before
  // the lookup, which then hits; the copy stops and its snapshot goes.
  write("other.Dockerfile", "FROM busybox\nCOPY ctx/ /data/\n");
  const fs::path trace = work() / "hit.json";
  Ran hit = build(
      {"-f", (ctx() / "other.Dockerfile").string(), "-t", "app:two", "--trace", trace.string()});
  ASSERT_TRUE(hit.ok()) << hit.both();
  EXPECT_EQ(count_cached(hit.err), 1) << hit.err;
  EXPECT_NE(read_file(trace).find("start copying before the cache lookup"), std::string::npos);
  EXPECT_EQ(count_snapshots(root()), snapshots);
  EXPECT_EQ(image("app:one").manifest["layers"], image("app:two").manifest["layers"]);
}

}  // namespace
}  // namespace mybuild::build_testing
