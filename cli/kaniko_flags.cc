#include "cli/kaniko_flags.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "common/duration.h"
#include "common/error.h"
#include "common/log.h"

namespace mybuild::cli {

namespace {

using common::Error;
using common::ErrorKind;

// Kaniko flags that change nothing in mybuild, and why (the warning says it).
const std::map<std::string, std::string>& no_meaning_flags() {
  static const std::map<std::string, std::string> kFlags = {
      {"--snapshot-mode", "mybuild takes each step's diff from its snapshotter, not by scanning"},
      {"--use-new-run", "mybuild has one way to run RUN steps"},
      {"--cleanup", "mybuild never builds in its own root filesystem, so nothing needs cleaning"},
      {"--kaniko-dir", "mybuild keeps its state under --root"},
      {"--ignore-path", "RUN steps run in their own root filesystem, not the build container's"},
  };
  return kFlags;
}

// Kaniko's contexts: dir://PATH or a plain path, tar://FILE, tar://stdin (and the path of
// stdin). Its remote contexts (gs://, s3://, az://, git://, https://) are not fetched here.
struct ContextSource {
  std::string dir;       // a directory, or
  std::string tar_file;  // a tar file, or
  bool stdin_tar = false;
};

ContextSource parse_context(const std::string& value) {
  ContextSource c;
  if (value.starts_with("dir://")) {
    c.dir = value.substr(6);
  } else if (value.starts_with("tar://")) {
    const std::string path = value.substr(6);
    if (path == "stdin" || path == "/dev/stdin" || path == "-") {
      c.stdin_tar = true;
    } else {
      c.tar_file = path;
    }
  } else if (value.find("://") != std::string::npos) {
    throw Error(ErrorKind::kUsage, "--context " + value +
                                       ": only dir://, tar:// and local paths are supported by "
                                       "mybuild (fetch the context first, e.g. git clone)");
  } else {
    c.dir = value;
  }
  if (c.dir.empty() && c.tar_file.empty() && !c.stdin_tar) {
    throw Error(ErrorKind::kUsage, "--context " + value + ": no path");
  }
  return c;
}

common::log::Level verbosity_level(const std::string& v) {
  if (v == "trace" || v == "debug") return common::log::Level::kDebug;
  if (v == "info") return common::log::Level::kInfo;
  if (v == "warn" || v == "warning") return common::log::Level::kWarn;
  return common::log::Level::kError;  // error, fatal, panic (checked by the option)
}

// "registry.lan/app:1" -> "registry.lan/app": a destination's repository.
std::string repository_of(const std::string& ref) {
  std::string name = ref.substr(0, ref.find('@'));
  const size_t slash = name.rfind('/');
  const size_t colon = name.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    name.resize(colon);
  }
  return name;
}

void apply_context(const KanikoFlags& k, BuildFlags& f, KanikoEffects& effects) {
  std::string dir = f.context.empty() ? "." : f.context;
  bool tar = f.context == "-";
  if (!k.context.empty()) {
    if (!f.context.empty()) {
      throw Error(ErrorKind::kUsage,
                  "the context is given twice: " + f.context + " and --context " + k.context);
    }
    ContextSource c = parse_context(k.context);
    tar = c.stdin_tar || !c.tar_file.empty();
    effects.context_tar = c.tar_file;
    dir = c.dir;
    f.context = tar ? "-" : dir;
  }
  if (!k.context_sub_path.empty()) {
    if (tar) {
      throw Error(ErrorKind::kUsage,
                  "--context-sub-path is supported with a directory context only, not a tar");
    }
    dir = (std::filesystem::path(dir) / k.context_sub_path).string();
    f.context = dir;
  }
  if (!k.dockerfile.empty()) {
    if (!f.file.empty()) {
      throw Error(ErrorKind::kUsage, "the Dockerfile is given twice: -f " + f.file +
                                         " and --dockerfile " + k.dockerfile);
    }
    // Kaniko's resolveDockerfilePath: the path as given when it exists, else inside the
    // context. In a tar context it is always inside the tar.
    std::error_code ec;
    if (tar || std::filesystem::exists(k.dockerfile, ec)) {
      f.file = k.dockerfile;
    } else {
      f.file = (std::filesystem::path(dir) / k.dockerfile).string();
    }
  }
}

void apply_cache(const KanikoFlags& k, BuildFlags& f) {
  if (k.cache && f.cache.cache_repo.empty()) {
    if (k.destinations.empty()) {
      throw Error(ErrorKind::kUsage, "--cache=true needs --cache-repo or a --destination");
    }
    f.cache.cache_repo = repository_of(k.destinations.front()) + "/cache";  // Kaniko's default
  }
  if (!k.cache_ttl.empty()) {
    auto ttl = common::parse_duration(k.cache_ttl);
    if (!ttl || *ttl < std::chrono::seconds(1)) {
      throw Error(ErrorKind::kUsage, "invalid --cache-ttl value: " + k.cache_ttl +
                                         " (a duration of at least 1s, e.g. 168h)");
    }
    // Records keep whole seconds.
    f.cache_ttl = std::chrono::duration_cast<std::chrono::seconds>(*ttl).count();
  }
}

void apply_registry(const KanikoFlags& k, BuildFlags& f) {
  if (k.skip_tls_verify || k.insecure) {
    std::vector<std::string> refs = k.destinations;
    if (!f.cache.cache_repo.empty()) refs.push_back(f.cache.cache_repo);
    for (const auto& ref : refs) {
      const std::string domain = reference_domain(ref);
      if (std::find(f.registry.insecure_registries.begin(), f.registry.insecure_registries.end(),
                    domain) == f.registry.insecure_registries.end()) {
        f.registry.insecure_registries.push_back(domain);
      }
    }
  }
  if (k.push_retry) {
    if (*k.push_retry < 0) {
      std::string message = "invalid --push-retry value: ";
      message += std::to_string(*k.push_retry);
      throw Error(ErrorKind::kUsage, message);
    }
    f.registry.min_attempts = *k.push_retry + 1;
  }
}

}  // namespace

std::string reference_domain(const std::string& ref) {
  const size_t slash = ref.find('/');
  if (slash == std::string::npos) return "docker.io";
  const std::string first = ref.substr(0, slash);
  // Docker's rule (distribution/reference): the first part is a registry when it has a dot or
  // a port, or is "localhost".
  if (first.find('.') != std::string::npos || first.find(':') != std::string::npos ||
      first == "localhost") {
    return first;
  }
  return "docker.io";
}

void add_kaniko_flags(CLI::App* b, KanikoFlags& k) {
  const std::string g = "Kaniko";
  b->add_option("-d,--destination", k.destinations,
                "Kaniko: tag the image REF and push it (unless --no-push); repeatable")
      ->allow_extra_args(false)
      ->group(g);
  b->add_option("-c,--context", k.context,
                "Kaniko: the context, dir://PATH, PATH, tar://FILE or tar://stdin")
      ->group(g);
  b->add_option("--context-sub-path", k.context_sub_path, "Kaniko: a directory in the context")
      ->group(g);
  b->add_option("--dockerfile", k.dockerfile,
                "Kaniko: the Dockerfile, as given if it exists, else in the context")
      ->group(g);
  b->add_flag("--no-push", k.no_push, "Kaniko: do not push the --destination tags")->group(g);
  b->add_option("--tar-path", k.tar_path, "Kaniko: also write the image as a docker-archive tar")
      ->group(g);
  b->add_option("--oci-layout-path", k.oci_layout_path,
                "Kaniko: also write the image as an OCI layout directory")
      ->group(g);
  b->add_flag("--cache", k.cache,
              "Kaniko: --cache=true uses --cache-repo (default: the destination's REPO/cache)")
      ->group(g);
  b->add_option("--cache-ttl", k.cache_ttl,
                "Kaniko: cache records older than this duration (e.g. 168h) are not used")
      ->group(g);
  b->add_flag("--reproducible", k.reproducible,
              "Kaniko: strip timestamps (SOURCE_DATE_EPOCH=0 unless one is given)")
      ->group(g);
  b->add_flag("--single-snapshot", k.single_snapshot,
              "Kaniko: the base image's layers plus one layer of all the build's changes")
      ->group(g);
  b->add_flag("--skip-tls-verify", k.skip_tls_verify,
              "Kaniko: the destinations' registries may use plain HTTP (insecure-registry)")
      ->group(g);
  b->add_flag("--insecure", k.insecure, "Kaniko: the same as --skip-tls-verify here")->group(g);
  b->add_option_function<int>(
       "--push-retry", [&k](const int& n) { k.push_retry = n; },
       "Kaniko: try each registry request at least N+1 times (mybuild already retries 5 times)")
      ->type_name("N")
      ->group(g);
  b->add_option("--verbosity", k.verbosity, "Kaniko: log level (panic ... trace)")
      ->check(
          CLI::IsMember({"panic", "fatal", "error", "warn", "warning", "info", "debug", "trace"}))
      ->group(g);
  for (const auto& [name, why] : no_meaning_flags()) {
    const std::string flag = name;
    const std::string help = "Kaniko: accepted and ignored (" + why + ")";
    if (flag == "--cleanup" || flag == "--use-new-run") {
      // Kaniko's booleans: --cleanup or --cleanup=true.
      b->add_flag_function(
           flag, [&k, flag](int64_t) { k.ignored.insert(flag); }, help)
          ->group(g);
    } else {
      b->add_option_function<std::vector<std::string>>(
           flag, [&k, flag](const std::vector<std::string>&) { k.ignored.insert(flag); }, help)
          ->allow_extra_args(false)
          ->group(g);
    }
  }
}

KanikoEffects apply_kaniko_flags(const KanikoFlags& k, BuildFlags& f) {
  KanikoEffects effects;
  apply_context(k, f, effects);
  for (const auto& d : k.destinations) f.tags.push_back(d);
  if (!k.destinations.empty() && !k.no_push) f.push = true;
  if (!k.tar_path.empty()) f.outputs.push_back("type=docker,dest=" + k.tar_path);
  if (!k.oci_layout_path.empty()) {
    f.outputs.push_back("type=oci,tar=false,dest=" + k.oci_layout_path);
  }
  apply_cache(k, f);
  apply_registry(k, f);
  if (k.reproducible) {
    bool given = std::getenv("SOURCE_DATE_EPOCH") != nullptr;
    for (const auto& a : f.build_args) given = given || a.starts_with("SOURCE_DATE_EPOCH=");
    if (!given) f.build_args.push_back("SOURCE_DATE_EPOCH=0");
  }
  f.single_snapshot = k.single_snapshot;
  if (!k.verbosity.empty()) common::log::set_level(verbosity_level(k.verbosity));
  for (const auto& flag : k.ignored) {
    effects.warnings.push_back(
        flag + " has no meaning in mybuild and is ignored: " + no_meaning_flags().at(flag));
  }
  return effects;
}

}  // namespace mybuild::cli
