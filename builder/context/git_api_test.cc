#include "builder/context/git_api.h"

#include <gtest/gtest.h>

#include <string>

namespace mybuild::builder {
namespace {

// Every function of the table resolves from the installed libgit2.so.1.5, and calls go through.
TEST(GitApi, ResolvesEveryFunctionFromTheInstalledLibrary) {
  const GitApi& git = git_api();
  EXPECT_NE(git.submodule_url, nullptr);
  ASSERT_GE(git.libgit2_init(), 1);
  git_oid oid{};
  char hex[GIT_OID_HEXSZ + 1] = {};
  EXPECT_STREQ(git.oid_tostr(hex, sizeof hex, &oid), std::string(GIT_OID_HEXSZ, '0').c_str());
  git.libgit2_shutdown();
  EXPECT_EQ(&git_api(), &git);  // loaded once
}

}  // namespace
}  // namespace mybuild::builder
