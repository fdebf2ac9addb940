// mybuild's ssh agent answers (draft-miller-ssh-agent) for a fixed test key: the identities
// list, a signature, and SSH_AGENT_FAILURE for other keys, other requests and malformed ones.
#include "builder/ssh/agent_protocol.h"

#include <gtest/gtest.h>

#include "builder/ssh/test_keys.h"
#include "builder/ssh/wire.h"
#include "common/error.h"

namespace mybuild::builder::ssh {
namespace {

std::vector<SshKey> agent_test_keys() { return parse_openssh_private_key(kTestEd25519Key, "k"); }

TEST(SshAgentProtocol, ListsIdentities) {
  auto keys = agent_test_keys();
  std::string reply = answer_agent_request(identities_request(), keys);
  auto ids = parse_identities_answer(reply, "test");
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0].blob, keys[0].public_blob());
  EXPECT_EQ(ids[0].comment, "test-ed25519");
  // And the exact bytes: type 12, count 1, blob, comment.
  std::string want(1, '\x0c');
  put_u32(want, 1);
  put_string(want, keys[0].public_blob());
  put_string(want, "test-ed25519");
  EXPECT_EQ(reply, want);
}

TEST(SshAgentProtocol, SignsForItsKeyOnly) {
  auto keys = agent_test_keys();
  std::string reply = answer_agent_request(sign_request(keys[0].public_blob(), "data", 0), keys);
  EXPECT_EQ(parse_sign_response(reply, "test"), keys[0].sign("data", 0));  // ed25519: same bytes
  std::string other = keys[0].public_blob();
  other.back() ^= 1;
  EXPECT_EQ(answer_agent_request(sign_request(other, "data", 0), keys), std::string(1, '\x05'));
  EXPECT_THROW(parse_sign_response(std::string(1, '\x05'), "test"), common::Error);
}

TEST(SshAgentProtocol, OtherAndMalformedRequestsFail) {
  auto keys = agent_test_keys();
  const std::string failure(1, '\x05');
  EXPECT_EQ(answer_agent_request(std::string(1, '\x11'), keys), failure);  // add identity
  EXPECT_EQ(answer_agent_request(std::string(1, '\x1b'), keys), failure);  // extension
  EXPECT_EQ(answer_agent_request("", keys), failure);
  std::string req = sign_request(keys[0].public_blob(), "data", 0);
  for (size_t cut = 1; cut < req.size(); ++cut) {
    EXPECT_EQ(answer_agent_request(req.substr(0, cut), keys), failure) << cut;
  }
  std::string lying(1, '\x0d');
  put_u32(lying, 0xffffffffu);
  EXPECT_EQ(answer_agent_request(lying, keys), failure);
}

TEST(SshAgentProtocol, FramesWithALength) {
  EXPECT_EQ(frame_agent_message("\x0b"), std::string("\0\0\0\x01\x0b", 5));
}

}  // namespace
}  // namespace mybuild::builder::ssh
