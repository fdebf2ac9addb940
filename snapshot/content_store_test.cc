#include "snapshot/content_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "common/error.h"
#include "common/media_types.h"
#include "common/temp_dir.h"

namespace mybuild::snapshot {
namespace {

using common::Error;
using common::ErrorKind;
namespace fs = std::filesystem;

size_t count_files(const fs::path& dir) {
  size_t n = 0;
  for (auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

// A deterministic, incompressible-looking payload of `size` bytes.
std::string payload(size_t size, uint32_t seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    seed = seed * 1664525u + 1013904223u;
    s[i] = static_cast<char>(seed >> 24);
  }
  return s;
}

TEST(ContentStore, CreatesAnOciLayout) {
  common::TempDir root;
  ContentStore store(root.path());
  EXPECT_EQ(store.layout_dir(), root.path() / "oci");
  EXPECT_EQ(common::read_file(root.path() / "oci" / "oci-layout"),
            R"({"imageLayoutVersion":"1.0.0"})");
  EXPECT_TRUE(fs::is_directory(root.path() / "oci" / "blobs" / "sha256"));
  EXPECT_TRUE(store.list().empty());
}

TEST(ContentStore, ThreadsOpeningAFreshRootAtOnce) {
  common::TempDir root;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      try {
        ContentStore store(root.path());
        ++ok;
      } catch (const std::exception& e) {
        ADD_FAILURE() << "opening a fresh content store: " << e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(common::read_file(root.path() / "oci" / "oci-layout"),
            R"({"imageLayoutVersion":"1.0.0"})");
}

TEST(ContentStore, RoundTripStreamsInChunks) {
  common::TempDir root;
  ContentStore store(root.path());
  std::string data = payload(3 * common::kCopyBufferSize + 17, 1);
  auto w = store.writer("test blob");
  for (size_t off = 0; off < data.size(); off += 10000) w->write(data.substr(off, 10000));
  EXPECT_EQ(w->bytes_written(), data.size());
  Digest d = w->commit(static_cast<int64_t>(data.size()), Digest::sha256_of(data));
  EXPECT_EQ(d, Digest::sha256_of(data));
  auto info = store.info(d);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, static_cast<int64_t>(data.size()));
  EXPECT_EQ(store.blob_path(d), root.path() / "oci/blobs/sha256" / std::string(d.hex()));
  auto r = store.open(d);
  EXPECT_EQ(common::read_all(*r, 1 << 24), data);
  // Blobs are immutable on disk.
  struct stat st;
  ASSERT_EQ(::stat(store.blob_path(d).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  ASSERT_EQ(store.list().size(), 1u);
  EXPECT_EQ(store.list()[0].digest, d);
  // Nothing is left in ingest.
  EXPECT_EQ(count_files(root.path() / "ingest"), 0u);
}

// A blob past the write-behind window (blob_write_behind.h: dropped 32 MiB at a time, an
// fdatasync every 128 MiB): every byte reads back, whatever the chunk sizes (the hash ring
// splits and queues them). Which pages leave the cache: blob_write_behind_test.cc.
TEST(ContentStore, BigBlobIsWrittenBehindAndReadsBackWhole) {
  common::TempDir root;
  ContentStore store(root.path());
  const std::string mib = payload(1 << 20, 7);
  std::string data;
  for (int i = 0; i < 136; ++i) data += mib + std::to_string(i);
  auto w = store.writer("big blob");
  const size_t chunks[] = {100, 1 << 20, (3 << 20) + 5, 4096, 777};
  for (size_t off = 0, i = 0; off < data.size(); off += chunks[i++ % 5]) {
    w->write(std::string_view(data).substr(off, chunks[i % 5]));
  }
  const Digest d = w->commit(static_cast<int64_t>(data.size()), Digest::sha256_of(data));
  auto r = store.open(d);
  EXPECT_TRUE(common::read_all(*r, 256 << 20) == data);
}

TEST(ContentStore, PutReturnsADescriptor) {
  common::TempDir root;
  ContentStore store(root.path());
  auto desc = store.put(R"({"a":1})", common::media_type::kOciConfig);
  EXPECT_EQ(desc.media_type, common::media_type::kOciConfig);
  EXPECT_EQ(desc.size, 7);
  EXPECT_EQ(desc.digest, Digest::sha256_of(R"({"a":1})"));
  EXPECT_EQ(store.read_small(desc.digest), R"({"a":1})");
}

TEST(ContentStore, AbsentBlobIsNulloptOrNotFound) {
  common::TempDir root;
  ContentStore store(root.path());
  Digest d = Digest::sha256_of("nope");
  EXPECT_FALSE(store.info(d));
  EXPECT_FALSE(store.contains(d));
  try {
    store.open(d);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(e.message().find(d.str()), std::string::npos);
  }
  EXPECT_FALSE(store.remove(d));
}

TEST(ContentStore, DigestMismatchLeavesNothing) {
  common::TempDir root;
  ContentStore store(root.path());
  auto w = store.writer("bad digest");
  w->write("hello");
  try {
    w->commit(5, Digest::sha256_of("hellO"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIntegrity);
    EXPECT_NE(e.message().find("bad digest"), std::string::npos) << e.message();
  }
  EXPECT_FALSE(store.contains(Digest::sha256_of("hello")));
  EXPECT_TRUE(store.list().empty());
  EXPECT_EQ(count_files(root.path()), 1u);  // oci-layout only
  EXPECT_THROW(w->write("more"), Error);
}

TEST(ContentStore, SizeMismatchLeavesNothing) {
  common::TempDir root;
  ContentStore store(root.path());
  auto w = store.writer("bad size");
  w->write("hello");
  try {
    w->commit(6, Digest::sha256_of("hello"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIntegrity);
  }
  EXPECT_TRUE(store.list().empty());
  EXPECT_EQ(count_files(root.path()), 1u);
}

TEST(ContentStore, DroppedWriterLeavesNothing) {
  common::TempDir root;
  ContentStore store(root.path());
  {
    auto w = store.writer("dropped");
    w->write("partial");
  }
  EXPECT_TRUE(store.list().empty());
  EXPECT_EQ(count_files(root.path()), 1u);
}

TEST(ContentStore, CommittingAPresentBlobIsFine) {
  common::TempDir root;
  ContentStore store(root.path());
  auto a = store.put("same", "x");
  auto b = store.put("same", "x");
  EXPECT_EQ(a, b);
  EXPECT_EQ(store.list().size(), 1u);
  EXPECT_TRUE(store.remove(a.digest));
  EXPECT_TRUE(store.list().empty());
}

TEST(ContentStore, ListSkipsFilesThatAreNotBlobs) {
  common::TempDir root;
  ContentStore store(root.path());
  auto d = store.put("blob", "x");
  common::write_file_atomic(root.path() / "oci/blobs/sha256/not-a-digest", "junk");
  auto all = store.list();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].digest, d.digest);
}

// The child writes half a blob and is killed mid-ingest: the store shows nothing, and a
// leftover named temp file (simulating a kill inside commit) is removed on the next open.
TEST(ContentStore, SigkillDuringIngestLeavesNothing) {
  common::TempDir root;
  ContentStore store(root.path());
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    ContentStore s(root.path());
    auto w = s.writer("killed");
    w->write(payload(1 << 20, 7));
    (void)!::write(ready[1], "x", 1);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));

  EXPECT_TRUE(store.list().empty());
  EXPECT_EQ(count_files(root.path() / "oci"), 1u);  // oci-layout only
  common::write_file_atomic(root.path() / "ingest" / "123-0-0.commit", "half a blob");
  ContentStore reopened(root.path());
  EXPECT_EQ(count_files(root.path() / "ingest"), 0u);
  EXPECT_TRUE(reopened.list().empty());
}

// A live writer's locked temp file survives another store's clean-up.
TEST(ContentStore, CleanIngestSparesLiveWriters) {
  common::TempDir root;
  ContentStore store(root.path());
  auto w = store.writer("live");
  w->write("still writing");
  EXPECT_EQ(ContentStore(root.path()).clean_ingest(), 0);
  Digest d = w->commit();
  EXPECT_EQ(store.read_small(d), "still writing");
}

TEST(ContentStore, ConcurrentWritersOfTheSameBlobThreads) {
  common::TempDir root;
  ContentStore store(root.path());
  std::string data = payload(1 << 20, 3);
  Digest want = Digest::sha256_of(data);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto w = store.writer("same blob");
      for (size_t off = 0; off < data.size(); off += 65536) w->write(data.substr(off, 65536));
      if (w->commit(static_cast<int64_t>(data.size()), want) == want) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(store.read_small(want, 2 << 20), data);
  EXPECT_EQ(count_files(root.path() / "ingest"), 0u);
}

TEST(ContentStore, ConcurrentWritersOfTheSameBlobProcesses) {
  common::TempDir root;
  ContentStore store(root.path());
  std::string data = payload(1 << 20, 5);
  Digest want = Digest::sha256_of(data);
  std::vector<pid_t> children;
  for (int p = 0; p < 4; ++p) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      try {
        ContentStore s(root.path());  // also runs clean_ingest() while the others write
        for (int round = 0; round < 5; ++round) {
          auto w = s.writer("same blob");
          for (size_t off = 0; off < data.size(); off += 65536) w->write(data.substr(off, 65536));
          if (w->commit(static_cast<int64_t>(data.size()), want) != want) ::_exit(2);
          if (s.read_small(want, 2 << 20) != data) ::_exit(3);
        }
      } catch (...) {
        ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(child);
  }
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  EXPECT_EQ(store.read_small(want, 2 << 20), data);
  EXPECT_EQ(store.list().size(), 1u);
  EXPECT_EQ(count_files(root.path() / "ingest"), 0u);
}

}  // namespace
}  // namespace mybuild::snapshot
