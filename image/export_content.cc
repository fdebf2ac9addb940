// Reading the image to export from the content store: manifests and indexes, blobs streamed
// with their digest checked (containerd's exporter does the same), and the names an export
// carries.
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/media_types.h"
#include "image/export_internal.h"
#include "registry/reference.h"

namespace mybuild::image::export_internal {

using common::Descriptor;
using common::Error;
using common::ErrorKind;

namespace {

// BuildKit's attestation manifests sit in an index beside the images (attestations.md); they
// are not a platform's image.
constexpr std::string_view kReferenceType = "vnd.docker.reference.type";
constexpr std::string_view kAttestation = "attestation-manifest";

nlohmann::json read_json(const snapshot::ContentStore& content, const Descriptor& d,
                         std::string_view what) {
  if (!content.contains(d.digest)) {
    throw Error(ErrorKind::kNotFound,
                std::string(what) + " " + d.digest.str() + " is not in the content store");
  }
  std::string text = content.read_small(d.digest);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    throw Error(ErrorKind::kIntegrity,
                std::string(what) + " " + d.digest.str() + " is not a JSON object");
  }
  return j;
}

std::vector<Descriptor> descriptors(const nlohmann::json& j, const char* key,
                                    const Descriptor& parent) {
  std::vector<Descriptor> out;
  auto it = j.find(key);
  if (it == j.end()) return out;
  if (!it->is_array()) {
    throw Error(ErrorKind::kIntegrity,
                parent.digest.str() + ": \"" + key + "\" is not an array of descriptors");
  }
  for (const auto& item : *it) out.push_back(item.get<Descriptor>());
  return out;
}

std::vector<Descriptor> index_children(const snapshot::ContentStore& content,
                                       const Descriptor& index) {
  return descriptors(read_json(content, index, "index"), "manifests", index);
}

void collect_manifests(const snapshot::ContentStore& content, const Descriptor& d, int depth,
                       std::vector<ImageManifest>& out) {
  if (common::media_type::is_manifest(d.media_type)) {
    out.push_back(read_manifest(content, d));
    return;
  }
  if (!common::media_type::is_index(d.media_type)) {
    throw Error(ErrorKind::kUsage, "cannot export " + d.digest.str() + " of media type \"" +
                                       d.media_type + "\": not an image manifest or index");
  }
  if (depth > 8) throw Error(ErrorKind::kIntegrity, "indexes nested too deep at " + d.digest.str());
  for (const Descriptor& child : index_children(content, d)) {
    auto ref_type = child.annotations.find(std::string(kReferenceType));
    if (ref_type != child.annotations.end() && ref_type->second == kAttestation) continue;
    if (!common::media_type::is_manifest(child.media_type) &&
        !common::media_type::is_index(child.media_type)) {
      continue;  // an artifact beside the images; the layout export still carries it
    }
    collect_manifests(content, child, depth + 1, out);
  }
}

void collect_blobs(const snapshot::ContentStore& content, const Descriptor& d, int depth,
                   std::set<common::Digest>& seen, std::vector<Descriptor>& out) {
  if (!seen.insert(d.digest).second) return;
  out.push_back(d);
  if (depth > 8) throw Error(ErrorKind::kIntegrity, "indexes nested too deep at " + d.digest.str());
  if (common::media_type::is_manifest(d.media_type)) {
    ImageManifest m = read_manifest(content, d);
    collect_blobs(content, m.config, depth + 1, seen, out);
    for (const Descriptor& layer : m.layers) collect_blobs(content, layer, depth + 1, seen, out);
  } else if (common::media_type::is_index(d.media_type)) {
    for (const Descriptor& child : index_children(content, d)) {
      collect_blobs(content, child, depth + 1, seen, out);
    }
  }
}

}  // namespace

ImageManifest read_manifest(const snapshot::ContentStore& content, const Descriptor& d) {
  try {
    nlohmann::json j = read_json(content, d, "manifest");
    ImageManifest m;
    m.descriptor = d;
    auto config = j.find("config");
    if (config == j.end()) throw Error(ErrorKind::kIntegrity, "manifest has no config");
    m.config = config->get<Descriptor>();
    m.layers = descriptors(j, "layers", d);
    return m;
  } catch (Error& e) {
    e.add_context("reading manifest " + d.digest.str());
    throw;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kIntegrity,
                "manifest " + d.digest.str() + " is malformed: " + std::string(e.what()));
  }
}

std::vector<ImageManifest> image_manifests(const snapshot::ContentStore& content,
                                           const Descriptor& root) {
  std::vector<ImageManifest> out;
  try {
    collect_manifests(content, root, 0, out);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kIntegrity,
                "index " + root.digest.str() + " is malformed: " + std::string(e.what()));
  }
  return out;
}

std::vector<Descriptor> reachable_blobs(const snapshot::ContentStore& content,
                                        const Descriptor& root) {
  std::set<common::Digest> seen;
  std::vector<Descriptor> out;
  try {
    collect_blobs(content, root, 0, seen, out);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kIntegrity,
                "index " + root.digest.str() + " is malformed: " + std::string(e.what()));
  }
  return out;
}

VerifyingReader::VerifyingReader(std::unique_ptr<common::Reader> in, Descriptor blob)
    : in_(std::move(in)), blob_(std::move(blob)) {}

size_t VerifyingReader::read(std::span<char> buf) {
  size_t n = in_->read(buf);
  hash_.update(buf.data(), n);
  return n;
}

void VerifyingReader::finish() {
  std::vector<char> buf(common::kCopyBufferSize);
  while (read(buf) > 0) {
  }
  uint64_t size = hash_.bytes();
  common::Digest got = hash_.finish();
  if (static_cast<int64_t>(size) != blob_.size || got != blob_.digest) {
    std::string msg = "blob " + blob_.digest.str();
    msg += " in the content store is corrupt: read ";
    msg += std::to_string(size);
    msg += " bytes with digest ";
    msg += got.str();
    msg += ", expected ";
    msg += std::to_string(blob_.size);
    throw Error(ErrorKind::kIntegrity, std::move(msg));
  }
}

std::unique_ptr<VerifyingReader> open_blob(const snapshot::ContentStore& content,
                                           const Descriptor& d) {
  std::optional<snapshot::BlobInfo> info = content.info(d.digest);
  if (!info) {
    throw Error(ErrorKind::kNotFound, "blob " + d.digest.str() + " is not in the content store");
  }
  if (info->size != d.size) {
    std::string msg = "blob " + d.digest.str();
    msg += " has ";
    msg += std::to_string(info->size);
    msg += " bytes in the content store but its descriptor says ";
    msg += std::to_string(d.size);
    throw Error(ErrorKind::kIntegrity, std::move(msg));
  }
  return std::make_unique<VerifyingReader>(content.open(d.digest), d);
}

ExportName export_name(const std::string& name) {
  ExportName out;
  registry::Reference ref;
  try {
    ref = registry::parse_reference(name);
  } catch (Error& e) {
    e.add_context("image name for the export");
    throw;
  }
  out.full = ref.str();
  out.tag = ref.tag;
  // containerd's ociReferenceName: the reference's "object", i.e. what follows the repository.
  out.ref_name = ref.tag;
  if (ref.digest) out.ref_name += "@" + ref.digest->str();
  out.familiar = ref.familiar();
  out.repository = ref.repository().familiar();
  return out;
}

}  // namespace mybuild::image::export_internal
