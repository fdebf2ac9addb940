// The cache flags of `mybuild build`: --cache-to and --cache-from as buildx spells them
// (repeatable; image/cache_spec.h has the syntax) and Kaniko's --cache-repo REPO, which means
// both with type=registry,ref=REPO:cache,mode=max. Cache mounts ride in --cache-to as its
// cache-mounts= field rather than a flag of their own: they go to the same artifact, and the
// CSV value parser already splits fields.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "builder/build_request.h"

namespace mybuild::cli {

struct CacheFlags {
  std::vector<std::string> cache_to;
  std::vector<std::string> cache_from;
  std::string cache_repo;
};

void add_cache_flags(CLI::App* cmd, CacheFlags& flags);
// Parses the flags into the request; kUsage naming the flag for a bad value.
void apply_cache_flags(const CacheFlags& flags, builder::BuildRequest& r);

}  // namespace mybuild::cli
