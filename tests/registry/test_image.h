// Small OCI images built in memory for the registry tests: blobs of given bytes, a config, a
// manifest, an index; and a client whose docker config and certs dirs are the test's own.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/descriptor.h"
#include "common/media_types.h"
#include "common/temp_dir.h"
#include "registry/client.h"

namespace mybuild::registry::testing {

struct Blob {
  common::Descriptor desc;
  std::string data;
};

inline Blob make_blob(std::string data, std::string_view media_type) {
  Blob b;
  b.desc.media_type = media_type;
  b.desc.digest = common::Digest::sha256_of(data);
  b.desc.size = static_cast<int64_t>(data.size());
  b.data = std::move(data);
  return b;
}

// Deterministic pseudo-random bytes (incompressible, so no layer is accidentally tiny).
inline std::string pseudo_random(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

struct TestImage {
  Blob config;
  std::vector<Blob> layers;
  Blob manifest;
};

inline TestImage make_image(std::string arch, std::vector<std::string> layer_data) {
  TestImage img;
  nlohmann::json cfg = {{"architecture", arch},
                        {"os", "linux"},
                        {"rootfs", {{"type", "layers"}, {"diff_ids", nlohmann::json::array()}}}};
  img.config = make_blob(cfg.dump(), common::media_type::kOciConfig);
  nlohmann::json m = {{"schemaVersion", 2},
                      {"mediaType", common::media_type::kOciManifest},
                      {"config", img.config.desc},
                      {"layers", nlohmann::json::array()}};
  for (auto& d : layer_data) {
    img.layers.push_back(make_blob(std::move(d), common::media_type::kOciLayerGzip));
    m["layers"].push_back(img.layers.back().desc);
  }
  img.manifest = make_blob(m.dump(), common::media_type::kOciManifest);
  return img;
}

inline ReaderFactory reader_of(const std::string& data) {
  return [&data] { return std::make_unique<common::StringReader>(data); };
}

// Pushes blobs then the manifest under ref's tag.
inline void push_image(Client& c, const Reference& ref, const TestImage& img) {
  for (const auto& l : img.layers) c.push_blob(ref, l.desc, reader_of(l.data));
  c.push_blob(ref, img.config.desc, reader_of(img.config.data));
  c.push_manifest(ref, img.manifest.desc.media_type, img.manifest.data);
}

// A client that reads credentials and certs only from the test's directory, with quick
// retries so fault tests stay fast.
inline ClientOptions test_options(const common::TempDir& dir) {
  ClientOptions o;
  o.docker_config = dir.path() / "docker" / "config.json";
  o.transport.certs_dirs = {dir.path() / "certs.d"};
  o.transport.connect_timeout = std::chrono::seconds(5);
  o.transport.low_speed_time = std::chrono::seconds(5);
  o.backoff_base = std::chrono::milliseconds(20);
  o.backoff_max = std::chrono::milliseconds(200);
  return o;
}

}  // namespace mybuild::registry::testing
