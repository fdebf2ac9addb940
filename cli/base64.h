// Standard base64 with padding (RFC 4648 §4), as Go's encoding/json writes a []byte: buildx's
// metadata-file warnings and BuildKit's rawjson log data carry their bytes so.
#pragma once

#include <string>
#include <string_view>

namespace mybuild::cli {

std::string base64(std::string_view in);

}  // namespace mybuild::cli
