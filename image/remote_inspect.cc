#include "image/remote_inspect.h"

#include <utility>

#include "common/document_limits.h"
#include "common/error.h"
#include "common/io.h"
#include "common/log.h"
#include "common/media_types.h"
#include "image/inspect_fields.h"
#include "registry/client.h"
#include "registry/reference.h"

namespace mybuild::image {

using common::Error;
using common::ErrorKind;
using nlohmann::json;

namespace {

json fetch_config(registry::Client& client, const registry::Reference& ref,
                  const common::Descriptor& config) {
  if (config.size < 0 || config.size > common::kMaxConfigBytes) {
    throw Error(ErrorKind::kIntegrity, "image config " + config.digest.str() + " of " + ref.str() +
                                           " claims " + std::to_string(config.size) +
                                           " bytes; refusing more than 64 MiB");
  }
  common::StringWriter body;
  client.fetch_blob(ref, config, body);  // verified against the digest while it streams
  json j = json::parse(body.str(), nullptr, false);
  if (!j.is_object()) {
    throw Error(ErrorKind::kIntegrity,
                "image config " + config.digest.str() + " of " + ref.str() + " is not JSON");
  }
  return j;
}

json manifest_entry(const registry::RawManifest& m) {
  return {{"Digest", m.descriptor.digest.str()},
          {"MediaType", m.descriptor.media_type},
          {"Size", m.descriptor.size},
          {"Raw", m.body}};
}

// The platforms an index offers, as "os/arch[/variant]" strings, in its order.
json index_platforms(const std::string& body) {
  json out = json::array();
  json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("manifests") || !j["manifests"].is_array()) return out;
  for (const auto& e : j["manifests"]) {
    if (!e.is_object() || !e.contains("platform")) continue;
    try {
      out.push_back(e["platform"].get<common::Platform>().str());
    } catch (const std::exception& ex) {
      // An entry without a usable platform (an attestation, say) is not a platform offered.
      common::log::debug(std::string("index entry without a usable platform: ") + ex.what());
    }
  }
  return out;
}

}  // namespace

json inspect_remote_image(const std::string& reference, const std::string& platform,
                          const RegistryFlags& flags) {
  registry::ClientOptions options = registry_client_options(flags);
  registry::Reference ref = registry::parse_reference(reference);
  common::Platform wanted =
      platform.empty() ? common::Platform::host() : common::Platform::parse(platform);
  registry::Client client(std::move(options));
  registry::ResolvedImage img = client.resolve(ref, wanted);
  json cfg = fetch_config(client, ref, img.config);

  int64_t size = 0;
  for (const auto& l : img.layers) size += l.size;
  json repo_tags = json::array();
  if (!ref.tag.empty() && !ref.digest) repo_tags.push_back(ref.familiar());
  json out = {
      {"Id", img.config.digest.str()},
      {"Name", ref.name()},
      {"RepoTags", repo_tags},
      {"RepoDigests", json::array({ref.name() + "@" + img.root.descriptor.digest.str()})},
      {"Parent", ""},
  };
  out.update(inspect_config_fields(cfg));
  out["Size"] = size;
  out["Manifest"] = manifest_entry(img.manifest);
  if (common::media_type::is_index(img.root.descriptor.media_type)) {
    out["Index"] = manifest_entry(img.root);
    out["Index"]["Platforms"] = index_platforms(img.root.body);
  }
  return out;
}

}  // namespace mybuild::image
