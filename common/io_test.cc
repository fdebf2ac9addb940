#include "common/io.h"

#include <fcntl.h>
#include <gtest/gtest.h>

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
