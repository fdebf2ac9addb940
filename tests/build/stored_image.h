// An image read back from a mybuild store's OCI layout (<root>/oci) the way any OCI tool reads
// it: index.json -> manifest -> config blob and layer blobs. The layers are listed with
// libarchive and merged into one tree (whiteouts and opaque dirs applied), so a test can ask
// "what does /etc/x hold in the image" without running it. Nothing of mybuild's own code is used:
// the suite judges mybuild's output with independent readers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mybuild::build_testing {

// One tar entry. Regular files keep their content when it is small (tests use small files).
struct FileEntry {
  char type = 'f';  // f file, d dir, l symlink, h hard link, c/b/p device or fifo
  int mode = 0;     // permission bits with setuid/setgid/sticky
  int64_t uid = 0, gid = 0;
  int64_t size = 0;
  int64_t mtime = 0;
  std::string content;  // regular files up to 1 MiB
  std::string link;     // symlink target or hard-link source
};

struct LayerListing {
  std::string digest;
  std::string media_type;
  std::vector<std::pair<std::string, FileEntry>> entries;  // archive order, paths normalised
};

struct StoredImage {
  std::string manifest_digest;
  nlohmann::json manifest;
  nlohmann::json config;
  std::vector<LayerListing> layers;
  std::map<std::string, FileEntry> files;  // merged tree; keys like "etc/passwd"

  // The file at `path` ("/etc/passwd" or "etc/passwd") in the merged tree, if present.
  const FileEntry* find(const std::string& path) const;
  bool has(const std::string& path) const { return find(path) != nullptr; }
  // Content of a regular file; "<missing>" when absent, so a failing EXPECT_EQ shows why.
  std::string content(const std::string& path) const;
  // The config's "config" object (Env, Cmd, ...), never null.
  const nlohmann::json& runtime() const;
  std::vector<std::string> env() const;
  // history[].created_by of the entries BuildKit writes (comment "buildkit.dockerfile.v0").
  std::vector<std::string> build_history() const;
  // Whether any layer entry of `layer_index` has a path starting with `prefix`.
  bool layer_has(size_t layer_index, const std::string& path) const;
};

// Normalises a tar path: no "./", no leading or trailing '/'.
std::string normalise_path(std::string path);

// The manifest digest the layout's index.json gives `ref`; tries the name as given, with
// ":latest" added, and with or without "docker.io/library/". nullopt when not tagged.
std::optional<std::string> find_manifest(const std::filesystem::path& layout,
                                         const std::string& ref);

// Reads `ref` from the OCI layout; throws std::runtime_error naming what is missing.
StoredImage read_stored_image(const std::filesystem::path& layout, const std::string& ref);

// Reads the image of a manifest digest (for layouts written by -o type=oci).
StoredImage read_manifest(const std::filesystem::path& layout, const std::string& manifest_digest);

}  // namespace mybuild::build_testing
