#include "builder/context/git_submodules.h"

#include <gtest/gtest.h>

namespace mybuild::builder {
namespace {

TEST(GitSubmodules, OnlyNetworkUrlsAreFetched) {
  for (const char* url :
       {"https://example.com/o/lib.git", "http://127.0.0.1:8080/lib.git",
        "git://127.0.0.1:9418/lib.git", "ssh://git@host/lib.git", "git@github.com:o/lib.git"}) {
    EXPECT_TRUE(submodule_url_allowed(url)) << url;
  }
  // A hostile .gitmodules naming a repository on the build host.
  for (const char* url : {"file:///srv/git/private.git", "/srv/git/private.git", "./private.git",
                          "../private.git", "private.git", "file:private.git", "C:/repo", ""}) {
    EXPECT_FALSE(submodule_url_allowed(url)) << url;
  }
}

}  // namespace
}  // namespace mybuild::builder
