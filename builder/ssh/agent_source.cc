#include "builder/ssh/agent_source.h"

#include "builder/ssh/agent_protocol.h"
#include "builder/ssh/unix_socket.h"
#include "common/error.h"

namespace mybuild::builder::ssh {

using common::Error;
using common::ErrorKind;

namespace {

// One request to the agent at `socket`, on a connection of its own.
std::string ask_agent(const std::filesystem::path& socket, std::string_view request) {
  const std::string what = "ssh agent " + socket.string();
  common::UniqueFd fd = connect_unix(socket, what);
  if (!send_all(fd.get(), frame_agent_message(request))) {
    throw Error(ErrorKind::kAuth, what + ": the agent closed the connection");
  }
  auto reply = recv_agent_message(fd.get(), -1);
  if (!reply) throw Error(ErrorKind::kAuth, what + ": no answer from the agent");
  return *reply;
}

}  // namespace

AgentSource open_agent_source(const std::string& id, const std::vector<std::string>& paths) {
  AgentSource source;
  if (paths.size() == 1 && !is_ssh_key_file(paths[0])) {
    source.socket = paths[0];
    return source;
  }
  auto keys = std::make_shared<std::vector<SshKey>>();
  for (const auto& path : paths) {
    if (!is_ssh_key_file(path)) {
      throw Error(ErrorKind::kUsage, "--ssh " + id + ": " + path +
                                         " is not a key file (an agent socket must be alone)");
    }
    for (auto& key : load_ssh_key_file(path)) keys->push_back(std::move(key));
  }
  source.keys = std::move(keys);
  return source;
}

std::vector<SshSigner> signers_of(const AgentSource& source) {
  std::vector<SshSigner> out;
  if (source.keys) {
    for (size_t i = 0; i < source.keys->size(); ++i) {
      out.push_back({(*source.keys)[i].public_blob(),
                     [keys = source.keys, i](std::string_view data, uint32_t flags) {
                       return (*keys)[i].sign(data, flags);
                     }});
    }
    return out;
  }
  const std::string agent = source.socket.string();
  for (auto& id : parse_identities_answer(ask_agent(source.socket, identities_request()), agent)) {
    std::string blob = id.blob;
    out.push_back({std::move(id.blob),
                   [socket = source.socket, blob, agent](std::string_view data, uint32_t flags) {
                     return parse_sign_response(ask_agent(socket, sign_request(blob, data, flags)),
                                                agent);
                   }});
  }
  return out;
}

}  // namespace mybuild::builder::ssh
