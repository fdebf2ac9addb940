// docker's size spelling for --memory and --shm-size (go-units RAMInBytes).
#include "cli/byte_size.h"

#include <gtest/gtest.h>

#include <string>

#include "common/error.h"

namespace mybuild::cli {
namespace {

TEST(ByteSize, BinaryUnitsInEitherCase) {
  EXPECT_EQ(parse_byte_size("1073741824", "--memory"), 1073741824u);
  EXPECT_EQ(parse_byte_size("10b", "--memory"), 10u);
  EXPECT_EQ(parse_byte_size("100k", "--memory"), 100u * 1024);
  EXPECT_EQ(parse_byte_size("64m", "--shm-size"), 64u << 20);
  EXPECT_EQ(parse_byte_size("64M", "--shm-size"), 64u << 20);
  EXPECT_EQ(parse_byte_size("64mb", "--shm-size"), 64u << 20);
  EXPECT_EQ(parse_byte_size("64MiB", "--shm-size"), 64u << 20);
  EXPECT_EQ(parse_byte_size("64 m", "--shm-size"), 64u << 20);
  EXPECT_EQ(parse_byte_size("1g", "--shm-size"), 1u << 30);
  EXPECT_EQ(parse_byte_size("1.5g", "--memory"), 3u << 29);
  EXPECT_EQ(parse_byte_size("2t", "--memory"), uint64_t{2} << 40);
  EXPECT_EQ(parse_byte_size("1p", "--memory"), uint64_t{1} << 50);
}

std::string error_of(const std::string& text) {
  try {
    parse_byte_size(text, "--shm-size");
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kUsage) << text;
    return e.message();
  }
  return "no error";
}

TEST(ByteSize, RejectsWhatDockerRejectsNamingTheFlag) {
  for (const char* text : {"", "m", "lots", "-1m", "+1m", " 1m", "1x", "1mm", "1.m", ".5m",
                           "1.2.3m", "1e3", "0x10", "inf", "nan", "1m ", "1kbb"}) {
    EXPECT_EQ(error_of(text).rfind(std::string("invalid --shm-size value: ") + text, 0), 0u)
        << "'" << text << "': " << error_of(text);
  }
}

TEST(ByteSize, ZeroAndOverflowAreErrorsNotUnlimited) {
  // tmpfs and cgroups read 0 as "no limit": never what a size flag meant.
  EXPECT_NE(error_of("0").find("at least 1 byte"), std::string::npos);
  EXPECT_NE(error_of("0m").find("at least 1 byte"), std::string::npos);
  EXPECT_NE(error_of("0.5b").find("at least 1 byte"), std::string::npos);
  EXPECT_NE(error_of("8192p").find("too large"), std::string::npos);
  EXPECT_NE(error_of("99999999999999999999999").find("too large"), std::string::npos);
}

}  // namespace
}  // namespace mybuild::cli
