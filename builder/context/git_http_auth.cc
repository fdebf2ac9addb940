#include "builder/context/git_http_auth.h"

#include <git2.h>

#include "builder/context/git_api.h"
#include "common/base64.h"
#include "common/error.h"

namespace mybuild::builder {

std::optional<std::string> http_remote_host(std::string_view remote) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (!remote.starts_with(scheme)) continue;
    std::string_view rest = remote.substr(scheme.size());
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
    if (rest.empty()) return std::nullopt;
    return std::string(rest);
  }
  return std::nullopt;
}

GitHttpAuth git_auth_from_secrets(std::string_view remote,
                                  const std::map<std::string, std::string>& secrets) {
  GitHttpAuth auth;
  const std::optional<std::string> host = http_remote_host(remote);
  if (!host) return auth;
  struct Candidate {
    std::string id;
    bool token;
  };
  const Candidate order[] = {{"GIT_AUTH_TOKEN." + *host, true},
                             {"GIT_AUTH_HEADER." + *host, false},
                             {"GIT_AUTH_TOKEN", true},
                             {"GIT_AUTH_HEADER", false}};
  for (const Candidate& c : order) {
    auto it = secrets.find(c.id);
    if (it == secrets.end()) continue;
    std::string value = it->second;
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    auth.header = "Authorization: " +
                  (c.token ? "basic " + common::base64_encode("x-access-token:" + value) : value);
    auth.source = "secret " + c.id;
    return auth;
  }
  return auth;
}

namespace {

// The docker config's login for the remote's host (registry/docker_config.h); false when none.
bool look_up_git_login(GitHttpCredentialState& state) {
  if (state.login) return state.login->identity_token.empty();  // looked up on a first connection
  const std::optional<std::string> host = http_remote_host(state.remote);
  if (!host) return false;
  try {
    state.login = registry::lookup_credentials(registry::DockerConfig::default_path(), *host);
  } catch (const common::Error& e) {
    // Inside a libgit2 callback: the failure travels as libgit2's error, and fails the fetch.
    state.login_source = e.what();
    git_api().error_set_str(GIT_ERROR_HTTP, e.what());
    return false;
  }
  if (state.login) state.login_source = state.login->source;
  return state.login.has_value() && state.login->identity_token.empty();
}

}  // namespace

int git_http_credentials(git_credential** out, unsigned int allowed_types,
                         GitHttpCredentialState& state) {
  if ((allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) == 0) return GIT_PASSTHROUGH;
  if (state.asked++ > 0 || !state.secret.header.empty()) {
    git_api().error_set_str(GIT_ERROR_HTTP, "the server refused the credentials");
    return GIT_EAUTH;
  }
  if (!look_up_git_login(state)) {
    git_api().error_set_str(GIT_ERROR_HTTP, "the server asks for credentials and none were given");
    return GIT_EAUTH;
  }
  return git_api().credential_userpass_plaintext_new(out, state.login->username.c_str(),
                                                     state.login->password.c_str());
}

std::string git_auth_failure(const GitHttpCredentialState& state) {
  const std::string& source =
      !state.secret.source.empty() ? state.secret.source : state.login_source;
  if (source.empty()) {
    const std::string host = http_remote_host(state.remote).value_or("HOST");
    return "authentication required by " + state.remote +
           ": give a token with --secret id=GIT_AUTH_TOKEN." + host +
           ",env=VAR or store a login with `mybuild login " + host + "`";
  }
  return "authentication refused by " + state.remote + " (credentials from " + source + ")";
}

}  // namespace mybuild::builder
