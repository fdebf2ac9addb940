// The largest OCI documents mybuild reads, from a registry or its own store: limits against a
// hostile or corrupt source making us buffer without bound. Manifests and indexes are small
// (the distribution spec lets registries refuse manifests over 4 MiB); image configs carry
// the history and can be large, so they get more room.
#pragma once

#include <cstdint>

namespace mybuild::common {

inline constexpr int64_t kMaxManifestBytes = 4 << 20;
inline constexpr int64_t kMaxConfigBytes = 64 << 20;

}  // namespace mybuild::common
