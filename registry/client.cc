#include "registry/client.h"

#include <algorithm>
#include <random>
#include <thread>

#include "common/document_limits.h"
#include "common/error.h"
#include "common/log.h"
#include "common/media_types.h"
#include "registry/insecure.h"
#include "registry/internal/url.h"

namespace mybuild::registry {
namespace {

using common::Error;
using common::ErrorKind;
namespace mt = common::media_type;

const std::string kAcceptManifests =
    "Accept: " + std::string(mt::kOciIndex) + ", " + std::string(mt::kOciManifest) + ", " +
    std::string(mt::kDockerManifestList) + ", " + std::string(mt::kDockerManifest) + ", " +
    // Asked for only so that a schema 1 image gets a clear refusal rather than a 404.
    std::string(mt::kDockerManifestV1Signed) + ", " + std::string(mt::kDockerManifestV1);

std::string join(const Scopes& scopes) {
  std::string s;
  for (const auto& x : scopes) s += (s.empty() ? "" : " ") + x;
  return s.empty() ? "(none)" : s;
}

bool transient_status(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

// Retry-After in seconds (RFC 9110 §10.2.3; the HTTP-date form falls back to our backoff).
std::optional<std::chrono::milliseconds> retry_after(const HttpResponse& r) {
  std::string v = r.header("retry-after");
  if (v.empty() || !std::all_of(v.begin(), v.end(), ::isdigit) || v.size() > 6) return {};
  return std::chrono::seconds(std::stol(v));
}

// "an HTML page (\"502 Bad Gateway\")" when the answer is a web page (a proxy's error page, a
// captive portal, a login form), else "".
std::string html_page(const HttpResponse& r) {
  std::string ct = r.header("content-type");
  size_t first = r.body.find_first_not_of(" \t\r\n");
  if (ct.find("text/html") == std::string::npos &&
      (first == std::string::npos || r.body[first] != '<')) {
    return "";
  }
  std::string title;
  auto a = r.body.find("<title>");
  auto b = r.body.find("</title>");
  if (a != std::string::npos && b != std::string::npos && b > a) {
    title = r.body.substr(a + 7, std::min<size_t>(b - a - 7, 120));
  }
  return "an HTML page" + (title.empty() ? "" : " (\"" + title + "\")");
}

// The registry's error (distribution-spec "Error Codes"), or a sign that it was not one.
std::string explain(const HttpResponse& r) {
  if (std::string page = html_page(r); !page.empty()) {
    return "the server answered with " + page + ", not a registry error; is this a registry?";
  }
  try {
    auto j = nlohmann::json::parse(r.body);
    if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
      std::string out;
      for (const auto& e : j["errors"]) {
        if (!e.is_object()) continue;
        out += (out.empty() ? "" : "; ") + e.value("code", std::string("UNKNOWN"));
        if (e.contains("message") && e["message"].is_string()) out += ": " + e.value("message", "");
      }
      if (!out.empty()) return out;
    }
  } catch (const nlohmann::json::exception& e) {
    // Not the JSON error body the spec describes (an HTML page, say).
    common::log::debug(std::string("error body is not a registry error: ") + e.what());
  }
  return "no registry error in the answer";
}

std::string strip_params(std::string s) {
  s = s.substr(0, s.find(';'));
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

common::Digest digest_of(std::string_view body) { return common::Digest::sha256_of(body); }

// True when `url` is on `base` ("https://host:port"): same scheme, host and port. Credentials
// go only there; an upload Location or a redirect elsewhere (a storage backend, or a registry
// that lies) gets none, as docker's per-host challenge manager does.
bool same_origin(const std::string& base, const std::string& url) {
  if (url.size() < base.size() || url.compare(0, base.size(), base) != 0) return false;
  return url.size() == base.size() || url[base.size()] == '/' || url[base.size()] == '?';
}

std::string repo_url(const std::string& base, const Reference& ref) {
  return base + "/v2/" + ref.path;
}

}  // namespace

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      transport_(options_.transport),
      auth_(transport_, [path = options_.docker_config](const std::string& host) {
        // Credentials are stored under the registry's domain; Docker Hub's API host maps back.
        return lookup_credentials(path,
                                  host == kDockerHubApiHost ? std::string(kDockerHubDomain) : host);
      }) {}

Client::~Client() = default;

std::string Client::origin_base(const std::string& domain) {
  {
    std::lock_guard lk(mu_);
    if (auto it = origin_bases_.find(domain); it != origin_bases_.end()) return it->second;
  }
  std::string base;
  if (domain == kDockerHubDomain || domain == "index.docker.io") {
    base = "https://" + std::string(kDockerHubApiHost);
  } else {
    base = "https://" + domain;
    if (plain_http_allowed(domain, options_.insecure_registries)) {
      // Docker's order for insecure registries: HTTPS first, plain HTTP when TLS fails.
      try {
        HttpRequest probe;
        probe.url = base + "/v2/";
        probe.cancel = options_.cancel;
        transport_.perform(probe);
      } catch (const TlsVerifyError&) {
        throw;  // it speaks TLS with a certificate we do not trust: no silent downgrade
      } catch (const TlsClosedError&) {
        throw;  // it speaks TLS and refused us (a client certificate): no downgrade either
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::kNetwork) throw;
        common::log::debug("https to " + domain + " failed (" + e.message() +
                           "); using plain HTTP, allowed for this registry");
        base = "http://" + domain;
      }
    }
  }
  std::lock_guard lk(mu_);
  return origin_bases_.emplace(domain, base).first->second;
}

std::vector<std::string> Client::pull_bases(const std::string& domain) {
  std::vector<std::string> bases;
  if (auto it = options_.mirrors.find(domain); it != options_.mirrors.end()) {
    for (std::string m : it->second) {
      while (!m.empty() && m.back() == '/') m.pop_back();
      std::string base;
      try {
        base = m.find("://") == std::string::npos ? origin_base(m) : m;
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::kCancelled) throw;
        common::log::warn("mirror " + m + " of " + domain + " skipped: " + e.message());
        continue;
      }
      std::lock_guard lk(mu_);
      if (mirrors_down_.count(base)) continue;
      mirror_bases_.insert(base);
      bases.push_back(base);
    }
  }
  bases.push_back(origin_base(domain));
  return bases;
}

void Client::mirror_failed(const std::string& base, const Error& e) {
  // Unreachable or broken, not merely missing this content: skip it for the rest of this
  // client's life so that every later blob does not wait for it again (docker falls back per
  // pull the same way). A 404 or 401 leaves it in use for other content.
  if (e.kind() != ErrorKind::kNetwork) return;
  std::lock_guard lk(mu_);
  if (mirror_bases_.count(base)) mirrors_down_.insert(base);
}

void Client::ping(const std::string& base) {
  {
    std::lock_guard lk(mu_);
    if (pinged_[base]) return;
  }
  // Unauthenticated on purpose, as docker does: a 401 here only teaches us the challenge;
  // tokens are asked for with the scope of the real request. Other answers are not fatal: the
  // real request will explain them better. A mirror gets two tries: the origin behind it is
  // the better retry.
  int attempts = options_.max_attempts;
  {
    std::lock_guard lk(mu_);
    if (mirror_bases_.count(base)) attempts = std::min(attempts, 2);
  }
  for (int attempt = 1;; ++attempt) {
    HttpRequest req;
    req.url = base + "/v2/";
    req.cancel = options_.cancel;
    try {
      HttpResponse r = transport_.perform(req);
      if (r.status == 401) auth_.learn_challenge(url_host_port(base), r);
      if (transient_status(r.status) && attempt < attempts) {
        backoff(attempt, retry_after(r));
        continue;
      }
      break;
    } catch (const TlsVerifyError&) {
      throw;  // trust does not come back on a second try
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kNetwork || attempt >= attempts) throw;
      backoff(attempt, std::nullopt);
    }
  }
  std::lock_guard lk(mu_);
  pinged_[base] = true;
}

void Client::backoff(int attempt, std::optional<std::chrono::milliseconds> after) {
  // Exponential with full jitter in [d/2, d] (AWS "Exponential Backoff And Jitter").
  auto d = options_.backoff_base * (1LL << std::min(attempt - 1, 16));
  d = std::min<std::chrono::milliseconds>(d, options_.backoff_max);
  thread_local std::mt19937 rng{std::random_device{}()};
  auto ms = std::uniform_int_distribution<long long>(d.count() / 2, d.count())(rng);
  std::chrono::milliseconds wait(ms);
  if (after) wait = std::min<std::chrono::milliseconds>(*after, std::chrono::seconds(60));
  auto until = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < until) {
    if (options_.cancel) options_.cancel->check("registry request");
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(50), std::chrono::duration_cast<std::chrono::milliseconds>(
                                           until - std::chrono::steady_clock::now())));
  }
}

HttpResponse Client::send(const std::string& base, const Scopes& scopes,
                          const std::function<HttpRequest()>& make, int attempts) {
  const std::string host = url_host_port(base);
  bool auth_retried = false;
  for (int attempt = 1;; ++attempt) {
    if (options_.cancel) options_.cancel->check("registry request");
    HttpRequest req = make();
    req.cancel = options_.cancel;
    std::optional<std::string> authz;
    if (same_origin(base, req.url)) {
      authz = auth_.authorization(host, scopes, options_.cancel);
      if (authz) req.headers.push_back("Authorization: " + *authz);
    }
    HttpResponse r;
    try {
      r = transport_.perform(req);
    } catch (const TlsVerifyError&) {
      throw;  // not transient
    } catch (Error& e) {
      if (e.kind() == ErrorKind::kNetwork && attempt < attempts) {
        common::log::warn(e.message() + "; retrying (attempt " + std::to_string(attempt + 1) +
                          " of " + std::to_string(attempts) + ")");
        backoff(attempt, std::nullopt);
        continue;
      }
      throw;
    }
    // A challenge from elsewhere is not this registry's: learning it would send our
    // credentials to whatever realm a foreign server names.
    if (r.status == 401 && !auth_retried && same_origin(base, r.effective_url)) {
      auth_retried = true;
      if (auth_.learn_challenge(host, r)) {
        if (authz) auth_.invalidate(host, scopes);
        --attempt;  // answering a challenge is not a failed attempt
        continue;
      }
    }
    if (transient_status(r.status) && attempt < attempts) {
      common::log::warn(req.method + " " + req.url + ": HTTP " + std::to_string(r.status) +
                        "; retrying (attempt " + std::to_string(attempt + 1) + " of " +
                        std::to_string(attempts) + ")");
      backoff(attempt, retry_after(r));
      continue;
    }
    return r;
  }
}

void Client::raise(const HttpResponse& r, const std::string& what, const std::string& base,
                   const Scopes& scopes) {
  std::string host = url_host_port(base);
  std::string why = explain(r);
  if (r.status == 401 || r.status == 403) {
    throw Error(ErrorKind::kAuth,
                what + ": " + (r.status == 401 ? "authentication required" : "access denied") +
                    " (HTTP " + std::to_string(r.status) + ") by " + host + " for scope " +
                    join(scopes) + " with " + auth_.credential_source(host) + ": " + why);
  }
  if (r.status == 404) {
    throw Error(ErrorKind::kNotFound, what + ": not found on " + host + " (" + why + ")");
  }
  throw Error(ErrorKind::kNetwork,
              what + ": " + host + " answered HTTP " + std::to_string(r.status) + ": " + why);
}

RawManifest Client::fetch_manifest(const Reference& ref) {
  auto bases = pull_bases(ref.domain);
  for (size_t i = 0;; ++i) {
    try {
      return fetch_manifest_from(bases[i], ref);
    } catch (Error& e) {
      e.add_context("fetching manifest " + ref.str() + " from " + bases[i]);
      if (e.kind() == ErrorKind::kCancelled || i + 1 == bases.size()) throw;
      mirror_failed(bases[i], e);
      common::log::warn(e.full_message() + "; trying " + bases[i + 1]);
    }
  }
}

RawManifest Client::fetch_manifest_from(const std::string& base, const Reference& ref) {
  ping(base);
  Scopes scopes = {pull_scope(ref.path)};
  std::string url = repo_url(base, ref) + "/manifests/" + ref.manifest_ref();
  HttpResponse r = send(
      base, scopes,
      [&] {
        HttpRequest req;
        req.url = url;
        req.headers = {kAcceptManifests};
        req.max_body = common::kMaxManifestBytes;
        return req;
      },
      options_.max_attempts);
  if (r.status != 200) raise(r, "GET " + url, base, scopes);

  if (std::string page = html_page(r); !page.empty()) {
    throw Error(ErrorKind::kIntegrity, "GET " + url + " answered HTTP 200 with " + page +
                                           ", not a manifest; is this a registry?");
  }
  RawManifest m;
  m.body = std::move(r.body);
  common::Digest got = digest_of(m.body);
  if (ref.digest && *ref.digest != got) {
    throw Error(ErrorKind::kIntegrity, "manifest from " + url + " has digest " + got.str() +
                                           ", not the " + ref.digest->str() + " asked for");
  }
  if (auto hd = common::Digest::try_parse(r.header("docker-content-digest"));
      !ref.digest && hd && hd->algorithm() == "sha256" && *hd != got) {
    throw Error(ErrorKind::kIntegrity, "manifest from " + url + " has digest " + got.str() +
                                           " but the registry says " + hd->str());
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(m.body);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kIntegrity, "manifest from " + url + " is not valid JSON: " + e.what());
  }
  std::string content_type = strip_params(r.header("content-type"));
  if (!j.is_object())
    throw Error(ErrorKind::kIntegrity, "manifest from " + url + " is not a JSON object");
  if ((j.contains("schemaVersion") && j["schemaVersion"] == 1) ||
      content_type == mt::kDockerManifestV1 || content_type == mt::kDockerManifestV1Signed) {
    throw Error(ErrorKind::kUsage,
                ref.familiar() +
                    " is a Docker schema 1 image, a format removed from Docker in "
                    "2019 and not supported by mybuild; push it again with a current "
                    "client to convert it");
  }
  std::string media = j.contains("mediaType") && j["mediaType"].is_string()
                          ? j["mediaType"].get<std::string>()
                          : content_type;
  if (!mt::is_index(media) && !mt::is_manifest(media)) {
    // OCI manifests may omit mediaType (image-spec manifest.md); infer it from the shape.
    if (j.contains("manifests")) {
      media = mt::kOciIndex;
    } else if (j.contains("config") && j.contains("layers")) {
      media = mt::kOciManifest;
    } else {
      throw Error(ErrorKind::kIntegrity, "manifest from " + url + " has media type \"" + media +
                                             "\", which is not an image manifest or index");
    }
  }
  m.descriptor.media_type = media;
  m.descriptor.digest = got;
  m.descriptor.size = static_cast<int64_t>(m.body.size());
  return m;
}

ResolvedImage Client::resolve(const Reference& ref, const common::Platform& platform) {
  try {
    ResolvedImage img;
    img.root = fetch_manifest(ref);
    img.manifest = img.root;
    if (mt::is_index(img.root.descriptor.media_type)) {
      auto j = nlohmann::json::parse(img.root.body);
      if (!j.contains("manifests") || !j["manifests"].is_array()) {
        throw Error(ErrorKind::kIntegrity, "index has no manifests list");
      }
      std::vector<common::Descriptor> entries =
          j["manifests"].get<std::vector<common::Descriptor>>();
      const common::Descriptor* chosen = nullptr;
      std::string available;
      for (const auto& e : entries) {
        if (!e.platform || !mt::is_manifest(e.media_type)) continue;
        available += (available.empty() ? "" : ", ") + e.platform->str();
        if (!chosen && e.platform->matches(platform)) chosen = &e;
      }
      if (!chosen) {
        throw Error(ErrorKind::kNotFound,
                    "no image for platform " + platform.str() +
                        " (available: " + (available.empty() ? "none" : available) + ")");
      }
      img.manifest = fetch_manifest(ref.with_digest(chosen->digest));
      if (!mt::is_manifest(img.manifest.descriptor.media_type)) {
        throw Error(ErrorKind::kIntegrity,
                    "index entry " + chosen->digest.str() + " is not an image manifest");
      }
      img.manifest.descriptor.platform = chosen->platform;
    }
    auto j = nlohmann::json::parse(img.manifest.body);
    if (!j.contains("config") || !j.contains("layers") || !j["layers"].is_array()) {
      throw Error(ErrorKind::kIntegrity, "image manifest has no config or layers");
    }
    img.config = j["config"].get<common::Descriptor>();
    img.layers = j["layers"].get<std::vector<common::Descriptor>>();
    for (const auto& d : img.layers) {
      if (d.size < 0)
        throw Error(ErrorKind::kIntegrity, "layer " + d.digest.str() + " has a negative size");
    }
    if (img.config.size < 0 || img.config.size > (64 << 20)) {
      throw Error(ErrorKind::kIntegrity,
                  "image config size " + std::to_string(img.config.size) + " is absurd");
    }
    return img;
  } catch (const nlohmann::json::exception& e) {
    Error err(ErrorKind::kIntegrity, std::string("malformed manifest: ") + e.what());
    err.add_context("resolving " + ref.str());
    throw err;
  } catch (Error& e) {
    e.add_context("resolving " + ref.str());
    throw;
  }
}

common::Digest Client::push_manifest(const Reference& ref, std::string_view media_type,
                                     std::string_view body) {
  common::Digest d = digest_of(body);
  std::string base = origin_base(ref.domain);
  std::string url = repo_url(base, ref) + "/manifests/" + (ref.tag.empty() ? d.str() : ref.tag);
  try {
    ping(base);
    Scopes scopes = {push_scope(ref.path)};
    HttpResponse r = send(
        base, scopes,
        [&] {
          HttpRequest req;
          req.method = "PUT";
          req.url = url;
          req.body = std::string(body);
          req.headers = {"Content-Type: " + std::string(media_type)};
          return req;
        },
        options_.max_attempts);
    if (r.status != 201 && r.status != 200) raise(r, "PUT " + url, base, scopes);
    if (auto hd = common::Digest::try_parse(r.header("docker-content-digest")); hd && *hd != d) {
      throw Error(ErrorKind::kIntegrity, "registry stored the manifest as " + hd->str() +
                                             ", but its digest is " + d.str());
    }
    return d;
  } catch (Error& e) {
    e.add_context("pushing manifest " + ref.str());
    throw;
  }
}

void Client::check_login(const std::string& domain, const Credentials& creds) {
  std::string base = origin_base(domain);
  std::string host = url_host_port(base);
  Authenticator auth(transport_, [creds](const std::string&) { return creds; });
  HttpRequest req;
  req.url = base + "/v2/";
  req.cancel = options_.cancel;
  HttpResponse r = transport_.perform(req);
  if (r.status == 401) {
    if (!auth.learn_challenge(host, r)) {
      throw Error(ErrorKind::kAuth,
                  domain + " asked for authentication without a usable challenge");
    }
    req.headers.push_back("Authorization: " + *auth.authorization(host, {}, options_.cancel));
    r = transport_.perform(req);
  }
  if (r.status == 401 || r.status == 403) {
    throw Error(ErrorKind::kAuth, "login to " + domain +
                                      " failed: the registry refused the "
                                      "credentials for user \"" +
                                      creds.username + "\" (HTTP " + std::to_string(r.status) +
                                      ")");
  }
  if (r.status != 200) raise(r, "GET " + req.url, base, {});
}

}  // namespace mybuild::registry
