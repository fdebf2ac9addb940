// The compressor implementations behind make_compressor (snapshot/compression.h), one per file.
#pragma once

#include <memory>

#include "common/io.h"
#include "snapshot/compression.h"

namespace mybuild::snapshot::internal {

std::unique_ptr<Compressor> make_gzip_compressor(common::Writer& out, int level, int threads);
std::unique_ptr<Compressor> make_zstd_compressor(common::Writer& out, int level, int threads);

}  // namespace mybuild::snapshot::internal
