// Pieces shared by the -o/--output exporters (image/export.h); nothing outside the
// export_*.cc files includes this.
//
//   export_spec.cc     parse_output: buildx's CSV syntax
//   export_content.cc  reading the image from the content store: manifests, verified blobs,
//                      the names that become annotations and RepoTags
//   export_output.cc   where bytes go: a temp file renamed over dest, stdout, directories
//   export_layout.cc   type=oci and type=docker (an OCI image layout, as tar or directory)
//   export_rootfs.cc   type=tar and type=local (the image's filesystem)
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/descriptor.h"
#include "common/digest.h"
#include "common/io.h"
#include "common/unique_fd.h"
#include "image/export.h"
#include "snapshot/content_store.h"

namespace mybuild::image::export_internal {

// ---- content (export_content.cc) ----

// One platform's image: a manifest and what it names.
struct ImageManifest {
  common::Descriptor descriptor;  // the manifest blob (platform set when an index gave one)
  common::Descriptor config;
  std::vector<common::Descriptor> layers;
};

// Reads and parses a manifest blob. kNotFound when absent, kIntegrity when malformed.
ImageManifest read_manifest(const snapshot::ContentStore& content, const common::Descriptor& d);

// The image manifests an export of `root` covers: `root` itself when it is a manifest; for an
// index, its image manifests (nested indexes flattened), without BuildKit's attestation
// manifests. kUsage for any other media type.
std::vector<ImageManifest> image_manifests(const snapshot::ContentStore& content,
                                           const common::Descriptor& root);

// Every blob reachable from `root` (root included), each once, in walk order.
std::vector<common::Descriptor> reachable_blobs(const snapshot::ContentStore& content,
                                                const common::Descriptor& root);

// Reads a blob while hashing it; finish() checks that exactly the descriptor's bytes came.
class VerifyingReader : public common::Reader {
 public:
  VerifyingReader(std::unique_ptr<common::Reader> in, common::Descriptor blob);
  size_t read(std::span<char> buf) override;
  // Drains what is left, then checks size and digest (kIntegrity naming the blob).
  void finish();

 private:
  std::unique_ptr<common::Reader> in_;
  common::Descriptor blob_;
  common::Sha256 hash_;
};

// Opens a blob for streaming. kNotFound when the store lacks it, kIntegrity when the stored
// size differs from the descriptor's.
std::unique_ptr<VerifyingReader> open_blob(const snapshot::ContentStore& content,
                                           const common::Descriptor& d);

// How an image name appears in an export, as containerd's archive exporter (which BuildKit
// uses) writes it.
struct ExportName {
  std::string full;        // io.containerd.image.name: "docker.io/library/app:v1"
  std::string ref_name;    // org.opencontainers.image.ref.name: the tag ("v1"), or "@sha256:.."
  std::string familiar;    // docker's RepoTags: "app:v1"
  std::string repository;  // familiar repository ("app"), for the `repositories` file
  std::string tag;         // empty for a digest-only name
};
ExportName export_name(const std::string& name);

// ---- output (export_output.cc) ----

// Where a tar goes: stdout for "-"; an existing device or FIFO (/dev/stdout, a named pipe)
// written in place; otherwise a temp file beside dest, renamed over it by commit(). Dropped
// without commit(), the temp file is removed.
class OutputFile {
 public:
  explicit OutputFile(const std::string& dest);
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();

  common::Writer& writer() { return buffered_; }
  // Flushes, fsyncs and renames into place. Call once.
  void commit();

 private:
  std::string dest_;
  std::filesystem::path target_;  // the file renamed over (a symlink's target, resolved)
  std::filesystem::path temp_;    // empty when writing in place
  common::UniqueFd fd_;
  common::FdWriter raw_;
  common::BufferedWriter buffered_;
};

// kUsage when `dest` cannot be a tar destination ("-" on a terminal, an existing directory);
// kNotFound when its directory does not exist.
void check_file_dest(const std::string& dest, std::string_view type);
// kUsage when `dest` exists and is not a directory; kNotFound when its parent does not exist.
// Returns whether dest exists (a directory to merge into).
bool check_dir_dest(const std::string& dest, std::string_view type);

// A fresh, empty temp directory for an output. In `parent` (beside a new dest, or inside an
// existing one so every rename stays on one filesystem), removed with its contents unless
// released.
class TempOutputDir {
 public:
  TempOutputDir(const std::filesystem::path& parent, const std::string& hint);
  TempOutputDir(const TempOutputDir&) = delete;
  TempOutputDir& operator=(const TempOutputDir&) = delete;
  ~TempOutputDir();
  const std::filesystem::path& path() const { return path_; }
  // Renames the directory to `dest`, which must not exist (RENAME_NOREPLACE), and keeps it.
  void rename_to(const std::filesystem::path& dest);

 private:
  std::filesystem::path path_;
};

// Moves every entry of `from` into the existing directory `into`: directories merge, anything
// else replaces what is there (never following a symlink in `into`).
void merge_into(const std::filesystem::path& from, const std::filesystem::path& into);

// Creates `path` with `data` through a temp file and rename (readers see old or new).
void write_small_file(const std::filesystem::path& path, std::string_view data, mode_t mode);

// A temp name beside `path`: "<dir>/.<name>.mybuild-<random>".
std::filesystem::path temp_name_beside(const std::filesystem::path& path);

// ---- the exporters ----

void export_layout(const snapshot::ContentStore& content, const common::Descriptor& root,
                   const std::vector<std::string>& names, const OutputSpec& spec);
void export_rootfs(const snapshot::ContentStore& content, const common::Descriptor& root,
                   const OutputSpec& spec);

}  // namespace mybuild::image::export_internal
