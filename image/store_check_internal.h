// The parts of `mybuild check` (image/store_check.h), one file each: blobs and the check's
// entry points (store_check.cc), what names blobs (store_check_refs.cc), snapshot records
// (store_check_snapshots.cc). Internal to image/.
#pragma once

#include <filesystem>
#include <set>

#include "common/digest.h"
#include "image/store_check.h"
#include "snapshot/content_store.h"
#include "snapshot/database.h"

namespace mybuild::image {

// Hashes every blob; returns those that do not hash to their name (removed with repair).
std::set<common::Digest> check_blobs(const snapshot::ContentStore& content,
                                     const CheckOptions& options, CheckReport& report);
// Tags (and so index.json), build cache records and layer conversion records.
void check_references(const snapshot::ContentStore& content, snapshot::Database& db,
                      const std::set<common::Digest>& corrupt, const CheckOptions& options,
                      CheckReport& report);
// Every snapshot record has its directory and its parent.
void check_snapshots(const std::filesystem::path& root, snapshot::Database& db,
                     const CheckOptions& options, CheckReport& report);

}  // namespace mybuild::image
