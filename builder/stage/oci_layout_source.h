// --build-context NAME=oci-layout://PATH[:TAG|@DIGEST], as buildx takes it: an image in an OCI
// image layout directory (what `-o type=oci,tar=false` or skopeo write) stands for NAME in FROM
// and COPY --from. Its blobs are copied into the store (each verified against its digest, so a
// layout cannot smuggle other bytes in), then it is read as any stored image.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "builder/build_request.h"
#include "common/descriptor.h"
#include "common/digest.h"
#include "image/pull.h"
#include "snapshot/content_store.h"

namespace mybuild::builder {

struct OciLayoutRef {
  std::filesystem::path dir;
  std::string tag;                       // org.opencontainers.image.ref.name; may be empty
  std::optional<common::Digest> digest;  // @sha256:…
};

// Pure. `value` is the whole oci-layout://… text; the tag is what follows the last ':' after
// the last '/'. Throws kUsage for an empty path or a malformed digest.
OciLayoutRef parse_oci_layout_ref(std::string_view value);

// The image the layout names, for `platform`, with its blobs now in `content`. Throws kNotFound
// naming the layout when the tag or digest is not there (or no tag is given and the layout has
// several images), or when it has no complete image for the platform.
image::LocalImage load_oci_layout_image(const snapshot::ContentStore& content,
                                        std::string_view value, const common::Platform& platform);

}  // namespace mybuild::builder
