// Registry authentication state, one per Client, shared by its threads: each registry host's
// challenge (learnt from a 401), the credentials for it (config.json / helper, looked up once),
// and Bearer tokens cached per scope set until they expire (docker token spec: token.md). What
// goes on the wire is only ever produced by authorization(); secrets never enter messages.
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "registry/docker_config.h"
#include "registry/http.h"
#include "registry/www_authenticate.h"

namespace mybuild::registry {

// "repository:library/alpine:pull" style scopes; sorted and deduplicated when used as a key.
using Scopes = std::vector<std::string>;
std::string pull_scope(const std::string& path);
std::string push_scope(const std::string& path);

class Authenticator {
 public:
  // `lookup` finds stored credentials for a host (DockerConfig::lookup in production).
  using Lookup = std::function<std::optional<Credentials>(const std::string& host)>;
  Authenticator(Transport& transport, Lookup lookup);

  // Uses these credentials for `host` instead of looking them up (`mybuild login`).
  void set_credentials(const std::string& host, Credentials creds);
  // Records the challenge of a 401 answer. Returns false when there is none we can answer.
  // Throws Error(kAuth) for a Bearer challenge whose realm is http:// when the answer came
  // over https (`unauthorized.effective_url`): a downgrade that would send credentials in clear.
  bool learn_challenge(const std::string& host, const HttpResponse& unauthorized);
  bool knows(const std::string& host) const;
  // The Authorization header value for a request to `host` needing `scopes`; nullopt when the
  // host asked for none. Fetches a token when needed (throws kAuth/kNetwork, explained).
  std::optional<std::string> authorization(const std::string& host, const Scopes& scopes,
                                           const common::CancelToken* cancel = nullptr);
  // Forgets the cached token for these scopes (after a 401 with a token that looked valid).
  void invalidate(const std::string& host, const Scopes& scopes);
  // "credential helper docker-credential-pass", "config file ... (auths \"x\")", "anonymous".
  std::string credential_source(const std::string& host);

 private:
  struct Token {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };
  struct HostState {
    std::optional<Challenge> challenge;
    bool creds_loaded = false;
    std::optional<Credentials> creds;
    std::map<std::string, Token> tokens;  // by joined scope set
  };
  const std::optional<Credentials>& creds_locked(HostState& st, const std::string& host);
  Token fetch_token(const std::string& host, const Challenge& ch,
                    const std::optional<Credentials>& creds, const Scopes& scopes,
                    const common::CancelToken* cancel);

  Transport& transport_;
  Lookup lookup_;
  mutable std::mutex mu_;
  std::map<std::string, HostState> hosts_;
};

// The check learn_challenge makes: throws Error(kAuth) when `registry_url` is https and `ch`
// is a Bearer challenge whose realm is plain http.
void refuse_realm_downgrade(const std::string& registry_url, const Challenge& ch);

std::string basic_authorization(const std::string& user, const std::string& password);

}  // namespace mybuild::registry
