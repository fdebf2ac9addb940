// An image read back from an OCI image layout (as `skopeo copy` or `buildah push oci:` write it),
// with each layer listed entry by entry, so that two builders' images compare field by field.
// Reads with libarchive and nlohmann/json only: nothing of mybuild's own code judges its output.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mybuild::differential {

// One tar entry of a layer. Whiteouts stay entries here (type kWhiteout / kOpaque, path of what
// they hide); tree.h turns layers into trees.
struct Entry {
  enum Type : char {
    kFile = 'f',
    kDir = 'd',
    kSymlink = 'l',
    kHardlink = 'h',
    kChar = 'c',
    kBlock = 'b',
    kFifo = 'p',
    kWhiteout = 'w',  // ".wh.NAME": NAME is deleted (OCI image-spec layer.md, whiteouts)
    kOpaque = 'o',    // ".wh..wh..opq" in DIR: DIR's lower children are hidden
  };
  std::string path;  // "etc/passwd": no "./", no leading or trailing slash
  Type type = kFile;
  int mode = 0;  // permission bits with setuid/setgid/sticky (07777)
  int64_t uid = 0, gid = 0;
  int64_t size = 0;
  std::string sha256;  // content digest, regular files only
  std::string link;    // symlink target, or the path a hard link points to
  int64_t mtime = 0;
  std::map<std::string, std::string> xattrs;  // name -> value (hex when not printable)
};

struct Layer {
  std::string digest;
  std::vector<Entry> entries;  // in archive order
};

struct Image {
  nlohmann::json config;  // the whole config blob
  std::vector<Layer> layers;
};

// Reads the image tagged `ref` (the org.opencontainers.image.ref.name annotation) from the OCI
// layout at `layout`. Throws std::runtime_error naming what is missing or malformed.
Image read_oci_image(const std::filesystem::path& layout, const std::string& ref);

// The ref names of every manifest in the layout's index.json.
std::vector<std::string> list_refs(const std::filesystem::path& layout);

}  // namespace mybuild::differential
