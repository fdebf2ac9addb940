#include "builder/context/file_checksum.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "builder/context/test_util.h"
#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

using testing::set_mtime;
using testing::write;

// Files written in this test are only remembered once their ctime is a coarse tick old.
void let_ctimes_settle() { std::this_thread::sleep_for(std::chrono::milliseconds(30)); }

class FileChecksum : public ::testing::Test {
 protected:
  void SetUp() override {
    write(ctx_dir() / "app/main.c", "int main() { return 0; }\n");
    write(ctx_dir() / "app/lib/util.c", "int util;\n", 0755);
    testing::symlink("lib/util.c", ctx_dir() / "app/link");
    write(ctx_dir() / "app/ignored.log", "noise\n");
    write(ctx_dir() / ".dockerignore", "app/ignored.log\n");
    set_mtime(ctx_dir() / "app/main.c", 1600000000, 5);
  }
  virtual std::filesystem::path ctx_dir() const { return dir_.path() / "ctx"; }
  std::filesystem::path memo_file() const { return dir_.path() / "state/builder/file-hashes.db"; }

  common::Digest sum(std::vector<std::string> srcs, ChecksumStats* stats = nullptr,
                     ChecksumOptions opts = {}) {
    BuildContext ctx = BuildContext::open_directory(
        ctx_dir(), {.dockerfile = {}, .filter_factory = testing::prefix_filter_factory()});
    auto resolved = resolve_copy_sources(ctx, srcs);
    FileHashMemo memo(memo_file());  // a fresh instance each time: state survives only on disk
    return checksum_sources(ctx, resolved, &memo, opts, stats);
  }

  common::TempDir dir_{"mybuild-checksum-"};
};

TEST_F(FileChecksum, StableAndSecondRunReadsNothing) {
  let_ctimes_settle();
  ChecksumStats first, second;
  const auto a = sum({"app"}, &first);
  const auto b = sum({"app"}, &second);
  EXPECT_EQ(a, b);
  EXPECT_EQ(first.files_hashed, 2u);  // main.c and util.c; not the symlink, not ignored.log
  EXPECT_GT(first.bytes_hashed, 0u);
  EXPECT_EQ(second.files_hashed, 0u);
  EXPECT_EQ(second.bytes_hashed, 0u);
  EXPECT_EQ(second.memo_hits, 2u);
}

TEST_F(FileChecksum, SameSizeSameMtimeContentChangeIsNeverStale) {
  let_ctimes_settle();
  const auto before = sum({"app"});
  // Same length, and the mtime put back exactly: only the ctime tells the files apart.
  write(ctx_dir() / "app/main.c", "int main() { return 1; }\n");
  set_mtime(ctx_dir() / "app/main.c", 1600000000, 5);
  ChecksumStats stats;
  const auto after = sum({"app"}, &stats);
  EXPECT_NE(before, after);
  EXPECT_EQ(stats.files_hashed, 1u);
}

TEST_F(FileChecksum, FileWrittenDuringTheSameTickIsNotRemembered) {
  FileIdentity id;
  id.ctime_ns = 1'700'000'000'000'000'000;
  // Hashing that starts in the same coarse tick as the last change could miss a second change
  // with the same ctime: not remembered. A second later it is safe.
  EXPECT_FALSE(safe_to_remember(id, id.ctime_ns));
  EXPECT_FALSE(safe_to_remember(id, id.ctime_ns + 1));
  EXPECT_TRUE(safe_to_remember(id, id.ctime_ns + 1'000'000'000));
  // End to end: a file hashed right after it was written is hashed again next time.
  write(ctx_dir() / "fresh", "x");
  ChecksumStats first, second;
  sum({"fresh"}, &first);
  // Later than the real start of hashing: unsafe by this clock means unsafe by that one.
  const auto after_first = realtime_now_ns();
  sum({"fresh"}, &second);
  EXPECT_EQ(first.files_hashed, 1u);
  struct stat st {};
  ASSERT_EQ(::lstat((ctx_dir() / "fresh").c_str(), &st), 0);
  if (!safe_to_remember(file_identity(st), after_first)) {
    EXPECT_EQ(second.files_hashed, 1u);
    EXPECT_EQ(second.xattr_lists, 1u);  // nor is "no xattrs": a setxattr in that tick could hide
  }
}

// The documented choice: mtimes reach the layer (BuildKit keeps them for COPY), so they are
// in the key; owners do not (COPY writes 0:0), so they are not.
TEST_F(FileChecksum, MtimeCountsUnlessTimestampsAreRewritten) {
  const auto a = sum({"app"});
  set_mtime(ctx_dir() / "app/main.c", 1700000000);
  EXPECT_NE(a, sum({"app"}));
  ChecksumOptions no_mtime;
  no_mtime.include_mtime = false;
  const auto c = sum({"app"}, nullptr, no_mtime);
  set_mtime(ctx_dir() / "app/main.c", 1800000000);
  EXPECT_EQ(c, sum({"app"}, nullptr, no_mtime));
}

TEST_F(FileChecksum, OwnerDoesNotCount) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown to another uid needs root";
  let_ctimes_settle();  // else util.c, written in the same tick, is hashed again too
  const auto a = sum({"app"});
  ASSERT_EQ(::lchown((ctx_dir() / "app/main.c").c_str(), 1234, 5678), 0);
  // chown changes the ctime: the memo misses, the content is re-read, the key stays.
  ChecksumStats stats;
  EXPECT_EQ(a, sum({"app"}, &stats));
  EXPECT_EQ(stats.files_hashed, 1u);
}

TEST_F(FileChecksum, ModeLinkTargetAndNamesCount) {
  const auto a = sum({"app"});
  ASSERT_EQ(::chmod((ctx_dir() / "app/main.c").c_str(), 0600), 0);
  const auto b = sum({"app"});
  EXPECT_NE(a, b);
  std::filesystem::remove(ctx_dir() / "app/link");
  testing::symlink("main.c", ctx_dir() / "app/link");
  const auto c = sum({"app"});
  EXPECT_NE(b, c);
  // Same content under another name is another copy.
  write(ctx_dir() / "x/one", "same");
  write(ctx_dir() / "y/two", "same");
  set_mtime(ctx_dir() / "x/one", 1);
  set_mtime(ctx_dir() / "y/two", 1);
  EXPECT_NE(sum({"x/one"}), sum({"y/two"}));
}

TEST_F(FileChecksum, IgnoredAndUnreadFilesDoNotCount) {
  const auto a = sum({"app/main.c"});
  write(ctx_dir() / "app/ignored.log", "changed noise\n");
  write(ctx_dir() / "app/lib/util.c", "int util = 2;\n");  // not a source of this COPY
  EXPECT_EQ(a, sum({"app/main.c"}));
}

TEST_F(FileChecksum, UnreadableFileNamesThePath) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads mode-000 files";
  ASSERT_EQ(::chmod((ctx_dir() / "app/main.c").c_str(), 0), 0);
  try {
    sum({"app"});
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_NE(e.message().find("main.c"), std::string::npos);
  }
}

// Users' caches hold keys made before xattrs and hard links counted: a tree without either must
// keep its exact checksum. The digest is the stream file_checksum.h describes, computed apart.
TEST_F(FileChecksum, AnOrdinaryTreeKeepsItsExactChecksum) {
  const auto pin = ctx_dir() / "pin";
  write(pin / "a.txt", "hello\n", 0644);
  write(pin / "sub/b", "x", 0600);
  testing::symlink("a.txt", pin / "l");
  ASSERT_EQ(::chmod((pin / "sub").c_str(), 0755), 0);
  ASSERT_EQ(::chmod(pin.c_str(), 0755), 0);
  set_mtime(pin / "a.txt", 1600000000, 5);
  set_mtime(pin / "sub/b", 1600000001);
  set_mtime(pin / "sub", 1600000002);
  set_mtime(pin / "l", 1600000004);
  set_mtime(pin, 1600000003);
  EXPECT_EQ(sum({"pin"}).str(),
            "sha256:e07cbfba4a653bc8f4ef16ad1bae7cd105e9d9c66714d2dfb795d47933531ef8");
}

TEST_F(FileChecksum, AChangedXattrIsAMiss) {
  const auto file = ctx_dir() / "app/main.c";
  const auto plain = sum({"app"});
  if (::setxattr(file.c_str(), "user.origin", "a", 1, 0) != 0) {
    GTEST_SKIP() << "no user xattrs on this file system: " << std::strerror(errno);
  }
  const auto a = sum({"app"});
  EXPECT_NE(plain, a);
  ASSERT_EQ(::setxattr(file.c_str(), "user.origin", "b", 1, 0), 0);
  const auto b = sum({"app"});
  EXPECT_NE(a, b);
  // A value with a NUL in it is a value like any other.
  ASSERT_EQ(::setxattr(file.c_str(), "user.origin", "b\0c", 3, 0), 0);
  EXPECT_NE(b, sum({"app"}));
  // On a directory too; and removing them all gives the plain key back.
  ASSERT_EQ(::setxattr((ctx_dir() / "app/lib").c_str(), "user.origin", "d", 1, 0), 0);
  const auto on_dir = sum({"app"});
  ASSERT_EQ(::removexattr(file.c_str(), "user.origin"), 0);
  ASSERT_EQ(::removexattr((ctx_dir() / "app/lib").c_str(), "user.origin"), 0);
  EXPECT_NE(a, on_dir);
  EXPECT_EQ(plain, sum({"app"}));
}

// Issue 17: a file the memo knows is not listed for xattrs again (one llistxattr per file was
// a third of a no-op build), and an xattr set later is still seen (it moves the ctime).
TEST_F(FileChecksum, TheMemoAnswersForXattrsUntilOneIsSet) {
  let_ctimes_settle();
  ChecksumStats first, second, changed;
  const auto plain = sum({"app"}, &first);
  EXPECT_EQ(sum({"app"}, &second), plain);
  EXPECT_EQ(first.xattr_lists, 2u);
  EXPECT_EQ(second.xattr_lists, 0u);
  EXPECT_EQ(second.memo_hits, 2u);
  const auto file = ctx_dir() / "app/main.c";
  if (::setxattr(file.c_str(), "user.origin", "a", 1, 0) != 0) {
    GTEST_SKIP() << "no user xattrs on this file system: " << std::strerror(errno);
  }
  const auto with = sum({"app"}, &changed);
  EXPECT_NE(with, plain);
  EXPECT_EQ(changed.files_hashed, 1u);
  // Remembered as having xattrs: a hit, listed every time.
  let_ctimes_settle();
  sum({"app"});
  ChecksumStats hit;
  EXPECT_EQ(sum({"app"}, &hit), with);
  EXPECT_EQ(hit.memo_hits, 2u);
  EXPECT_EQ(hit.xattr_lists, 1u);
  ASSERT_EQ(::removexattr(file.c_str(), "user.origin"), 0);
  EXPECT_EQ(sum({"app"}), plain);
}

// Rows written before the memo remembered xattrs say "not known": those files are listed, and
// the memo learns that they have none.
TEST_F(FileChecksum, RowsThatDoNotKnowTheXattrsAreListedOnce) {
  let_ctimes_settle();
  sum({"app"});
  struct stat st {};
  ASSERT_EQ(::lstat((ctx_dir() / "app/main.c").c_str(), &st), 0);
  {
    FileHashMemo memo(memo_file());
    auto known = memo.lookup(file_identity(st));
    ASSERT_TRUE(known.has_value());
    EXPECT_TRUE(known->no_layer_xattrs);
    known->no_layer_xattrs = false;
    const std::pair<FileIdentity, RememberedFile> row{file_identity(st), *known};
    memo.store({&row, 1});
  }
  ChecksumStats healing, healed;
  const auto a = sum({"app"}, &healing);
  EXPECT_EQ(healing.files_hashed, 0u);
  EXPECT_EQ(healing.xattr_lists, 1u);
  EXPECT_EQ(sum({"app"}, &healed), a);
  EXPECT_EQ(healed.xattr_lists, 0u);
}

TEST_F(FileChecksum, LinkingTwoFilesIsAMiss) {
  write(ctx_dir() / "l/one", "same");
  write(ctx_dir() / "l/two", "same");
  set_mtime(ctx_dir() / "l/one", 1);
  set_mtime(ctx_dir() / "l/two", 1);
  set_mtime(ctx_dir() / "l", 2);
  const auto apart = sum({"l"});
  // Same names, contents, modes and times; only now one inode (COPY keeps it one).
  std::filesystem::remove(ctx_dir() / "l/two");
  std::filesystem::create_hard_link(ctx_dir() / "l/one", ctx_dir() / "l/two");
  set_mtime(ctx_dir() / "l", 2);
  const auto linked = sum({"l"});
  EXPECT_NE(apart, linked);
  // Across two sources of one COPY as well; a link to a file outside the copy changes nothing.
  std::filesystem::create_hard_link(ctx_dir() / "l/one", ctx_dir() / "outside");
  EXPECT_EQ(linked, sum({"l"}));
  write(ctx_dir() / "m/one", "same");
  write(ctx_dir() / "m/two", "same");
  set_mtime(ctx_dir() / "m/one", 1);
  set_mtime(ctx_dir() / "m/two", 1);
  EXPECT_NE(sum({"l/one", "l/two"}), sum({"m/one", "m/two"}));
}

// The 100,000-file tree lives on tmpfs when there is a roomy one: creating it on this
// machine's disk takes ~25 s, on tmpfs a few, and what is measured (bytes read) does not
// depend on it. 100,000 small files take ~400 MB of tmpfs pages; a container's default 64 MB
// /dev/shm is not enough, so it is used only with 1 GB free.
std::filesystem::path big_tree_parent() {
  std::error_code ec;
  const auto space = std::filesystem::space("/dev/shm", ec);
  return !ec && space.available > (1ull << 30) ? "/dev/shm" : "";
}

class FileChecksumBig : public FileChecksum {
 protected:
  std::filesystem::path ctx_dir() const override { return big_.path() / "ctx"; }
  common::TempDir big_{"mybuild-checksum-big-", big_tree_parent()};
};

// DEVELOPERS.md: an unchanged context of 100,000 files is not re-read.
TEST_F(FileChecksumBig, HundredThousandUnchangedFilesAreNotReRead) {
  const std::filesystem::path big = ctx_dir() / "big";
  for (int d = 0; d < 100; ++d) {
    const auto sub = big / std::to_string(d);
    std::filesystem::create_directories(sub);
    for (int f = 0; f < 1000; ++f) {
      const auto p = sub / std::to_string(f);
      common::UniqueFd fd(::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
      ASSERT_TRUE(fd.valid());
      const std::string body = std::to_string(d * 1000 + f);
      ASSERT_EQ(::write(fd.get(), body.data(), body.size()), static_cast<ssize_t>(body.size()));
    }
  }
  let_ctimes_settle();
  ChecksumStats first, second;
  const auto a = sum({"big"}, &first);
  const auto b = sum({"big"}, &second);
  EXPECT_EQ(a, b);
  EXPECT_EQ(first.files_hashed, 100000u);
  EXPECT_EQ(second.files_hashed, 0u);
  EXPECT_EQ(second.bytes_hashed, 0u);
  EXPECT_EQ(second.memo_hits, 100000u);
}

}  // namespace
}  // namespace mybuild::builder
