#include "snapshot/gzip_inflate.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "common/error.h"
#include "common/temp_dir.h"
#include "snapshot/compression.h"

namespace mybuild::snapshot {
namespace {

// Text and random bytes, a little over 3 of our gzip members.
std::string inflate_sample() {
  std::string s;
  std::mt19937 rng(7);
  while (s.size() < 3 * kGzipBlockSize + 4321) {
    s += "entry " + std::to_string(s.size()) + " compresses well\n";
    for (int i = 0; i < 48; ++i) s.push_back(static_cast<char>(rng()));
  }
  return s;
}

std::string our_gzip(const std::string& data) {
  common::StringWriter out;
  auto z = make_compressor(Compression::kGzip, out, kDefaultLevel, 2);
  z->write(data);
  z->finish();
  return out.take();
}

// gzip(1) itself (zlib's deflate, one member with a file name in its header).
std::string gnu_gzip(const std::string& data) {
  common::TempDir dir("gzip-inflate-test-");
  const std::string plain = (dir.path() / "named.txt").string();
  FILE* f = std::fopen(plain.c_str(), "wb");
  std::fwrite(data.data(), 1, data.size(), f);
  std::fclose(f);
  if (std::system(("gzip -9 " + plain).c_str()) != 0) return {};
  return common::read_file(plain + ".gz");
}

// Hands out at most `step` bytes per read, and counts what was taken.
class Trickle : public common::Reader {
 public:
  Trickle(const std::string& data, size_t step) : data_(data), step_(step) {}
  size_t read(std::span<char> buf) override {
    const size_t n = std::min({buf.size(), step_, data_.size() - offset_});
    std::copy_n(data_.data() + offset_, n, buf.data());
    offset_ += n;
    return n;
  }
  size_t taken() const { return offset_; }

 private:
  const std::string& data_;
  size_t step_;
  size_t offset_ = 0;
};

std::string inflate(const std::string& blob, size_t step = 1 << 20, size_t* taken = nullptr) {
  Trickle in(blob, step);
  auto plain = open_decompressed(in);
  std::string out = common::read_all(*plain, 1 << 30);
  if (taken != nullptr) *taken = in.taken();
  return out;
}

TEST(GzipInflate, ReadsEveryMemberOfOurParallelGzip) {
  const std::string data = inflate_sample();
  const std::string blob = our_gzip(data);
  EXPECT_EQ(inflate(blob), data);
  EXPECT_EQ(inflate(blob, 1), data) << "one byte per read: headers split across refills";
  EXPECT_EQ(inflate(blob, 4097), data);
}

TEST(GzipInflate, ReadsGnuGzipWithAFileNameInItsHeader) {
  const std::string data = inflate_sample();
  const std::string blob = gnu_gzip(data);
  ASSERT_FALSE(blob.empty()) << "gzip(1) failed";
  EXPECT_EQ(inflate(blob, 3), data);
}

TEST(GzipInflate, EmptyMembersAndConcatenatedFiles) {
  EXPECT_EQ(inflate(our_gzip("")), "");
  EXPECT_EQ(inflate(our_gzip("ab") + our_gzip("") + gnu_gzip("cd")), "abcd");
}

TEST(GzipInflate, StopsAtTrailingBytesThatAreNoMemberButReadsThemAll) {
  const std::string blob = our_gzip("payload") + std::string(1024, '\0');
  size_t taken = 0;
  EXPECT_EQ(inflate(blob, 100, &taken), "payload");
  EXPECT_EQ(taken, blob.size()) << "a digest over the compressed input must see every byte";
}

TEST(GzipInflate, CorruptOrTruncatedStreamsAreIntegrityErrors) {
  const std::string data = inflate_sample();
  std::string bad_crc = our_gzip("some data");
  bad_crc[bad_crc.size() - 6] ^= 0x55;  // inside the trailer's CRC-32
  std::string cut = our_gzip(data);
  cut.resize(cut.size() / 2);
  std::string garbled = our_gzip(data);
  for (size_t i = 100; i < 400; ++i) garbled[i] = static_cast<char>(i * 7);
  for (const auto& [what, blob, says] :
       {std::tuple{"crc", bad_crc, "CRC-32"}, std::tuple{"cut", cut, "ends in the middle"},
        std::tuple{"garbled", garbled, "corrupt data"}}) {
    try {
      inflate(blob, 999);
      ADD_FAILURE() << what << ": no error";
    } catch (const common::Error& e) {
      EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity) << what;
      EXPECT_NE(std::string(e.what()).find("gzip"), std::string::npos) << what << ": " << e.what();
      if (std::string_view(what) != "garbled") {
        EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << what << ": " << e.what();
      }
    }
  }
}

TEST(GzipInflate, OtherFormatsStillGoThroughLibarchive) {
  common::StringWriter out;
  auto z = make_compressor(Compression::kZstd, out);
  z->write("zstd data");
  z->finish();
  EXPECT_EQ(inflate(out.take(), 1), "zstd data");
  EXPECT_EQ(inflate("plain tar bytes", 1), "plain tar bytes");
  EXPECT_EQ(inflate("x"), "x");
  EXPECT_EQ(inflate(""), "");
}

}  // namespace
}  // namespace mybuild::snapshot
