// import_rootfs: `mybuild import ROOTFS.tar REF`, as `docker import` does: a root filesystem
// tarball (plain, gzip or zstd) becomes a single-layer image in the local store, tagged REF.
// The tarball's bytes are the layer (its sha256 is the diff_id); only the compression is
// ours. Used by the demo and the tests to make base images offline (busybox-static).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace mybuild::image {

struct ImportOptions {
  std::string compression = "gzip";  // gzip | zstd | none
  int level = -1;                    // -1: the compressor's default
  std::string platform;              // "os/arch[/variant]"; empty = this machine's
  std::string message;               // history comment (docker import -m)
  // Image "created" time (and history's); unset = now, or $SOURCE_DATE_EPOCH when set.
  std::optional<int64_t> created;
};

struct ImportResult {
  std::string name;             // the tag as stored ("docker.io/library/busybox:latest")
  std::string manifest_digest;  // "sha256:..."
  std::string config_digest;
  std::string layer_digest;
  std::string diff_id;
  int64_t layer_size = 0;
};

// Throws Error(kUsage) for a bad reference or option, kNotFound for a missing tarball,
// kIntegrity when it is not a tar archive.
ImportResult import_rootfs(const std::filesystem::path& store_root,
                           const std::filesystem::path& tarball, const std::string& ref,
                           const ImportOptions& options);

}  // namespace mybuild::image
