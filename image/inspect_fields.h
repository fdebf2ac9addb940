// The part of `inspect`'s JSON that comes from an image config, shared by the local store's
// inspect (image/commands.h) and the registry's (image/remote_inspect.h), so both
// answer in the one shape docker image inspect uses.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mybuild::image {

// Comment, Created, Author, Architecture, Variant (when set), Os, Config and RootFS, from an
// image config object; fields the config lacks come out empty, as docker shows them.
nlohmann::json inspect_config_fields(const nlohmann::json& config);

// A string field of `j`, or "" when it is missing or not a string.
std::string text_field(const nlohmann::json& j, const char* key);

}  // namespace mybuild::image
