// COPY from its previous result (issue 17): a COPY of the build context that misses the cache
// because a few files changed need not copy every file again. Each COPY records what it wrote
// (a CopyManifest: per regular file of its snapshot, the context file it came from and that
// file's lstat then), keyed by the step's cache inputs without the content checksums: the same
// parent, instruction, flags, platform and layer format ("the same COPY"). On the next miss of
// the same COPY, the copy runs again with the same rules (into.h), but each regular file whose
// context file is unchanged since (same inode, size, mtime, ctime, mode, owner: ctime moves on
// any write, chmod, chown or xattr change) is hard-linked from the previous result's snapshot
// instead of copied. Snapshots are immutable once committed (overlay lower dirs are read-only;
// nothing writes into a committed snapshot's files), so the link shares bytes that never change.
//
// The copy then runs on the new snapshot's own upper dir, unmounted (a link cannot cross into an
// overlay mount). What it leaves there must be what the same copy through the mount would have:
// - Below a directory the parent lacks, nothing of the parent shows: the copy makes everything
//   there itself, mounted or not.
// - Where the copy writes into a directory the parent has (WORKDIR /app then COPY . ., or COPY
//   . / over the base), overlay would first copy that directory up, and the copy would then see
//   whatever the parent has under the names it makes there. copy_up.h looks up exactly those
//   names in the parent (mounted read-only), makes the same copies-up in the upper dir, and
//   declines (the step then copies through the mount) for anything else than a directory the
//   copy merges into or a regular file a regular file replaces, and for a new directory inside
//   one of the parent's unless the earlier result shows overlay leaves such a one plain here.
// - The files linked are the earlier copy's own: the manifest names each one the copy wrote,
//   and earlier_upper_usable checks that the earlier upper dir holds, at its root, only what the
//   copy put there -- the names it created (CopyManifest::tops), files it wrote, directories of
//   the parent it wrote into (copied up) -- and no opaque directory: the earlier result ran over
//   the same parent (the scope holds it), so nothing else can be there unless the snapshot is
//   not this copy's result. Whether a name the copy makes now exists in the parent is no longer
//   inferred from tops (a name new in the context was never checked that way): copy_up.h looks.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "builder/copy/plan.h"
#include "builder/copy/sources.h"

namespace mybuild::builder {

// A regular file one copy wrote: the context file it came from and that file's lstat then.
struct CopiedFile {
  std::string src;  // relative to the context root
  uint64_t dev = 0, ino = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0, ctime_ns = 0;
  uint32_t mode = 0, uid = 0, gid = 0;
};

struct CopyManifest {
  std::string snapshot;  // the committed snapshot (chain id) of the step's result
  std::string layer;     // its layer blob's digest, when the layer is uncompressed
  std::optional<int64_t> source_date_epoch;  // the layer was written with (LayerOptions)
  std::set<std::string> tops;                // names the copy created at its upper dir's root
  std::unordered_map<std::string, CopiedFile> files;  // by path inside the upper dir
  bool complete = true;  // false: a path held a tab or newline; such a manifest is not stored
};

// The manifest as text (one line per file) and back; nullopt for text this version did not write.
std::string format_copy_manifest(const CopyManifest& manifest);
std::optional<CopyManifest> parse_copy_manifest(std::string_view text);

// "The same COPY": a digest of the step's cache inputs without the "files of ..." checksums.
std::string copy_reuse_scope(const nlohmann::json& inputs);

// Whether a COPY may be rebuilt from its previous result: a plain COPY of the build context (not
// ADD, --from, --link, heredocs, URLs, --exclude or --parents) whose --chown, if any, is numeric
// (a name is looked up in the parent's /etc/passwd, which the unmounted upper dir lacks).
bool copy_reusable(const CopyPlan& plan, bool from_build_context,
                   std::span<const CopySource> sources);

// lstat `now` of context file `src` is the file `then` recorded.
bool same_context_file(const CopiedFile& then, const std::string& src, const struct stat& now);

// Given to copy_into (CopyOptions::recorder): records what the copy writes, and with an earlier
// manifest offers the earlier copy of each unchanged file.
// A file is recorded only when its ctime is a coarse clock tick older than the copy's start
// (checksum_memo.h's racy-clean rule): a later write then always shows as a newer ctime.
class CopyRecorder {
 public:
  CopyRecorder();  // records only
  CopyRecorder(CopyManifest earlier, std::filesystem::path earlier_upper);

  // The earlier copy of `dst` when context file `src` (lstat `st`) is unchanged since it.
  std::optional<std::filesystem::path> earlier(const std::string& src, const std::string& dst,
                                               const struct stat& st) const;
  void copied(const std::string& src, const std::string& dst, const struct stat& st);
  void created(const std::string& dst);  // an entry the copy made (dst: path in the upper dir)

  CopyManifest& result() { return now_; }
  bool seeded() const { return earlier_.has_value(); }
  const CopyManifest& earlier_manifest() const { return *earlier_; }  // when seeded()
  const std::filesystem::path& earlier_upper() const { return earlier_upper_; }

 private:
  std::optional<CopyManifest> earlier_;
  std::filesystem::path earlier_upper_;
  CopyManifest now_;
  int64_t started_ns_;
};

// Manifests live in <root>/copy-reuse/<scope>; load gives nullopt for none or an unreadable one.
std::optional<CopyManifest> load_copy_manifest(const std::filesystem::path& root,
                                               const std::string& scope);
// Logs, never throws: the step it records is done.
void store_copy_manifest(const std::filesystem::path& root, const std::string& scope,
                         const CopyManifest& manifest);
// Removes a manifest whose snapshot is gone (pruned): it can seed nothing any more.
void forget_copy_manifest(const std::filesystem::path& root, const std::string& scope);
// Prune's sweep, while it holds the snapshots lock: removes every manifest (and any stray file)
// whose snapshot `committed` does not name. Returns how many went.
size_t forget_orphan_copy_manifests(const std::filesystem::path& root,
                                    const std::function<bool(const std::string&)>& committed);

// Whether `upper` (the earlier result's own dir) holds at its root only manifest.tops, files
// the manifest names (one that replaced the parent's is no top) and directories that `parent`
// (the parent's tree; empty: scratch) has, none of them a directory marked opaque, and something.
bool earlier_upper_usable(const std::filesystem::path& upper, const CopyManifest& manifest,
                          const std::filesystem::path& parent);

// Whether directory `dir` carries overlay's opaque mark (trusted.* or, rootless, user.*).
bool opaque_directory(const std::filesystem::path& dir);

}  // namespace mybuild::builder
