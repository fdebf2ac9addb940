// Writes a built image into the content store: the config blob, then the manifest naming it and
// the layers (OCI media types, as BuildKit's default exporter writes).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/descriptor.h"
#include "image/config.h"
#include "image/layer_ref.h"
#include "snapshot/content_store.h"

namespace mybuild::image {

struct WrittenImage {
  common::Descriptor manifest;  // with the platform set
  common::Descriptor config;
};

// `annotations` go into the manifest (buildx's --annotation manifest:K=V); none: no field.
WrittenImage write_image(const snapshot::ContentStore& content, const ImageConfig& config,
                         const std::vector<LayerRef>& layers,
                         const std::map<std::string, std::string>& annotations = {});

}  // namespace mybuild::image
