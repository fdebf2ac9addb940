// COPY from its previous result (builder/copy/reuse.h): after files of the context change, the
// COPY's new layer must be byte for byte what a --no-cache build of the same context makes, and
// the build must really have started from the previous result (its trace says so).
#include <sys/stat.h>

#include <filesystem>

#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

constexpr const char* kCopyDir = "FROM busybox\nCOPY ctx/ /data/\n";
constexpr const char* kReusedSpan = "(from the previous result)";
constexpr const char* kSplicedSpan = "spliced from the previous result's layer";

class CopyReuseBuild : public BuildTest {
 protected:
  void SetUp() override {
    BuildTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    for (int d = 0; d < 3; ++d) {
      for (int f = 0; f < 4; ++f) {
        const std::string name = "ctx/d" + std::to_string(d) + "/f" + std::to_string(f);
        write(name, name + " content\n", f == 3 ? 0755 : 0644);
      }
    }
    write("ctx/top.txt", "top\n", 0600);
    dockerfile(kCopyDir);
    Ran first = build({"-t", "app:reuse"});
    ASSERT_TRUE(first.ok()) << first.both();
  }

  // Builds again with reuse (checking that it was used) and with --no-cache; the COPY layers
  // (and so the trees) must be the same.
  // `spliced`: the layer must also have come from the earlier layer's bytes (a hard link in the
  // context makes a full diff: layer_splice.h).
  void expect_same_as_full_build(const std::string& what, bool spliced = true) {
    const fs::path trace = work() / "trace.json";
    Ran reused = build({"-t", "app:reuse", "--trace", trace.string()});
    ASSERT_TRUE(reused.ok()) << reused.both();
    EXPECT_NE(read_file(trace).find(kReusedSpan), std::string::npos)
        << what << ": the COPY did not start from its previous result";
    if (spliced) {
      EXPECT_NE(read_file(trace).find(kSplicedSpan), std::string::npos)
          << what << ": the layer was not spliced from the previous one";
      EXPECT_EQ(read_file(trace).find("not spliced"), std::string::npos) << what;
    }
    Ran full = build({"--no-cache", "-t", "app:full", "--trace", trace.string()});
    ASSERT_TRUE(full.ok()) << full.both();
    EXPECT_EQ(read_file(trace).find(kReusedSpan), std::string::npos) << "--no-cache reused";
    EXPECT_EQ(image("app:reuse").manifest["layers"], image("app:full").manifest["layers"]) << what;
    EXPECT_EQ(image("app:reuse").config["rootfs"], image("app:full").config["rootfs"]) << what;
  }
};

TEST_F(CopyReuseBuild, OneFileChangedGivesTheLayerOfAFullCopy) {
  write("ctx/d1/f2", "changed, and longer than before\n");
  expect_same_as_full_build("one file changed");
  EXPECT_EQ(image("app:reuse").content("/data/d1/f2"), "changed, and longer than before\n");
  EXPECT_EQ(image("app:reuse").content("/data/d0/f1"), "ctx/d0/f1 content\n");
  // And again from the result that was itself reused.
  write("ctx/d2/f0", "second change\n");
  expect_same_as_full_build("a second change");
}

TEST_F(CopyReuseBuild, AddedDeletedAndChmodedFilesGiveTheLayerOfAFullCopy) {
  fs::remove(ctx() / "ctx/d0/f1");
  write("ctx/d2/new", "new file\n");
  ASSERT_EQ(::chmod((ctx() / "ctx/top.txt").c_str(), 0644), 0);
  expect_same_as_full_build("files added, deleted and chmodded");
  EXPECT_FALSE(image("app:reuse").content("/data/d2/new").empty());
}

TEST_F(CopyReuseBuild, AFileThatBecameADirectoryGivesTheLayerOfAFullCopy) {
  fs::remove(ctx() / "ctx/d1/f0");
  write("ctx/d1/f0/inside", "now a directory\n");
  expect_same_as_full_build("a file became a directory");
}

TEST_F(CopyReuseBuild, HardLinksAndSymlinksGiveTheLayerOfAFullCopy) {
  ASSERT_EQ(::link((ctx() / "ctx/d0/f0").c_str(), (ctx() / "ctx/d2/hard").c_str()), 0);
  fs::create_symlink("../d0/f1", ctx() / "ctx/d1/sym");
  expect_same_as_full_build("a hard link and a symlink added", false);
  write("ctx/d0/f2", "changed beside a hard link\n");
  expect_same_as_full_build("a change beside a hard link", false);
}

TEST_F(CopyReuseBuild, ADifferentInstructionDoesNotStartFromIt) {
  write("ctx/d1/f2", "changed\n");
  dockerfile("FROM busybox\nCOPY --chmod=600 ctx/ /data/\n");
  const fs::path trace = work() / "trace.json";
  Ran r = build({"-t", "app:other", "--trace", trace.string()});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(read_file(trace).find(kReusedSpan), std::string::npos);
}

}  // namespace
}  // namespace mybuild::build_testing
