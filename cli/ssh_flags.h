// --ssh default|ID[=SOCKET|KEY[,KEY...]] (docker buildx's syntax): which agents or key files RUN
// --mount=type=ssh and git sources over ssh may use. The flag's values become the request's map
// id -> paths; the builder decides whether a path is a socket or a key file (builder/ssh/).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mybuild::cli {

// `auth_sock` is $SSH_AUTH_SOCK (nullptr when unset): what a bare ID forwards, as buildx does.
// Paths become absolute. Throws Error(kUsage) naming the value for a repeated id, a missing
// path, or a bare ID without SSH_AUTH_SOCK.
std::map<std::string, std::vector<std::string>> parse_ssh_flags(
    const std::vector<std::string>& values, const char* auth_sock);

}  // namespace mybuild::cli
