// What a RUN --mount=type=bind from the build context shows: exactly what COPY would see of its
// source. BuildKit never sends .dockerignore'd files to the builder, so a bind of the real
// directory would leak them (a .env, a key) into the step; when anything at or below the
// source is hidden, the step gets a private copy made by COPY's own filtered walk instead.
#pragma once

#include <filesystem>
#include <string>

#include "builder/context/root.h"

namespace mybuild::builder {

// Whether the context's filter hides any entry below `rel` (a root-relative path from
// BuildContext::resolve). Stops at the first hidden entry. Throws on unreadable directories,
// naming the path.
bool hides_below(const BuildContext& context, const std::string& rel);

// Copies the visible part of `rel` into the empty directory `scratch` with copy_into (modes,
// owners, symlinks as they are) and returns the host path to bind: the copied directory, or
// the copied file itself for a file source (a file bind mounts as a file).
std::filesystem::path copy_visible(const BuildContext& context, const std::string& rel,
                                   const std::filesystem::path& scratch);

}  // namespace mybuild::builder
