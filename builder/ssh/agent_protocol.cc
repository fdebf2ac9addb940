#include "builder/ssh/agent_protocol.h"

#include "builder/ssh/wire.h"
#include "common/error.h"
#include "common/log.h"

namespace mybuild::builder::ssh {

using common::Error;
using common::ErrorKind;

namespace {

std::string agent_failure() { return std::string(1, static_cast<char>(kAgentFailure)); }

std::string identities_answer(const std::vector<SshKey>& keys) {
  std::string out(1, static_cast<char>(kAgentIdentitiesAnswer));
  put_u32(out, static_cast<uint32_t>(keys.size()));
  for (const auto& key : keys) {
    put_string(out, key.public_blob());
    put_string(out, key.comment());
  }
  return out;
}

std::string sign_response(WireReader& r, const std::vector<SshKey>& keys) {
  const std::string_view blob = r.string();
  const std::string_view data = r.string();
  const uint32_t flags = r.u32();
  for (const auto& key : keys) {
    if (key.public_blob() != blob) continue;
    std::string out(1, static_cast<char>(kAgentSignResponse));
    put_string(out, key.sign(data, flags));
    return out;
  }
  return agent_failure();  // not one of ours
}

}  // namespace

std::string answer_agent_request(std::string_view request, const std::vector<SshKey>& keys) {
  try {
    WireReader r(request, "ssh-agent request");
    const uint8_t type = r.byte();
    if (type == kAgentRequestIdentities) return identities_answer(keys);
    if (type == kAgentSignRequest) return sign_response(r, keys);
  } catch (const Error& e) {
    common::log::debug(std::string("mybuild ssh agent: ") + e.what());  // the client's fault
  }
  return agent_failure();
}

std::string frame_agent_message(std::string_view body) {
  std::string out;
  put_string(out, body);
  return out;
}

std::string identities_request() {
  return std::string(1, static_cast<char>(kAgentRequestIdentities));
}

std::vector<AgentIdentity> parse_identities_answer(std::string_view reply,
                                                   const std::string& agent) {
  WireReader r(reply, "ssh agent " + agent);
  if (r.byte() != kAgentIdentitiesAnswer) {
    throw Error(ErrorKind::kAuth, "ssh agent " + agent + ": refused to list its keys");
  }
  const uint32_t count = r.u32();
  std::vector<AgentIdentity> out;
  for (uint32_t i = 0; i < count && i < 1024; ++i) {
    AgentIdentity id;
    id.blob = r.string();
    id.comment = r.string();
    out.push_back(std::move(id));
  }
  return out;
}

std::string sign_request(std::string_view blob, std::string_view data, uint32_t flags) {
  std::string out(1, static_cast<char>(kAgentSignRequest));
  put_string(out, blob);
  put_string(out, data);
  put_u32(out, flags);
  return out;
}

std::string parse_sign_response(std::string_view reply, const std::string& agent) {
  WireReader r(reply, "ssh agent " + agent);
  if (r.byte() != kAgentSignResponse) {
    throw Error(ErrorKind::kAuth, "ssh agent " + agent + ": refused to sign");
  }
  return std::string(r.string());
}

}  // namespace mybuild::builder::ssh
