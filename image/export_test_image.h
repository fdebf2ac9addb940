// Test images for the exporter tests (builder/export_*_test.cc, tests/export): layers written
// entry by entry with snapshot::TarWriter (so whiteouts and owners are exactly what the test
// says), compressed as asked, stored with a config and a manifest as image/import.cc does.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/descriptor.h"
#include "common/digest.h"
#include "common/io.h"
#include "common/media_types.h"
#include "image/config.h"
#include "snapshot/compression.h"
#include "snapshot/content_store.h"
#include "snapshot/tar_writer.h"

namespace mybuild::image::export_testing {

struct TestEntry {
  snapshot::TarEntry entry;
  std::string data;  // kFile content (entry.size is set from it)
};

inline TestEntry file(std::string path, std::string data, uint32_t mode = 0644) {
  TestEntry e;
  e.entry.path = std::move(path);
  e.entry.mode = mode;
  e.entry.mtime = 1700000000;
  e.data = std::move(data);
  return e;
}
inline TestEntry dir(std::string path, uint32_t mode = 0755) {
  TestEntry e = file(std::move(path), "", mode);
  e.entry.type = snapshot::TarEntry::Type::kDir;
  return e;
}
inline TestEntry symlink(std::string path, std::string target) {
  TestEntry e = file(std::move(path), "", 0777);
  e.entry.type = snapshot::TarEntry::Type::kSymlink;
  e.entry.link = std::move(target);
  return e;
}
// OCI image-spec layer.md: ".wh.<name>" deletes <name> from the layers below.
inline TestEntry whiteout(const std::string& dir_path, const std::string& name) {
  return file(dir_path.empty() ? ".wh." + name : dir_path + "/.wh." + name, "", 0644);
}

struct StoredLayer {
  common::Descriptor descriptor;
  common::Digest diff_id;
};

inline StoredLayer put_layer(const snapshot::ContentStore& content,
                             const std::vector<TestEntry>& entries,
                             snapshot::Compression compression = snapshot::Compression::kGzip) {
  auto writer = content.writer("test layer");
  auto compressor = snapshot::make_compressor(compression, *writer);
  common::DigestingWriter tar_bytes(*compressor);
  {
    snapshot::TarWriter tar(tar_bytes);
    for (const TestEntry& e : entries) {
      snapshot::TarEntry entry = e.entry;
      if (entry.type == snapshot::TarEntry::Type::kFile) {
        entry.size = static_cast<int64_t>(e.data.size());
        tar.add(entry);
        tar.write_data(e.data);
      } else {
        tar.add(entry);
      }
    }
    tar.finish();
  }
  compressor->finish();
  StoredLayer layer;
  layer.diff_id = tar_bytes.finish();
  layer.descriptor.media_type = std::string(snapshot::layer_media_type(compression));
  layer.descriptor.size = static_cast<int64_t>(writer->bytes_written());
  layer.descriptor.digest = writer->commit();
  return layer;
}

struct TestImage {
  common::Descriptor manifest;
  common::Descriptor config;
  std::vector<StoredLayer> layers;
};

inline TestImage put_image(const snapshot::ContentStore& content,
                           const std::vector<StoredLayer>& layers,
                           const common::Platform& platform = common::Platform::host(),
                           std::vector<std::string> cmd = {"/bin/sh"}) {
  ImageConfig config;
  config.created = "2023-11-14T22:13:20Z";
  config.platform = platform;
  config.config.cmd = std::move(cmd);
  nlohmann::json layer_descs = nlohmann::json::array();
  for (const StoredLayer& l : layers) {
    config.diff_ids.push_back(l.diff_id);
    HistoryEntry h;
    h.created = config.created;
    h.created_by = "test layer";
    config.history.push_back(h);
    layer_descs.push_back(l.descriptor);
  }
  TestImage image;
  image.layers = layers;
  image.config = content.put(config.to_json_text(), common::media_type::kOciConfig);
  nlohmann::json manifest = {{"schemaVersion", 2},
                             {"mediaType", common::media_type::kOciManifest},
                             {"config", image.config},
                             {"layers", layer_descs}};
  image.manifest = content.put(manifest.dump(), common::media_type::kOciManifest);
  image.manifest.platform = platform;
  return image;
}

// The two-layer image most tests export: layer 2 changes a file, deletes one with a whiteout
// and empties d/ with an opaque whiteout.
inline TestImage put_whiteout_image(
    const snapshot::ContentStore& content,
    snapshot::Compression compression = snapshot::Compression::kGzip) {
  StoredLayer base = put_layer(
      content,
      {dir("a"), file("a/keep", "keep"), file("a/gone", "gone"), dir("d"), file("d/old", "old"),
       symlink("link", "a/keep"), file("bin/tool", "#!/bin/sh\n", 0755)},
      compression);
  StoredLayer top = put_layer(content,
                              {dir("a"), whiteout("a", "gone"), file("a/keep", "changed"), dir("d"),
                               file("d/.wh..wh..opq", ""), file("d/new", "new")},
                              compression);
  return put_image(content, {base, top});
}

// A tar's entries in order, as "name type mode uid:gid mtime size" lines, plus file contents
// for small files; read with libarchive.
struct TarListing {
  std::vector<std::string> names;
  std::map<std::string, std::string> lines;
  std::map<std::string, std::string> data;
};

inline TarListing list_tar(const std::string& bytes) {
  TarListing out;
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) return out;
  archive_entry* e = nullptr;
  while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(e);
    std::string line = std::to_string(archive_entry_filetype(e));
    line += " ";
    line += std::to_string(archive_entry_perm(e));
    line += " ";
    line += std::to_string(archive_entry_uid(e)) + ":" + std::to_string(archive_entry_gid(e));
    line += " ";
    line += std::to_string(archive_entry_mtime(e));
    line += " ";
    line += std::to_string(archive_entry_size(e));
    out.names.push_back(name);
    out.lines[name] = line;
    std::string data;
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) {
      data.append(buf, static_cast<size_t>(n));
    }
    out.data[name] = std::move(data);
  }
  return out;
}

}  // namespace mybuild::image::export_testing
