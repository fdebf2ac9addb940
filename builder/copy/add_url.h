// ADD <url>: downloads a remote file for the build (BuildKit's HTTP source), through the
// registry module's libcurl transport (TLS with the system CAs and certs.d, redirects, timeouts).
// The file keeps the URL's base name, gets mode 0600 as Docker gives remote files, and its
// mtime from Last-Modified when the server sends one. `--checksum=sha256:...` is verified.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "common/cancel.h"
#include "common/digest.h"

namespace mybuild::builder {

struct Download {
  std::filesystem::path file;  // inside `dir`
  std::string name;            // the base name it gets in a directory destination
  common::Digest digest;       // sha256 of the content
};

// Throws kNetwork for a failed transfer or a non-2xx answer (naming the URL and status),
// kIntegrity when `checksum` is given and does not match, kUsage for a malformed checksum.
Download download_url(const std::string& url, const std::filesystem::path& dir,
                      const std::optional<std::string>& checksum,
                      const common::CancelToken& cancel);

}  // namespace mybuild::builder
