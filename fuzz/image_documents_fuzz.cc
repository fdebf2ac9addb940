// libFuzzer target: the registry/image JSON documents mybuild decodes from untrusted bytes.
// Every input is read as an image manifest (config + layers descriptors), an image index
// (manifests, with platforms) and an image config (image/config.h), the way pull, the local
// store and the exporters decode them (common/descriptor.h's from_json, ImageConfig::parse).
// Rejecting a document with common::Error or a nlohmann::json exception is what the callers expect;
// a crash or a sanitizer report is a bug, and so is a decoded value that does not survive its own
// encoding: a descriptor written back to JSON must decode to itself, and a config's canonical JSON
// must parse to the same canonical JSON.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/descriptor.h"
#include "common/error.h"
#include "image/config.h"

namespace {

using mybuild::common::Descriptor;
using nlohmann::json;

void round_trip(const Descriptor& d) {
  const json out = d;
  if (out.get<Descriptor>() != d) __builtin_trap();
  if (d.platform) {
    mybuild::common::Platform linux_amd64;
    linux_amd64.os = "linux";
    linux_amd64.architecture = "amd64";
    (void)d.platform->str();
    (void)d.platform->matches(linux_amd64);
  }
}

template <typename Decode>
void attempt(Decode decode) {
  try {
    decode();
  } catch (const mybuild::common::Error&) {
  } catch (const json::exception&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    attempt([&] {  // a manifest, as image/local_image.cc and registry/client.cc read it
      round_trip(j.at("config").get<Descriptor>());
      for (const auto& d : j.at("layers").get<std::vector<Descriptor>>()) round_trip(d);
    });
    attempt([&] {  // an index
      for (const auto& d : j.at("manifests").get<std::vector<Descriptor>>()) round_trip(d);
    });
  }
  attempt([&] {
    const auto config = mybuild::image::ImageConfig::parse(text);
    const std::string canonical = config.to_json_text();
    if (mybuild::image::ImageConfig::parse(canonical).to_json_text() != canonical) {
      __builtin_trap();
    }
  });
  return 0;
}
