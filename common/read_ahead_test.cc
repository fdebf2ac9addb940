#include "common/read_ahead.h"

#include <gtest/gtest.h>

#include <string>

#include "common/error.h"

namespace mybuild::common {
namespace {

// A source of `size` patterned bytes, `step` per read, that throws at `fail_at` if set.
class PatternSource : public Reader {
 public:
  PatternSource(size_t size, size_t step, size_t fail_at = SIZE_MAX)
      : size_(size), step_(step), fail_at_(fail_at) {}
  size_t read(std::span<char> buf) override {
    if (offset_ >= fail_at_) throw Error(ErrorKind::kIntegrity, "source broke");
    const size_t n = std::min({buf.size(), step_, size_ - offset_, fail_at_ - offset_});
    for (size_t i = 0; i < n; ++i) buf[i] = pattern_byte(offset_ + i);
    offset_ += n;
    return n;
  }
  static char pattern_byte(size_t at) { return static_cast<char>((at * 131) % 251); }

 private:
  size_t size_, step_, fail_at_;
  size_t offset_ = 0;
};

std::string drain_ahead(ReadAhead& ahead, size_t step) {
  std::string out, buf(step, '\0');
  while (size_t n = ahead.read(std::span<char>(buf.data(), buf.size()))) out.append(buf, 0, n);
  return out;
}

bool is_pattern(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != PatternSource::pattern_byte(i)) return false;
  }
  return true;
}

TEST(ReadAhead, HandsOnEveryByteInOrder) {
  for (size_t size : {size_t{0}, size_t{1}, ReadAhead::kChunk, 3 * ReadAhead::kChunk + 17}) {
    PatternSource source(size, 70001);
    ReadAhead ahead(source);
    std::string got = drain_ahead(ahead, 12345);
    ahead.finish();
    EXPECT_EQ(got.size(), size);
    EXPECT_TRUE(is_pattern(got)) << size;
    EXPECT_EQ(ahead.read(std::span<char>(got.data(), got.size() ? 1 : 0)), 0u);
  }
}

TEST(ReadAhead, AnErrorOfTheSourceReachesTheReaderAfterTheBytesBeforeIt) {
  PatternSource source(10 * ReadAhead::kChunk, 4096, 2 * ReadAhead::kChunk + 5);
  ReadAhead ahead(source);
  std::string buf(1 << 16, '\0');
  size_t got = 0;
  try {
    while (size_t n = ahead.read(std::span<char>(buf.data(), buf.size()))) got += n;
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "source broke");
  }
  EXPECT_EQ(got, 2 * ReadAhead::kChunk) << "the whole chunks before the failure";
}

TEST(ReadAhead, AConsumerThatStopsEarlyDoesNotWaitForTheSourcesEnd) {
  PatternSource endless(SIZE_MAX, 1 << 16);
  {
    ReadAhead ahead(endless);
    std::string buf(100, '\0');
    EXPECT_EQ(ahead.read(std::span<char>(buf.data(), buf.size())), 100u);
    EXPECT_TRUE(is_pattern(buf));
  }  // joins: the worker stops after at most the chunks it may hold
  SUCCEED();
}

}  // namespace
}  // namespace mybuild::common
