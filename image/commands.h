// The local image commands of the CLI (`mybuild images`, `tag`, `rmi`, `inspect`) as thin
// functions over snapshot/ (the CLI may include only builder/ and common/, STYLE.md §1). They
// return data; the CLI renders it as docker does.
//
// Images are found as docker finds them (image/local_store.h): by name, name@digest, or image
// ID prefix. The image ID is the config digest; an index shows the image for this machine's
// platform (or, when the store holds no complete image for it, the first platform it holds).
// Read-only commands never create a store that does not exist.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mybuild::image {

struct ImageRow {
  std::string name;                // as stored: "docker.io/library/busybox:latest"
  std::string repository;          // docker's familiar form: "busybox", "127.0.0.1:5000/app"
  std::string tag;                 // "latest"; "<none>" when the name has no tag
  std::string id;                  // config digest "sha256:..."; empty when the image is incomplete
  std::string digest;              // what the tag points at (manifest or index)
  std::optional<int64_t> created;  // Unix seconds, from the config's "created"
  int64_t size = 0;                // sum of the layers' (compressed) sizes
  // An index's image platforms ("linux/amd64", ...) in its order, attestations left out; empty
  // for a single manifest.
  std::vector<std::string> platforms;
};

// Every tag, newest image first (then by name), as `docker images` orders them.
std::vector<ImageRow> list_images(const std::filesystem::path& root);

// Points TARGET at what SOURCE (name, name@digest or ID prefix) points at. Returns TARGET as
// stored (normalised). kNotFound naming SOURCE; kUsage for a bad TARGET or one with a digest.
std::string tag_image(const std::filesystem::path& root, const std::string& source,
                      const std::string& target);

// `rmi NAME`: removes the tag NAME (blobs stay until `mybuild prune`). By ID, removes the tags
// of that image, which without `force` must be only one (docker: "image is referenced in
// multiple repositories"). Returns the names untagged. kNotFound naming NAME.
std::vector<std::string> remove_image(const std::filesystem::path& root, const std::string& name,
                                      bool force);

// `inspect NAME`: docker image inspect's fields (Id, RepoTags, RepoDigests, Created, Author,
// Architecture, Variant, Os, Config, RootFS, Size) plus "Manifest" (Digest, MediaType, Size,
// Raw: the exact stored bytes) and, for an index, "Index" (Digest, MediaType, Size, Platforms:
// what the index offers, whether or not the store holds each platform's image).
// kNotFound naming NAME, or saying which blob is missing.
nlohmann::json inspect_image(const std::filesystem::path& root, const std::string& name);

// Docker's familiar form of a stored name ("docker.io/library/a:1" -> "a:1"); names that are
// not references are returned as they are.
std::string familiar(const std::string& stored_name);

}  // namespace mybuild::image
