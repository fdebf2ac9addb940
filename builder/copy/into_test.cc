#include "builder/copy/into.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/context/test_util.h"
#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

using testing::symlink;
using testing::write;

struct stat lstat_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st;
}

using testing::set_mtime;

class CopyInto : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "COPY sets owners (0:0 or --chown): needs root";
    write(ctx() / "a.txt", "alpha", 0640);
    write(ctx() / "b.txt", "bravo");
    write(ctx() / "app/bin/run", "#!/bin/sh\n", 0755);
    write(ctx() / "app/conf", "c", 0600);
    symlink("bin/run", ctx() / "app/start");
    ASSERT_EQ(::link((ctx() / "app/conf").c_str(), (ctx() / "app/conf.hard").c_str()), 0);
    ASSERT_EQ(::chmod((ctx() / "app").c_str(), 0750), 0);
    set_mtime(ctx() / "a.txt", 1500000000);
    set_mtime(ctx() / "app/bin", 1500000001);
    set_mtime(ctx() / "app", 1500000002);
    std::filesystem::create_directories(out());
  }
  std::filesystem::path ctx() const { return dir_.path() / "ctx"; }
  std::filesystem::path out() const { return dir_.path() / "out"; }

  CopyStats run(std::vector<std::string> srcs, std::string_view dest, CopyOptions opts = {}) {
    BuildContext context = BuildContext::open_directory(ctx(), {});
    auto resolved = resolve_copy_sources(context, srcs);
    return copy_into(out(), dest, context, resolved, srcs.size(), opts);
  }

  common::TempDir dir_{"mybuild-copyinto-"};
};

TEST_F(CopyInto, FileToNewNameKeepsModeAndMtimeAndBecomesRoot) {
  ASSERT_EQ(::lchown((ctx() / "a.txt").c_str(), 1234, 1234), 0);
  run({"a.txt"}, "/renamed");
  const auto st = lstat_of(out() / "renamed");
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1500000000);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_gid, 0u);
  EXPECT_EQ(common::read_file(out() / "renamed"), "alpha");
}

TEST_F(CopyInto, TrailingSlashMakesADirectoryAndMissingParentsAre0755) {
  run({"a.txt"}, "/deep/er/");
  EXPECT_EQ(common::read_file(out() / "deep/er/a.txt"), "alpha");
  EXPECT_EQ(lstat_of(out() / "deep").st_mode & 07777, 0755u);
}

TEST_F(CopyInto, SeveralSourcesNeedATrailingSlash) {
  try {
    run({"a.txt", "b.txt"}, "/dst");
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kDockerfile);
    EXPECT_NE(e.message().find("must be a directory and end with a /"), std::string::npos);
  }
  run({"a.txt", "b.txt"}, "/dst/");
  EXPECT_TRUE(std::filesystem::is_regular_file(out() / "dst/b.txt"));
}

TEST_F(CopyInto, WildcardWithSeveralMatchesMeansDirectory) {
  run({"*.txt"}, "/w");
  EXPECT_EQ(common::read_file(out() / "w/a.txt"), "alpha");
  EXPECT_EQ(common::read_file(out() / "w/b.txt"), "bravo");
}

TEST_F(CopyInto, ExistingDirectoryDestinationTakesTheFileInside) {
  std::filesystem::create_directories(out() / "existing");
  run({"a.txt"}, "/existing");
  EXPECT_TRUE(std::filesystem::is_regular_file(out() / "existing/a.txt"));
}

TEST_F(CopyInto, DirectorySourceCopiesItsContents) {
  const auto stats = run({"app"}, "/opt/app");
  EXPECT_FALSE(std::filesystem::exists(out() / "opt/app/app"));
  EXPECT_EQ(common::read_file(out() / "opt/app/bin/run"), "#!/bin/sh\n");
  EXPECT_EQ(lstat_of(out() / "opt/app/bin/run").st_mode & 07777, 0755u);
  EXPECT_EQ(lstat_of(out() / "opt/app/bin").st_mtim.tv_sec, 1500000001);
  // The destination directory itself: created like a parent (0755), timestamps from the source.
  EXPECT_EQ(lstat_of(out() / "opt/app").st_mode & 07777, 0755u);
  EXPECT_EQ(lstat_of(out() / "opt/app").st_mtim.tv_sec, 1500000002);
  // Symlinks stay symlinks; hard links inside one copy stay one inode.
  EXPECT_EQ(std::filesystem::read_symlink(out() / "opt/app/start"), "bin/run");
  EXPECT_EQ(lstat_of(out() / "opt/app/conf").st_ino, lstat_of(out() / "opt/app/conf.hard").st_ino);
  EXPECT_EQ(stats.hardlinks, 1u);
  // The context's inode is never shared with the destination.
  EXPECT_NE(lstat_of(out() / "opt/app/conf").st_ino, lstat_of(ctx() / "app/conf").st_ino);
}

TEST_F(CopyInto, ChownAndChmodApplyToEverythingCreated) {
  CopyOptions opts;
  opts.owner = {1000, 1001};
  opts.chmod = ChmodSpec::parse("a+rX,go-w");  // not "go=rX": X only counts with '+'
  ASSERT_EQ(::chmod((ctx() / "app/bin").c_str(), 0700), 0);
  ASSERT_EQ(::chmod((ctx() / "app/bin/run").c_str(), 0700), 0);
  run({"app"}, "/srv/app/", opts);
  EXPECT_EQ(lstat_of(out() / "srv").st_uid, 1000u);  // missing parents belong to --chown
  EXPECT_EQ(lstat_of(out() / "srv/app/conf").st_gid, 1001u);
  EXPECT_EQ(lstat_of(out() / "srv/app/conf").st_mode & 07777, 0644u);
  EXPECT_EQ(lstat_of(out() / "srv/app/bin/run").st_mode & 07777, 0755u);
  EXPECT_EQ(lstat_of(out() / "srv/app/bin").st_mode & 07777, 0755u);
  EXPECT_EQ(lstat_of(out() / "srv/app/start").st_uid, 1000u);  // lchown: the link itself
  CopyOptions octal;
  octal.chmod = ChmodSpec::parse("700");
  run({"a.txt"}, "/o/x/", octal);
  EXPECT_EQ(lstat_of(out() / "o").st_mode & 07777, 0700u);  // BuildKit: octal for parents too
  EXPECT_EQ(lstat_of(out() / "o/x/a.txt").st_mode & 07777, 0700u);
}

TEST_F(CopyInto, NeverWritesThroughASymlinkInTheDestination) {
  common::TempDir outside("mybuild-outside-");
  symlink(outside.path().string(), out() / "escape");
  // The destination path follows the link *inside* dest_root, where that path does not exist.
  run({"a.txt"}, "/escape/");
  EXPECT_TRUE(std::filesystem::is_empty(outside.path()));
  // A file replaces a symlink in the way instead of writing through it.
  symlink(outside.path().string() + "/victim", out() / "b.txt");
  run({"b.txt"}, "/");
  EXPECT_FALSE(std::filesystem::exists(outside.path() / "victim"));
  EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::symlink_status(out() / "b.txt")));
  // A directory refuses to merge into a symlink.
  symlink(outside.path().string(), out() / "bin");
  EXPECT_THROW(run({"app"}, "/"), common::Error);
  EXPECT_TRUE(std::filesystem::is_empty(outside.path()));
}

TEST_F(CopyInto, FileOntoDirectoryIsAnErrorNamingIt) {
  std::filesystem::create_directories(out() / "x/a.txt");
  try {
    run({"a.txt"}, "/x/");
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_NE(e.full_message().find("/x/a.txt"), std::string::npos) << e.full_message();
  }
}

// Many files of one directory, with other kinds of entries among them: each file keeps its own
// content, mode, owner and mtime, and the stats count them all (a guard for any reordering or
// spreading of the per-file work, such as issue 17's trial of two copying threads).
TEST_F(CopyInto, ManyFilesOfOneDirectoryEachKeepTheirContentAndMetadata) {
  constexpr int kFiles = 64;
  for (int i = 0; i < kFiles; ++i) {
    const auto f = ctx() / "many" / ("f" + std::to_string(100 + i));
    write(f, std::string(static_cast<size_t>(i) * 1000, static_cast<char>('a' + i % 26)),
          i % 2 ? 0600 : 0755);
    set_mtime(f, 1600000000 + i);
  }
  symlink("f100", ctx() / "many/f130-link");
  write(ctx() / "many/f140-dir/inner", "in");
  const auto stats = run({"many"}, "/m/");
  EXPECT_EQ(stats.files, static_cast<uint64_t>(kFiles) + 1);
  uint64_t bytes = 0;
  for (int i = 0; i < kFiles; ++i) {
    const auto f = out() / "m" / ("f" + std::to_string(100 + i));
    const auto st = lstat_of(f);
    EXPECT_EQ(common::read_file(f),
              std::string(static_cast<size_t>(i) * 1000, static_cast<char>('a' + i % 26)));
    EXPECT_EQ(st.st_mode & 07777, i % 2 ? 0600u : 0755u) << f;
    EXPECT_EQ(st.st_mtim.tv_sec, 1600000000 + i) << f;
    EXPECT_EQ(st.st_uid, 0u);
    bytes += static_cast<uint64_t>(i) * 1000;
  }
  EXPECT_EQ(stats.bytes, bytes + 2);
  EXPECT_EQ(std::filesystem::read_symlink(out() / "m/f130-link"), "f100");
  EXPECT_EQ(common::read_file(out() / "m/f140-dir/inner"), "in");
}

TEST_F(CopyInto, DockerignoredFilesAreNotCopied) {
  write(ctx() / ".dockerignore", "app/conf.hard\n");
  BuildContext context = BuildContext::open_directory(
      ctx(), {.dockerfile = {}, .filter_factory = testing::prefix_filter_factory()});
  std::vector<std::string> srcs = {"."};
  auto resolved = resolve_copy_sources(context, srcs);
  copy_into(out(), "/", context, resolved, 1, {});
  EXPECT_TRUE(std::filesystem::exists(out() / "app/conf"));
  EXPECT_TRUE(std::filesystem::exists(out() / ".dockerignore"));
  EXPECT_FALSE(std::filesystem::exists(out() / "app/conf.hard"));
}

}  // namespace
}  // namespace mybuild::builder
