#include "builder/context/stdin.h"

#include <gtest/gtest.h>

#include <string>

#include "common/error.h"

namespace mybuild::builder {
namespace {

using namespace std::string_literals;

// What classify_stdin makes of `bytes`: "tar:<all bytes read back>" or "dockerfile:<text>".
std::string classify(const std::string& bytes) {
  common::StringReader in(bytes);
  StdinInput got = classify_stdin(in);
  if (got.tar) return "tar:" + common::read_all(*got.tar, 1 << 20);
  return "dockerfile:" + got.dockerfile_text.value_or("<none>");
}

TEST(ContextStdin, ArchivesAreReadBackWhole) {
  std::string tar(2048, 'x');
  tar.replace(257, 5, "ustar");
  EXPECT_EQ(classify(tar), "tar:" + tar);
  for (const std::string& magic : {"\x1f\x8b"s, "BZh9"s,
                                   "\xfd"
                                   "7zXZ\0"s,
                                   "\x28\xb5\x2f\xfd"s}) {
    const std::string stream = magic + std::string(5000, 'z');
    EXPECT_EQ(classify(stream), "tar:" + stream) << magic;
  }
}

TEST(ContextStdin, AnythingElseIsTheDockerfile) {
  EXPECT_EQ(classify("FROM busybox\nRUN true\n"), "dockerfile:FROM busybox\nRUN true\n");
  EXPECT_EQ(classify(""), "dockerfile:");
  const std::string long_one = "FROM busybox\n" + std::string(4000, '#') + "\n";
  EXPECT_EQ(classify(long_one), "dockerfile:" + long_one);
  // "ustar" too early is not a tar header.
  EXPECT_EQ(classify("ustar FROM x\n"), "dockerfile:ustar FROM x\n");
}

TEST(ContextStdin, AHugeNonArchiveIsRefused) {
  common::StringReader in(std::string((16 << 20) + 10, 'a'));
  EXPECT_THROW(classify_stdin(in), common::Error);
}

}  // namespace
}  // namespace mybuild::builder
