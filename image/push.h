// Pushing an image from the local store to a registry (`mybuild push`, `build --push`): every
// blob the manifest (or each manifest of an index) names is checked with HEAD and uploaded only
// when missing (mounted from `mount_from` when given), then the manifest(s), then the index;
// the tag goes last so that a reader never sees a tag whose blobs are incomplete.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/descriptor.h"
#include "image/transfer_progress.h"
#include "registry/client.h"
#include "registry/reference.h"
#include "snapshot/content_store.h"

namespace mybuild::image {

struct PushReport {
  common::Digest digest;  // of what the tag now points at (manifest or index)
  int blobs_uploaded = 0;
  int blobs_existed = 0;
  int blobs_mounted = 0;
  int64_t bytes_uploaded = 0;
};

// Called after each blob with one line for the user, as docker push prints them
// ("ab12cd34ef56: Pushed (3.1 MB)", "...: Layer already exists"); one call at a time.
using PushLog = std::function<void(std::string_view line)>;

// How docker push prints a blob's size in its "Pushed (3.1 MB)" line (decimal units).
std::string push_size_text(int64_t bytes);

// Blobs a push may name without the local store holding them (layers a build took from an
// imported cache and never needed to unpack): the repository that has each one, mounted from
// there (or found by HEAD) when the destination lacks it, and how to fetch it into the store
// when neither works (another registry, a refused mount).
struct RemoteBlobs {
  std::map<common::Digest, registry::Reference> where;
  std::function<void(const common::Descriptor&)> fetch;
};

// Pushes `target` (a manifest or index descriptor from the local store) as `dest`; `progress`
// hears each blob's uploaded bytes and its end (a blob mounted or already there completes at
// its size without bytes before). Throws
// kNotFound when a blob is missing from the store (and from `remote`), else the client's errors
// with `dest` added as context.
PushReport push_image(const snapshot::ContentStore& content, const common::Descriptor& target,
                      registry::Client& client, const registry::Reference& dest,
                      const PushLog& log = {},
                      const std::optional<registry::Reference>& mount_from = std::nullopt,
                      const RemoteBlobs* remote = nullptr, const TransferProgress& progress = {});

}  // namespace mybuild::image
