// docker's --ulimit spelling (NAME=SOFT[:HARD], -1 unlimited) and its resource names.
#include "sandbox/rlimits.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include "common/error.h"

namespace mybuild::sandbox {
namespace {

TEST(ParseUlimit, SoftAndHard) {
  EXPECT_EQ(parse_ulimit("nofile=512:1024"), (Rlimit{RLIMIT_NOFILE, 512, 1024}));
  EXPECT_EQ(parse_ulimit("core=0"), (Rlimit{RLIMIT_CORE, 0, 0}));
  EXPECT_EQ(parse_ulimit("nproc=100:100"), (Rlimit{RLIMIT_NPROC, 100, 100}));
}

TEST(ParseUlimit, MinusOneIsUnlimited) {
  EXPECT_EQ(parse_ulimit("memlock=-1"),
            (Rlimit{RLIMIT_MEMLOCK, kRlimitUnlimited, kRlimitUnlimited}));
  EXPECT_EQ(parse_ulimit("stack=8388608:-1"), (Rlimit{RLIMIT_STACK, 8388608, kRlimitUnlimited}));
  EXPECT_EQ(kRlimitUnlimited, static_cast<uint64_t>(RLIM_INFINITY));
}

TEST(ParseUlimit, EveryDockerName) {
  const std::pair<const char*, int> names[] = {
      {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
      {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
      {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
      {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
      {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
      {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
      {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
      {"stack", RLIMIT_STACK}};
  for (const auto& [name, resource] : names) {
    EXPECT_EQ(parse_ulimit(std::string(name) + "=1").resource, resource) << name;
    EXPECT_EQ(rlimit_name(resource), name);
  }
  EXPECT_EQ(rlimit_resource("NOFILE"), std::nullopt);  // docker's names are lower case only
}

std::string ulimit_error(const std::string& text) {
  try {
    parse_ulimit(text);
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kUsage) << text;
    return e.message();
  }
  return "no error";
}

TEST(ParseUlimit, RejectsBadNamesAndValues) {
  EXPECT_NE(ulimit_error("nofile").find("want NAME=SOFT[:HARD]"), std::string::npos);
  EXPECT_NE(ulimit_error("nofiles=1").find("unknown limit 'nofiles' (known: core, cpu,"),
            std::string::npos);
  EXPECT_NE(ulimit_error("=1").find("unknown limit ''"), std::string::npos);
  EXPECT_NE(ulimit_error("nofile=").find("soft limit '' is not a whole number"), std::string::npos);
  EXPECT_NE(ulimit_error("nofile=abc").find("soft limit 'abc'"), std::string::npos);
  EXPECT_NE(ulimit_error("nofile=1.5").find("soft limit '1.5'"), std::string::npos);
  EXPECT_NE(ulimit_error("nofile=-2").find("soft limit '-2'"), std::string::npos);
  EXPECT_NE(ulimit_error("nofile=+5").find("soft limit '+5'"), std::string::npos);
  EXPECT_NE(ulimit_error("nofile=1:").find("hard limit ''"), std::string::npos);
  EXPECT_NE(ulimit_error("nofile=1:2:3").find("hard limit '2:3'"), std::string::npos);
  EXPECT_NE(ulimit_error("nofile=99999999999999999999").find("is not a whole number"),
            std::string::npos);
  EXPECT_NE(ulimit_error("nofile=2048:1024").find("soft limit 2048 is above the hard limit 1024"),
            std::string::npos);
  EXPECT_NE(
      ulimit_error("nofile=-1:1024").find("soft limit unlimited is above the hard limit 1024"),
      std::string::npos);
  EXPECT_EQ(ulimit_error("nofile=abc").rfind("'nofile=abc': ", 0), 0u);
}

TEST(DescribeRlimit, NamesTheResourceAndSaysUnlimited) {
  EXPECT_EQ(describe(Rlimit{RLIMIT_NOFILE, 512, 1024}), "nofile=512:1024");
  EXPECT_EQ(describe(Rlimit{RLIMIT_CORE, 0, kRlimitUnlimited}), "core=0:unlimited");
}

}  // namespace
}  // namespace mybuild::sandbox
