#include "snapshot/read_drop_behind.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "snapshot/page_cache_test_util.h"

namespace mybuild::snapshot {
namespace {

// A file of `size` bytes (byte i is i % 251), on the disk and in the page cache.
common::UniqueFd drop_test_file(const std::filesystem::path& path, uint64_t size) {
  common::UniqueFd fd(::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600));
  std::string chunk(1 << 20, '\0');
  for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(i % 251);
  for (uint64_t off = 0; fd && off < size; off += chunk.size()) {
    if (::write(fd.get(), chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size()))
      return {};
  }
  if (fd && ::fsync(fd.get()) != 0) return {};
  return fd;
}

bool drop_test_on_tmpfs(const std::filesystem::path& dir) {
  struct statfs info {};
  return ::statfs(dir.c_str(), &info) == 0 && info.f_type == TMPFS_MAGIC;
}

// Reads all of `path` through a ReadDropBehind; false when a byte is not what drop_test_file wrote.
bool drop_test_read_back(const std::filesystem::path& path, uint64_t size) {
  ReadDropBehind in(common::UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), size);
  std::vector<char> buf(256 << 10);
  uint64_t pos = 0;
  while (size_t n = in.read(buf)) {
    for (size_t i = 0; i < n; ++i) {
      if (buf[i] != static_cast<char>(((pos + i) % (1 << 20)) % 251)) return false;
    }
    pos += n;
  }
  return pos == size;
}

TEST(ReadDropBehind, DropsWhatABigFileHasReadAndKeepsTheLag) {
  common::TempDir dir("drop-behind-");
  if (drop_test_on_tmpfs(dir.path())) GTEST_SKIP() << "tmpfs pages are the file: nothing to drop";
  const uint64_t size = ReadDropBehind::kMinSize + ReadDropBehind::kLag;
  common::UniqueFd fd = drop_test_file(dir.path() / "big", size);
  ASSERT_TRUE(fd);
  const size_t page = static_cast<size_t>(::getpagesize());
  ASSERT_GT(test_cached_pages(fd.get(), 0, 32 << 20), (30u << 20) / page) << "not cached to start";
  ASSERT_TRUE(drop_test_read_back(dir.path() / "big", size)) << "read wrong bytes";
  EXPECT_LT(test_cached_pages(fd.get(), 0, 32 << 20), 64u) << "the start stayed cached";
  EXPECT_GT(test_cached_pages(fd.get(), size - (32 << 20), 32 << 20), (30u << 20) / page)
      << "the last kLag bytes were dropped";
}

TEST(ReadDropBehind, LeavesASmallFileCached) {
  common::TempDir dir("drop-behind-");
  const uint64_t size = ReadDropBehind::kMinSize - (1 << 20);
  common::UniqueFd fd = drop_test_file(dir.path() / "small", size);
  ASSERT_TRUE(fd);
  ASSERT_TRUE(drop_test_read_back(dir.path() / "small", size)) << "read wrong bytes";
  const size_t page = static_cast<size_t>(::getpagesize());
  EXPECT_GT(test_cached_pages(fd.get(), 0, size), (size - (2 << 20)) / page)
      << "pages were dropped";
}

}  // namespace
}  // namespace mybuild::snapshot
