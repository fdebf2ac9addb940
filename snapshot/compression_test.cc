#include "snapshot/compression.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "common/error.h"
#include "common/temp_dir.h"
#include "snapshot/compression_internal.h"
#include "snapshot/gzip_block.h"

namespace mybuild::snapshot {
namespace {

// Half compressible text, half random bytes, a little over 3 gzip blocks.
std::string sample_data() {
  std::string s;
  std::mt19937 rng(42);
  while (s.size() < 3 * kGzipBlockSize + 12345) {
    s += "line " + std::to_string(s.size()) + " of some very compressible text\n";
    for (int i = 0; i < 64; ++i) s.push_back(static_cast<char>(rng()));
  }
  return s;
}

std::string compress(Compression c, const std::string& data, int threads, size_t chunk) {
  common::StringWriter out;
  auto z = make_compressor(c, out, kDefaultLevel, threads);
  for (size_t pos = 0; pos < data.size(); pos += chunk) {
    z->write(std::string_view(data).substr(pos, chunk));
  }
  z->finish();
  return out.take();
}

std::string decompress(const std::string& blob) {
  common::StringReader in(blob);
  auto r = open_decompressed(in);
  return common::read_all(*r, 1 << 30);
}

// Runs a real decompressor (gzip -dc, zstd -dc; a python3 -c script ignores the -dc) on the
// blob: other tools must read our output.
std::string external_decompress(const char* tool, const std::string& blob) {
  common::TempDir dir("compression-test-");
  std::string in = (dir.path() / "blob").string();
  std::string out = (dir.path() / "plain").string();
  FILE* f = std::fopen(in.c_str(), "wb");
  std::fwrite(blob.data(), 1, blob.size(), f);
  std::fclose(f);
  std::string cmd = std::string(tool) + " -dc < " + in + " > " + out;
  if (std::system(cmd.c_str()) != 0) return "<" + std::string(tool) + " failed>";
  common::FdReader r(common::open_file(out, O_RDONLY));
  return common::read_all(r, 1 << 30);
}

class CompressionRoundTrip : public ::testing::TestWithParam<Compression> {};

TEST_P(CompressionRoundTrip, DecompressesToTheInput) {
  std::string data = sample_data();
  std::string blob = compress(GetParam(), data, 2, 100000);
  EXPECT_EQ(decompress(blob), data);
  if (GetParam() != Compression::kNone) {
    EXPECT_LT(blob.size(), data.size());
  }
}

TEST_P(CompressionRoundTrip, OutputDoesNotDependOnThreadsOrWriteSizes) {
  std::string data = sample_data();
  std::string a = compress(GetParam(), data, 1, 4096);
  std::string b = compress(GetParam(), data, 2, 1 << 20);
  std::string c = compress(GetParam(), data, 3, 777);
  EXPECT_EQ(common::Digest::sha256_of(a), common::Digest::sha256_of(b));
  EXPECT_EQ(common::Digest::sha256_of(a), common::Digest::sha256_of(c));
}

TEST_P(CompressionRoundTrip, EmptyStreamIsValid) {
  std::string blob = compress(GetParam(), "", 2, 1);
  EXPECT_EQ(decompress(blob), "");
}

INSTANTIATE_TEST_SUITE_P(All, CompressionRoundTrip,
                         ::testing::Values(Compression::kNone, Compression::kGzip,
                                           Compression::kZstd),
                         [](const auto& p) { return std::string(to_string(p.param)); });

TEST(Compression, GzipIsReadByGnuGzip) {
  std::string data = sample_data();
  EXPECT_EQ(external_decompress("gzip", compress(Compression::kGzip, data, 2, 65536)), data);
}

// A random block is stored (deflating it saves nothing), a text block beside it is still
// deflated, and gzip reads the mix.
TEST(Compression, GzipStoresIncompressibleBlocksAndDeflatesTheRest) {
  std::mt19937 rng(7);
  std::string random(kGzipBlockSize, '\0');
  for (char& ch : random) ch = static_cast<char>(rng());
  std::string text;
  while (text.size() < kGzipBlockSize) text += "the same compressible line of text\n";
  text.resize(kGzipBlockSize);

  std::string random_gz = compress(Compression::kGzip, random, 2, 65536);
  // Stored deflate blocks cost 5 bytes per 64 KiB, plus the gzip header and trailer.
  EXPECT_LE(random_gz.size(), random.size() + 200);
  EXPECT_GE(random_gz.size(), random.size());
  std::string text_gz = compress(Compression::kGzip, text, 2, 65536);
  EXPECT_LT(text_gz.size(), text.size() / 20);

  EXPECT_TRUE(internal::gzip_block_is_incompressible(random));
  EXPECT_FALSE(internal::gzip_block_is_incompressible(text));
  // Text at any of the sampled places keeps a block deflated.
  for (size_t at : {size_t{0}, kGzipBlockSize / 2, kGzipBlockSize - 16384}) {
    std::string patched = random;
    patched.replace(at, 16384, text.substr(0, 16384));
    EXPECT_FALSE(internal::gzip_block_is_incompressible(patched)) << at;
  }
  EXPECT_FALSE(internal::gzip_block_is_incompressible(random.substr(0, 32768)));  // too small

  std::string mixed = random + text + random;
  std::string mixed_gz = compress(Compression::kGzip, mixed, 2, 65536);
  EXPECT_EQ(mixed_gz.size(), 2 * random_gz.size() + text_gz.size());  // independent members
  EXPECT_EQ(external_decompress("gzip", mixed_gz), mixed);
  EXPECT_EQ(decompress(mixed_gz), mixed);
}

// Every gzip level (ISA-L's 1..3 and the default, libdeflate's 0 and 4..12) writes the same bytes
// for the same input on any thread count, and GNU gzip and Python's gzip module read them.
TEST(Compression, EveryGzipLevelIsDeterministicAndReadByGzipAndPython) {
  std::string data = sample_data();
  for (int level : {kDefaultLevel, 0, 1, 2, 3, 4, 6, 12}) {
    common::StringWriter one, two;
    auto a = make_compressor(Compression::kGzip, one, level, 1);
    a->write(data);
    a->finish();
    auto b = make_compressor(Compression::kGzip, two, level, 2);
    for (size_t at = 0; at < data.size(); at += 3333) b->write(data.substr(at, 3333));
    b->finish();
    EXPECT_EQ(one.str(), two.str()) << level;
    EXPECT_EQ(external_decompress("gzip", one.str()), data) << level;
    EXPECT_EQ(
        external_decompress("python3 -c 'import gzip,sys; sys.stdout.buffer.write(gzip.decompress("
                            "sys.stdin.buffer.read()))'",
                            one.str()),
        data)
        << level;
  }
}

// A worker's compressor keeps its buffers from block to block; a member must not depend on the
// blocks it compressed before (or a layer's digest would depend on the thread schedule).
TEST(Compression, GzipMemberDoesNotDependOnEarlierBlocks) {
  const std::string data = sample_data();
  const std::string_view block = std::string_view(data).substr(kGzipBlockSize, kGzipBlockSize);
  for (int level : {1, 2, 3, 6}) {
    std::string fresh, reused;
    internal::GzipBlockCompressor(level).member(block, fresh);
    internal::GzipBlockCompressor worker(level);
    std::string scratch;
    worker.member(std::string_view(data).substr(0, kGzipBlockSize), scratch);
    worker.member(std::string_view(data).substr(kGzipBlockSize / 2, kGzipBlockSize), scratch);
    worker.member(block, reused);
    EXPECT_EQ(fresh, reused) << level;
  }
}

// The default is ISA-L's level 1 (igzip's default), not libdeflate's 6: a push is bound by it.
TEST(Compression, GzipDefaultIsIsalLevelOne) {
  std::string data = sample_data();
  common::StringWriter dflt, one, six;
  for (auto [level, out] : {std::pair{kDefaultLevel, &dflt}, {1, &one}, {6, &six}}) {
    auto z = make_compressor(Compression::kGzip, *out, level, 2);
    z->write(data);
    z->finish();
  }
  EXPECT_EQ(dflt.str(), one.str());
  EXPECT_NE(one.str(), six.str());
  // RFC 1952 header with no mtime (the bytes depend on nothing but the input).
  ASSERT_GE(one.str().size(), 10u);
  EXPECT_EQ(one.str().substr(0, 4), std::string("\x1f\x8b\x08\x00", 4));
  EXPECT_EQ(one.str().substr(4, 4), std::string(4, '\0'));
}

TEST(Compression, ZstdIsReadByZstdTool) {
  std::string data = sample_data();
  EXPECT_EQ(external_decompress("zstd -q", compress(Compression::kZstd, data, 2, 65536)), data);
}

TEST(Compression, RecompressChangesFormatAndKeepsContent) {
  std::string data = sample_data();
  common::StringReader gz(compress(Compression::kGzip, data, 2, 65536));
  common::StringWriter zst;
  common::Digest diff_id = recompress(gz, Compression::kZstd, zst);
  EXPECT_EQ(diff_id, common::Digest::sha256_of(data));
  ASSERT_GE(zst.str().size(), 4u);
  EXPECT_EQ(static_cast<unsigned char>(zst.str()[0]), 0x28);  // zstd frame magic 28 b5 2f fd
  EXPECT_EQ(decompress(zst.str()), data);

  common::StringReader back(zst.str());
  common::StringWriter plain;
  recompress(back, Compression::kNone, plain);
  EXPECT_EQ(plain.str(), data);
}

// libarchive does not check gzip's CRC-32 ("XXX TODO" in its gzip filter), so a corrupt layer
// is caught by the diff_id that apply_layer and recompress compute instead: either the
// decompressor fails, or the bytes (and so the diff_id) differ.
TEST(Compression, CorruptGzipNeverYieldsTheOriginalBytes) {
  std::string data = sample_data();
  std::string blob = compress(Compression::kGzip, data, 2, 65536);
  blob[blob.size() / 2] ^= 0x55;
  blob[blob.size() / 2 + 1] ^= 0x55;
  try {
    EXPECT_NE(common::Digest::sha256_of(decompress(blob)), common::Digest::sha256_of(data));
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity) << e.what();
  }
}

TEST(Compression, TruncatedZstdIsAnIntegrityError) {
  std::string blob = compress(Compression::kZstd, sample_data(), 2, 65536);
  blob.resize(blob.size() / 2);
  try {
    decompress(blob);
    FAIL() << "truncated zstd decompressed";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity) << e.what();
  }
}

TEST(Compression, LevelsAndNames) {
  common::StringWriter out;
  EXPECT_THROW(make_compressor(Compression::kGzip, out, 13), common::Error);
  EXPECT_THROW(make_compressor(Compression::kZstd, out, 99), common::Error);
  EXPECT_EQ(parse_compression("zstd"), Compression::kZstd);
  EXPECT_THROW(parse_compression("lz4"), common::Error);
  EXPECT_EQ(compression_of_media_type("application/vnd.docker.image.rootfs.diff.tar.gzip"),
            Compression::kGzip);
  EXPECT_EQ(layer_media_type(Compression::kZstd), "application/vnd.oci.image.layer.v1.tar+zstd");
  // A higher gzip level never makes compressible data bigger.
  std::string data = sample_data();
  common::StringWriter fast, best;
  auto a = make_compressor(Compression::kGzip, fast, 1);
  a->write(data);
  a->finish();
  auto b = make_compressor(Compression::kGzip, best, 9);
  b->write(data);
  b->finish();
  EXPECT_LE(best.str().size(), fast.str().size());
}

}  // namespace
}  // namespace mybuild::snapshot
