// What libssh2 asks the custom signer to sign names the algorithm; RSA keys sign with the hash
// it names (rsa-sha2-256/512) and anything else yields no algorithm.
#include "builder/context/git_ssh_auth.h"

#include <gtest/gtest.h>

#include "builder/ssh/wire.h"

namespace mybuild::builder {
namespace {

std::string userauth_request(std::string_view algorithm) {
  std::string out;
  ssh::put_string(out, "session-id");
  out.push_back(50);
  ssh::put_string(out, "git");
  ssh::put_string(out, "ssh-connection");
  ssh::put_string(out, "publickey");
  out.push_back(1);
  ssh::put_string(out, algorithm);
  ssh::put_string(out, "key blob");
  return out;
}

TEST(GitSshAuth, ReadsTheAlgorithmToSignWith) {
  EXPECT_EQ(userauth_algorithm(userauth_request("rsa-sha2-512")), "rsa-sha2-512");
  EXPECT_EQ(userauth_algorithm(userauth_request("ssh-ed25519")), "ssh-ed25519");
  std::string other = userauth_request("ssh-rsa");
  other[4 + 10] = 51;  // not SSH_MSG_USERAUTH_REQUEST
  EXPECT_EQ(userauth_algorithm(other), std::nullopt);
  EXPECT_EQ(userauth_algorithm(userauth_request("x").substr(0, 20)), std::nullopt);
  EXPECT_EQ(userauth_algorithm(""), std::nullopt);
}

}  // namespace
}  // namespace mybuild::builder
