// type=tar and type=local: the image's final filesystem, every layer applied in order with
// whiteouts honoured (snapshot::apply_layer into a scratch directory), then written as one
// uncompressed tar (snapshot::write_tree_layer) or moved to dest. An image with several
// platforms gets one <os>_<arch>[_<variant>] directory each, as BuildKit's local exporter does.
//
// Every layer is checked twice on the way: its blob digest (VerifyingReader) and its diff_id
// against the config's rootfs.diff_ids.
#include <fcntl.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "image/export_internal.h"
#include "snapshot/extract.h"
#include "snapshot/layer_writer.h"

namespace mybuild::image::export_internal {

namespace fs = std::filesystem;
using common::Descriptor;
using common::Error;
using common::ErrorKind;

namespace {

std::vector<common::Digest> diff_ids(const snapshot::ContentStore& content,
                                     const ImageManifest& m) {
  auto in = open_blob(content, m.config);
  std::string text = common::read_all(*in, 16 << 20);
  in->finish();
  nlohmann::json config = nlohmann::json::parse(text, nullptr, false);
  std::vector<common::Digest> out;
  if (config.is_object() && config.contains("rootfs") && config["rootfs"].is_object() &&
      config["rootfs"].contains("diff_ids") && config["rootfs"]["diff_ids"].is_array()) {
    for (const auto& d : config["rootfs"]["diff_ids"]) {
      if (!d.is_string()) break;
      out.push_back(common::Digest::parse(d.get<std::string>()));
    }
  }
  if (out.size() != m.layers.size()) {
    std::string msg = "config " + m.config.digest.str();
    msg += " lists ";
    msg += std::to_string(out.size());
    msg += " diff_ids for ";
    msg += std::to_string(m.layers.size());
    msg += " layers";
    throw Error(ErrorKind::kIntegrity, std::move(msg));
  }
  return out;
}

void apply_image(const snapshot::ContentStore& content, const ImageManifest& m,
                 const fs::path& root) {
  std::vector<common::Digest> expected = diff_ids(content, m);
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const Descriptor& layer = m.layers[i];
    try {
      auto in = open_blob(content, layer);
      snapshot::ApplyOptions options;
      options.expected_diff_id = expected[i];
      snapshot::apply_layer(*in, root, options);
      in->finish();
    } catch (Error& e) {
      std::string what = "applying layer ";
      what += std::to_string(i + 1);
      what += " (" + layer.digest.str() + ")";
      e.add_context(std::move(what));
      throw;
    }
  }
}

std::string platform_dir(const ImageManifest& m) {
  if (!m.descriptor.platform) return "unknown_" + m.descriptor.digest.short_hex();
  std::string s = m.descriptor.platform->str();
  for (char& c : s) {
    if (c == '/') c = '_';
  }
  return s;
}

// Applies every image into `root`: directly for one, into per-platform directories for more.
void fill(const snapshot::ContentStore& content, const std::vector<ImageManifest>& images,
          const fs::path& root) {
  if (images.empty()) throw Error(ErrorKind::kUsage, "the image index lists no image to export");
  if (images.size() == 1) {
    apply_image(content, images[0], root);
    return;
  }
  for (const ImageManifest& m : images) {
    fs::path dir = root / platform_dir(m);
    if (::mkdir(dir.c_str(), 0755) != 0) common::throw_errno("mkdir", dir.string());
    apply_image(content, m, dir);
    timespec epoch[2] = {{0, 0}, {0, 0}};  // reproducible tars: no "now" in the output
    ::utimensat(AT_FDCWD, dir.c_str(), epoch, AT_SYMLINK_NOFOLLOW);
  }
}

void export_tar(const snapshot::ContentStore& content, const std::vector<ImageManifest>& images,
                const std::string& dest) {
  check_file_dest(dest, "tar");
  // The scratch tree goes beside dest (the disk the user chose for the output, not a tmpfs);
  // for stdout, in $TMPDIR.
  struct stat st {};
  bool beside = dest != "-" && !(::stat(dest.c_str(), &st) == 0 && !S_ISREG(st.st_mode));
  fs::path parent = beside ? fs::path(dest).parent_path() : fs::path();
  if (beside && parent.empty()) parent = ".";
  if (!beside) {
    const char* tmp = std::getenv("TMPDIR");
    parent = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  TempOutputDir work(parent, beside ? fs::path(dest).filename().string() : "rootfs");
  fill(content, images, work.path());
  OutputFile out(dest);
  snapshot::LayerOptions options;
  options.compression = snapshot::Compression::kNone;
  snapshot::write_tree_layer(work.path(), out.writer(), options);
  out.commit();
}

void export_local(const snapshot::ContentStore& content, const std::vector<ImageManifest>& images,
                  const std::string& dest) {
  if (check_dir_dest(dest, "local")) {
    // BuildKit copies into an existing directory. The scratch tree is made inside it, so each
    // move into place is a rename on one filesystem.
    TempOutputDir work(dest, "export");
    fill(content, images, work.path());
    merge_into(work.path(), dest);
    return;
  }
  fs::path target(dest);
  TempOutputDir work(target.parent_path().empty() ? fs::path(".") : target.parent_path(),
                     target.filename().string());
  if (::chmod(work.path().c_str(), 0755) != 0) common::throw_errno("chmod", work.path().string());
  fill(content, images, work.path());
  work.rename_to(target);
}

}  // namespace

void export_rootfs(const snapshot::ContentStore& content, const Descriptor& root,
                   const OutputSpec& spec) {
  std::vector<ImageManifest> images = image_manifests(content, root);
  if (spec.type == "tar") {
    export_tar(content, images, spec.dest);
  } else {
    export_local(content, images, spec.dest);
  }
}

}  // namespace mybuild::image::export_internal
