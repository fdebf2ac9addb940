// Reading images that are already in the local content store, down to their blobs: an index
// picks the platform's manifest, a manifest names its config and layers. Shared by the base-image
// lookup (image/pull.h) and the store commands (image/commands.h: images, inspect, tag, push).
//
// Absence is an answer, not an error: a root whose manifest, config or any layer blob is not in
// the store yields nullopt, so that a caller can pull instead of failing half way. A stored
// manifest that is not a manifest (malformed JSON, missing fields) is kIntegrity.
// Thread-safe (the content store is).
#pragma once

#include <optional>
#include <string>

#include "common/descriptor.h"
#include "image/pull.h"
#include "snapshot/content_store.h"

namespace mybuild::image {

// How to choose among the manifests of an index.
struct PlatformChoice {
  common::Platform wanted;
  // When no entry for `wanted` is complete in the store, take the first one that is (for
  // listing and inspecting what is there; never for building).
  bool any_if_missing = false;
};

// The image `root` (an index or manifest descriptor) stands for, for `choice`; `name` is copied
// into the result. nullopt when the store lacks a blob the image needs, or has no manifest for
// the platform. A single manifest whose config names another os/architecture is "not for this
// platform" too (unless any_if_missing).
std::optional<LocalImage> resolve_local_image(const snapshot::ContentStore& content,
                                              const common::Descriptor& root,
                                              const PlatformChoice& choice,
                                              const std::string& name = "");

// The descriptor of a stored manifest or index blob found by digest alone: its media type is
// read from the blob ("mediaType", or the shape for OCI documents that omit it). nullopt when
// the blob is absent; kIntegrity when it is neither a manifest nor an index.
std::optional<common::Descriptor> stored_root(const snapshot::ContentStore& content,
                                              const common::Digest& digest);

// The platform an image config declares (os, architecture, variant); empty fields when the
// config has none. kIntegrity when the config is not a JSON object.
common::Platform config_platform(const std::string& config_json);

}  // namespace mybuild::image
