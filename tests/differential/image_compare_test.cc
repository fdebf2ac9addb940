// The comparison on hand-made images: what must count as a difference does, and the ways two
// valid layers may spell the same change (opaque directory or whiteouts, repeated parents,
// buildah's mount stubs) do not.
#include "tests/differential/image_compare.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/temp_dir.h"
#include "tests/differential/known_differences.h"
#include "tests/differential/tree.h"

namespace mybuild::differential {
namespace {

using nlohmann::json;

constexpr int64_t kBuildStart = 1700000000;

Entry dir(const std::string& path, int mode = 0755) {
  Entry e;
  e.path = path;
  e.type = Entry::kDir;
  e.mode = mode;
  e.mtime = kBuildStart + 5;
  return e;
}

Entry file(const std::string& path, const std::string& sha = "sha256:aa", int64_t size = 1) {
  Entry e;
  e.path = path;
  e.mode = 0644;
  e.sha256 = sha;
  e.size = size;
  e.mtime = kBuildStart + 5;
  return e;
}

Entry whiteout(const std::string& path, Entry::Type type = Entry::kWhiteout) {
  Entry e;
  e.path = path;
  e.type = type;
  return e;
}

const std::vector<Entry> kBase = {dir("bin"), file("bin/sh"), dir("etc"),    file("etc/passwd"),
                                  dir("d"),   file("d/old1"), file("d/old2")};

// An image: the base layer, then one layer per RUN with the given entries.
Image image(std::vector<std::vector<Entry>> layers, json config = json::object()) {
  Image img;
  img.config = {{"os", "linux"}, {"architecture", "amd64"}, {"config", config}};
  img.config["history"] = json::array({{{"created_by", "import"}}});
  img.layers.push_back({"base", kBase});
  for (auto& l : layers) {
    img.config["history"].push_back({{"created_by", "RUN /bin/sh -c x # buildkit"}});
    img.layers.push_back({"", std::move(l)});
  }
  return img;
}

// buildah writes the classic builder's history text.
Image buildah_image(std::vector<std::vector<Entry>> layers, json config = json::object()) {
  Image img = image(std::move(layers), std::move(config));
  for (size_t i = 1; i < img.config["history"].size(); ++i) {
    img.config["history"][i]["created_by"] = "/bin/sh -c x";
  }
  return img;
}

std::vector<std::string> compare(const Image& m, const Image& b) {
  CompareOptions o;
  o.build_start = kBuildStart;
  o.base_history = 1;
  return compare_images(m, b, o);
}

TEST(ImageCompare, SameImagesHaveNoDifferences) {
  EXPECT_EQ(compare(image({{dir("etc"), file("etc/x")}}), buildah_image({{file("etc/x")}})),
            std::vector<std::string>{});
}

TEST(ImageCompare, OpaqueDirectoryAndPerChildWhiteoutsAreTheSameChange) {
  Image opaque = image({{dir("d"), whiteout("d", Entry::kOpaque), file("d/new")}});
  Image each = buildah_image({{dir("d"), whiteout("d/old1"), whiteout("d/old2"), file("d/new")}});
  EXPECT_EQ(compare(opaque, each), std::vector<std::string>{});
}

TEST(ImageCompare, AMissingWhiteoutIsADifference) {
  Image m = image({{whiteout("d/old1")}});
  Image b = buildah_image({{whiteout("d/old1"), whiteout("d/old2")}});
  EXPECT_EQ(compare(m, b),
            std::vector<std::string>{"history[1] RUN: /d/old2: deleted only by buildah"});
}

TEST(ImageCompare, ContentModeOwnerAndChangedParentAreDifferences) {
  Entry mine = file("etc/passwd", "sha256:bb", 2);
  Entry theirs = file("etc/passwd", "sha256:cc", 3);
  theirs.mode = 0600;
  theirs.uid = 1000;
  Image m = image({{dir("etc", 0700), mine}});
  Image b = buildah_image({{dir("etc"), theirs}});
  EXPECT_EQ(compare(m, b), (std::vector<std::string>{
                               "history[1] RUN: /etc: written only by mybuild (d 0700 0:0)",
                               "history[1] RUN: /etc/passwd: mode mybuild=0644 buildah=0600",
                               "history[1] RUN: /etc/passwd: owner mybuild=0:0 buildah=1000:0",
                               "history[1] RUN: /etc/passwd: content mybuild=2B sha256:bb "
                               "buildah=3B sha256:cc"}));
}

TEST(ImageCompare, BuildahMountStubsAreDroppedOnlyOnBuildahsSide) {
  Entry hosts = file("etc/hosts", "sha256:e3", 0);
  hosts.mode = 0755;
  Image clean = image({{file("x"), dir("proc")}});
  Image stubs = buildah_image({{file("x"), dir("proc"), dir("run"), dir("etc"), hosts}});
  EXPECT_EQ(compare(clean, stubs), std::vector<std::string>{});
  // The same stub in mybuild's layer is a mybuild bug (BuildKit removes its stubs).
  Image leaky = image({{file("x"), dir("proc"), hosts}});
  EXPECT_EQ(compare(leaky, buildah_image({{file("x"), dir("proc")}})),
            std::vector<std::string>{
                "history[1] RUN: /etc/hosts: written only by mybuild (f 0755 0:0 0B)"});
  // runc leaves /proc under BuildKit too: it is compared, not dropped.
  EXPECT_EQ(
      compare(image({{file("x")}}), buildah_image({{file("x"), dir("proc")}})),
      std::vector<std::string>{"history[1] RUN: /proc: written only by buildah (d 0755 0:0)"});
  // A /run the build fills is not a stub.
  Image run = buildah_image({{file("x"), dir("proc"), dir("run"), file("run/real")}});
  EXPECT_EQ(compare(clean, run).size(), 2u);
}

TEST(ImageCompare, KeptMtimesCompareBuildTimeStampsDoNot) {
  Entry kept = file("a");
  kept.mtime = 1600000000;
  Entry stamped = file("a");
  EXPECT_EQ(compare(image({{kept}}), buildah_image({{stamped}})),
            std::vector<std::string>{
                "history[1] RUN: /a: mtime mybuild=1600000000 buildah=(build time)"});
  Entry stamped_later = file("a");
  stamped_later.mtime = kBuildStart + 60;
  EXPECT_EQ(compare(image({{stamped}}), buildah_image({{stamped_later}})),
            std::vector<std::string>{});
}

TEST(ImageCompare, ConfigEmptyValuesAndBuildahVersionLabelAreNormalised) {
  json mine = {{"Env", {"A=1"}}, {"Labels", {{"k", "v"}}}};
  json theirs = {{"Env", {"A=1"}},
                 {"Cmd", json::array()},
                 {"WorkingDir", ""},
                 {"Labels", {{"k", "v"}, {"io.buildah.version", "1.28.2"}}}};
  EXPECT_EQ(compare(image({}, mine), buildah_image({}, theirs)), std::vector<std::string>{});
  theirs["User"] = "app";
  EXPECT_EQ(compare(image({}, mine), buildah_image({}, theirs)),
            std::vector<std::string>{"config.User: mybuild=null buildah=\"app\""});
}

TEST(ImageCompare, HistoryTextIsNormalisedButRunCommandsAndEmptyLayersCompare) {
  Image m = image({});
  m.config["history"].push_back({{"created_by", "ENV A=1"}, {"empty_layer", true}});
  m.config["history"].push_back(
      {{"created_by", "RUN /bin/sh -c true # buildkit"}, {"empty_layer", true}});
  Image b = buildah_image({});
  b.config["history"].push_back(
      {{"created_by", "/bin/sh -c #(nop) ENV A=1"}, {"empty_layer", true}});
  b.config["history"].push_back({{"created_by", "/bin/sh -c false"}, {"empty_layer", true}});
  EXPECT_EQ(compare(m, b),
            std::vector<std::string>{"history[2] RUN: created_by mybuild=\"RUN /bin/sh -c true\" "
                                     "buildah=\"RUN /bin/sh -c false\""});
  b.config["history"][1]["empty_layer"] = false;
  b.layers.push_back({"", {file("y")}});
  auto found = compare(m, b);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0], "history[1] ENV: empty_layer mybuild=true buildah=false");
  EXPECT_EQ(found[2], "history[1] ENV: /y: written only by buildah (f 0644 0:0 1B)");
}

TEST(ImageCompare, UnalignedHistoriesCompareTheRootFilesystems) {
  Image m = image({{file("a")}, {file("b")}});
  Image b = buildah_image({{file("a"), file("b", "sha256:ff")}});
  auto found = compare(m, b);
  EXPECT_EQ(found, (std::vector<std::string>{
                       "history: mybuild=[import*,RUN*,RUN*] buildah=[import*,RUN*]",
                       "rootfs: /b: content mybuild=1B sha256:aa buildah=1B sha256:ff"}));
}

TEST(Tree, WhiteoutsHideOnlyWhatIsBelow) {
  Tree t;
  apply_layer(t, kBase);
  apply_layer(t, {whiteout("d", Entry::kOpaque), dir("d"), file("d/new"), whiteout("bin"),
                  file("bin", "sha256:11")});
  EXPECT_EQ(t.count("d/old1"), 0u);
  EXPECT_EQ(t.count("d/new"), 1u);
  EXPECT_EQ(t.at("bin").type, Entry::kFile);
  EXPECT_EQ(t.count("bin/sh"), 0u);
  LayerEffect e = layer_effect({{"a", dir("a")}, {"a-b", file("a-b")}, {"a/x", file("a/x")}},
                               {whiteout("a"), whiteout("a-b")});
  EXPECT_EQ(e.deleted, (std::set<std::string>{"a", "a-b"}));
}

TEST(KnownDifferences, EveryLineNeedsAReason) {
  common::TempDir dir("known-differences-");
  std::ofstream(dir.path() / "ok") << "# why: buildah says so\n# more\nline one\nline two\n\n"
                                      "# mybuild bug: oops\nline three\n";
  auto known = read_known_differences(dir.path() / "ok");
  ASSERT_EQ(known.size(), 3u);
  EXPECT_EQ(known[1].line, "line two");
  EXPECT_FALSE(known[1].mybuild_bug);
  EXPECT_TRUE(known[2].mybuild_bug);
  std::ofstream(dir.path() / "bare") << "# why: a\nline\n\nlone line\n";
  EXPECT_THROW(read_known_differences(dir.path() / "bare"), std::runtime_error);
  std::ofstream(dir.path() / "vague") << "# because\nline\n";
  EXPECT_THROW(read_known_differences(dir.path() / "vague"), std::runtime_error);
  EXPECT_TRUE(read_known_differences(dir.path() / "absent").empty());
}

}  // namespace
}  // namespace mybuild::differential
