// The pure part of git credentials: which secret BuildKit's order picks, and the header it makes.
#include "builder/context/git_http_auth.h"

#include <gtest/gtest.h>

#include "common/base64.h"

namespace mybuild::builder {
namespace {

TEST(GitHttpAuth, HostOfHttpRemotesOnly) {
  EXPECT_EQ(http_remote_host("https://git.example:8443/org/r.git"), "git.example:8443");
  EXPECT_EQ(http_remote_host("http://user@h/r.git"), "h");
  EXPECT_EQ(http_remote_host("git://h/r.git"), std::nullopt);
  EXPECT_EQ(http_remote_host("git@h:org/r.git"), std::nullopt);
}

TEST(GitHttpAuth, SecretsInBuildKitsOrder) {
  const std::string remote = "https://h:1/r.git";
  std::map<std::string, std::string> secrets = {{"GIT_AUTH_TOKEN", "plain\n"},
                                                {"GIT_AUTH_HEADER", "bearer xyz"}};
  GitHttpAuth a = git_auth_from_secrets(remote, secrets);
  EXPECT_EQ(a.header, "Authorization: basic " + common::base64_encode("x-access-token:plain"))
      << "a token is the password of x-access-token; its trailing newline goes";
  EXPECT_EQ(a.source, "secret GIT_AUTH_TOKEN");
  secrets["GIT_AUTH_HEADER.h:1"] = "bearer host";
  a = git_auth_from_secrets(remote, secrets);
  EXPECT_EQ(a.header, "Authorization: bearer host") << "a host's secret comes before the plain";
  secrets["GIT_AUTH_TOKEN.h:1"] = "hosttok";
  EXPECT_EQ(git_auth_from_secrets(remote, secrets).source, "secret GIT_AUTH_TOKEN.h:1");
  EXPECT_EQ(git_auth_from_secrets("https://other/r.git", {{"GIT_AUTH_HEADER", "x"}}).header,
            "Authorization: x");
  EXPECT_EQ(git_auth_from_secrets("git://h/r.git", secrets).header, "")
      << "no header for transports other than http(s)";
  EXPECT_EQ(git_auth_from_secrets(remote, {{"OTHER", "x"}}).header, "");
}

TEST(GitHttpAuth, FailureMessagesNameTheRemoteNotTheSecret) {
  GitHttpCredentialState none{"https://h:1/r.git", {}, std::nullopt, "", 1};
  EXPECT_EQ(git_auth_failure(none),
            "authentication required by https://h:1/r.git: give a token with --secret "
            "id=GIT_AUTH_TOKEN.h:1,env=VAR or store a login with `mybuild login h:1`");
  GitHttpCredentialState refused{
      "https://h:1/r.git", git_auth_from_secrets("https://h:1/r.git", {{"GIT_AUTH_TOKEN", "s3"}}),
      std::nullopt, "", 1};
  const std::string msg = git_auth_failure(refused);
  EXPECT_EQ(msg,
            "authentication refused by https://h:1/r.git (credentials from secret "
            "GIT_AUTH_TOKEN)");
}

}  // namespace
}  // namespace mybuild::builder
