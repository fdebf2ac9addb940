// What one `--ssh ID=PATHS` value means: one path that is not a regular file is an agent's
// socket (forwarded); otherwise every path is a key file that mybuild's own agent answers for.
// Both RUN --mount=type=ssh (agent_socket.h) and git sources over ssh (signers below) use it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/ssh/agent_socket.h"

namespace mybuild::builder::ssh {

struct AgentSource {
  std::filesystem::path socket;  // set: forward to this agent
  AgentSocket::Keys keys;        // else: these keys
};

// Throws Error(kUsage) naming the id and file for a key file that cannot be used (encrypted,
// unsupported, malformed) or for a socket given together with key files.
AgentSource open_agent_source(const std::string& id, const std::vector<std::string>& paths);

// One key that can sign, wherever it lives (an agent, or a key file here).
struct SshSigner {
  std::string blob;  // the public key blob
  // The signature blob (string algorithm, string signature) over data.
  std::function<std::string(std::string_view data, uint32_t flags)> sign;
};
// The keys of `source`, asking the agent for its list when it is one.
std::vector<SshSigner> signers_of(const AgentSource& source);

}  // namespace mybuild::builder::ssh
