#include "common/overlapped_sha256.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "common/test_pattern.h"

namespace mybuild::common {
namespace {

using testing::test_pattern;

TEST(OverlappedSha256, SameDigestAsSha256ForSmallAndLargeChunks) {
  // Small chunks go inline, large ones to the worker: the order of bytes must be kept.
  const std::string parts[] = {
      test_pattern(10, 'a'), test_pattern(1 << 20, 'b'), test_pattern(512, 'c'),
      test_pattern(OverlappedSha256::kOverlapMin, 'd'), test_pattern(3, 'e')};
  OverlappedSha256 overlapped;
  Sha256 plain;
  std::string written;
  for (const auto& p : parts) {
    overlapped.update_beside(p, [&] { written += p; });
    plain.update(p);
  }
  EXPECT_EQ(written.size(), overlapped.bytes());
  EXPECT_EQ(overlapped.bytes(), plain.bytes());
  EXPECT_EQ(overlapped.finish(), plain.finish());
}

// More chunks than the ring has slots, chunks larger than a slot (split), and small ones after
// the worker has started (queued behind the big ones, never hashed ahead of them).
TEST(OverlappedSha256, RingKeepsTheOrderOfManyChunks) {
  OverlappedSha256 overlapped;
  Sha256 plain;
  for (int i = 0; i < 24; ++i) {
    const size_t size = i % 3 == 0   ? OverlappedSha256::kSlotSize * 2 + 5
                        : i % 3 == 1 ? 7
                                     : OverlappedSha256::kOverlapMin + 1;
    const std::string p = test_pattern(size, static_cast<char>('a' + i));
    overlapped.update(p);
    plain.update(p);
  }
  EXPECT_EQ(overlapped.bytes(), plain.bytes());
  EXPECT_EQ(overlapped.finish(), plain.finish());
}

TEST(OverlappedSha256, ErrorBesideIsRethrownAfterTheHash) {
  const std::string big = test_pattern(1 << 20, 'x');
  OverlappedSha256 h;
  EXPECT_THROW(h.update_beside(big, [] { throw std::runtime_error("disk full"); }),
               std::runtime_error);
  EXPECT_EQ(h.bytes(), big.size());
  EXPECT_EQ(h.finish(), Digest::sha256_of(big));
}

}  // namespace
}  // namespace mybuild::common
