// `mybuild pull` and `mybuild push` as thin functions over image/pull.h and
// image/push.h (the CLI may include only builder/ and common/, STYLE.md §1). Progress
// comes back as the lines docker prints; the CLI writes them out.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "image/registry_options.h"

namespace mybuild::image {

// One line for the user at a time ("latest: Pulling from library/busybox", "ab12...: Pushed").
using LineLog = std::function<void(std::string_view line)>;

struct PullSummary {
  std::string name;         // as stored ("docker.io/library/busybox:latest"), or name@digest
  std::string familiar;     // "busybox:latest"
  std::string digest;       // what was pulled: the index or manifest the reference names
  bool up_to_date = false;  // the tag pointed at that digest already
};

// Pulls `reference` for `platform` ("os/arch[/variant]"; empty: this machine's) into the store
// at `root`, reaching the registry as `flags` and the config file say (registry_options.h).
// Errors as pull_image's; kUsage for a bad reference, platform, flag or config file.
PullSummary pull_to_store(const std::filesystem::path& root, const std::string& reference,
                          const std::string& platform, const RegistryFlags& flags,
                          const LineLog& log);

struct PushSummary {
  std::string repository;  // "127.0.0.1:5000/team/app"
  std::string tag;         // "v1", as docker's final line shows it
  std::string digest;      // of what the tag now points at
  int64_t size = 0;        // bytes of that manifest or index
  int blobs_uploaded = 0;
  int blobs_existed = 0;
  int64_t bytes_uploaded = 0;
};

// The compression of the layers a push sends (image/layer_convert.h): layers stored in
// another one are converted first, and the conversion is remembered.
struct PushCompression {
  std::string compression = "gzip";  // gzip | zstd | none
  int level = -1;                    // -1: the algorithm's default
};

// Pushes the local image `name` (name, name@digest or ID prefix) to `dest` (a reference), or to
// its own name when `dest` is empty. When the store holds only some platforms of an index, the
// image for this machine's platform (or the one it has) is pushed alone, as docker does, and a
// line says so. kNotFound when the image is not in the store.
PushSummary push_from_store(const std::filesystem::path& root, const std::string& name,
                            const std::string& dest, const RegistryFlags& flags, const LineLog& log,
                            const PushCompression& compression = {});

}  // namespace mybuild::image
