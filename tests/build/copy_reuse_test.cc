// COPY from its previous result (builder/copy/reuse.h): after files of the context change, the
// COPY's new layer must be byte for byte what a --no-cache build of the same context makes, and
// the build must really have started from the previous result (its trace says so).
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <utility>

#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

constexpr const char* kCopyDir = "FROM busybox\nCOPY ctx/ /data/\n";
constexpr const char* kReusedSpan = "(from the previous result)";
constexpr const char* kSplicedSpan = "spliced from the previous result's layer";
constexpr const char* kDeclinedSpan = "through the mount, not from the previous result";

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
    Ran reused = build(with_extra({"-t", "app:reuse", "--trace", trace.string()}));
    ASSERT_TRUE(reused.ok()) << reused.both();
    EXPECT_NE(read_file(trace).find(kReusedSpan), std::string::npos)
        << what << ": the COPY did not start from its previous result";
    if (spliced) {
      EXPECT_NE(read_file(trace).find(kSplicedSpan), std::string::npos)
          << what << ": the layer was not spliced from the previous one";
      EXPECT_EQ(read_file(trace).find("not spliced"), std::string::npos) << what;
    }
    expect_same_as_no_cache(what);
  }

  // A --no-cache build makes the same COPY layer as the last build (app:reuse); with
  // `all_layers`, the same image layers (a WORKDIR layer holds the time it ran).
  void expect_same_as_no_cache(const std::string& what, bool all_layers = true) {
    const fs::path trace = work() / "trace.json";
    Ran full = build(with_extra({"--no-cache", "-t", "app:full", "--trace", trace.string()}));
    ASSERT_TRUE(full.ok()) << full.both();
    EXPECT_EQ(read_file(trace).find(kReusedSpan), std::string::npos) << "--no-cache reused";
    const auto reused_layers = image("app:reuse").manifest["layers"];
    const auto full_layers = image("app:full").manifest["layers"];
    ASSERT_FALSE(reused_layers.empty());
    EXPECT_EQ(reused_layers.back(), full_layers.back()) << what;
    if (!all_layers) return;
    EXPECT_EQ(reused_layers, full_layers) << what;
    EXPECT_EQ(image("app:reuse").config["rootfs"], image("app:full").config["rootfs"]) << what;
  }

  // A first build of `text` (through the mount, recording what it copied), then `change`, then
  // a traced build: that build, and its trace.
  std::pair<Ran, std::string> build_after(const std::string& text,
                                          const std::function<void()>& change) {
    dockerfile(text);
    Ran first = build(with_extra({"-t", "app:reuse"}));
    EXPECT_TRUE(first.ok()) << first.both();
    change();
    const fs::path trace = work() / "trace.json";
    Ran again = build(with_extra({"-t", "app:reuse", "--trace", trace.string()}));
    return {again, read_file(trace)};
  }

  // After `change`, the build must start from the previous result and give the COPY layer of a
  // --no-cache build.
  void expect_reuse_after(const std::string& text, const std::function<void()>& change,
                          const std::string& what, bool all_layers) {
    const auto [reused, spans] = build_after(text, change);
    ASSERT_TRUE(reused.ok()) << reused.both();
    EXPECT_NE(spans.find(kReusedSpan), std::string::npos) << what << ": not from the previous";
    EXPECT_EQ(spans.find(kDeclinedSpan), std::string::npos) << what << ": declined";
    EXPECT_NE(spans.find(kSplicedSpan), std::string::npos) << what << ": not spliced";
    expect_same_as_no_cache(what, all_layers);
  }

  // After `change`, the copy must go through the mount: the build declines the previous result
  // and its outcome is a --no-cache build's (`fails_with`: both fail so).
  void expect_declined_after(const std::string& text, const std::function<void()>& change,
                             const std::string& what, const std::string& fails_with = "") {
    const auto [again, spans] = build_after(text, change);
    EXPECT_NE(spans.find(kDeclinedSpan), std::string::npos) << what;
    if (!fails_with.empty()) {
      EXPECT_FALSE(again.ok()) << what;
      EXPECT_NE(again.both().find(fails_with), std::string::npos) << what << ": " << again.both();
      Ran full = build(with_extra({"--no-cache", "-t", "app:full"}));
      EXPECT_FALSE(full.ok()) << what;
      EXPECT_NE(full.both().find(fails_with), std::string::npos) << what << ": " << full.both();
      return;
    }
    ASSERT_TRUE(again.ok()) << again.both();
    expect_same_as_no_cache(what);
  }

  std::vector<std::string> with_extra(std::vector<std::string> args) const {
    args.insert(args.end(), extra_.begin(), extra_.end());
    return args;
  }

  std::vector<std::string> extra_;  // more arguments for every build
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

// The most common form: WORKDIR makes /app in the parent, and the copy writes into it (overlay
// copies it up); /app's tar header (mode, owner from the parent, times from the context root)
// must come out as through the mount.
TEST_F(CopyReuseBuild, WorkdirThenCopyDotGivesTheLayerOfAFullCopy) {
  expect_reuse_after(
      "FROM busybox\nWORKDIR /app\nCOPY . .\n", [&] { write("ctx/d1/f2", "changed\n"); },
      "WORKDIR /app + COPY . .", false);
  EXPECT_EQ(image("app:reuse").content("/app/ctx/d1/f2"), "changed\n");
}

// /data already holds files: some the copy replaces (top.txt, d1/f0), some it leaves (keep,
// d1/keep), a directory it merges into (d1) and directories it makes inside (d0, d2). Its own
// owner and mode (5:6, 0750) stay in the layer's header of /data: the copy-up's.
TEST_F(CopyReuseBuild, AParentDirectoryWithFilesGivesTheLayerOfAFullCopy) {
  write("base/top.txt", "base top\n");
  write("base/keep", "kept\n", 0600);
  write("base/d1/f0", "base f0\n");
  write("base/d1/keep", "kept below\n");
  ASSERT_EQ(::chmod((ctx() / "base/d1").c_str(), 0700), 0);
  expect_reuse_after(
      "FROM busybox\nCOPY --chown=5:6 --chmod=750 base/ /data/\nCOPY ctx/ /data/\n",
      [&] {
        write("ctx/d1/f2", "changed\n");
        write("ctx/d1/new", "new\n");
      },
      "a parent /data with files", true);
  const StoredImage img = image("app:reuse");
  EXPECT_EQ(img.content("/data/keep"), "kept\n");
  EXPECT_EQ(img.content("/data/d1/keep"), "kept below\n");
  EXPECT_EQ(img.content("/data/d1/f0"), "ctx/d1/f0 content\n");
  EXPECT_EQ(img.content("/data/top.txt"), "top\n");
  const FileEntry* data = img.find("/data");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->mode & 07777, 0750);
  EXPECT_EQ(data->uid, 5);
}

// /opt exists, /opt/src does not: /opt is copied up and the copy makes src in it (whose time
// then is the build's: SOURCE_DATE_EPOCH makes the two builds comparable).
TEST_F(CopyReuseBuild, CopiedUpParentsOfTheDestinationGiveTheLayerOfAFullCopy) {
  extra_ = {"--build-arg", "SOURCE_DATE_EPOCH=1700000000"};
  write("base/x", "x\n");
  expect_reuse_after(
      "FROM busybox\nCOPY base/ /opt/\nCOPY ctx/ /opt/src/app\n",
      [&] { write("ctx/d0/f0", "changed\n"); }, "COPY into /opt/src/app", true);
}

TEST_F(CopyReuseBuild, ASymlinkOnTheWayCopiesThroughTheMount) {
  write("base/real/x", "x\n");
  fs::create_symlink("real", ctx() / "base/app");
  expect_declined_after(
      "FROM busybox\nCOPY base/ /\nCOPY ctx/ /app/\n", [&] { write("ctx/d1/f2", "changed\n"); },
      "/app is a symlink");
  EXPECT_EQ(image("app:reuse").content("/real/d1/f2"), "changed\n");
}

TEST_F(CopyReuseBuild, ASymlinkTheCopyReplacesCopiesThroughTheMount) {
  fs::create_directories(ctx() / "base");
  fs::create_symlink("top.txt", ctx() / "base/lnk");
  expect_declined_after(
      "FROM busybox\nCOPY base/ /data/\nCOPY ctx/ /data/\n",
      [&] { write("ctx/lnk", "now a file\n"); }, "a file over a symlink");
  EXPECT_EQ(image("app:reuse").content("/data/lnk"), "now a file\n");
}

TEST_F(CopyReuseBuild, ADirectoryOverAParentsFileFailsAsThroughTheMount) {
  write("base/x", "a file\n");
  expect_declined_after(
      "FROM busybox\nCOPY base/ /data/\nCOPY ctx/ /data/\n",
      [&] { write("ctx/x/inside", "a directory\n"); }, "a directory over a file",
      "cannot copy to non-directory");
}

TEST_F(CopyReuseBuild, AFileOverAParentsDirectoryFailsAsThroughTheMount) {
  write("base/y/inside", "a directory\n");
  expect_declined_after(
      "FROM busybox\nCOPY base/ /data/\nCOPY ctx/ /data/\n", [&] { write("ctx/y", "a file\n"); },
      "a file over a directory", "cannot replace directory");
}

}  // namespace
}  // namespace mybuild::build_testing
