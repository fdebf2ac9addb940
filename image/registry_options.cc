#include "image/registry_options.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/ascii.h"
#include "common/error.h"
#include "common/io.h"
#include "common/log.h"
#include "registry/client.h"
#include "registry/insecure.h"
#include "registry/reference.h"

namespace mybuild::image {
namespace {

using common::Error;
using common::ErrorKind;
using nlohmann::json;

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw Error(ErrorKind::kUsage, where + ": " + what);
}

// "host", "host:port", "[v6]" or "[v6]:port": the names a registry domain may take.
bool valid_host_port(std::string_view s) {
  std::string_view host = s, port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    host = s.substr(1, close - 1);
    if (host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) return false;
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
  } else {
    auto colon = s.find(':');
    if (colon != std::string_view::npos) {
      host = s.substr(0, colon);
      port = s.substr(colon + 1);
      if (port.empty()) return false;
    }
    if (host.empty() || host.front() == '-' || host.front() == '.' || host.back() == '-') {
      return false;
    }
    for (char c : host) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
        return false;
      }
    }
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) {
      return false;
    }
    int n = std::atoi(std::string(port).c_str());
    if (n < 1 || n > 65535) return false;
  }
  return true;
}

// Docker Hub's other names map to the domain references use.
std::string normalize_domain(std::string_view domain, const std::string& where) {
  std::string d(domain);
  std::string l = common::ascii_lower(d);
  if (l == "index.docker.io" || l == registry::kDockerHubApiHost ||
      l == registry::kDockerHubDomain) {
    d = registry::kDockerHubDomain;
  }
  if (!valid_host_port(d)) {
    bad(where, "\"" + std::string(domain) + "\" is not a registry domain (host[:port])");
  }
  return d;
}

void append_unique(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const auto& e : from) {
    if (std::find(to.begin(), to.end(), e) == to.end()) to.push_back(e);
  }
}

std::vector<std::string> string_list(const json& v, const std::string& where) {
  if (!v.is_array()) bad(where, "must be a list of strings, got " + v.dump());
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string()) bad(where, "must be a list of strings, got the entry " + e.dump());
    out.push_back(e.get<std::string>());
  }
  return out;
}

// An integer >= 1 (a count, a rate or a time).
int transfers(const json& v, const std::string& where) {
  if (!v.is_number_integer() || v.get<int64_t>() < 1 ||
      v.get<int64_t>() > std::numeric_limits<int>::max()) {
    bad(where, "must be an integer >= 1, got " + v.dump());
  }
  return static_cast<int>(v.get<int64_t>());
}

}  // namespace

std::string normalize_mirror(std::string_view entry, const std::string& where) {
  std::string e(entry);
  auto scheme_end = e.find("://");
  std::string rest = scheme_end == std::string::npos ? e : e.substr(scheme_end + 3);
  if (scheme_end != std::string::npos) {
    std::string scheme = common::ascii_lower(e.substr(0, scheme_end));
    if (scheme != "http" && scheme != "https") {
      bad(where, "unsupported scheme \"" + scheme + "\" in mirror \"" + e +
                     "\" (use https://HOST[:PORT] or http://HOST[:PORT])");
    }
    e = scheme + "://" + rest;
  }
  if (rest.find_first_of("?#") != std::string::npos) {
    bad(where, "mirror \"" + std::string(entry) + "\" has a query or fragment");
  }
  std::string host = rest.substr(0, rest.find('/'));
  if (host.find('@') != std::string::npos) {
    bad(where, "mirror \"" + std::string(entry) + "\" holds credentials; use mybuild login");
  }
  if (!valid_host_port(host)) {
    bad(where, "mirror \"" + std::string(entry) +
                   "\" is not a URL (https://HOST[:PORT][/PATH]) or HOST[:PORT]");
  }
  if (scheme_end == std::string::npos && host != rest) {
    bad(where, "mirror \"" + std::string(entry) + "\" has a path but no scheme");
  }
  while (!e.empty() && e.back() == '/') e.pop_back();
  return e;
}

std::string normalize_insecure_registry(std::string_view entry, const std::string& where) {
  std::string e(entry);
  for (const char* scheme : {"http://", "https://"}) {
    if (common::ascii_lower(e).rfind(scheme, 0) == 0) e = e.substr(std::string_view(scheme).size());
  }
  if (e.find("://") != std::string::npos) {
    bad(where, "insecure registry \"" + std::string(entry) + "\" should not contain '://'");
  }
  while (!e.empty() && e.back() == '/') e.pop_back();
  if (registry::is_cidr(e)) return e;
  if (!valid_host_port(e)) {
    bad(where, "insecure registry \"" + std::string(entry) +
                   "\" is not HOST[:PORT] or a CIDR (10.0.0.0/8)");
  }
  return e;
}

std::filesystem::path registry_config_path() {
  if (const char* c = std::getenv("MYBUILD_CONFIG"); c && *c) {
    return std::filesystem::path(c) / "config.json";
  }
  const char* home = std::getenv("HOME");
  std::filesystem::path base = home && *home ? home : "/root";
  return base / ".config" / "mybuild" / "config.json";
}

RegistryConfig parse_registry_config(std::string_view text, const std::string& file) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    std::string why = e.what();
    if (auto p = why.find("] "); why.rfind("[json.exception", 0) == 0 && p != std::string::npos) {
      why = why.substr(p + 2);
    }
    bad(file, "not valid JSON: " + why);
  }
  if (!j.is_object()) bad(file, "must hold a JSON object, got " + std::string(j.type_name()));

  RegistryConfig c;
  std::vector<std::string> hub_mirrors;
  for (const auto& [key, value] : j.items()) {
    std::string where = file + ": \"" + key + "\"";
    if (key == "registry-mirrors") {
      for (const auto& m : string_list(value, where)) {
        hub_mirrors.push_back(normalize_mirror(m, where));
      }
    } else if (key == "mirrors") {
      if (!value.is_object()) {
        bad(where, "must map registry domains to lists of mirrors, got " + value.dump());
      }
      for (const auto& [domain, list] : value.items()) {
        std::string d = normalize_domain(domain, where);
        std::string at = where + ": \"" + domain + "\"";
        std::vector<std::string> ms;
        for (const auto& m : string_list(list, at)) ms.push_back(normalize_mirror(m, at));
        append_unique(c.mirrors[d], ms);
      }
    } else if (key == "insecure-registries") {
      for (const auto& r : string_list(value, where)) {
        append_unique(c.insecure_registries, {normalize_insecure_registry(r, where)});
      }
    } else if (key == "max-concurrent-transfers") {
      c.max_concurrent_transfers = transfers(value, where);
    } else if (key == "low-speed-limit") {
      c.low_speed_limit = transfers(value, where);
    } else if (key == "low-speed-time") {
      c.low_speed_time = transfers(value, where);
    } else {
      common::log::warn(file + ": ignoring unknown key \"" + key + "\"");
    }
  }
  if (!hub_mirrors.empty()) {
    // registry-mirrors first: it is the key users bring from daemon.json.
    auto& hub = c.mirrors[std::string(registry::kDockerHubDomain)];
    append_unique(hub_mirrors, hub);
    hub = hub_mirrors;
  }
  return c;
}

RegistryConfig read_registry_config(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return {};
  try {
    return parse_registry_config(common::read_file(file, 1 << 20), file.string());
  } catch (Error& e) {
    e.add_context("reading mybuild's config file");
    throw;
  }
}

registry::ClientOptions registry_client_options(const RegistryFlags& flags,
                                                const RegistryConfig& config) {
  registry::ClientOptions o;
  for (const auto& r : flags.insecure_registries) {
    append_unique(o.insecure_registries, {normalize_insecure_registry(r, "--insecure-registry")});
  }
  append_unique(o.insecure_registries, config.insecure_registries);

  std::vector<std::string> hub;
  for (const auto& m : flags.mirrors) {
    append_unique(hub, {normalize_mirror(m, "--registry-mirror")});
  }
  o.mirrors = config.mirrors;
  if (!hub.empty()) {
    auto& from_file = o.mirrors[std::string(registry::kDockerHubDomain)];
    append_unique(hub, from_file);
    from_file = hub;
  }

  if (flags.max_concurrent_transfers) {
    if (*flags.max_concurrent_transfers < 1) {
      bad("--max-concurrent-transfers",
          "must be at least 1, got " + std::to_string(*flags.max_concurrent_transfers));
    }
    o.max_concurrent_transfers = *flags.max_concurrent_transfers;
  } else if (config.max_concurrent_transfers) {
    o.max_concurrent_transfers = *config.max_concurrent_transfers;
  }
  if (flags.min_attempts) o.max_attempts = std::max(o.max_attempts, *flags.min_attempts);
  if (config.low_speed_limit) o.transport.low_speed_limit = *config.low_speed_limit;
  if (config.low_speed_time)
    o.transport.low_speed_time = std::chrono::seconds(*config.low_speed_time);
  return o;
}

registry::ClientOptions registry_client_options(const RegistryFlags& flags) {
  return registry_client_options(flags, read_registry_config(registry_config_path()));
}

}  // namespace mybuild::image
