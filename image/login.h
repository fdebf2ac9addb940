// `mybuild login` / `mybuild logout` as thin functions over registry/ (the CLI may include only
// builder/ and common/, STYLE.md §1). Credentials live where docker keeps them
// ($DOCKER_CONFIG/config.json or its credential helper), so either tool's login serves both.
#pragma once

#include <string>
#include <string_view>

namespace mybuild::image {

// "https://index.docker.io/v1/", "" -> "docker.io"; "https://r.example:5000/x" -> "r.example:5000".
std::string login_server(std::string_view argument);

// Checks the credentials against the registry (GET /v2/, and a token when it uses Bearer auth),
// then stores them. Returns where they were stored (a file path or a helper's name). Throws
// Error(kAuth) when the registry refuses them; nothing is stored then.
std::string login(const std::string& server, const std::string& username,
                  const std::string& password);

// Removes stored credentials; false when there were none.
bool logout(const std::string& server);

}  // namespace mybuild::image
