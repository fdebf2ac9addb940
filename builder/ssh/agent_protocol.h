// The ssh-agent protocol (draft-miller-ssh-agent), the part a build needs: list the keys and
// sign with one. Each message is uint32 length, byte type, contents. mybuild answers it for the
// keys of `--ssh ID=KEYFILE` (agent_socket.h) and asks it of a real agent for git sources
// (identities.h). Everything else gets SSH_AGENT_FAILURE, as a locked agent would answer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "builder/ssh/key.h"

namespace mybuild::builder::ssh {

inline constexpr uint8_t kAgentFailure = 5;
inline constexpr uint8_t kAgentRequestIdentities = 11;
inline constexpr uint8_t kAgentIdentitiesAnswer = 12;
inline constexpr uint8_t kAgentSignRequest = 13;
inline constexpr uint8_t kAgentSignResponse = 14;
// OpenSSH's AGENT_MAX_LEN: a longer message is refused and the connection closed.
inline constexpr uint32_t kAgentMaxMessage = 256 * 1024;

// The reply body (type and contents, no length) to one request body. Pure; never throws for
// bad input (a malformed request gets kAgentFailure).
std::string answer_agent_request(std::string_view request, const std::vector<SshKey>& keys);

// uint32 length + body.
std::string frame_agent_message(std::string_view body);

struct AgentIdentity {
  std::string blob;
  std::string comment;
};
// Requests a client sends and how their replies read. Replies that are not the expected type
// (an agent's failure) throw Error(kAuth) naming `agent`.
std::string identities_request();
std::vector<AgentIdentity> parse_identities_answer(std::string_view reply,
                                                   const std::string& agent);
std::string sign_request(std::string_view blob, std::string_view data, uint32_t flags);
std::string parse_sign_response(std::string_view reply, const std::string& agent);

}  // namespace mybuild::builder::ssh
