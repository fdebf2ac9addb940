// A layer as an image being written names it: the blob in the content store and its diff_id
// (the digest of the uncompressed tar, image-spec config.md "rootfs.diff_ids").
#pragma once

#include "common/descriptor.h"
#include "common/digest.h"

namespace mybuild::image {

struct LayerRef {
  common::Descriptor blob;
  common::Digest diff_id;
};

}  // namespace mybuild::image
