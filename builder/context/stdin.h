// What `mybuild build -` finds on stdin, told apart as docker's DetectArchiveReader does: a tar
// (plain, or gzip/bzip2/xz/zstd compressed) is the build context; anything else is the
// Dockerfile itself, and the context is then empty (`docker build - < Dockerfile`).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/io.h"

namespace mybuild::builder {

struct StdinInput {
  // Set when stdin is a Dockerfile (read whole, up to 16 MiB).
  std::optional<std::string> dockerfile_text;
  // Otherwise the archive, from its first byte (what was peeked at, then the rest of `in`).
  std::unique_ptr<common::Reader> tar;
};

// Reads enough of `in` to tell; `in` must outlive the returned reader.
StdinInput classify_stdin(common::Reader& in);

}  // namespace mybuild::builder
