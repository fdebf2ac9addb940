#include "registry/docker_config.h"

#include <sys/stat.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/error.h"
#include "common/io.h"
#include "common/private_dir.h"
#include "registry/credential_helper.h"
#include "registry/reference.h"

namespace mybuild::registry {
namespace {

using common::Error;
using common::ErrorKind;
using nlohmann::json;

constexpr std::string_view kDockerHubConfigKey = "https://index.docker.io/v1/";

using common::base64_decode;
using common::base64_encode;

// Docker's convertToHostname: "https://host/v1/" -> "host".
std::string to_hostname(std::string_view key) {
  if (auto p = key.find("://"); p != std::string_view::npos) key.remove_prefix(p + 3);
  return std::string(key.substr(0, key.find('/')));
}

json load(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return json::object();
  try {
    json j = json::parse(common::read_file(path, 16 << 20));
    if (!j.is_object()) throw Error(ErrorKind::kAuth, "not a JSON object");
    return j;
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kAuth,
                "docker config " + path.string() + " is not valid JSON: " + std::string(e.what()));
  } catch (Error& e) {
    e.add_context("reading docker config " + path.string());
    throw;
  }
}

// The helper that holds credentials for `domain`, if any (credHelpers beats credsStore).
std::string helper_for(const json& cfg, std::string_view domain) {
  std::string key = config_key(domain);
  if (auto it = cfg.find("credHelpers"); it != cfg.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if ((k == key || to_hostname(k) == domain) && v.is_string()) return v.get<std::string>();
    }
  }
  if (auto it = cfg.find("credsStore"); it != cfg.end() && it->is_string()) {
    return it->get<std::string>();
  }
  return {};
}

}  // namespace

std::string config_key(std::string_view domain) {
  if (domain == kDockerHubDomain || domain == "index.docker.io" || domain == kDockerHubApiHost) {
    return std::string(kDockerHubConfigKey);
  }
  return std::string(domain);
}

std::filesystem::path DockerConfig::default_path() {
  if (const char* d = std::getenv("DOCKER_CONFIG"); d && *d) {
    return std::filesystem::path(d) / "config.json";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : "/root") / ".docker" / "config.json";
}

DockerConfig::DockerConfig(std::filesystem::path path) : path_(std::move(path)) {}

std::optional<Credentials> DockerConfig::lookup(std::string_view domain) const {
  json cfg = load(path_);
  std::string key = config_key(domain);
  if (std::string helper = helper_for(cfg, domain); !helper.empty()) {
    return helper_get(helper, key);
  }
  auto auths = cfg.find("auths");
  if (auths == cfg.end() || !auths->is_object()) return std::nullopt;
  for (const auto& [k, v] : auths->items()) {
    if (k != key && to_hostname(k) != to_hostname(key)) continue;
    if (!v.is_object()) continue;
    Credentials c;
    c.source = "config file " + path_.string() + " (auths \"" + k + "\")";
    if (auto a = v.find("auth"); a != v.end() && a->is_string() && !a->get<std::string>().empty()) {
      auto decoded = base64_decode(a->get<std::string>());
      size_t colon = decoded ? decoded->find(':') : std::string::npos;
      if (colon == std::string::npos) {
        throw Error(ErrorKind::kAuth,
                    "the auth field of " + c.source + " is not base64 of user:password");
      }
      c.username = decoded->substr(0, colon);
      c.password = decoded->substr(colon + 1);
    }
    if (auto t = v.find("identitytoken"); t != v.end() && t->is_string()) {
      c.identity_token = t->get<std::string>();
    }
    if (c.username.empty() && c.password.empty() && c.identity_token.empty()) continue;
    return c;
  }
  return std::nullopt;
}

std::optional<Credentials> lookup_credentials(const std::filesystem::path& primary,
                                              std::string_view domain,
                                              const std::filesystem::path& fallback) {
  if (auto c = DockerConfig(primary).lookup(domain)) return c;
  std::error_code ec;
  if (fallback.empty() || std::filesystem::equivalent(primary, fallback, ec)) return std::nullopt;
  return DockerConfig(fallback).lookup(domain);
}

namespace {

// 0600, or the existing file's mode when the user made it stricter (0400 stays 0400). Written
// through common::write_file_atomic: a random O_EXCL|O_NOFOLLOW temp name, fsync, rename.
void write_config(const std::filesystem::path& path, const json& cfg) {
  int mode = 0600;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) mode &= static_cast<int>(st.st_mode);
  common::write_file_atomic(path, cfg.dump(1, '\t') + "\n", mode);
}

}  // namespace

std::string DockerConfig::store(std::string_view domain, const Credentials& creds) {
  json cfg = load(path_);
  std::string key = config_key(domain);
  if (std::string helper = helper_for(cfg, domain); !helper.empty()) {
    helper_store(helper, key, creds);
    // Docker keeps an empty auths entry so that `docker info` lists the registry.
    cfg["auths"][key] = json::object();
  } else {
    json entry = json::object();
    if (!creds.username.empty() || !creds.password.empty()) {
      entry["auth"] = base64_encode(creds.username + ":" + creds.password);
    }
    if (!creds.identity_token.empty()) entry["identitytoken"] = creds.identity_token;
    cfg["auths"][key] = std::move(entry);
  }
  // ~/.docker holds secrets: made 0700 when we create it (docker's own is left as it is).
  if (path_.has_parent_path()) common::create_private_dir(path_.parent_path());
  write_config(path_, cfg);
  std::string helper = helper_for(cfg, domain);
  return helper.empty() ? path_.string() : "docker-credential-" + helper;
}

bool DockerConfig::erase(std::string_view domain) {
  json cfg = load(path_);
  std::string key = config_key(domain);
  bool found = false;
  if (std::string helper = helper_for(cfg, domain); !helper.empty()) {
    helper_erase(helper, key);
    found = true;
  }
  if (auto auths = cfg.find("auths"); auths != cfg.end() && auths->is_object()) {
    for (auto it = auths->begin(); it != auths->end();) {
      if (it.key() == key || to_hostname(it.key()) == to_hostname(key)) {
        it = auths->erase(it);
        found = true;
      } else {
        ++it;
      }
    }
  }
  if (found) write_config(path_, cfg);
  return found;
}

}  // namespace mybuild::registry
