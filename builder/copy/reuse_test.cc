#include "builder/copy/reuse.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "builder/context/test_util.h"
#include "builder/copy/into.h"
#include "common/io.h"
#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

TEST(CopyReuseScope, LeavesOutOnlyTheContentChecksums) {
  nlohmann::json a = {
      {"op", "COPY"}, {"dest", "/data/"}, {"parent", "sha256:p"}, {"files of ctx/", "sha256:1"}};
  nlohmann::json b = a;
  b["files of ctx/"] = "sha256:2";
  EXPECT_EQ(copy_reuse_scope(a), copy_reuse_scope(b));
  nlohmann::json other_parent = a;
  other_parent["parent"] = "sha256:q";
  EXPECT_NE(copy_reuse_scope(a), copy_reuse_scope(other_parent));
  nlohmann::json chmod = a;
  chmod["chmod"] = "644";
  EXPECT_NE(copy_reuse_scope(a), copy_reuse_scope(chmod));
}

TEST(CopyManifestText, RoundTrips) {
  CopyManifest m;
  m.snapshot = "sha256:abc";
  m.tops = {"data", "etc"};
  m.files["data/a b"] =
      CopiedFile{"ctx/a b", 2049, 77, 5, 1500000000123456789, 1600000000, 0100644, 0, 1000};
  auto back = parse_copy_manifest(format_copy_manifest(m));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->snapshot, m.snapshot);
  EXPECT_EQ(back->tops, m.tops);
  ASSERT_EQ(back->files.count("data/a b"), 1u);
  const CopiedFile& f = back->files.at("data/a b");
  EXPECT_EQ(f.src, "ctx/a b");
  EXPECT_EQ(f.ino, 77u);
  EXPECT_EQ(f.mtime_ns, 1500000000123456789);
  EXPECT_EQ(f.mode, 0100644u);
  EXPECT_EQ(f.gid, 1000u);
  EXPECT_FALSE(parse_copy_manifest("mybuild-copy-manifest 0\nsnapshot x\n"));
  EXPECT_FALSE(parse_copy_manifest("mybuild-copy-manifest 1\nsnapshot x\nfile 1 2\ta\tb\n"));
}

TEST(CopyManifestSweep, RemovesManifestsWhoseSnapshotIsGone) {
  common::TempDir root("copy-reuse-sweep-");
  CopyManifest kept, pruned;
  kept.snapshot = "sha256:kept";
  pruned.snapshot = "sha256:pruned";
  store_copy_manifest(root.path(), "scope-a", kept);
  store_copy_manifest(root.path(), "scope-b", pruned);
  common::write_file_atomic(root.path() / "copy-reuse" / "stray", "not a manifest\n");
  const size_t removed = forget_orphan_copy_manifests(
      root.path(), [](const std::string& name) { return name == "sha256:kept"; });
  EXPECT_EQ(removed, 2u);
  EXPECT_TRUE(load_copy_manifest(root.path(), "scope-a"));
  EXPECT_FALSE(load_copy_manifest(root.path(), "scope-b"));
  EXPECT_FALSE(std::filesystem::exists(root.path() / "copy-reuse" / "stray"));
  // A store that never recorded a COPY has no directory: nothing to do.
  common::TempDir empty("copy-reuse-sweep-");
  EXPECT_EQ(forget_orphan_copy_manifests(empty.path(), [](const std::string&) { return false; }),
            0u);
}

TEST(CopyReusable, OnlyPlainCopiesOfTheContext) {
  CopyPlan plan;
  plan.op = "COPY";
  EXPECT_TRUE(copy_reusable(plan, true, {}));
  EXPECT_FALSE(copy_reusable(plan, false, {}));
  plan.chown = "1000:1000";
  EXPECT_TRUE(copy_reusable(plan, true, {}));
  plan.chown = "app";
  EXPECT_FALSE(copy_reusable(plan, true, {})) << "a name is looked up in the parent";
  plan.chown.clear();
  plan.link_layer = true;
  EXPECT_FALSE(copy_reusable(plan, true, {}));
  plan.link_layer = false;
  plan.op = "ADD";
  EXPECT_FALSE(copy_reusable(plan, true, {}));
}

// copy_into with a recorder: a second copy seeded by the first links the unchanged files and
// copies the changed one, and gives the tree a fresh copy gives.
class CopyReuseInto : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "COPY sets owners (0:0): needs root";
    testing::write(ctx() / "src/a.txt", "alpha", 0640);
    testing::write(ctx() / "src/sub/b.txt", "bravo");
    testing::write(ctx() / "src/c.txt", "charlie", 0755);
    settle();
  }
  // Files are recorded only once their ctime is a coarse tick old (racy clean, reuse.h).
  static void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(30)); }
  std::filesystem::path ctx() const { return dir_.path() / "ctx"; }

  std::filesystem::path copy(const std::string& name, CopyRecorder* recorder) {
    const auto out = dir_.path() / name;
    std::filesystem::create_directories(out);
    BuildContext context = BuildContext::open_directory(ctx(), {});
    std::vector<std::string> srcs = {"src/"};
    auto resolved = resolve_copy_sources(context, srcs);
    CopyOptions opts;
    opts.recorder = recorder;
    copy_into(out, "/data/", context, resolved, 1, opts);
    return out;
  }

  common::TempDir dir_{"mybuild-copyreuse-"};
};

struct stat stat_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st;
}

TEST_F(CopyReuseInto, LinksUnchangedFilesAndCopiesChangedOnes) {
  CopyRecorder first;
  const auto a = copy("a", &first);
  EXPECT_EQ(first.result().tops, std::set<std::string>{"data"});
  ASSERT_EQ(first.result().files.size(), 3u);
  EXPECT_EQ(first.result().files.at("data/sub/b.txt").src, "src/sub/b.txt");
  ASSERT_TRUE(earlier_upper_usable(a, first.result(), {}));

  testing::write(ctx() / "src/c.txt", "charlie changed", 0755);
  settle();
  CopyRecorder second(first.result(), a);
  const auto b = copy("b", &second);
  const auto fresh = copy("fresh", nullptr);
  EXPECT_EQ(stat_of(b / "data/a.txt").st_ino, stat_of(a / "data/a.txt").st_ino);
  EXPECT_EQ(stat_of(b / "data/sub/b.txt").st_ino, stat_of(a / "data/sub/b.txt").st_ino);
  EXPECT_NE(stat_of(b / "data/c.txt").st_ino, stat_of(a / "data/c.txt").st_ino);
  EXPECT_EQ(common::read_file(b / "data/c.txt"), "charlie changed");
  for (const char* rel : {"data", "data/sub", "data/a.txt", "data/sub/b.txt", "data/c.txt"}) {
    const struct stat r = stat_of(b / rel), f = stat_of(fresh / rel);
    EXPECT_EQ(r.st_mode, f.st_mode) << rel;
    EXPECT_EQ(r.st_uid, f.st_uid) << rel;
    EXPECT_EQ(r.st_size, f.st_size) << rel;
    EXPECT_EQ(r.st_mtim.tv_sec, f.st_mtim.tv_sec) << rel;
    EXPECT_EQ(r.st_mtim.tv_nsec, f.st_mtim.tv_nsec) << rel;
  }
  // What the second copy recorded seeds a third: the changed file is now the recorded one.
  CopyRecorder third(second.result(), b);
  const auto c = copy("c", &third);
  EXPECT_EQ(stat_of(c / "data/c.txt").st_ino, stat_of(b / "data/c.txt").st_ino);
}

TEST_F(CopyReuseInto, AChmodOfTheContextFileIsAChange) {
  CopyRecorder first;
  const auto a = copy("a", &first);
  ASSERT_EQ(::chmod((ctx() / "src/a.txt").c_str(), 0600), 0);
  CopyRecorder second(first.result(), a);
  const auto b = copy("b", &second);
  EXPECT_NE(stat_of(b / "data/a.txt").st_ino, stat_of(a / "data/a.txt").st_ino);
  EXPECT_EQ(stat_of(b / "data/a.txt").st_mode & 07777, 0600u);
}

TEST_F(CopyReuseInto, HardLinkedContextFilesStayOneInode) {
  ASSERT_EQ(::link((ctx() / "src/a.txt").c_str(), (ctx() / "src/sub/a.hard").c_str()), 0);
  settle();
  CopyRecorder first;
  const auto a = copy("a", &first);
  CopyRecorder second(first.result(), a);
  const auto b = copy("b", &second);
  EXPECT_EQ(stat_of(b / "data/a.txt").st_ino, stat_of(b / "data/sub/a.hard").st_ino)
      << "a full copy keeps the two names one inode; so must a copy from the earlier result";
}

TEST_F(CopyReuseInto, AFileChangedSinceTheCopyStartedIsNotRecorded) {
  CopyRecorder recorder;
  testing::write(ctx() / "src/a.txt", "written while the copy runs");
  copy("a", &recorder);
  EXPECT_EQ(recorder.result().files.count("data/a.txt"), 0u)
      << "a second write in the same clock tick would keep its ctime";
  EXPECT_EQ(recorder.result().files.count("data/c.txt"), 1u);
}

TEST_F(CopyReuseInto, AnUpperDirWithOtherNamesIsNotUsable) {
  CopyRecorder first;
  const auto a = copy("a", &first);
  testing::write(a / "etc/passwd", "copied up");
  EXPECT_FALSE(earlier_upper_usable(a, first.result(), {}));
  // A directory the parent has is one the copy wrote into (copied up); a file is not.
  const auto parent = dir_.path() / "parent";
  std::filesystem::create_directories(parent / "etc");
  EXPECT_TRUE(earlier_upper_usable(a, first.result(), parent));
  testing::write(a / "bin", "not from the copy");
  testing::write(parent / "bin", "the parent's");
  EXPECT_FALSE(earlier_upper_usable(a, first.result(), parent));
  CopyManifest replaced = first.result();  // a file of the copy that replaced the parent's
  replaced.files["bin"] = replaced.files.at("data/a.txt");
  EXPECT_TRUE(earlier_upper_usable(a, replaced, parent));
}

}  // namespace
}  // namespace mybuild::builder
