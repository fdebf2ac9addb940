#include "tests/build/stored_image.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace mybuild::build_testing {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path blob(const fs::path& layout, const std::string& digest) {
  if (digest.rfind("sha256:", 0) != 0) throw std::runtime_error("not a sha256 digest: " + digest);
  return layout / "blobs/sha256" / digest.substr(7);
}

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};

LayerListing list_layer(const fs::path& file, const std::string& digest, const std::string& type) {
  LayerListing out{digest, type, {}};
  std::unique_ptr<archive, ArchiveCloser> a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), file.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw std::runtime_error("cannot open layer " + digest + ": " + archive_error_string(a.get()));
  }
  archive_entry* e;
  int r;
  while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    FileEntry f;
    mode_t t = archive_entry_filetype(e);
    f.type = S_ISDIR(t)    ? 'd'
             : S_ISLNK(t)  ? 'l'
             : S_ISCHR(t)  ? 'c'
             : S_ISBLK(t)  ? 'b'
             : S_ISFIFO(t) ? 'p'
                           : 'f';
    if (archive_entry_hardlink(e) != nullptr) {
      f.type = 'h';
      f.link = normalise_path(archive_entry_hardlink(e));
    }
    if (f.type == 'l') f.link = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
    f.mode = archive_entry_perm(e) | (archive_entry_mode(e) & 07000);
    f.uid = archive_entry_uid(e);
    f.gid = archive_entry_gid(e);
    f.size = archive_entry_size(e);
    f.mtime = archive_entry_mtime(e);
    if (f.type == 'f' && f.size <= (1 << 20)) {
      f.content.resize(static_cast<size_t>(f.size));
      la_ssize_t n =
          f.size > 0 ? archive_read_data(a.get(), f.content.data(), f.content.size()) : 0;
      if (n < 0 || n != f.size) throw std::runtime_error("short read in layer " + digest);
    }
    out.entries.emplace_back(normalise_path(archive_entry_pathname(e)), std::move(f));
  }
  if (r != ARCHIVE_EOF) {
    throw std::runtime_error("corrupt layer " + digest + ": " + archive_error_string(a.get()));
  }
  return out;
}

bool under(const std::string& path, const std::string& dir) {
  return dir.empty() || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

void erase_tree(std::map<std::string, FileEntry>& files, const std::string& dir, bool self) {
  for (auto it = files.begin(); it != files.end();) {
    if ((self && it->first == dir) || under(it->first, dir)) {
      it = files.erase(it);
    } else {
      ++it;
    }
  }
}

// OCI image-spec layer.md: ".wh.NAME" deletes NAME, ".wh..wh..opq" hides the lower children of
// its directory. Both apply to the layers below, so they go first, then this layer's entries.
void apply_layer(std::map<std::string, FileEntry>& files, const LayerListing& layer) {
  for (const auto& [path, entry] : layer.entries) {
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (name == ".wh..wh..opq") {
      erase_tree(files, dir, false);
    } else if (name.rfind(".wh.", 0) == 0) {
      erase_tree(files, (dir.empty() ? "" : dir + "/") + name.substr(4), true);
    }
  }
  for (const auto& [path, entry] : layer.entries) {
    auto slash = path.rfind('/');
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (name.rfind(".wh.", 0) == 0 || path.empty()) continue;
    if (entry.type != 'd') erase_tree(files, path, false);
    files[path] = entry;
  }
}

}  // namespace

std::string normalise_path(std::string p) {
  while (p.rfind("./", 0) == 0) p.erase(0, 2);
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (p == ".") p.clear();
  return p;
}

const FileEntry* StoredImage::find(const std::string& path) const {
  auto it = files.find(normalise_path(path));
  return it == files.end() ? nullptr : &it->second;
}

std::string StoredImage::content(const std::string& path) const {
  const FileEntry* f = find(path);
  if (f == nullptr) return "<missing>";
  if (f->type == 'h') return content(f->link);
  return f->content;
}

const json& StoredImage::runtime() const {
  static const json empty = json::object();
  if (config.contains("config") && config["config"].is_object()) return config["config"];
  return empty;
}

std::vector<std::string> StoredImage::env() const {
  if (!runtime().contains("Env")) return {};
  return runtime()["Env"].get<std::vector<std::string>>();
}

std::vector<std::string> StoredImage::build_history() const {
  std::vector<std::string> out;
  if (!config.contains("history")) return out;
  for (const auto& h : config["history"]) {
    if (h.value("comment", "") == "buildkit.dockerfile.v0")
      out.push_back(h.value("created_by", ""));
  }
  return out;
}

bool StoredImage::layer_has(size_t i, const std::string& path) const {
  if (i >= layers.size()) return false;
  std::string p = normalise_path(path);
  for (const auto& [name, entry] : layers[i].entries) {
    if (name == p || under(name, p)) return true;
  }
  return false;
}

std::optional<std::string> find_manifest(const fs::path& layout, const std::string& ref) {
  json index = json::parse(read_text(layout / "index.json"));
  std::vector<std::string> names = {ref};
  std::string base = ref;
  const std::string hub = "docker.io/library/";
  if (base.rfind(hub, 0) == 0) base = base.substr(hub.size());
  auto last = base.find_last_of("/:");
  if (last == std::string::npos || base[last] == '/') base += ":latest";
  names.push_back(base);
  names.push_back(hub + base);
  for (const auto& name : names) {
    for (const auto& m : index.value("manifests", json::array())) {
      if (m.contains("annotations") &&
          m["annotations"].value("org.opencontainers.image.ref.name", "") == name) {
        return m["digest"].get<std::string>();
      }
    }
  }
  return std::nullopt;
}

StoredImage read_manifest(const fs::path& layout, const std::string& digest) {
  StoredImage img;
  img.manifest_digest = digest;
  img.manifest = json::parse(read_text(blob(layout, digest)));
  img.config = json::parse(read_text(blob(layout, img.manifest["config"]["digest"])));
  for (const auto& l : img.manifest["layers"]) {
    img.layers.push_back(
        list_layer(blob(layout, l["digest"]), l["digest"], l.value("mediaType", "")));
    apply_layer(img.files, img.layers.back());
  }
  return img;
}

StoredImage read_stored_image(const fs::path& layout, const std::string& ref) {
  auto digest = find_manifest(layout, ref);
  if (!digest) throw std::runtime_error("no image tagged " + ref + " in " + layout.string());
  return read_manifest(layout, *digest);
}

}  // namespace mybuild::build_testing
