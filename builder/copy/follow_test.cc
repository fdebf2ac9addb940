// The layer written while copying (follow.h, snapshot/layer_follow.h) against the normal path:
// the same copy into a fresh upper dir, then diff_overlay_upper. The bytes must be identical.
#include "builder/copy/follow.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "builder/context/test_util.h"
#include "builder/copy/into.h"
#include "common/temp_dir.h"
#include "snapshot/diff.h"
#include "snapshot/layer_follow.h"

namespace mybuild::builder {
namespace {

CopySource dir_source(std::string rel) {
  CopySource s;
  s.as_written = rel.empty() ? "." : rel;
  s.rel = rel;
  s.name = rel;
  s.is_dir = true;
  return s;
}

CopyPlan context_copy(std::string dest) {
  CopyPlan plan;
  plan.op = "COPY";
  plan.dest = std::move(dest);
  plan.sources = {"ctx"};
  return plan;
}

TEST(FollowedCopyTop, OneContextDirectoryBelowTheRoot) {
  const std::vector<CopySource> one = {dir_source("ctx")};
  EXPECT_EQ(followed_copy_top(context_copy("/data/"), true, one), "data");
  EXPECT_EQ(followed_copy_top(context_copy("/app/src"), true, one), "app");
  EXPECT_EQ(followed_copy_top(context_copy("//./srv/x/"), true, one), "srv");
  EXPECT_EQ(followed_copy_top(context_copy("/"), true, one), std::nullopt);
  EXPECT_EQ(followed_copy_top(context_copy("/a/../etc/"), true, one), std::nullopt);
  EXPECT_EQ(followed_copy_top(context_copy("/data/"), false, one), std::nullopt);  // --from
  std::vector<CopySource> file = one;
  file[0].is_dir = false;
  EXPECT_EQ(followed_copy_top(context_copy("/data/"), true, file), std::nullopt);
  const std::vector<CopySource> two = {dir_source("a"), dir_source("b")};
  EXPECT_EQ(followed_copy_top(context_copy("/data/"), true, two), std::nullopt);
  CopyPlan link = context_copy("/data/");
  link.link_layer = true;
  EXPECT_EQ(followed_copy_top(link, true, one), std::nullopt);
  CopyPlan add = context_copy("/data/");
  add.op = "ADD";
  EXPECT_EQ(followed_copy_top(add, true, one), std::nullopt);
  CopyPlan named = context_copy("/data/");
  named.chown = "app";
  EXPECT_EQ(followed_copy_top(named, true, one), std::nullopt);
}

class FollowedLayer : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "COPY sets owners (0:0 or --chown): needs root";
    using testing::write;
    write(ctx() / "top.txt", "top", 0640);
    write(ctx() / "empty", "");
    write(ctx() / "big.bin", std::string(3 << 20, 'x') + "end", 0755);
    write(ctx() / "sub/deeper/leaf", "leaf", 0600);
    write(ctx() / "sub/z", "z");
    std::filesystem::create_directories(ctx() / "sub/emptydir");
    std::filesystem::create_directories(ctx() / "aaa-empty");
    testing::symlink("../top.txt", ctx() / "sub/to-top");
    testing::symlink("nowhere", ctx() / "dangling");
    ASSERT_EQ(::link((ctx() / "sub/z").c_str(), (ctx() / "a-link-to-z").c_str()), 0);
    ASSERT_EQ(::link((ctx() / "big.bin").c_str(), (ctx() / "sub/big.again").c_str()), 0);
    ASSERT_EQ(::chmod((ctx() / "sub/deeper").c_str(), 0711), 0);
    xattrs_ = ::setxattr((ctx() / "top.txt").c_str(), "user.test", "v", 1, 0) == 0 &&
              ::setxattr((ctx() / "sub").c_str(), "user.dir", "d", 1, 0) == 0;
    for (const char* p : {"top.txt", "sub/deeper", "sub", "aaa-empty", "."}) {
      testing::set_mtime(ctx() / p, 1500000000);
    }
  }
  std::filesystem::path ctx() const { return dir_.path() / "ctx"; }

  // The layer of copying the context to `dest` in a fresh upper dir `name`: with a follower
  // (nullopt when it refused its stream), or copied first and diffed after.
  std::optional<std::string> layer(const std::string& name, const std::string& dest,
                                   const CopyOptions& base, bool followed,
                                   const snapshot::LayerOptions& options) {
    const auto upper = dir_.path() / name;
    std::filesystem::create_directories(upper);
    BuildContext context = BuildContext::open_directory(ctx(), {});
    const std::vector<CopySource> sources = {dir_source("")};
    common::StringWriter out;
    CopyOptions opts = base;
    if (!followed) {
      copy_into(upper, dest, context, sources, 1, opts);
      snapshot::diff_overlay_upper(upper, out, options);
      return out.take();
    }
    snapshot::LayerFollower follower(upper, out, options);
    opts.follower = &follower;
    copy_into(upper, dest, context, sources, 1, opts);
    if (!follower.finish()) return std::nullopt;
    return out.take();
  }

  common::TempDir dir_{"mybuild-follow-"};
  bool xattrs_ = false;
};

TEST_F(FollowedLayer, SameBytesAsTheDiffAfterTheCopy) {
  snapshot::LayerOptions options;
  options.compression = snapshot::Compression::kNone;
  const std::string normal = *layer("normal", "/data/", {}, false, options);
  const std::optional<std::string> followed = layer("followed", "/data/", {}, true, options);
  ASSERT_TRUE(followed.has_value()) << "the follower refused its own stream";
  EXPECT_EQ(followed->size(), normal.size());
  EXPECT_TRUE(*followed == normal);
  EXPECT_NE(normal.find("data/sub/deeper/leaf"), std::string::npos);
  if (xattrs_) {
    EXPECT_NE(normal.find("user.dir"), std::string::npos);
  }
}

TEST_F(FollowedLayer, SameBytesWithChownChmodNewParentsAndGzip) {
  CopyOptions opts;
  opts.owner = {1000, 1001};
  opts.chmod = ChmodSpec::parse("750");
  snapshot::LayerOptions options;  // gzip
  // "a" is made by the copy, its mtime the time it made "b": clamp it to one both paths share.
  options.source_date_epoch = 1600000000;
  const std::string normal = *layer("normal", "/a/b/", opts, false, options);
  const std::optional<std::string> followed = layer("followed", "/a/b/", opts, true, options);
  ASSERT_TRUE(followed.has_value()) << "the follower refused its own stream";
  EXPECT_TRUE(*followed == normal);
}

}  // namespace
}  // namespace mybuild::builder
