// ssh authentication of git sources (`ssh://user@host/repo.git`, `git@host:org/repo.git`):
// libgit2 (built with libssh2) asks its credentials callback for a key; BuildKit uses the
// build's `--ssh default` for git sources, and so do we: the agent it names, or the key files
// mybuild's own agent holds (builder/ssh/agent_source.h). Each key is offered as a libgit2
// "custom" ssh credential, signing through the agent or OpenSSL, so no key file path or agent
// socket has to be handed to libssh2 (whose agent support reads only $SSH_AUTH_SOCK).
//
// Host keys: like BuildKit without known hosts, an unknown ssh host key is accepted
// (git_ssh_certificate_check); TLS certificates are left to libgit2's own verification.
//
// Per connection the keys are offered in order until the server takes one; when it refused
// them all, the callback fails with "the server refused every key of --ssh default".
#pragma once

#include <git2.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/ssh/agent_source.h"

namespace mybuild::builder {

class GitSshAuth {
 public:
  // `default_paths`: the request's `--ssh default` value; nullptr when not given.
  explicit GitSshAuth(const std::vector<std::string>* default_paths)
      : default_paths_(default_paths) {}

  // For libgit2's credentials callback: GIT_PASSTHROUGH unless ssh is asked for.
  int credential(git_credential** out, const char* username_from_url, unsigned int allowed_types);
  // For libgit2's certificate_check callback: a new ssh connection starts the keys over.
  int certificate_check(git_cert* cert, int valid);

 private:
  int next_key(git_credential** out, const char* username);

  const std::vector<std::string>* default_paths_;
  std::optional<std::vector<ssh::SshSigner>> signers_;  // loaded on first use
  size_t next_ = 0;
};

// The public-key algorithm named in what libssh2 asks to be signed (RFC 4252 section 7: string
// session id, byte 50, string user, string service, string "publickey", bool, string
// algorithm, string key); nullopt when the data is not of that shape.
std::optional<std::string> userauth_algorithm(std::string_view data);

}  // namespace mybuild::builder
