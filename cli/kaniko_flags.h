// Kaniko's executor flags on `mybuild build`, so that a pipeline moves from Kaniko by changing
// its image. Each is mapped onto the docker-style BuildFlags before the build starts; the
// README's "Coming from Kaniko" table says what each becomes. Flags Kaniko shares with buildx
// (--build-arg, --target, --label, --cache-repo, --digest-file, --registry-mirror, ...) are
// the ordinary ones; this file adds only Kaniko's own:
//   -d/--destination REF    (repeatable) a tag, and --push unless --no-push
//   -c/--context CTX        dir://PATH, PATH, tar://FILE (a tar or compressed tar), tar://stdin
//                           or tar:///dev/stdin (the tar on stdin, as `mybuild build -`)
//   --context-sub-path P    the context is CTX/P (directory contexts only)
//   --dockerfile PATH       Kaniko's rule: PATH as given when it exists, else CTX/PATH (-f
//                           stays docker's: relative to the current directory)
//   --no-push, --tar-path FILE (docker-archive), --oci-layout-path DIR (OCI layout directory)
//   --cache=BOOL            with --cache-repo, or else DESTINATION-REPOSITORY/cache
//   --cache-ttl DURATION    cache records older than this are not used (whole seconds)
//   --image-name-tag-with-digest-file FILE   "NAME:TAG@DIGEST\n" per destination
//   --reproducible          SOURCE_DATE_EPOCH=0 unless one is given
//   --single-snapshot       the base's layers plus one squashed layer of the build's changes
//   --skip-tls-verify, --insecure   insecure-registry rules for the destinations' registries
//   --push-retry N          each registry request tried at least N+1 times
//   --verbosity LEVEL       panic|fatal|error|warn|info|debug|trace: mybuild's log level
//   --snapshot-mode, --use-new-run, --cleanup, --kaniko-dir, --ignore-path: accepted, no meaning
//                           here, one warning each
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/build_flags.h"

namespace mybuild::cli {

struct KanikoFlags {
  std::vector<std::string> destinations;
  std::string context;  // "": not given
  std::string context_sub_path;
  std::string dockerfile;
  bool no_push = false;
  std::string tar_path;
  std::string oci_layout_path;
  bool cache = false;
  std::string cache_ttl;
  bool reproducible = false;
  bool single_snapshot = false;
  bool skip_tls_verify = false;
  bool insecure = false;
  std::optional<int> push_retry;
  std::string verbosity;
  std::set<std::string> ignored;  // the no-meaning flags that were given, by name
};

// Adds the flags to `build`, writing into `flags` (which must outlive the parse).
void add_kaniko_flags(CLI::App* build, KanikoFlags& flags);

// What the Kaniko flags make of the request: a tar context file to read as stdin (the builder
// reads a tar context from fd 0) and the warnings to show (without "WARN: ").
struct KanikoEffects {
  std::string context_tar;  // "" or a file
  std::vector<std::string> warnings;
};

// Rewrites `f` by `k`; kUsage for values that do not map (an unsupported context scheme, a
// context given twice, a bad duration). Sets the log level for --verbosity.
KanikoEffects apply_kaniko_flags(const KanikoFlags& k, BuildFlags& f);

// The registry domain of a reference as docker reads it: "reg:5000/a/b:1" -> "reg:5000",
// "alpine" -> "docker.io".
std::string reference_domain(const std::string& ref);

}  // namespace mybuild::cli
