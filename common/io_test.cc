#include "common/io.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::common {
namespace {

TEST(Io, CopyStreamAndDigestingWriter) {
  std::string big(1'000'000, 'x');
  StringReader r(big);
  StringWriter sink;
  DigestingWriter w(sink);
  EXPECT_EQ(copy_stream(r, w), big.size());
  EXPECT_EQ(w.bytes(), big.size());
  EXPECT_EQ(w.finish(), Digest::sha256_of(big));
  EXPECT_EQ(sink.str(), big);
}

TEST(Io, ReadAllEnforcesLimit) {
  StringReader r(std::string(100, 'a'));
  EXPECT_THROW(read_all(r, 99), Error);
}

TEST(Io, AtomicWriteReplacesWholeFile) {
  TempDir dir;
  auto p = dir.path() / "f";
  write_file_atomic(p, "one");
  write_file_atomic(p, "two!");
  EXPECT_EQ(read_file(p), "two!");
  EXPECT_THROW(read_file(dir.path() / "missing"), Error);
}

// A symlink planted where the write used to put its temp file (path.tmp-<pid>) or at the
// path itself must not be written through: the victim keeps its bytes.
TEST(Io, AtomicWriteNeverFollowsPlantedSymlinks) {
  TempDir dir;
  auto victim = dir.path() / "victim";
  write_file_atomic(victim, "precious");
  auto p = dir.path() / "config.json";
  auto planted = p;
  planted += ".tmp-" + std::to_string(::getpid());
  std::filesystem::create_symlink(victim, planted);
  std::filesystem::create_symlink(victim, p);
  write_file_atomic(p, "{}", 0600);
  EXPECT_EQ(read_file(victim), "precious");
  EXPECT_FALSE(std::filesystem::is_symlink(p));
  EXPECT_EQ(read_file(p), "{}");
  EXPECT_EQ(std::filesystem::status(p).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  int entries = 0;  // victim, the planted link, config.json: no temp file left
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 3);
}

TEST(Io, AtomicWriteLeavesNoTempFileOnFailure) {
  TempDir dir;
  auto p = dir.path() / "d";
  std::filesystem::create_directories(p / "x");  // a non-empty directory: rename fails
  EXPECT_THROW(write_file_atomic(p, "data"), Error);
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(TempDir, RemovedOnDestruction) {
  std::filesystem::path p;
  {
    TempDir d;
    p = d.path();
    write_file_atomic(p / "x", "y");
    ASSERT_TRUE(std::filesystem::exists(p / "x"));
  }
  EXPECT_FALSE(std::filesystem::exists(p));
}

}  // namespace
}  // namespace mybuild::common
