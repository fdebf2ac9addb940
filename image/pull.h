// Base images for a build, and `mybuild pull`: find an image in the local store, or fetch it
// from its registry into the store (manifest, config and every layer, each blob only when the
// store lacks it), verified by the registry client as it streams.
//
// The local store keeps what the registry served: an index stays an index (tagged by name), the
// platform's manifest and its blobs are what gets fetched. Names are stored normalised
// ("docker.io/library/alpine:latest"), as registry::Reference::str() prints them.
//
// Not thread-safe (ImageStore is one SQLite connection): callers serialise.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/descriptor.h"
#include "image/transfer_progress.h"
#include "registry/client.h"
#include "registry/reference.h"
#include "snapshot/content_store.h"
#include "snapshot/image_store.h"

namespace mybuild::image {

// One platform's image, resolved down to its blobs.
struct LocalImage {
  std::string name;             // normalised reference it was found or pulled under
  common::Descriptor root;      // what the tag points at: an index or a manifest
  common::Descriptor manifest;  // the platform's image manifest (== root for a manifest)
  common::Descriptor config;
  std::vector<common::Descriptor> layers;  // bottom first
};

// The image `ref` names in the local store, for `platform`; nullopt when the store has no such
// tag (or digest), or has it but not for that platform, or lacks a blob the image needs (the
// manifest, config or a layer: the caller pulls, which fetches what is missing). A reference by
// digest is found when the store holds that manifest/index blob, tagged or not. Throws
// kIntegrity when the stored manifest is malformed.
std::optional<LocalImage> find_local_image(const snapshot::ContentStore& content,
                                           snapshot::ImageStore& images,
                                           const registry::Reference& ref,
                                           const common::Platform& platform);

// Called once per layer with one line for the user, as docker pull prints them
// ("4abcf2066143: Pull complete", "...: Already exists"); from worker threads, one at a time.
using PullLog = std::function<void(std::string_view line)>;

// Fetches `ref` for `platform` into the store (blobs already present are not fetched again,
// several at once otherwise), tags it under ref.str() (not for a reference with a digest) and
// returns it; `progress` hears each fetched layer's bytes. Errors are the client's (kNotFound,
// kAuth, kIntegrity, kNetwork ...), with the reference added as context. A lease keeps a concurrent
// `mybuild prune` from removing the blobs before the tag (written last) reaches them.
LocalImage pull_image(const snapshot::ContentStore& content, snapshot::ImageStore& images,
                      registry::Client& client, const registry::Reference& ref,
                      const common::Platform& platform, const PullLog& log = {},
                      const TransferProgress& progress = {});

}  // namespace mybuild::image
