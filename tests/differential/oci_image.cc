#include "tests/differential/oci_image.h"

#include <archive.h>
#include <archive_entry.h>

#include <array>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "common/digest.h"

namespace mybuild::differential {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

fs::path blob_path(const fs::path& layout, const std::string& digest) {
  if (digest.rfind("sha256:", 0) != 0) throw std::runtime_error("not a sha256 digest: " + digest);
  return layout / "blobs" / "sha256" / digest.substr(7);
}

json read_blob_json(const fs::path& layout, const std::string& digest) {
  return json::parse(read_all(blob_path(layout, digest)));
}

// "./a/b/" -> "a/b"; "/" and "./" -> "".
std::string clean_path(std::string p) {
  while (p.rfind("./", 0) == 0) p.erase(0, 2);
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (p == ".") p.clear();
  return p;
}

std::string printable(const void* data, size_t size) {
  const auto* b = static_cast<const unsigned char*>(data);
  bool text = true;
  for (size_t i = 0; i < size; ++i) text = text && b[i] >= 0x20 && b[i] < 0x7f;
  if (text) return std::string(reinterpret_cast<const char*>(b), size);
  return "hex:" + common::to_hex({b, size});
}

Entry::Type entry_type(struct archive_entry* e) {
  if (archive_entry_hardlink(e) != nullptr) return Entry::kHardlink;
  switch (archive_entry_filetype(e)) {
    case AE_IFDIR:
      return Entry::kDir;
    case AE_IFLNK:
      return Entry::kSymlink;
    case AE_IFCHR:
      return Entry::kChar;
    case AE_IFBLK:
      return Entry::kBlock;
    case AE_IFIFO:
      return Entry::kFifo;
    default:
      return Entry::kFile;
  }
}

// Whiteout names become entries naming what they delete (OCI image-spec layer.md).
void apply_whiteout_name(Entry& entry) {
  fs::path p(entry.path);
  std::string base = p.filename().string();
  std::string parent = p.parent_path().string();
  if (base == ".wh..wh..opq") {
    entry.type = Entry::kOpaque;
    entry.path = parent;
  } else if (base.rfind(".wh.", 0) == 0) {
    entry.type = Entry::kWhiteout;
    entry.path = parent.empty() ? base.substr(4) : parent + "/" + base.substr(4);
  }
}

Entry read_entry(struct archive* a, struct archive_entry* e) {
  Entry entry;
  entry.path = clean_path(archive_entry_pathname(e));
  entry.type = entry_type(e);
  entry.mode = static_cast<int>(archive_entry_perm(e)) & 07777;
  entry.uid = archive_entry_uid(e);
  entry.gid = archive_entry_gid(e);
  entry.mtime = archive_entry_mtime(e);
  if (entry.type == Entry::kSymlink) entry.link = archive_entry_symlink(e);
  if (entry.type == Entry::kHardlink) entry.link = clean_path(archive_entry_hardlink(e));
  const char* name;
  const void* value;
  size_t size;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    entry.xattrs[name] = printable(value, size);
  }
  if (entry.type == Entry::kFile) {
    common::Sha256 hash;
    std::array<char, 1 << 16> buf;
    la_ssize_t n;
    while ((n = archive_read_data(a, buf.data(), buf.size())) > 0) {
      hash.update(buf.data(), static_cast<size_t>(n));
    }
    if (n < 0) throw std::runtime_error(archive_error_string(a));
    entry.size = static_cast<int64_t>(hash.bytes());
    entry.sha256 = hash.finish().str();
  }
  apply_whiteout_name(entry);
  return entry;
}

Layer read_layer(const fs::path& layout, const std::string& digest) {
  std::unique_ptr<struct archive, decltype(&archive_read_free)> a(archive_read_new(),
                                                                  archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  std::string file = blob_path(layout, digest).string();
  if (archive_read_open_filename(a.get(), file.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw std::runtime_error("layer " + digest + ": " + archive_error_string(a.get()));
  }
  Layer layer{digest, {}};
  struct archive_entry* e;
  int r;
  while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    Entry entry = read_entry(a.get(), e);
    if (!entry.path.empty()) layer.entries.push_back(std::move(entry));
  }
  if (r != ARCHIVE_EOF) {
    throw std::runtime_error("layer " + digest + ": " + archive_error_string(a.get()));
  }
  return layer;
}

}  // namespace

std::vector<std::string> list_refs(const fs::path& layout) {
  std::vector<std::string> refs;
  json index = json::parse(read_all(layout / "index.json"));
  for (const auto& m : index.value("manifests", json::array())) {
    refs.push_back(m.value("annotations", json::object())
                       .value("org.opencontainers.image.ref.name", std::string()));
  }
  return refs;
}

Image read_oci_image(const fs::path& layout, const std::string& ref) {
  json index = json::parse(read_all(layout / "index.json"));
  std::string manifest_digest;
  for (const auto& m : index.value("manifests", json::array())) {
    if (m.value("annotations", json::object())
            .value("org.opencontainers.image.ref.name", std::string()) == ref) {
      manifest_digest = m.at("digest");
    }
  }
  if (manifest_digest.empty()) {
    throw std::runtime_error("no image named " + ref + " in " + layout.string());
  }
  json manifest = read_blob_json(layout, manifest_digest);
  Image image;
  image.config = read_blob_json(layout, manifest.at("config").at("digest"));
  for (const auto& l : manifest.at("layers"))
    image.layers.push_back(read_layer(layout, l.at("digest")));
  return image;
}

}  // namespace mybuild::differential
