// The compressor implementations behind make_compressor (snapshot/compression.h), one per file.
#pragma once

#include <memory>
#include <string_view>

#include "common/io.h"
#include "snapshot/compression.h"

namespace mybuild::snapshot::internal {

std::unique_ptr<Compressor> make_gzip_compressor(common::Writer& out, int level, int threads);
// Whether the gzip compressor's libdeflate levels (4..12) store `block` instead of deflating it
// (it would save nothing); ISA-L's levels decide that themselves (snapshot/gzip_block.h).
bool gzip_block_is_incompressible(std::string_view block);

std::unique_ptr<Compressor> make_zstd_compressor(common::Writer& out, int level, int threads);

}  // namespace mybuild::snapshot::internal
