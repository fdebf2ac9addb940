// The docker-credential-helpers protocol: `docker-credential-<name> <verb>` with a request on
// stdin and JSON on stdout. Exec'ing the helper is the protocol, not a shortcut around a library.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "registry/docker_config.h"

namespace mybuild::registry {

// nullopt when the helper says "credentials not found". Throws Error(kAuth) when the helper is
// missing, fails, or answers with something that is not its JSON.
std::optional<Credentials> helper_get(std::string_view helper, std::string_view server_url);
void helper_store(std::string_view helper, std::string_view server_url, const Credentials& creds);
void helper_erase(std::string_view helper, std::string_view server_url);

}  // namespace mybuild::registry
