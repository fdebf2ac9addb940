// ContentStore: immutable blobs addressed by digest, kept as an OCI image layout
// (image-spec image-layout.md) so other tools read the store as it is:
//
//   <root>/oci/oci-layout            {"imageLayoutVersion":"1.0.0"}
//   <root>/oci/index.json            written by ImageStore (snapshot/image_store.h)
//   <root>/oci/blobs/sha256/<hex>    one file per blob, read-only (0444)
//   <root>/ingest/                   blobs being written; outside the layout on purpose, so
//                                    skopeo/umoci never see a partial file
//
// Contract (after containerd's content.Store):
// - The store, not the caller, verifies: a ContentWriter hashes while it writes and commit()
//   checks the expected size and digest before an fsync and an atomic rename into
//   blobs/sha256. A mismatch throws kIntegrity and nothing becomes visible.
// - A writer dropped without commit() (exception, SIGKILL, power loss) leaves no blob. Its
//   temp file is anonymous (O_TMPFILE) while being written; a named leftover from a crash
//   inside commit() is locked by its writer (flock) and removed when the next ContentStore
//   on the same root opens and finds it unlocked.
// - Concurrent writers of the same blob (threads or processes) are safe: each writes its own
//   temp file; the renames replace identical bytes. Committing a blob already present is fine.
// - Thread-safe: a ContentStore holds no mutable state beyond the file system; share one.
//   A ContentWriter is used by one thread.
// - Removing blobs is garbage collection's job (snapshot/gc.h); remove() is its tool.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/descriptor.h"
#include "common/digest.h"
#include "common/io.h"
#include "common/overlapped_sha256.h"
#include "common/unique_fd.h"

namespace mybuild::snapshot {

using common::Digest;

struct BlobInfo {
  Digest digest;
  int64_t size = 0;
};

class BlobWriteBehind;  // blob_write_behind.h

class ContentWriter : public common::Writer {
 public:
  ContentWriter(const ContentWriter&) = delete;
  ContentWriter& operator=(const ContentWriter&) = delete;
  ~ContentWriter() override;  // uncommitted: the temp file goes away with its descriptor

  void write(std::string_view data) override;
  // Verifies the bytes written (kIntegrity on a size or digest mismatch, and the writer is
  // spent), fsyncs, renames into blobs/sha256/<hex>, fsyncs the directory. Returns the digest.
  Digest commit(std::optional<int64_t> size = std::nullopt,
                std::optional<Digest> expected = std::nullopt);

  uint64_t bytes_written() const { return hash_.bytes(); }
  const std::string& ref() const { return ref_; }

 private:
  friend class ContentStore;
  ContentWriter(std::filesystem::path layout, std::filesystem::path ingest, std::string ref);
  void discard() noexcept;
  void write_behind();

  std::filesystem::path layout_;
  std::filesystem::path ingest_;
  std::string ref_;
  common::UniqueFd fd_;
  std::filesystem::path named_;  // set when the temp file has a name (fallback or mid-commit)
  common::OverlappedSha256 hash_;
  uint64_t writeback_from_ = 0;  // bytes before this offset have been handed to the disk
  std::unique_ptr<BlobWriteBehind> behind_;  // made by the first step written behind
  bool no_behind_ = false;                   // no thread for it: commit's fsync does all
  bool done_ = false;
};

class ContentStore {
 public:
  // Opens or creates the store under the state root: <root>/oci (with oci-layout) and
  // <root>/ingest, and removes temp files that crashed writers left. Throws kResource.
  explicit ContentStore(const std::filesystem::path& root);

  // The OCI image layout directory (<root>/oci).
  const std::filesystem::path& layout_dir() const { return layout_; }

  // Absent is not an error.
  std::optional<BlobInfo> info(const Digest& d) const;
  bool contains(const Digest& d) const { return info(d).has_value(); }
  // Throws Error(kNotFound) naming the digest.
  std::unique_ptr<common::Reader> open(const Digest& d) const;
  // Reads a small blob (manifest, config, index) whole; kResource past max_bytes.
  std::string read_small(const Digest& d, size_t max_bytes = 4 << 20) const;
  // Where the blob is (or would be): <root>/oci/blobs/<alg>/<hex>.
  std::filesystem::path blob_path(const Digest& d) const;

  // A writer for one new blob. `ref` names the ingest in logs and errors ("layer 3 of
  // alpine", or the expected digest); it need not be unique.
  std::unique_ptr<ContentWriter> writer(std::string_view ref) const;
  // Stores small data (JSON) and returns its descriptor with `media_type`.
  common::Descriptor put(std::string_view data, std::string_view media_type) const;

  // The collector holds this (an flock on <root>/blobs.lock) from listing the blobs to
  // removing them; commit() holds it shared while it finds or places a blob, and refreshes the
  // mtime of one it finds, so a blob present but unreferenced when a writer commits it counts
  // as written during the writer's lease (gc.h). Blocks until the commits in flight are done.
  common::UniqueFd lock_for_sweep() const;
  // Removes a blob; false when it was not there.
  bool remove(const Digest& d) const;
  // Every blob present, in digest order. Files that are not blobs are skipped.
  std::vector<BlobInfo> list() const;
  // Removes abandoned ingest files (done by the constructor too); returns how many.
  int clean_ingest() const;

 private:
  std::filesystem::path layout_;
  std::filesystem::path ingest_;
};

}  // namespace mybuild::snapshot
