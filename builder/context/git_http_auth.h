// Credentials for a git remote over http(s), found where BuildKit and the registry client look:
//   1. the build's secrets, in BuildKit's order: GIT_AUTH_TOKEN.<host>, GIT_AUTH_HEADER.<host>,
//      GIT_AUTH_TOKEN, GIT_AUTH_HEADER (<host> with its port, as in the URL). A token becomes
//      `Authorization: basic base64(x-access-token:<token>)`, a header secret is the value of
//      `Authorization:` as written; either is sent with every request, as BuildKit's
//      http.<url>.extraheader is.
//   2. else what `docker login <host>` stored (registry/docker_config.h: credHelpers,
//      credsStore, auths), offered once when the server answers 401.
// Secrets never enter a message: errors say where the credentials came from, not what they are.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "registry/docker_config.h"

struct git_credential;  // <git2.h>, which only the git_*.cc files include

namespace mybuild::builder {

struct GitHttpAuth {
  std::string header;  // "Authorization: …" for every request; empty: none
  std::string source;  // "secret GIT_AUTH_TOKEN.host": for messages
};

// "host[:port]" of an http(s) URL; nullopt for other transports (git://, ssh, file://).
std::optional<std::string> http_remote_host(std::string_view remote);

// Pure: the header the build's secrets give for `remote` (step 1 above); empty when none.
GitHttpAuth git_auth_from_secrets(std::string_view remote,
                                  const std::map<std::string, std::string>& secrets);

// The state of one fetch's credentials callback. The docker config is read at the first 401
// only (a public repository runs no credential helper); the login is offered once: asked
// again, the server refused it.
struct GitHttpCredentialState {
  std::string remote;
  GitHttpAuth secret;  // from git_auth_from_secrets
  std::optional<registry::Credentials> login;
  std::string login_source;  // where the login came from, for messages
  int asked = 0;
};

// For libgit2's credentials callback: GIT_PASSTHROUGH when it has nothing for the transport,
// GIT_EAUTH (with libgit2's error message set) when there is nothing to give or the server
// refused what was given. Never throws (it runs inside libgit2).
int git_http_credentials(git_credential** out, unsigned int allowed_types,
                         GitHttpCredentialState& state);

// The message for a fetch that failed with GIT_EAUTH, naming the remote and where the
// credentials came from (never the credentials).
std::string git_auth_failure(const GitHttpCredentialState& state);

}  // namespace mybuild::builder
