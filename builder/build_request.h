// What `mybuild build` is asked to do (BuildRequest) and what it made (BuildResult): plain data
// between the CLI and builder::build (build.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "builder/isolation.h"
#include "builder/output_options.h"
#include "common/descriptor.h"
#include "image/cache_spec.h"
#include "image/export.h"
#include "image/registry_options.h"
#include "sandbox/spec.h"

namespace mybuild::builder {

struct BuildRequest {
  std::filesystem::path store_root;
  // The context directory; empty with `context_tar` set: a tar stream (`-`) read from stdin.
  std::filesystem::path context_dir;
  bool context_from_stdin = false;
  // A git URL given as the context (builder/context/git_source.h): the build fetches it and
  // sets context_dir to the checkout; a relative `dockerfile` is then inside it.
  std::string context_git;
  // An http(s) URL of a tarball given as the context: downloaded and unpacked the same way.
  std::string context_url;
  // The Dockerfile: a path (absolute, or relative to the current directory as docker takes
  // -f), empty for <context>/Dockerfile; `dockerfile_text` set means it came on stdin (-f -).
  std::filesystem::path dockerfile;
  std::optional<std::string> dockerfile_text;
  std::vector<std::string> tags;  // as the user wrote them; normalised by the build
  std::map<std::string, std::string> build_args;
  std::string target;  // empty: the last stage
  bool no_cache = false;
  std::vector<std::string> no_cache_filter;  // stage names whose steps always run
  // Kaniko's --cache-ttl, in seconds: a cache record (local or imported) made longer ago than
  // this is not used; the step runs and its fresh record replaces the old one.
  std::optional<int64_t> cache_ttl;
  // Kaniko's --single-snapshot: the target stage's own layers squashed into one.
  bool single_snapshot = false;
  bool pull = false;
  std::string platform;  // empty: the host's
  std::map<std::string, std::string> labels;
  bool push = false;
  std::vector<image::OutputSpec> outputs;
  std::string network = "default";  // default | none | host
  std::optional<uint64_t> memory_bytes;
  std::optional<double> cpus;
  std::optional<uint64_t> cpu_quota_us;  // --cpu-quota (per 100 ms period); --cpus wins
  std::string cpuset_cpus;               // --cpuset-cpus, e.g. "0" or "0-1"
  std::optional<uint64_t> pids_limit;    // --pids-limit; unset: the sandbox's safe cap
  std::optional<std::chrono::milliseconds> step_timeout;  // --timeout for each RUN
  std::vector<sandbox::HostEntry> extra_hosts;  // --add-host: lines of each RUN's /etc/hosts
  std::optional<uint64_t> shm_size_bytes;       // --shm-size; unset: docker's 64 MiB
  std::vector<sandbox::Rlimit> ulimits;         // --ulimit, at most one per resource
  IsolationChoice isolation;                    // --isolation, as choose_isolation decided
  int jobs = 0;                                 // parallel stages; 0 = the core count
  bool skip_unused_stages = true;
  bool explain_cache = false;
  // Of the layers that leave the store (--push, -o type=oci|docker; an output's compression=
  // attribute wins). The store itself keeps build layers uncompressed (layer_convert.h).
  std::string compression = "gzip";
  int compression_level = -1;
  image::RegistryFlags
      registry;  // with the config file: how base images are pulled and --push goes
  std::map<std::string, std::string> secrets;  // id -> content (RUN --mount=type=secret)
  // --ssh ID=PATHS: an agent's socket, or key files mybuild's own agent answers for (RUN
  // --mount=type=ssh,id=ID; the id "default" also authenticates git sources over ssh).
  std::map<std::string, std::vector<std::string>> ssh;
  // --build-context NAME=VALUE: a local directory (absolute) that COPY --from=NAME and RUN
  // --mount from=NAME read, or "docker-image://REF", the image FROM/--from NAME then use.
  std::map<std::string, std::string> named_contexts;
  bool allow_insecure = false;  // --allow security.insecure
  // --allow network.host: RUN --network=host in the Dockerfile (BuildKit's entitlement). The
  // build flag --network host is the user's own choice and implies it, as in buildx.
  bool allow_network_host = false;
  std::optional<int64_t> source_date_epoch;  // SOURCE_DATE_EPOCH build arg / env
  std::vector<Annotation> annotations;       // --annotation (builder/output_options.h)
  ProvenanceOptions provenance;              // --provenance; off by default
  // --index: an image index even for one platform (mybuild's own flag: buildx makes one only
  // for several platforms, an attestation or an index annotation).
  bool force_index = false;
  std::vector<image::CacheSpec> cache_from;  // --cache-from (and --cache-repo)
  std::vector<image::CacheSpec> cache_to;    // --cache-to (and --cache-repo)
};

struct BuildResult {
  common::Descriptor manifest;  // the image manifest in the store
  common::Digest config_digest;
  std::vector<std::string> names;  // normalised tags
  int steps = 0;
  int cached_steps = 0;
  // What the names point at in the store: `manifest`, or the index holding it and its
  // attestation (--provenance, index-level --annotation).
  common::Descriptor root;
  std::optional<common::Descriptor> pushed;  // what --push sent (layers converted), if it ran
  int64_t cache_bytes_fetched = 0;           // layer bytes --cache-from brought into the store
};

// True when a context argument is a git URL (https://host/repo.git#ref:subdir, git://, ...).
bool is_git_context(const std::string& context);
// True for an http(s) URL that is not a git URL: a tarball (or a Dockerfile) the build downloads
// (builder/git_request.h).
bool is_url_context(const std::string& context);

// The scheme of a --build-context that names an image (buildx's docker-image://REF).
inline constexpr std::string_view kDockerImageContext = "docker-image://";

// buildx's oci-layout://PATH[:TAG|@DIGEST]: an image in an OCI layout directory.
inline constexpr std::string_view kOciLayoutContext = "oci-layout://";

// The directory --build-context gave `name`; nullptr when it gave none, or an image.
inline const std::string* named_context_dir(const BuildRequest& r, const std::string& name) {
  auto it = r.named_contexts.find(name);
  if (it == r.named_contexts.end() || it->second.starts_with(kDockerImageContext) ||
      it->second.starts_with(kOciLayoutContext)) {
    return nullptr;
  }
  return &it->second;
}

}  // namespace mybuild::builder
