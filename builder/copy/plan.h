// What COPY, ADD and WORKDIR mean, apart from doing them: plan_copy() validates the instruction
// (with BuildKit's and mybuild's error texts and the Dockerfile range), expands its words,
// computes the sources, the absolute destination, the history text and the step's cache
// inputs. Pure: no files, no mounts, no network; the caller passes the word expander.
//
// The cache inputs are written only here (step_cache.cc adds parent, platform and layer format).
// Their key names and values are part of every user's build cache: renaming one silently
// misses every cached COPY. plan_test.cc pins the exact JSON of representative steps.
//
// Inputs that need effects (the --from snapshot chain, the content checksums of the sources,
// the numeric owner of a `--link --chown=name`) are computed by the step and folded in by
// copy_cache_inputs(), also pure.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "builder/copy/chmod.h"
#include "builder/copy/user_lookup.h"
#include "common/digest.h"
#include "parser/ast.h"

namespace mybuild::builder {

// Cache-input key names of COPY/ADD and WORKDIR steps. Never rename one (see above).
namespace copy_key {
inline constexpr std::string_view kOp = "op";                    // "COPY", "ADD", "WORKDIR"
inline constexpr std::string_view kInstruction = "instruction";  // the history text
inline constexpr std::string_view kDest = "dest";                // absolute destination
inline constexpr std::string_view kChown = "chown";  // as written, or "uid:gid" with --link
inline constexpr std::string_view kChmod = "chmod";
inline constexpr std::string_view kFrom = "from";          // snapshot chain of --from
inline constexpr std::string_view kUnpack = "unpack";      // ADD --unpack, when given
inline constexpr std::string_view kExclude = "exclude";    // --exclude patterns as written
inline constexpr std::string_view kFilesOf = "files of ";  // + source: its content checksum
inline constexpr std::string_view kPath = "path";          // WORKDIR
inline constexpr std::string_view kUser = "user";          // WORKDIR: USER in effect
}  // namespace copy_key

using WordExpander = std::function<std::string(const std::string&)>;

// A COPY <<NAME source: the file the step writes (mode 0644) and copies from.
struct HeredocFile {
  std::string name;
  std::string content;  // expanded unless the heredoc word was quoted
};

struct CopyPlan {
  std::string op;                    // "COPY" or "ADD"
  std::vector<std::string> sources;  // expanded; heredocs as written ("<<EOF")
  size_t url_count = 0;              // all sources are URLs, or none
  bool git_source = false;    // ADD <git URL>: the one source is a repository (tree.h fetches it)
  bool keep_git_dir = false;  // ADD --keep-git-dir of a git source: the copy has .git
  bool heredoc_sources = false;            // some source is a heredoc
  std::vector<HeredocFile> heredoc_files;  // without --from: every source, in order
  std::string dest;                // absolute (WORKDIR applied); ends in '/' for a directory
  std::string from, chown, chmod;  // expanded flags ("" when not given)
  std::optional<ChmodSpec> chmod_spec;
  std::optional<std::string> checksum;  // ADD --checksum, expanded
  bool unpack_archives = false;  // ADD of local files: archives are unpacked (not --unpack=false)
  // --link as BuildKit does it: only without --chmod. The layer leaves the parent out.
  bool link_layer = false;
  std::string created_by;  // history: BuildKit's text, "... # buildkit"
  std::string display;     // the progress line: created_by with --from, without the marker
  nlohmann::json inputs = nlohmann::json::object();  // cache inputs before effects
};

// Throws Error(kDockerfile) at copy.range for: ADD --parents, COPY of a URL, ADD of a git
// repository with other sources, URL and local sources mixed, --checksum without a URL, heredoc and
// file sources mixed, a heredoc without body; and what ChmodSpec::parse and `expand` throw.
// `workdir` is the WORKDIR in effect ("" = "/").
CopyPlan plan_copy(const parser::Copy& copy, const std::string& workdir,
                   const WordExpander& expand);

// One source after wildcards, --parents and --exclude, with the checksum of what it reads.
struct SourceChecksum {
  std::string as_written;
  std::string rel;
  common::Digest digest;
};

struct CopyEffectInputs {
  std::string from_chain;                 // "" without --from
  std::vector<SourceChecksum> checksums;  // in source order
  std::optional<Owner> linked_owner;      // --link --chown resolved to numbers
};

// plan.inputs with the effects folded in: "from", one "files of SRC" per source (with
// " (REL)" when a source as written matched several, or the name repeats), and the numeric
// "chown" of a linked step.
nlohmann::json copy_cache_inputs(const CopyPlan& plan, const CopyEffectInputs& effects);

// Expands $NAME and ${...} in a COPY heredoc body, leaving quotes and everything else as they
// are (BuildKit processes heredoc bodies with quote processing off); `\$` is a literal '$'.
std::string expand_heredoc_body(const std::string& body, const WordExpander& expand);

struct WorkdirPlan {
  std::string path;         // absolute, clean
  std::string created_by;   // "WORKDIR /path"
  bool makes_layer = true;  // false for "/": a config-only history entry
  nlohmann::json inputs = nlohmann::json::object();
};

// `path` expanded; `workdir` the WORKDIR in effect ("" = "/"); `user` the USER in effect.
WorkdirPlan plan_workdir(const std::string& path, const std::string& workdir,
                         const std::string& user);

}  // namespace mybuild::builder
