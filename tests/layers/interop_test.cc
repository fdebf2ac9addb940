#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "common/io.h"
#include "common/temp_dir.h"
#include "image/import.h"
#include "snapshot/extract.h"
#include "snapshot/layer_test_util.h"
#include "snapshot/layer_writer.h"

namespace mybuild {
namespace {

namespace fs = std::filesystem;
using snapshot::testing::describe_tree;
using snapshot::testing::write_text;

// Runs a shell command; returns its stdout, or nullopt when it exits non-zero.
std::optional<std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r");
  if (p == nullptr) return std::nullopt;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  if (::pclose(p) != 0) return std::nullopt;
  return out;
}

bool have(const char* tool) { return run(std::string("command -v ") + tool).has_value(); }

// umoci (Go's archive/tar) rounds mtimes to the nearest second, so a file written at x.6 s comes
// back at x+1. Whole-second mtimes make the trees comparable without hiding a real difference.
void truncate_mtimes_to_seconds(const fs::path& root) {
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    struct stat st;
    if (::lstat(e.path().c_str(), &st) != 0) continue;
    struct timespec times[2] = {{st.st_atim.tv_sec, 0}, {st.st_mtim.tv_sec, 0}};
    ::utimensat(AT_FDCWD, e.path().c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
}

// A busybox rootfs: the static binary and a few applet links, as the demo's base image.
void make_busybox_rootfs(const fs::path& root) {
  fs::create_directories(root / "bin");
  fs::copy_file("/bin/busybox", root / "bin/busybox");
  ::chmod((root / "bin/busybox").c_str(), 0755);
  for (const char* applet : {"sh", "ls", "cat", "echo"}) {
    fs::create_symlink("busybox", root / "bin" / applet);
  }
  write_text(root / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  fs::create_directories(root / "tmp");
  ::chmod((root / "tmp").c_str(), 01777);
}

fs::path write_tar(const fs::path& tree, const fs::path& file) {
  common::UniqueFd fd = common::open_file(file, O_WRONLY | O_CREAT | O_TRUNC);
  common::FdWriter w(fd.get());
  snapshot::LayerOptions o;
  o.compression = snapshot::Compression::kNone;
  snapshot::write_tree_layer(tree, w, o);
  return file;
}

void apply_blob(const fs::path& blob, const fs::path& root) {
  common::FdReader in(common::open_file(blob, O_RDONLY));
  snapshot::apply_layer(in, root);
}

fs::path blob_path(const fs::path& layout, const std::string& digest) {
  return layout / "blobs/sha256" / digest.substr(7);
}

class LayersInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "umoci unpack keeps owners only as root";
    if (!have("skopeo") || !have("umoci")) GTEST_SKIP() << "skopeo/umoci not installed";
    if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "busybox-static not installed";
  }
  common::TempDir work_{"layers-interop-"};
};

TEST_F(LayersInterop, ImportedImageIsReadBySkopeoAndUmoci) {
  fs::path tree = work_.path() / "tree", store = work_.path() / "store";
  make_busybox_rootfs(tree);
  fs::path tar = write_tar(tree, work_.path() / "rootfs.tar");
  image::ImportOptions opts;
  opts.created = 1700000000;
  auto result = image::import_rootfs(store, tar, "busybox:latest", opts);
  EXPECT_EQ(result.name, "docker.io/library/busybox:latest");

  fs::path layout = store / "oci";
  auto inspect = run("skopeo inspect --raw oci:" + layout.string() + ":busybox:latest");
  ASSERT_TRUE(inspect) << "skopeo could not read the imported image";
  auto manifest = nlohmann::json::parse(*inspect);
  EXPECT_EQ(manifest["layers"][0]["digest"], result.layer_digest);
  EXPECT_EQ(manifest["config"]["digest"], result.config_digest);

  // skopeo copies it (verifying every digest) and umoci unpacks the copy.
  fs::path copy = work_.path() / "copy";
  ASSERT_TRUE(
      run("skopeo copy oci:" + layout.string() + ":busybox:latest oci:" + copy.string() + ":bb"));
  fs::path bundle = work_.path() / "bundle";
  ASSERT_TRUE(run("umoci unpack --image " + copy.string() + ":bb " + bundle.string()));
  EXPECT_EQ(describe_tree(bundle / "rootfs"), describe_tree(tree));

  // The diff_id in the config is the sha256 of the tarball imported as it was.
  auto config = nlohmann::json::parse(common::read_file(blob_path(layout, result.config_digest)));
  EXPECT_EQ(config["rootfs"]["diff_ids"][0], result.diff_id);
  EXPECT_EQ(result.diff_id, common::Digest::sha256_of(common::read_file(tar, 1 << 30)).str());
}

TEST_F(LayersInterop, UmociLayersWithWhiteoutsUnpackToUmocisTree) {
  fs::path layout = work_.path() / "layout", bundle = work_.path() / "bundle";
  std::string l = layout.string(), b = bundle.string();
  ASSERT_TRUE(run("umoci init --layout " + l + " && umoci new --image " + l + ":base"));
  ASSERT_TRUE(run("umoci unpack --image " + l + ":base " + b));
  fs::path r = bundle / "rootfs";
  write_text(r / "a/keep", "keep");
  write_text(r / "a/gone", "gone");
  write_text(r / "d/old", "old");
  fs::create_symlink("../a/keep", r / "d/link");
  ::link((r / "a/keep").c_str(), (r / "a/hard").c_str());
  ::mkfifo((r / "fifo").c_str(), 0600);
  ::lchown((r / "a/keep").c_str(), 1000, 1000);
  truncate_mtimes_to_seconds(r);
  ASSERT_TRUE(run("umoci repack --image " + l + ":v1 " + b));
  // A second layer on top of v1, from a fresh unpack of v1.
  fs::path bundle2 = work_.path() / "bundle2";
  b = bundle2.string();
  ASSERT_TRUE(run("umoci unpack --image " + l + ":v1 " + b));
  r = bundle2 / "rootfs";
  fs::remove(r / "a/gone");
  fs::remove_all(r / "d");
  write_text(r / "d/new", "new");
  write_text(r / "a/keep", "changed");
  truncate_mtimes_to_seconds(r);
  ASSERT_TRUE(run("umoci repack --image " + l + ":v2 " + b));

  // Resolve v2 -> manifest -> layers, and apply them in order with apply_layer.
  auto index = nlohmann::json::parse(common::read_file(layout / "index.json"));
  std::string manifest_digest;
  for (const auto& m : index["manifests"]) {
    if (m["annotations"]["org.opencontainers.image.ref.name"] == "v2")
      manifest_digest = m["digest"];
  }
  ASSERT_FALSE(manifest_digest.empty());
  auto manifest = nlohmann::json::parse(common::read_file(blob_path(layout, manifest_digest)));
  ASSERT_GE(manifest["layers"].size(), 2u);
  fs::path ours = work_.path() / "ours";
  fs::create_directories(ours);
  for (const auto& layer : manifest["layers"]) {
    apply_blob(blob_path(layout, layer["digest"]), ours);
  }
  EXPECT_EQ(describe_tree(ours), describe_tree(r));
  EXPECT_FALSE(fs::exists(ours / "a/gone"));
  EXPECT_FALSE(fs::exists(ours / "d/old"));
}

}  // namespace
}  // namespace mybuild
