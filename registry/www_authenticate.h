// Parsing of WWW-Authenticate challenges (RFC 7235 §4.1; the Bearer parameters of the docker
// token spec: realm, service, scope, error). Input comes from the network: anything malformed
// yields fewer challenges, never a crash. Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mybuild::registry {

struct Challenge {
  std::string scheme;                         // lowercased: "basic", "bearer"
  std::map<std::string, std::string> params;  // keys lowercased, values unquoted

  std::string param(const std::string& key) const {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
  }
};

// One header value may hold several challenges: `Bearer realm="x",service="y", Basic realm="z"`.
std::vector<Challenge> parse_www_authenticate(std::string_view header);

}  // namespace mybuild::registry
