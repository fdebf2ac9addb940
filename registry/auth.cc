#include "registry/auth.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/error.h"
#include "common/log.h"
#include "registry/internal/url.h"

namespace mybuild::registry {
namespace {

using common::Error;
using common::ErrorKind;

std::string scope_key(Scopes scopes) {
  std::sort(scopes.begin(), scopes.end());
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
  std::string key;
  for (const auto& s : scopes) key += (key.empty() ? "" : " ") + s;
  return key;
}

// The registry's or token server's own explanation, without echoing anything long.
std::string server_reason(const HttpResponse& r) {
  try {
    auto j = nlohmann::json::parse(r.body);
    if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
      const auto& e = j["errors"][0];
      return e.value("code", "") + (e.contains("message") ? ": " + e.value("message", "") : "");
    }
    if (j.contains("error")) return j.value("error", "") + " " + j.value("error_description", "");
    if (j.contains("details")) return j.value("details", "");
  } catch (const nlohmann::json::exception& e) {
    // Not the JSON error body the spec describes (an HTML page, say): the status must do.
    common::log::debug(std::string("error body is not a registry error: ") + e.what());
  }
  return "HTTP " + std::to_string(r.status);
}

// How long to reuse a token: token.md says a missing or shorter expires_in means 60 seconds;
// renew 5 s early. A lifetime over a day is a lie (or 10^18, which would overflow the clock):
// clamp it, as a 401 for a token that did expire only costs one refetch.
std::chrono::seconds token_lifetime(const nlohmann::json& answer) {
  constexpr double kMin = 60, kMax = 24 * 3600;
  double secs = kMin;
  if (auto it = answer.find("expires_in"); it != answer.end() && it->is_number()) {
    secs = it->get<double>();  // integers and floats alike; NaN cannot come from JSON
  }
  secs = std::clamp(secs, kMin, kMax);
  return std::chrono::seconds(static_cast<long long>(secs) - 5);
}

}  // namespace

std::string pull_scope(const std::string& path) { return "repository:" + path + ":pull"; }
std::string push_scope(const std::string& path) { return "repository:" + path + ":pull,push"; }

std::string basic_authorization(const std::string& user, const std::string& password) {
  return "Basic " + common::base64_encode(user + ":" + password);
}

Authenticator::Authenticator(Transport& transport, Lookup lookup)
    : transport_(transport), lookup_(std::move(lookup)) {}

void Authenticator::set_credentials(const std::string& host, Credentials creds) {
  std::lock_guard lk(mu_);
  auto& st = hosts_[host];
  st.creds = std::move(creds);
  st.creds_loaded = true;
  st.tokens.clear();
}

namespace {

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

void refuse_realm_downgrade(const std::string& registry_url, const Challenge& ch) {
  if (ch.scheme != "bearer") return;
  const std::string realm = ch.param("realm");
  if (!starts_with_nocase(registry_url, "https://") || !starts_with_nocase(realm, "http://")) {
    return;
  }
  throw Error(ErrorKind::kAuth, url_host_port(registry_url) +
                                    " was reached over https but its Bearer challenge "
                                    "names a plain-http token realm (" +
                                    realm +
                                    "); refusing to fetch a token there, "
                                    "which would send the credentials and the token in clear");
}

bool Authenticator::learn_challenge(const std::string& host, const HttpResponse& r) {
  for (const auto& ch : parse_www_authenticate(r.header("www-authenticate"))) {
    if (ch.scheme == "basic" || (ch.scheme == "bearer" && !ch.param("realm").empty())) {
      refuse_realm_downgrade(r.effective_url, ch);
      std::lock_guard lk(mu_);
      hosts_[host].challenge = ch;
      return true;
    }
  }
  return false;
}

bool Authenticator::knows(const std::string& host) const {
  std::lock_guard lk(mu_);
  auto it = hosts_.find(host);
  return it != hosts_.end() && it->second.challenge.has_value();
}

const std::optional<Credentials>& Authenticator::creds_locked(HostState& st,
                                                              const std::string& host) {
  if (!st.creds_loaded) {
    st.creds = lookup_ ? lookup_(host) : std::nullopt;
    st.creds_loaded = true;
  }
  return st.creds;
}

std::string Authenticator::credential_source(const std::string& host) {
  std::lock_guard lk(mu_);
  try {
    const auto& c = creds_locked(hosts_[host], host);
    return c ? c->source : "no stored credentials (anonymous)";
  } catch (const Error& e) {
    return "credentials lookup failed: " + e.message();
  }
}

void Authenticator::invalidate(const std::string& host, const Scopes& scopes) {
  std::lock_guard lk(mu_);
  hosts_[host].tokens.erase(scope_key(scopes));
}

std::optional<std::string> Authenticator::authorization(const std::string& host,
                                                        const Scopes& scopes,
                                                        const common::CancelToken* cancel) {
  std::lock_guard lk(mu_);
  HostState& st = hosts_[host];
  if (!st.challenge) return std::nullopt;
  const auto& creds = creds_locked(st, host);
  if (st.challenge->scheme == "basic") {
    if (!creds || (creds->username.empty() && creds->password.empty())) {
      throw Error(ErrorKind::kAuth, host +
                                        " requires a user name and password (Basic auth) and "
                                        "none are stored; run `mybuild login " +
                                        host + "`");
    }
    return basic_authorization(creds->username, creds->password);
  }
  std::string key = scope_key(scopes);
  auto it = st.tokens.find(key);
  if (it == st.tokens.end() || it->second.expires <= std::chrono::steady_clock::now()) {
    Token t = fetch_token(host, *st.challenge, creds, scopes, cancel);
    it = st.tokens.insert_or_assign(key, std::move(t)).first;
  }
  return "Bearer " + it->second.value;
}

Authenticator::Token Authenticator::fetch_token(const std::string& host, const Challenge& ch,
                                                const std::optional<Credentials>& creds,
                                                const Scopes& scopes,
                                                const common::CancelToken* cancel) {
  const std::string realm = ch.param("realm");
  const std::string service = ch.param("service");
  std::string source = creds ? creds->source : "no stored credentials (anonymous)";
  std::string scope_text = scopes.empty() ? "(none)" : scope_key(scopes);
  HttpResponse r;
  bool done = false;
  if (creds && !creds->identity_token.empty()) {
    // OAuth2 refresh-token grant (docker token spec: oauth.md).
    HttpRequest post;
    post.method = "POST";
    post.url = realm;
    post.headers = {"Content-Type: application/x-www-form-urlencoded"};
    post.body =
        "grant_type=refresh_token&client_id=mybuild&service=" + internal::url_escape(service) +
        "&refresh_token=" + internal::url_escape(creds->identity_token) +
        "&scope=" + internal::url_escape(scope_key(scopes));
    post.cancel = cancel;
    r = transport_.perform(post);
    // Token servers without OAuth2 support answer 404/405: fall back to GET as docker does.
    done = r.status != 404 && r.status != 405;
  }
  if (!done) {
    HttpRequest get;
    get.url = realm;
    if (!service.empty()) get.url = internal::with_query(get.url, "service", service);
    for (const auto& s : scopes) get.url = internal::with_query(get.url, "scope", s);
    if (creds && !creds->username.empty()) {
      get.headers.push_back("Authorization: " +
                            basic_authorization(creds->username, creds->password));
    }
    get.cancel = cancel;
    r = transport_.perform(get);
  }
  if (r.status == 401 || r.status == 403) {
    throw Error(ErrorKind::kAuth, "token server " + realm + " refused a token for scope " +
                                      scope_text + " on " + host + " with " + source + ": " +
                                      server_reason(r));
  }
  if (r.status != 200) {
    throw Error(ErrorKind::kNetwork, "token server " + realm + " answered " + server_reason(r) +
                                         " for scope " + scope_text);
  }
  try {
    auto j = nlohmann::json::parse(r.body);
    Token t;
    t.value = j.value("token", "");
    if (t.value.empty()) t.value = j.value("access_token", "");
    if (t.value.empty()) throw Error(ErrorKind::kAuth, "no token in the answer");
    t.expires = std::chrono::steady_clock::now() + token_lifetime(j);
    common::log::debug("got a token from " + realm + " for " + scope_text);
    return t;
  } catch (const nlohmann::json::exception&) {
    size_t first = r.body.find_first_not_of(" \t\r\n");
    bool html = first != std::string::npos && r.body[first] == '<';
    throw Error(ErrorKind::kAuth, "token server " + realm +
                                      " answered with something that is not a token (" +
                                      (html ? "an HTML page" : "not JSON") + ")");
  } catch (Error& e) {
    e.add_context("token server " + realm);
    throw;
  }
}

}  // namespace mybuild::registry
