// Standard base64 with padding (RFC 4648 §4), on OpenSSL's EVP block coder: Basic auth and
// ~/.docker/config.json's `auth` field, buildx's metadata-file warnings and BuildKit's rawjson
// log data (Go's encoding/json writes a []byte so) all use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mybuild::common {

std::string base64_encode(std::string_view in);

// Empty when `in` is not padded base64 (its length is not a multiple of 4, or a byte is not of
// the alphabet).
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace mybuild::common
