#include "image/import.h"

#include <fcntl.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/descriptor.h"
#include "common/error.h"
#include "common/io.h"
#include "common/media_types.h"
#include "common/time.h"
#include "image/config.h"
#include "registry/reference.h"
#include "snapshot/compression.h"
#include "snapshot/content_store.h"
#include "snapshot/database.h"
#include "snapshot/image_store.h"
#include "snapshot/leases.h"

namespace mybuild::image {

using common::Error;
using common::ErrorKind;

namespace {

int64_t created_time(const ImportOptions& options) {
  if (options.created) return *options.created;
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde != nullptr && *sde != '\0') {
    return std::strtoll(sde, nullptr, 10);
  }
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Reads the first tar header (512 bytes) so that a file that is not a tar fails here, not
// at the first `RUN` on the image.
std::string read_tar_header(common::Reader& in, const std::filesystem::path& tarball) {
  std::string header(512, '\0');
  const size_t got = common::read_up_to(in, header);
  header.resize(got);
  // POSIX ustar and GNU tar both have "ustar" at offset 257 (an all-zero block is an empty tar).
  bool empty_tar = got == 512 && header.find_first_not_of('\0') == std::string::npos;
  if (!empty_tar && (got < 512 || header.compare(257, 5, "ustar") != 0)) {
    throw Error(ErrorKind::kIntegrity, tarball.string() + " is not a tar archive");
  }
  return header;
}

struct StoredLayer {
  common::Descriptor descriptor;
  common::Digest diff_id;
};

StoredLayer store_layer(snapshot::ContentStore& content, const std::filesystem::path& tarball,
                        const ImportOptions& options) {
  snapshot::Compression compression = snapshot::parse_compression(options.compression);
  common::FdReader file(common::open_file(tarball, O_RDONLY));
  auto plain = snapshot::open_decompressed(file);
  std::string header = read_tar_header(*plain, tarball);

  auto writer = content.writer("import " + tarball.filename().string());
  auto compressor = snapshot::make_compressor(compression, *writer, options.level);
  common::DigestingWriter tar(*compressor);
  tar.write(header);
  common::copy_stream(*plain, tar);
  compressor->finish();
  StoredLayer layer;
  layer.diff_id = tar.finish();
  layer.descriptor.media_type = std::string(snapshot::layer_media_type(compression));
  layer.descriptor.size = static_cast<int64_t>(writer->bytes_written());
  layer.descriptor.digest = writer->commit();
  return layer;
}

}  // namespace

ImportResult import_rootfs(const std::filesystem::path& store_root,
                           const std::filesystem::path& tarball, const std::string& ref,
                           const ImportOptions& options) {
  registry::Reference name = registry::parse_reference(ref);
  if (name.digest) throw Error(ErrorKind::kUsage, "import needs a tag, not a digest: " + ref);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(tarball, ec)) {
    throw Error(ErrorKind::kNotFound, "no such file: " + tarball.string());
  }
  try {
    snapshot::ContentStore content(store_root);
    // Held until the tag is written: what this import writes, or finds present, is a root
    // for a concurrent prune until then (snapshot/leases.h).
    snapshot::Database db(snapshot::metadata_path(store_root));
    snapshot::LeaseGuard lease(db, std::chrono::hours(24), "import " + ref);
    StoredLayer layer = store_layer(content, tarball, options);

    ImageConfig config;
    config.created = common::rfc3339(created_time(options));
    config.platform = options.platform.empty() ? common::Platform::host()
                                               : common::Platform::parse(options.platform);
    config.diff_ids.push_back(layer.diff_id);
    HistoryEntry history;
    history.created = config.created;
    history.created_by = "mybuild import " + tarball.filename().string();
    history.comment =
        options.message.empty() ? "Imported from " + tarball.filename().string() : options.message;
    config.history.push_back(history);
    common::Descriptor config_desc =
        content.put(config.to_json_text(), common::media_type::kOciConfig);

    nlohmann::json manifest = {{"schemaVersion", 2},
                               {"mediaType", common::media_type::kOciManifest},
                               {"config", config_desc},
                               {"layers", nlohmann::json::array({layer.descriptor})}};
    common::Descriptor manifest_desc =
        content.put(manifest.dump(), common::media_type::kOciManifest);
    manifest_desc.platform = config.platform;

    snapshot::ImageStore images(content, db);
    images.tag(name.str(), manifest_desc);

    ImportResult result;
    result.name = name.str();
    result.manifest_digest = manifest_desc.digest.str();
    result.config_digest = config_desc.digest.str();
    result.layer_digest = layer.descriptor.digest.str();
    result.diff_id = layer.diff_id.str();
    result.layer_size = layer.descriptor.size;
    return result;
  } catch (Error& e) {
    e.add_context("importing " + tarball.string() + " as " + ref);
    throw;
  }
}

}  // namespace mybuild::image
