// The flags of `mybuild build`, as docker buildx build spells them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/cache_flags.h"
#include "image/registry_options.h"

namespace mybuild::cli {

struct BuildFlags {
  std::string context;  // "": "." (kept empty to tell it from Kaniko's --context)
  std::vector<std::string> tags;
  std::string file;  // -f; "" = <context>/Dockerfile, "-" = stdin
  std::vector<std::string> build_args;
  std::string target;
  bool no_cache = false;
  std::vector<std::string> no_cache_filter;
  std::optional<int64_t> cache_ttl;  // seconds (Kaniko's --cache-ttl)
  bool single_snapshot = false;      // Kaniko's --single-snapshot
  bool pull = false;
  std::string platform;
  std::vector<std::string> labels;
  bool push = false;
  std::vector<std::string> outputs;
  std::string iidfile;
  std::string metadata_file;
  std::string trace;  // --trace FILE: Chrome trace events of the build
  std::string progress = "auto";
  bool quiet = false;
  std::string network = "default";
  std::string memory;
  std::string cpus;
  int64_t cpu_quota = 0;  // 0: unset
  std::string cpuset_cpus;
  int64_t pids_limit = 0;  // 0: unset
  std::string timeout;
  std::vector<std::string> add_hosts;  // HOST:IP or HOST=IP
  std::string shm_size;
  std::vector<std::string> ulimits;  // NAME=SOFT[:HARD]
  int jobs = 0;
  bool skip_unused_stages = true;
  bool explain_cache = false;
  std::string compression = "gzip";
  int compression_level = -1;
  std::vector<std::string> allow;
  std::vector<std::string> secrets;
  std::vector<std::string> ssh;                 // --ssh default|ID[=SOCKET|KEY[,KEY]]
  std::vector<std::string> build_contexts;      // --build-context NAME=VALUE
  image::RegistryFlags registry;                // --insecure-registry, --registry-mirror, ...
  std::string digest_file;                      // Kaniko's --digest-file
  std::string image_name_with_digest_file;      // Kaniko's --image-name-with-digest-file
  std::string image_name_tag_with_digest_file;  // Kaniko's --image-name-tag-with-digest-file
  std::vector<std::string> annotations;         // --annotation [TYPES[PLATFORM]:]KEY=VALUE
  std::string provenance = "false";             // --provenance
  bool index = false;                           // --index
  CacheFlags cache;                             // --cache-to, --cache-from, --cache-repo
};

}  // namespace mybuild::cli
