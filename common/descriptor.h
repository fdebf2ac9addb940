// OCI content descriptors and platforms (image-spec descriptor.md, image-index.md), with JSON
// conversion through nlohmann/json. Field names and omission rules follow the spec exactly, so
// what we write validates against shared/conformance/oci-schemas.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/digest.h"

namespace mybuild::common {

struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // "amd64", "arm64", ...
  std::string variant;       // "v7", "v8", or empty
  std::string os_version;    // Windows only
  std::vector<std::string> os_features;

  // Parses "os/arch[/variant]" (also "arch" alone, meaning linux/arch), normalising aliases as
  // containerd's platforms package does (x86_64 -> amd64, aarch64 -> arm64, armhf -> arm/v7).
  // Throws Error(kUsage) on malformed text.
  static Platform parse(std::string_view text);
  // The platform this binary runs on.
  static Platform host();
  std::string str() const;  // "linux/arm64/v8"
  // True when an image for `this` can serve a request for `wanted` (arm64 matches arm64/v8).
  bool matches(const Platform& wanted) const;

  friend bool operator==(const Platform&, const Platform&) = default;
};

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
  std::optional<std::string> artifact_type;

  friend bool operator==(const Descriptor&, const Descriptor&) = default;
};

void to_json(nlohmann::json& j, const Platform& p);
void from_json(const nlohmann::json& j, Platform& p);
void to_json(nlohmann::json& j, const Descriptor& d);
// Throws Error(kIntegrity) when a required field is missing or malformed.
void from_json(const nlohmann::json& j, Descriptor& d);

// A JSON number as int64_t, the way Go's encoding/json fills an int64 (a descriptor's size, a
// healthcheck's durations): a fraction, an exponent form such as 1e300 or a value beyond int64
// is refused with Error(kIntegrity) naming `what`. nlohmann's get<int64_t> would convert those
// instead, and converting an out-of-range double is undefined behaviour (found by
// fuzz/image_documents_fuzz.cc).
int64_t json_int64(const nlohmann::json& v, std::string_view what);

}  // namespace mybuild::common
