// `mybuild inspect --remote REF`: an image as its registry holds it, without pulling it. The
// answer has the shape of the local inspect (image/commands.h) so scripts can read
// either: Id (the config digest), RepoTags, RepoDigests, the config's fields, Size (the
// compressed layers), "Manifest" with its exact bytes and, when the reference names an index,
// "Index" with its bytes and the platforms it offers. Only the manifest(s) and the config are
// fetched, each verified against its digest; nothing is written to the store.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "image/registry_options.h"

namespace mybuild::image {

// `platform` is "os/arch[/variant]", empty for this machine's. Errors: kUsage for a bad
// reference or platform, kNotFound when the registry has no such tag or platform, kAuth,
// kNetwork and kIntegrity as the registry client raises them.
nlohmann::json inspect_remote_image(const std::string& reference, const std::string& platform,
                                    const RegistryFlags& flags);

}  // namespace mybuild::image
