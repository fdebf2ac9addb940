// `mybuild check`: is a state root whole? Every blob must hash to its name; everything that
// names a blob (index.json, tags, build cache records, layer conversion records) must name one
// that is there with the size it says, and an image's manifests and configs must be there too;
// every snapshot record must have its directory, and its parent. Reading the store's tables is
// enough: the check opens no snapshot and runs nothing.
//
// With `repair`, what is corrupt or dangling goes (a corrupt blob, the tag, record or snapshot
// that names something missing), so the root checks clean afterwards and a build makes again
// what it needs. Nothing is ever guessed back: a repair only removes.
//
// Blobs nothing names are not problems (prune's job); what dead processes left is reclaimed
// before the check by every command (builder/reclaim.h), so is not reported either.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mybuild::image {

struct CheckProblem {
  std::string what;  // "blob sha256:ab..: content hashes to sha256:cd.."
  bool repaired = false;
};

struct CheckOptions {
  bool repair = false;
};

struct CheckReport {
  std::vector<CheckProblem> problems;
  int64_t blobs = 0;       // blobs hashed
  int64_t references = 0;  // references followed
  int64_t snapshots = 0;   // snapshot records checked
  bool clean() const { return problems.empty(); }
};

// Looks at <root>/metadata.db-wal before anything opens the database (opening recovers it,
// and the last close checkpoints and deletes it): a WAL that is not whole frames was cut
// short, and the transactions in its missing tail are lost. A lone frame header at the end is
// not: a process killed while appending a frame leaves that. Appends what it finds.
void check_wal(const std::filesystem::path& root, CheckReport& report);

// Checks (and with options.repair, repairs) the store at `root`. Throws only when the store
// cannot be opened at all.
void check_store(const std::filesystem::path& root, const CheckOptions& options,
                 CheckReport& report);

}  // namespace mybuild::image
