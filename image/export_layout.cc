// type=oci and type=docker: the image as an OCI image layout (image-spec image-layout.md),
// written as containerd's archive exporter writes it for BuildKit:
//   oci-layout, index.json (one entry per name: io.containerd.image.name = the full name,
//   org.opencontainers.image.ref.name = its tag), blobs/<alg>/<hex>;
// type=docker adds `docker save`'s manifest.json ([{Config, RepoTags, Layers}], paths into
// blobs/) and `repositories`, so the one tar is both a layout and a docker-load archive.
//
// The tar is reproducible: entries sorted by name, mtime 0, owner 0:0, fixed modes (blobs and
// oci-layout 0444, the JSON files 0644, directories 0755). Blobs stream from the content store
// through the tar writer with their digests checked; none is read whole.
//
// type=oci,tar=false writes a directory. Into an existing directory it adds, as BuildKit does
// (client/ociindex): new blobs each appear atomically, and index.json is rewritten under
// index.json.lock with entries of the same names replaced.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/media_types.h"
#include "image/export_internal.h"
#include "snapshot/image_store.h"
#include "snapshot/tar_writer.h"

namespace mybuild::image::export_internal {

namespace fs = std::filesystem;
using common::Descriptor;
using common::Error;
using common::ErrorKind;

namespace {

constexpr std::string_view kImageNameAnnotation = "io.containerd.image.name";
constexpr std::string_view kLayoutFile = R"({"imageLayoutVersion":"1.0.0"})";

std::string blob_path(const common::Digest& d) {
  std::string p = "blobs/";
  p += d.algorithm();
  p += '/';
  p += d.hex();
  return p;
}

// containerd's WithManifest: one index entry per name, or the bare descriptor when unnamed.
std::vector<Descriptor> named_entries(const Descriptor& root,
                                      const std::vector<std::string>& names) {
  if (names.empty()) return {root};
  std::vector<Descriptor> out;
  std::set<std::string> seen;
  for (const std::string& name : names) {
    ExportName n = export_name(name);
    if (!seen.insert(n.full).second) continue;  // "app" and "app:latest" are one name
    Descriptor d = root;
    d.annotations[std::string(kImageNameAnnotation)] = n.full;
    d.annotations[std::string(snapshot::kRefNameAnnotation)] = n.ref_name;
    out.push_back(std::move(d));
  }
  return out;
}

std::string index_json(const std::vector<Descriptor>& manifests) {
  nlohmann::json index = {
      {"schemaVersion", 2}, {"mediaType", common::media_type::kOciIndex}, {"manifests", manifests}};
  return index.dump();
}

// `docker save`'s manifest.json (moby image/tarexport), with BuildKit's paths into blobs/.
std::string docker_manifest_json(const ImageManifest& m, const std::vector<std::string>& names) {
  nlohmann::json item;
  item["Config"] = blob_path(m.config.digest);
  nlohmann::json tags = nlohmann::json::array();
  for (const std::string& name : names) {
    std::string tag = export_name(name).familiar;
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
  }
  item["RepoTags"] = names.empty() ? nlohmann::json(nullptr) : tags;
  nlohmann::json layers = nlohmann::json::array();
  for (const Descriptor& l : m.layers) layers.push_back(blob_path(l.digest));
  item["Layers"] = layers;
  return nlohmann::json::array({item}).dump();
}

// The legacy `repositories` file: {"repo": {"tag": "<hex of the top layer>"}}, as docker save
// (since 25) writes it; loaders that read manifest.json ignore it.
std::string repositories_json(const ImageManifest& m, const std::vector<std::string>& names) {
  nlohmann::json repos = nlohmann::json::object();
  if (!m.layers.empty()) {
    for (const std::string& name : names) {
      ExportName n = export_name(name);
      if (!n.tag.empty()) repos[n.repository][n.tag] = std::string(m.layers.back().digest.hex());
    }
  }
  return repos.dump();
}

struct Record {
  std::string name;  // as in the tar; directories end in '/'
  snapshot::TarEntry::Type type = snapshot::TarEntry::Type::kFile;
  uint32_t mode = 0644;
  std::string data;                // a small file's content
  std::optional<Descriptor> blob;  // or a blob streamed from the store
};

struct Layout {
  std::vector<Descriptor> index_entries;
  std::vector<Descriptor> blobs;
  std::vector<Record> extra_files;  // docker's manifest.json and repositories
};

Layout plan_layout(const snapshot::ContentStore& content, const Descriptor& root,
                   const std::vector<std::string>& names, bool docker) {
  Layout layout;
  Descriptor top = root;
  if (docker) {
    std::vector<ImageManifest> images = image_manifests(content, root);
    if (images.size() != 1) {
      throw Error(ErrorKind::kUsage,
                  "type=docker holds one image, and this one has " + std::to_string(images.size()) +
                      " platforms (docker load cannot take a manifest list); use type=oci");
    }
    top = images[0].descriptor;
    layout.extra_files.push_back({"manifest.json", snapshot::TarEntry::Type::kFile, 0644,
                                  docker_manifest_json(images[0], names), std::nullopt});
    layout.extra_files.push_back({"repositories", snapshot::TarEntry::Type::kFile, 0644,
                                  repositories_json(images[0], names), std::nullopt});
  }
  layout.index_entries = named_entries(top, names);
  layout.blobs = reachable_blobs(content, top);
  return layout;
}

std::vector<Record> tar_records(const Layout& layout) {
  std::vector<Record> records = layout.extra_files;
  records.push_back({"oci-layout", snapshot::TarEntry::Type::kFile, 0444, std::string(kLayoutFile),
                     std::nullopt});
  records.push_back({"index.json", snapshot::TarEntry::Type::kFile, 0644,
                     index_json(layout.index_entries), std::nullopt});
  records.push_back({"blobs/", snapshot::TarEntry::Type::kDir, 0755, {}, std::nullopt});
  for (const Descriptor& d : layout.blobs) {
    std::string dir = "blobs/";
    dir += d.digest.algorithm();
    dir += '/';
    records.push_back({dir, snapshot::TarEntry::Type::kDir, 0755, {}, std::nullopt});
    records.push_back({blob_path(d.digest), snapshot::TarEntry::Type::kFile, 0444, {}, d});
  }
  std::sort(records.begin(), records.end(),
            [](const Record& a, const Record& b) { return a.name < b.name; });
  records.erase(std::unique(records.begin(), records.end(),
                            [](const Record& a, const Record& b) { return a.name == b.name; }),
                records.end());
  return records;
}

void write_tar(const snapshot::ContentStore& content, const std::vector<Record>& records,
               common::Writer& out) {
  snapshot::TarWriter tar(out);
  for (const Record& r : records) {
    snapshot::TarEntry e;
    e.path = r.name;
    e.type = r.type;
    e.mode = r.mode;
    if (r.blob) {
      e.size = r.blob->size;
      auto in = open_blob(content, *r.blob);
      tar.add_file(e, *in);
      in->finish();
    } else if (r.type == snapshot::TarEntry::Type::kFile) {
      e.size = static_cast<int64_t>(r.data.size());
      tar.add(e);
      tar.write_data(r.data);
    } else {
      tar.add(e);
    }
  }
  tar.finish();
}

// ---- directory layouts ----

// index.json.lock, BuildKit's lock name, so mybuild and buildx writing one layout agree.
class IndexLock {
 public:
  explicit IndexLock(const fs::path& dir) : path_(dir / "index.json.lock") {
    fd_ = common::open_file(path_, O_RDWR | O_CREAT, 0644);
    for (int attempt = 0; ::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0; ++attempt) {
      if (errno != EWOULDBLOCK) common::throw_errno("flock", path_.string());
      if (attempt == 200) {
        throw Error(ErrorKind::kResource,
                    path_.string() + " is held by another process writing this layout");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~IndexLock() { ::unlink(path_.c_str()); }
  IndexLock(const IndexLock&) = delete;
  IndexLock& operator=(const IndexLock&) = delete;

 private:
  fs::path path_;
  common::UniqueFd fd_;
};

void make_dir(const fs::path& p) {
  if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) common::throw_errno("mkdir", p.string());
}

// A blob already in the layout is kept (the layout is content-addressed, as containerd's local
// store trusts it); a new one is streamed to a temp name, verified, and renamed into place.
void add_blob(const snapshot::ContentStore& content, const Descriptor& d, const fs::path& dir) {
  fs::path target = dir / blob_path(d.digest);
  struct stat st {};
  if (::lstat(target.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == d.size) return;
  make_dir(target.parent_path());
  fs::path temp = temp_name_beside(target);
  try {
    common::UniqueFd fd = common::open_file(temp, O_WRONLY | O_CREAT | O_EXCL, 0444);
    common::FdWriter raw(fd.get());
    common::BufferedWriter out(raw);
    auto in = open_blob(content, d);
    common::copy_stream(*in, out);
    out.flush();
    in->finish();
    if (::fsync(fd.get()) != 0) common::throw_errno("fsync", temp.string());
    if (::rename(temp.c_str(), target.c_str()) != 0) {
      common::throw_errno("rename", temp.string() + " -> " + target.string());
    }
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
}

// BuildKit's insertDesc: an entry with the same image name and ref name is replaced.
void insert_entry(nlohmann::json& manifests, const Descriptor& d) {
  auto annotation = [](const nlohmann::json& m, std::string_view key) -> std::string {
    auto a = m.find("annotations");
    if (a == m.end() || !a->is_object()) return {};
    auto v = a->find(std::string(key));
    return v != a->end() && v->is_string() ? v->get<std::string>() : std::string();
  };
  nlohmann::json entry = d;
  std::string ref = annotation(entry, snapshot::kRefNameAnnotation);
  std::string image = annotation(entry, kImageNameAnnotation);
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& m : manifests) {
    bool same_name = !ref.empty() && annotation(m, snapshot::kRefNameAnnotation) == ref &&
                     annotation(m, kImageNameAnnotation) == image;
    if (!same_name && m != entry) kept.push_back(m);
  }
  kept.push_back(std::move(entry));
  manifests = std::move(kept);
}

void update_index(const fs::path& dir, const std::vector<Descriptor>& entries) {
  fs::path path = dir / "index.json";
  nlohmann::json index = {{"schemaVersion", 2}, {"mediaType", common::media_type::kOciIndex}};
  std::error_code ec;
  if (fs::exists(path, ec)) {
    index = nlohmann::json::parse(common::read_file(path), nullptr, false);
    if (!index.is_object() || (index.contains("manifests") && !index["manifests"].is_array())) {
      throw Error(ErrorKind::kIntegrity, path.string() + " is not an OCI image index");
    }
    if (!index.contains("schemaVersion")) index["schemaVersion"] = 2;
    if (!index.contains("mediaType")) index["mediaType"] = common::media_type::kOciIndex;
  }
  nlohmann::json manifests = index.value("manifests", nlohmann::json::array());
  for (const Descriptor& d : entries) insert_entry(manifests, d);
  index["manifests"] = std::move(manifests);
  write_small_file(path, index.dump(), 0644);
}

void write_layout_dir(const snapshot::ContentStore& content, const Layout& layout,
                      const fs::path& dir) {
  IndexLock lock(dir);
  fs::path layout_file = dir / "oci-layout";
  std::error_code ec;
  if (!fs::exists(layout_file, ec)) write_small_file(layout_file, kLayoutFile, 0444);
  make_dir(dir / "blobs");
  for (const Descriptor& d : layout.blobs) add_blob(content, d, dir);
  update_index(dir, layout.index_entries);
}

}  // namespace

void export_layout(const snapshot::ContentStore& content, const Descriptor& root,
                   const std::vector<std::string>& names, const OutputSpec& spec) {
  bool docker = spec.type == "docker";
  if (!spec.tar) {
    bool exists = check_dir_dest(spec.dest, spec.type);
    Layout layout = plan_layout(content, root, names, docker);
    if (exists) {
      write_layout_dir(content, layout, spec.dest);
      return;
    }
    fs::path dest(spec.dest);
    TempOutputDir temp(dest.parent_path().empty() ? fs::path(".") : dest.parent_path(),
                       dest.filename().string());
    if (::chmod(temp.path().c_str(), 0755) != 0) common::throw_errno("chmod", temp.path().string());
    write_layout_dir(content, layout, temp.path());
    temp.rename_to(dest);
    return;
  }
  check_file_dest(spec.dest, spec.type);
  std::vector<Record> records = tar_records(plan_layout(content, root, names, docker));
  OutputFile out(spec.dest);
  write_tar(content, records, out.writer());
  out.commit();
}

}  // namespace mybuild::image::export_internal
