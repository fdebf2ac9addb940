#include "snapshot/layer_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "snapshot/compression.h"
#include "snapshot/content_store.h"
#include "snapshot/layer_test_util.h"

namespace mybuild::snapshot {
namespace {

namespace fs = std::filesystem;
using testing::set_mtime;
using testing::write_text;

void make_tree(const fs::path& root) {
  write_text(root / "b.txt", "bee");
  write_text(root / "a/z", "zed", 0755);
  write_text(root / "a-b", "dash");
  fs::create_symlink("../b.txt", root / "a/link");
  ::link((root / "b.txt").c_str(), (root / "a/hard").c_str());
  ::mkfifo((root / "fifo").c_str(), 0600);
  for (const char* p : {"b.txt", "a/z", "a-b", "a/link", "fifo", "a", ""}) {
    set_mtime(root / p, 1700000000 + static_cast<int64_t>(std::string(p).size()), 123456789);
  }
}

struct TarSummary {
  std::vector<std::string> lines;
  std::vector<std::string> pax_keys;
};

// Reads a layer back with libarchive: one line per entry.
TarSummary read_layer(const std::string& blob) {
  TarSummary s;
  archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_memory(a, blob.data(), blob.size()), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string line = archive_entry_pathname(e);
    line.append(" ").append(std::to_string(archive_entry_filetype(e)));
    line.append(" ").append(std::to_string(archive_entry_mtime(e)));
    if (archive_entry_hardlink(e)) line.append(" hard=").append(archive_entry_hardlink(e));
    if (archive_entry_symlink(e)) line.append(" sym=").append(archive_entry_symlink(e));
    if (archive_entry_atime_is_set(e) || archive_entry_ctime_is_set(e)) line += " HAS-ATIME";
    if (archive_entry_uname(e) && *archive_entry_uname(e)) line += " HAS-UNAME";
    s.lines.push_back(line);
  }
  archive_read_free(a);
  return s;
}

Layer write(const fs::path& root, common::Writer& out, Compression c = Compression::kGzip,
            int threads = 0, std::optional<int64_t> epoch = std::nullopt) {
  LayerOptions o;
  o.compression = c;
  o.threads = threads;
  o.source_date_epoch = epoch;
  return write_tree_layer(root, out, o);
}

TEST(LayerWriter, SameTreeSameDigestAcrossCopiesAndCompressions) {
  common::TempDir a("layer-a-"), b("layer-b-");
  make_tree(a.path());
  make_tree(b.path());
  for (Compression c : {Compression::kGzip, Compression::kZstd, Compression::kNone}) {
    common::StringWriter oa, ob;
    Layer la = write(a.path(), oa, c);
    Layer lb = write(b.path(), ob, c, 1);
    EXPECT_EQ(la.descriptor.digest, lb.descriptor.digest) << to_string(c);
    EXPECT_EQ(la.diff_id, lb.diff_id);
    EXPECT_EQ(la.descriptor.digest, common::Digest::sha256_of(oa.str()));
    EXPECT_EQ(la.descriptor.size, static_cast<int64_t>(oa.str().size()));
    EXPECT_EQ(la.descriptor.media_type, layer_media_type(c));
    // The diff_id is the digest of the uncompressed tar.
    common::StringReader in(oa.str());
    auto plain = open_decompressed(in);
    std::string tar = common::read_all(*plain, 1 << 26);
    EXPECT_EQ(la.diff_id, common::Digest::sha256_of(tar));
    EXPECT_EQ(la.uncompressed_size, static_cast<int64_t>(tar.size()));
    EXPECT_EQ(tar.size() % 512, 0u);
  }
}

// sink_hashes: the sink (a content-store writer) hashes the bytes, so an uncompressed layer is
// not hashed twice. The bytes stay the same; the digests are the caller's to take from the sink.
// A compressed layer ignores the option (its tar and blob digests differ).
TEST(LayerWriter, SinkHashesLeavesTheDigestOutButNotABit) {
  common::TempDir a("layer-");
  make_tree(a.path());
  common::StringWriter hashed, sunk, gzipped;
  const Layer plain = write(a.path(), hashed, Compression::kNone);
  LayerOptions o;
  o.compression = Compression::kNone;
  o.sink_hashes = true;
  const Layer bare = write_tree_layer(a.path(), sunk, o);
  EXPECT_EQ(sunk.str(), hashed.str());
  EXPECT_EQ(bare.diff_id, common::Digest());
  EXPECT_EQ(bare.descriptor.digest, common::Digest());
  EXPECT_EQ(bare.descriptor.size, plain.descriptor.size);
  EXPECT_EQ(bare.uncompressed_size, plain.uncompressed_size);
  EXPECT_EQ(plain.diff_id, common::Digest::sha256_of(sunk.str()));
  o.compression = Compression::kGzip;
  const Layer compressed = write_tree_layer(a.path(), gzipped, o);
  EXPECT_EQ(compressed.diff_id, plain.diff_id);
  EXPECT_EQ(compressed.descriptor.digest, common::Digest::sha256_of(gzipped.str()));
}

// The build's path (BuildStore::write_diff): an uncompressed layer streamed into a content-store
// writer that hashes it (ring of hash buffers, write-behind) holds the same bytes as the plain
// path, for files at the sizes where tar blocks and read chunks (1 MiB) turn, a sparse file,
// a hard link and xattrs.
TEST(LayerWriter, ContentStoreSinkHoldsTheSameBytesForEveryFileShape) {
  common::TempDir tree("layer-shapes-"), store_root("layer-store-");
  const size_t sizes[] = {0, 1, 511, 512, 513, 1 << 20, (1 << 20) + 1, (9 << 20) + 3};
  for (size_t size : sizes) {
    std::string text(size, '\0');
    for (size_t i = 0; i < size; ++i) text[i] = static_cast<char>((i * 131 + size) % 251);
    write_text(tree.path() / ("f" + std::to_string(size)), text);
  }
  const fs::path sparse = tree.path() / "sparse";
  write_text(sparse, "");
  ASSERT_EQ(::truncate(sparse.c_str(), 4 << 20), 0);
  { std::ofstream(sparse, std::ios::in | std::ios::out).seekp(2 << 20).put('x'); }
  ASSERT_EQ(::link((tree.path() / "f513").c_str(), (tree.path() / "hard").c_str()), 0);
  const bool xattrs = ::setxattr((tree.path() / "f1").c_str(), "user.shape", "v", 1, 0) == 0;
  for (const auto& e : fs::directory_iterator(tree.path())) set_mtime(e.path(), 1700000000);

  common::StringWriter plain;
  const Layer reference = write(tree.path(), plain, Compression::kNone);
  ContentStore store(store_root.path());
  auto writer = store.writer("layer");
  LayerOptions o;
  o.compression = Compression::kNone;
  o.sink_hashes = true;
  const Layer sunk = write_tree_layer(tree.path(), *writer, o);
  EXPECT_EQ(writer->commit(sunk.descriptor.size), reference.diff_id);
  EXPECT_TRUE(store.read_small(reference.diff_id, 64 << 20) == plain.str());
  const TarSummary s = read_layer(plain.str());
  ASSERT_EQ(s.lines.size(), 10u);
  EXPECT_NE(s.lines[8].find("hard=f513"), std::string::npos) << s.lines[8];  // f*, hard, sparse
  if (xattrs) {
    EXPECT_NE(plain.str().find("SCHILY.xattr.user.shape=v"), std::string::npos);
  }
}

TEST(LayerWriter, EntriesSortedPerDirectoryWithLinksAndNoAtime) {
  common::TempDir a("layer-");
  make_tree(a.path());
  common::StringWriter out;
  write(a.path(), out);
  TarSummary s = read_layer(out.str());
  ASSERT_EQ(s.lines.size(), 7u);
  // Walk order: "a" and its children before "a-b", names in byte order within a directory.
  EXPECT_EQ(s.lines[0].substr(0, 3), "a/ ");
  EXPECT_EQ(s.lines[1].substr(0, 7), "a/hard ");
  EXPECT_EQ(s.lines[2].substr(0, 7), "a/link ");
  EXPECT_NE(s.lines[2].find("sym=../b.txt"), std::string::npos);
  EXPECT_EQ(s.lines[3].substr(0, 4), "a/z ");
  EXPECT_EQ(s.lines[4].substr(0, 4), "a-b ");
  EXPECT_EQ(s.lines[5].substr(0, 6), "b.txt ");
  EXPECT_NE(s.lines[5].find("hard=a/hard"), std::string::npos);  // second name of the inode
  EXPECT_EQ(s.lines[6].substr(0, 5), "fifo ");
  for (const auto& l : s.lines) {
    EXPECT_EQ(l.find("HAS-ATIME"), std::string::npos) << l;
    EXPECT_EQ(l.find("HAS-UNAME"), std::string::npos) << l;
  }
}

TEST(LayerWriter, SourceDateEpochClampsNewerMtimesOnly) {
  common::TempDir a("layer-");
  write_text(a.path() / "old", "o");
  write_text(a.path() / "new", "n");
  set_mtime(a.path() / "old", 1000);
  set_mtime(a.path() / "new", 2000000000);
  common::StringWriter out;
  write(a.path(), out, Compression::kGzip, 0, 1500000000);
  TarSummary s = read_layer(out.str());
  ASSERT_EQ(s.lines.size(), 2u);
  EXPECT_EQ(s.lines[0], "new 32768 1500000000");
  EXPECT_EQ(s.lines[1], "old 32768 1000");

  // Touching a file later than the epoch does not change the digest.
  common::StringWriter again;
  set_mtime(a.path() / "new", 2100000000);
  Layer l1 = write(a.path(), again, Compression::kGzip, 0, 1500000000);
  EXPECT_EQ(l1.diff_id, common::Digest::sha256_of(s.lines.empty() ? "" : [&] {
              common::StringReader in(out.str());
              auto p = open_decompressed(in);
              return common::read_all(*p, 1 << 20);
            }()));
}

TEST(LayerWriter, XattrsAreWrittenAsSchilyRecordsOnly) {
  common::TempDir a("layer-");
  write_text(a.path() / "f", "x");
  if (::setxattr((a.path() / "f").c_str(), "user.test", "v1", 2, 0) != 0) {
    GTEST_SKIP() << "user xattrs not supported on " << a.path();
  }
  common::StringWriter out;
  write(a.path(), out, Compression::kNone);
  EXPECT_NE(out.str().find("SCHILY.xattr.user.test=v1"), std::string::npos);
  EXPECT_EQ(out.str().find("LIBARCHIVE.xattr"), std::string::npos);
}

TEST(LayerWriter, EmptyTreeIsAValidLayer) {
  common::TempDir a("layer-");
  common::StringWriter out;
  Layer l = write(a.path(), out);
  EXPECT_TRUE(read_layer(out.str()).lines.empty());
  EXPECT_GT(l.uncompressed_size, 0);  // the end-of-archive blocks
}

}  // namespace
}  // namespace mybuild::snapshot
