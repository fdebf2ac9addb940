// --ssh values as buildx takes them: default (=$SSH_AUTH_SOCK), ID=SOCKET, ID=KEY[,KEY].
#include "cli/ssh_flags.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::cli {
namespace {

TEST(SshFlags, DefaultIdSocketAndKeys) {
  common::TempDir dir("mybuild-ssh-flags-");
  const std::string a = (dir.path() / "a").string(), b = (dir.path() / "b").string();
  std::FILE* f = std::fopen(a.c_str(), "w");
  std::fclose(f);
  f = std::fopen(b.c_str(), "w");
  std::fclose(f);
  auto ssh = parse_ssh_flags({"default", "keys=" + a + "," + b}, a.c_str());
  EXPECT_EQ(ssh["default"], std::vector<std::string>{a});
  EXPECT_EQ(ssh["keys"], (std::vector<std::string>{a, b}));
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"default"}, {"x=/nonexistent"}, {"=" + a}, {"x=" + a, "x=" + b}, {"x=" + a + ","}}) {
    EXPECT_THROW(parse_ssh_flags(bad, nullptr), common::Error) << bad[0];
  }
}

}  // namespace
}  // namespace mybuild::cli
