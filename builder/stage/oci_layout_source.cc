#include "builder/stage/oci_layout_source.h"

#include <fcntl.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "common/error.h"
#include "common/io.h"
#include "image/local_image.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;
using nlohmann::json;

constexpr const char* kOciRefName = "org.opencontainers.image.ref.name";

[[noreturn]] void layout_error(ErrorKind kind, const OciLayoutRef& ref, const std::string& why) {
  throw Error(kind, "build context oci-layout://" + ref.dir.string() + ": " + why);
}

std::filesystem::path layout_blob(const OciLayoutRef& ref, const common::Digest& d) {
  const std::string& text = d.str();
  const size_t colon = text.find(':');
  return ref.dir / "blobs" / text.substr(0, colon) / text.substr(colon + 1);
}

// Copies one blob of the layout into the store, verified; false when the layout lacks it.
bool copy_layout_blob(const snapshot::ContentStore& content, const OciLayoutRef& ref,
                      const common::Descriptor& d) {
  if (content.contains(d.digest)) return true;
  const std::filesystem::path file = layout_blob(ref, d.digest);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return false;
  common::FdReader in(common::open_file(file, O_RDONLY | O_CLOEXEC));
  auto writer = content.writer("oci-layout " + d.digest.str());
  common::copy_stream(in, *writer);
  writer->commit(d.size, d.digest);
  return true;
}

// The blob and what it names (an index's manifests, a manifest's config and layers), as far
// as the layout has them: an index may list platforms whose blobs were left out.
void copy_reachable(const snapshot::ContentStore& content, const OciLayoutRef& ref,
                    const common::Descriptor& d, int depth) {
  if (depth > 4 || !copy_layout_blob(content, ref, d)) return;
  if (d.media_type.find("manifest") == std::string::npos &&
      d.media_type.find("index") == std::string::npos) {
    return;
  }
  const json doc = json::parse(content.read_small(d.digest), nullptr, false);
  if (!doc.is_object()) layout_error(ErrorKind::kIntegrity, ref, d.digest.str() + " is not JSON");
  for (const char* key : {"manifests", "layers"}) {
    if (!doc.contains(key) || !doc[key].is_array()) continue;
    for (const auto& child : doc[key])
      copy_reachable(content, ref, child.get<common::Descriptor>(), depth + 1);
  }
  if (doc.contains("config"))
    copy_layout_blob(content, ref, doc["config"].get<common::Descriptor>());
}

// The descriptor in index.json the reference picks.
common::Descriptor pick_root(const OciLayoutRef& ref) {
  std::ifstream in(ref.dir / "index.json");
  if (!in) layout_error(ErrorKind::kNotFound, ref, "no index.json (not an OCI image layout)");
  std::stringstream text;
  text << in.rdbuf();
  const json index = json::parse(text.str(), nullptr, false);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array()) {
    layout_error(ErrorKind::kIntegrity, ref, "index.json has no manifests list");
  }
  std::vector<common::Descriptor> found;
  for (const auto& m : index["manifests"]) {
    auto d = m.get<common::Descriptor>();
    auto name = d.annotations.find(kOciRefName);
    const bool tag_ok = ref.tag.empty() || (name != d.annotations.end() && name->second == ref.tag);
    if (tag_ok && (!ref.digest || d.digest == *ref.digest)) found.push_back(d);
  }
  if (found.empty()) {
    layout_error(ErrorKind::kNotFound, ref,
                 "no image " + (ref.digest ? ref.digest->str() : "tagged \"" + ref.tag + "\""));
  }
  if (found.size() > 1) {
    layout_error(
        ErrorKind::kNotFound, ref,
        "it holds " + std::to_string(found.size()) + " images: name one with :TAG or @DIGEST");
  }
  return found.front();
}

}  // namespace

OciLayoutRef parse_oci_layout_ref(std::string_view value) {
  std::string_view rest =
      value.substr(value.starts_with(kOciLayoutContext) ? kOciLayoutContext.size() : 0);
  OciLayoutRef ref;
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    ref.digest = common::Digest::try_parse(rest.substr(at + 1));
    if (!ref.digest) {
      throw Error(ErrorKind::kUsage, "build context " + std::string(value) + ": bad digest");
    }
    rest = rest.substr(0, at);
  }
  const size_t slash = rest.rfind('/');
  if (size_t colon = rest.rfind(':');
      colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
  }
  if (rest.empty())
    throw Error(ErrorKind::kUsage, "build context " + std::string(value) + ": no path");
  ref.dir = std::string(rest);
  return ref;
}

image::LocalImage load_oci_layout_image(const snapshot::ContentStore& content,
                                        std::string_view value, const common::Platform& platform) {
  const OciLayoutRef ref = parse_oci_layout_ref(value);
  const common::Descriptor root = pick_root(ref);
  copy_reachable(content, ref, root, 0);
  std::optional<image::LocalImage> image =
      image::resolve_local_image(content, root, {.wanted = platform}, std::string(value));
  if (!image) {
    layout_error(ErrorKind::kNotFound, ref,
                 "no complete image for " + platform.str() + " (" + root.digest.str() + ")");
  }
  return *image;
}

}  // namespace mybuild::builder
