// The two builders under comparison, each with its own storage in a temp dir, and the base
// images both build on. mybuild is the binary under test (MYBUILD_BINARY); buildah is Debian's
// (1.28), run as `buildah build --layers` with vfs storage and chroot isolation, which work
// everywhere the tests run as root (overlay-in-overlay and crun on a hybrid cgroup host do not).
//
// Both start from the same base bytes: the base is imported into mybuild's store with
// `mybuild import`, and buildah pulls it from that store's OCI layout (`buildah pull oci:...`)
// and tags it with the name the Dockerfiles use, so the base config digests are equal (checked).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "tests/differential/oci_image.h"

namespace mybuild::differential {

struct Ran {
  int code = -1;
  std::string out;  // stdout and stderr
};

// Runs argv (no shell) to completion.
Ran run(const std::vector<std::string>& argv, const std::filesystem::path& cwd = {});
bool have_tool(const std::string& name);

// A busybox base root filesystem tar: the static busybox with every applet linked in /bin,
// /etc/passwd and /etc/group with named users for COPY --chown and USER, /tmp, /root. Owners
// numeric, mtimes `mtime`.
void make_busybox_rootfs_tar(const std::filesystem::path& work, const std::filesystem::path& tar,
                             int64_t mtime);

// Copies a build context (symlinks as symlinks; an absent `from` gives an empty context).
void copy_tree(const std::filesystem::path& from, const std::filesystem::path& to);
// Sets every mtime under `root` (and its own) to `mtime`, so that the mtimes COPY keeps are the
// same in both builds and older than any build-time stamp.
void pin_mtimes(const std::filesystem::path& root, int64_t mtime);

struct BuildRequest {
  std::filesystem::path dockerfile;
  std::filesystem::path context;
  std::string tag;                      // "diff-env:latest"
  std::vector<std::string> build_args;  // "K=V"
  std::string target;
};

class Mybuild {
 public:
  Mybuild(std::filesystem::path binary, const std::filesystem::path& work);
  // `mybuild import TAR NAME`; returns the image's config digest.
  std::string import(const std::filesystem::path& tar, const std::string& name);
  Ran build(const BuildRequest& request);
  // Copies the stored image out with skopeo (which verifies every digest) and reads it.
  Image export_image(const std::string& tag, const std::filesystem::path& dir);
  std::filesystem::path layout() const { return root_ / "oci"; }
  // The store's ref name for `tag` ("busybox:latest" or a fully qualified form).
  std::string stored_ref(const std::string& tag) const;

 private:
  std::filesystem::path binary_;
  std::filesystem::path root_;
};

class Buildah {
 public:
  explicit Buildah(const std::filesystem::path& work);
  // Unmounts what a failed buildah may have left mounted under its storage, then removes it.
  ~Buildah();
  Buildah(const Buildah&) = delete;
  Buildah& operator=(const Buildah&) = delete;

  // Copies `ref` from an OCI layout into buildah's storage as `name`; returns the image id
  // (config digest).
  std::string pull_from_layout(const std::filesystem::path& layout, const std::string& ref,
                               const std::string& name);
  Ran build(const BuildRequest& request);
  // `buildah push --format v2s2`: Docker's config keeps Healthcheck, Shell and OnBuild, which an
  // OCI config drops.
  Image export_image(const std::string& tag, const std::filesystem::path& dir);

 private:
  std::vector<std::string> base_args() const;
  std::filesystem::path dir_;
};

// Imports `tar` into mybuild's store as `name` ("busybox:latest") and gives buildah the same
// image as docker.io/library/<name>. Returns the image id; throws if buildah's id differs.
std::string share_base(Mybuild& mybuild, Buildah& buildah, const std::filesystem::path& tar,
                       const std::string& name);

}  // namespace mybuild::differential
