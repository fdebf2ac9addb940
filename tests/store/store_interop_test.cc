// Interop of the content store with independent readers of OCI layouts (skopeo, umoci), schema
// validation of what we write, and `mybuild prune` end to end. The image is built by hand here:
// a layer tar made with libarchive, its config and manifest, stored and tagged through
// snapshot/, exactly as the builder will do it.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/media_types.h"
#include "common/temp_dir.h"
#include "snapshot/content_store.h"
#include "snapshot/database.h"
#include "snapshot/image_store.h"
#include "tests/store/shell.h"

namespace mybuild::snapshot {
namespace {

using common::Descriptor;
using nlohmann::json;
namespace fs = std::filesystem;
namespace mt = common::media_type;

using store_testing::Ran;
using store_testing::run;

bool have(const char* tool) { return run(std::string("command -v ") + tool).code == 0; }

la_ssize_t append_to_string(struct archive*, void* out, const void* data, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(data), size);
  return static_cast<la_ssize_t>(size);
}

// A small root filesystem as a tar (gzip-compressed or not): a directory, a file, a symlink.
std::string layer_tar(bool gzip) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  // No zero padding after the compressed stream: Go's gzip reader (umoci) rejects it.
  archive_write_set_bytes_in_last_block(a, 1);
  if (gzip) {
    archive_write_add_filter_gzip(a);
    archive_write_set_filter_option(a, "gzip", "timestamp", nullptr);  // reproducible header
  }
  archive_write_open(a, &out, nullptr, append_to_string, nullptr);
  auto add = [&](const char* path, mode_t type, int perm, std::string_view body, const char* link) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    archive_entry_set_mtime(e, 1700000000, 0);
    archive_entry_set_size(e, static_cast<la_int64_t>(body.size()));
    if (link) archive_entry_set_symlink(e, link);
    archive_write_header(a, e);
    if (!body.empty()) archive_write_data(a, body.data(), body.size());
    archive_entry_free(e);
  };
  add("etc", AE_IFDIR, 0755, "", nullptr);
  add("etc/hello.txt", AE_IFREG, 0644, "hello from mybuild\n", nullptr);
  add("hello", AE_IFLNK, 0777, "", "etc/hello.txt");
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

class StoreInterop : public ::testing::Test {
 protected:
  StoreInterop() : content_(root_.path()), db_(metadata_path(root_.path())) {}

  // Stores layer, config and manifest; tags the manifest; returns its descriptor.
  Descriptor make_image(const std::string& name, const std::string& cmd) {
    std::string tar = layer_tar(false), tgz = layer_tar(true);
    Descriptor layer = content_.put(tgz, mt::kOciLayerGzip);
    json config = {
        {"architecture", "amd64"},
        {"os", "linux"},
        {"created", "2023-11-14T22:13:20Z"},
        {"config", {{"Cmd", json::array({cmd})}}},
        {"rootfs",
         {{"type", "layers"}, {"diff_ids", json::array({Digest::sha256_of(tar).str()})}}}};
    Descriptor cfg = content_.put(config.dump(), mt::kOciConfig);
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", mt::kOciManifest},
                     {"config", cfg},
                     {"layers", json::array({layer})}};
    Descriptor m = content_.put(manifest.dump(), mt::kOciManifest);
    ImageStore(content_, db_).tag(name, m);
    return m;
  }
  std::string layout() const { return content_.layout_dir().string(); }

  common::TempDir root_;
  ContentStore content_;
  Database db_;
};

TEST_F(StoreInterop, SkopeoInspectsAndCopiesOurLayout) {
  if (!have("skopeo")) GTEST_SKIP() << "skopeo is not installed (deps/store.txt)";
  Descriptor m = make_image("app:v1", "/hello");
  make_image("docker.io/library/other:latest", "/other");

  Ran inspect = run("skopeo inspect oci:" + layout() + ":app:v1");
  ASSERT_EQ(inspect.code, 0) << inspect.out;
  json info = json::parse(inspect.out);
  EXPECT_EQ(info["Digest"], m.digest.str());
  EXPECT_EQ(info["Architecture"], "amd64");
  ASSERT_EQ(info["Layers"].size(), 1u);
  // The Docker Hub name is annotated in its familiar form.
  Ran other = run("skopeo inspect --config oci:" + layout() + ":other:latest");
  ASSERT_EQ(other.code, 0) << other.out;
  EXPECT_EQ(json::parse(other.out)["config"]["Cmd"][0], "/other");

  common::TempDir out;
  Ran copy = run("skopeo copy --insecure-policy oci:" + layout() +
                 ":app:v1 oci:" + out.path().string() + "/copy:copied");
  ASSERT_EQ(copy.code, 0) << copy.out;
  Ran back = run("skopeo inspect oci:" + out.path().string() + "/copy:copied");
  ASSERT_EQ(back.code, 0) << back.out;
  EXPECT_EQ(json::parse(back.out)["Digest"], m.digest.str());  // byte-identical manifest
}

TEST_F(StoreInterop, UmociListsAndUnpacksOurLayout) {
  if (!have("umoci")) GTEST_SKIP() << "umoci is not installed (deps/store.txt)";
  make_image("app:v1", "/hello");
  make_image("app:v2", "/hello");
  Ran ls = run("umoci ls --layout " + layout());
  ASSERT_EQ(ls.code, 0) << ls.out;
  EXPECT_NE(ls.out.find("app:v1"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("app:v2"), std::string::npos) << ls.out;

  // unpack checks every blob digest and the layer's diff_id against the config.
  common::TempDir bundle_parent;
  fs::path bundle = bundle_parent.path() / "bundle";
  std::string rootless = ::geteuid() == 0 ? "" : " --rootless";
  Ran unpack =
      run("umoci unpack" + rootless + " --image " + layout() + ":app:v1 " + bundle.string());
  ASSERT_EQ(unpack.code, 0) << unpack.out;
  EXPECT_EQ(common::read_file(bundle / "rootfs" / "etc" / "hello.txt"), "hello from mybuild\n");
  EXPECT_EQ(fs::read_symlink(bundle / "rootfs" / "hello"), "etc/hello.txt");
}

TEST_F(StoreInterop, WhatWeWriteValidatesAgainstTheOciSchemas) {
  const std::string schemas = MYBUILD_CONFORMANCE_DIR "/oci-schemas";
  ASSERT_TRUE(fs::exists(schemas + "/image-index-schema.json"))
      << "conformance data missing: " << schemas;
  // Debian's python3 and python3-jsonschema (deps/store.txt), whatever else is on PATH.
  if (run("/usr/bin/python3 -c 'import jsonschema'").code != 0) {
    GTEST_SKIP() << "python3-jsonschema is not installed (deps/store.txt)";
  }
  // The checker first proves itself on upstream's valid/invalid cases (exit 2 if it disagrees).
  const std::string checker = "/usr/bin/python3 " STORE_TEST_DIR "/check_oci_schema.py " + schemas;

  make_image("app:v1", "/hello");
  make_image("docker.io/library/alpine:3.20", "/bin/sh");
  Ran ok = run(checker + " " + layout());
  EXPECT_EQ(ok.code, 0) << ok.out;

  // And it does reject a broken index (the check can fail).
  common::write_file_atomic(content_.layout_dir() / "index.json",
                            R"({"schemaVersion":2,"manifests":[{"mediaType":"bad","size":1}]})");
  Ran bad = run(checker + " " + layout());
  EXPECT_EQ(bad.code, 1) << bad.out;
}

TEST_F(StoreInterop, PruneCommandRemovesOnlyUnreferencedBlobs) {
  Descriptor m = make_image("app:v1", "/hello");
  Descriptor loose = content_.put("nobody refers to this", "application/octet-stream");
  const std::string mybuild = std::string(MYBUILD_BINARY) + " --root " + root_.path().string();

  Ran dry = run(mybuild + " prune --dry-run");
  ASSERT_EQ(dry.code, 0) << dry.out;
  EXPECT_NE(dry.out.find(loose.digest.str()), std::string::npos) << dry.out;
  EXPECT_TRUE(content_.contains(loose.digest));

  Ran prune = run(mybuild + " prune -f");
  ASSERT_EQ(prune.code, 0) << prune.out;
  EXPECT_NE(prune.out.find(loose.digest.str()), std::string::npos) << prune.out;
  EXPECT_NE(prune.out.find("Total reclaimed space: 21B"), std::string::npos) << prune.out;
  EXPECT_FALSE(content_.contains(loose.digest));
  EXPECT_EQ(content_.list().size(), 3u);  // manifest, config, layer
  EXPECT_TRUE(content_.contains(m.digest));

  Ran again = run(mybuild + " prune");
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_EQ(again.out, "Total reclaimed space: 0B\n");

  // Untagged, the image goes too.
  ImageStore(content_, db_).untag("app:v1");
  ASSERT_EQ(run(mybuild + " prune").code, 0);
  EXPECT_TRUE(content_.list().empty());

  // A root that does not exist is left alone.
  fs::path missing = root_.path() / "nope";
  Ran none = run(std::string(MYBUILD_BINARY) + " --root " + missing.string() + " prune");
  EXPECT_EQ(none.code, 0) << none.out;
  EXPECT_FALSE(fs::exists(missing));
}

}  // namespace
}  // namespace mybuild::snapshot
