// apply_layer: unpacks a layer (gzip, zstd or plain tar, detected) onto a directory and returns
// its diff_id. The layer is untrusted input:
// - every path resolves inside `root` (snapshot/extract_root.h); entries with ".." are
//   refused, absolute names are taken relative to the root, as Docker does;
// - an existing entry is replaced, never written through: a file lands where its name is, not
//   where a symlink of that name pointed; hard links may only point at entries inside the root;
// - overlay's own xattrs (trusted.overlay.*, user.overlay.*) in a tar are dropped, so a layer
//   cannot forge whiteouts or redirects;
// - limits on entry count, sizes and decompression ratio stop absurd archives before they fill
//   the disk: Error(kResource) naming the layer and the limit (snapshot/extract_limits.h).
// Errors are common::Error naming the entry ("layer entry \"a/b\": ..."); kIntegrity for a bad
// archive or a diff_id mismatch. On error the tree is left partly applied: callers unpack into
// a fresh snapshot and discard it on failure.
//
// Whiteouts (OCI image-spec layer.md): kApply deletes what `.wh.<name>` names and empties a
// directory marked `.wh..wh..opq` of everything earlier layers put there (the plain-directory
// snapshotter). kOverlay keeps them in overlayfs' form instead: a 0/0 character device for a
// whiteout and an `opaque` xattr on the directory, for an overlay lower dir.
//
// Ownership is applied when running as root; otherwise chown and device nodes that need
// privilege are skipped with a warning (containerd does the same in a user namespace).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "common/digest.h"
#include "common/io.h"
#include "snapshot/extract_limits.h"
#include "snapshot/extract_root.h"

namespace mybuild::snapshot {

enum class WhiteoutMode { kApply, kOverlay };

struct ApplyOptions {
  WhiteoutMode whiteouts = WhiteoutMode::kApply;
  // The xattr marking an opaque directory in kOverlay mode; "user.overlay.opaque" for overlay
  // mounted with userxattr (rootless).
  std::string opaque_xattr = "trusted.overlay.opaque";
  std::optional<common::Digest> expected_diff_id;
  // Entries, file sizes, total size and decompression ratio (snapshot/extract_limits.h): the
  // defaults, overridden by the MYBUILD_MAX_LAYER_* environment variables.
  ExtractLimits limits = ExtractLimits::from_env();
  // Names the layer in errors ("layer sha256:…"); defaults to its expected diff_id.
  std::string layer;
  RootDir::Resolver resolver = RootDir::Resolver::kAuto;  // tests force the fallback
};

struct ApplyResult {
  common::Digest diff_id;
  uint64_t entries = 0;
  int64_t bytes = 0;  // file content written
};

ApplyResult apply_layer(common::Reader& layer, const std::filesystem::path& root,
                        const ApplyOptions& options = {});

}  // namespace mybuild::snapshot
