// mybuild's agent sockets over real Unix sockets: answering for keys, forwarding to another
// agent per connection, and tearing down (threads joined, socket and directory gone) even with
// a client still connected.
#include "builder/ssh/agent_socket.h"

#include <gtest/gtest.h>

#include "builder/ssh/agent_protocol.h"
#include "builder/ssh/agent_source.h"
#include "builder/ssh/test_keys.h"
#include "builder/ssh/unix_socket.h"
#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::builder::ssh {
namespace {

AgentSocket::Keys socket_test_keys() {
  return std::make_shared<const std::vector<SshKey>>(
      parse_openssh_private_key(kTestEd25519Key, "k"));
}

std::vector<AgentIdentity> list_through(const std::filesystem::path& socket) {
  common::UniqueFd fd = connect_unix(socket, "test");
  EXPECT_TRUE(send_all(fd.get(), frame_agent_message(identities_request())));
  auto reply = recv_agent_message(fd.get(), -1);
  if (!reply) return {};
  return parse_identities_answer(*reply, "test");
}

TEST(SshAgentSocket, AnswersForKeysAndForwards) {
  common::TempDir dir("mybuild-agent-test-");
  auto keys = socket_test_keys();
  std::filesystem::path served_dir, forward_dir;
  {
    AgentSocket served(dir.path(), keys);
    served_dir = served.path().parent_path();
    auto ids = list_through(served.path());
    ASSERT_EQ(ids.size(), 1u);
    EXPECT_EQ(ids[0].blob, (*keys)[0].public_blob());
    {
      AgentSocket forward(dir.path(), served.path());
      forward_dir = forward.path().parent_path();
      EXPECT_NE(forward.path(), served.path());
      auto forwarded = list_through(forward.path());
      ASSERT_EQ(forwarded.size(), 1u);
      EXPECT_EQ(forwarded[0].comment, "test-ed25519");
      // Signing through the forwarder, as git does through an agent socket.
      AgentSource source{forward.path(), nullptr};
      auto signers = signers_of(source);
      ASSERT_EQ(signers.size(), 1u);
      EXPECT_EQ(signers[0].sign("data", 0), (*keys)[0].sign("data", 0));
      // An idle client still connected when the step ends must not hold the teardown.
      common::UniqueFd idle = connect_unix(forward.path(), "test");
    }
    EXPECT_FALSE(std::filesystem::exists(forward_dir));
    common::UniqueFd idle = connect_unix(served.path(), "test");
    ASSERT_TRUE(send_all(idle.get(), std::string("\0\0", 2)));  // half a length
  }
  EXPECT_FALSE(std::filesystem::exists(served_dir));
}

TEST(SshAgentSocket, ForwardingToNoAgentClosesTheConnection) {
  common::TempDir dir("mybuild-agent-test-");
  AgentSocket forward(dir.path(), dir.path() / "nothing.sock");
  common::UniqueFd fd = connect_unix(forward.path(), "test");
  send_all(fd.get(), frame_agent_message(identities_request()));
  EXPECT_FALSE(recv_agent_message(fd.get(), -1).has_value());
}

TEST(SshAgentSource, ASocketMustBeAlone) {
  common::TempDir dir("mybuild-agent-test-");
  AgentSocket served(dir.path(), socket_test_keys());
  EXPECT_TRUE(open_agent_source("default", {served.path().string()}).socket == served.path());
  EXPECT_THROW(open_agent_source("default", {served.path().string(), served.path().string()}),
               common::Error);
}

}  // namespace
}  // namespace mybuild::builder::ssh
