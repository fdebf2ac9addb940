#include "cli/cache_flags.h"

namespace mybuild::cli {

void add_cache_flags(CLI::App* cmd, CacheFlags& flags) {
  cmd->add_option("--cache-to", flags.cache_to,
                  "Export build cache: type=registry,ref=REF[,mode=min|max] | type=local,dest=DIR "
                  "| type=inline (repeatable); registry and local also take "
                  "cache-mounts=ID[;ID...] (or \"cache-mounts=ID,ID\" quoted), the RUN "
                  "--mount=type=cache directories to export")
      ->allow_extra_args(false);
  cmd->add_option("--cache-from", flags.cache_from,
                  "Import build cache: type=registry,ref=REF | type=local,src=DIR | "
                  "type=inline,ref=IMAGE (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--cache-repo", flags.cache_repo,
                  "Kaniko's cache repository: --cache-from/--cache-to "
                  "type=registry,ref=REPO:cache,mode=max");
}

void apply_cache_flags(const CacheFlags& flags, builder::BuildRequest& r) {
  for (const auto& v : flags.cache_to) r.cache_to.push_back(image::parse_cache_spec(v, true));
  for (const auto& v : flags.cache_from) r.cache_from.push_back(image::parse_cache_spec(v, false));
  if (!flags.cache_repo.empty()) {
    r.cache_from.push_back(image::cache_repo_spec(flags.cache_repo));
    r.cache_to.push_back(image::cache_repo_spec(flags.cache_repo));
  }
}

}  // namespace mybuild::cli
