// type=oci and type=docker against a content store in a temp dir: what the tar holds, in which
// order and with which metadata, what index.json and manifest.json say, and that failures leave
// nothing at dest. Real tools read these outputs in tests/export.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/io.h"
#include "common/temp_dir.h"
#include "image/export.h"
#include "image/export_test_image.h"

namespace mybuild::image {
namespace {

namespace fs = std::filesystem;
using common::Error;
using common::ErrorKind;
using namespace export_testing;

std::string blob_name(const common::Descriptor& d) {
  return "blobs/sha256/" + std::string(d.digest.hex());
}

// Every name in `dir` (recursively), relative; for "nothing was left behind" checks.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.push_back(e.path().lexically_relative(dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

ErrorKind export_error(const snapshot::ContentStore& content, const common::Descriptor& d,
                       const std::vector<std::string>& names, const std::string& output) {
  try {
    export_image(content, d, names, parse_output(output));
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no error exporting to " << output;
  return ErrorKind::kInternal;
}

class ExportLayout : public ::testing::Test {
 protected:
  fs::path out(const std::string& name) const { return work_.path() / "out" / name; }
  std::string export_tar(const std::string& type, const std::vector<std::string>& names,
                         const std::string& file = "image.tar") {
    export_image(content_, image_.manifest, names,
                 parse_output("type=" + type + ",dest=" + out(file).string()));
    return common::read_file(out(file), 1 << 30);
  }
  std::string blob(const common::Descriptor& d) { return content_.read_small(d.digest, 1 << 30); }

  common::TempDir work_{"export-layout-test-"};
  snapshot::ContentStore content_{work_.path() / "store"};
  TestImage image_ = put_whiteout_image(content_);
  bool made_out_ = fs::create_directory(work_.path() / "out");
};

TEST_F(ExportLayout, OciTarIsASortedReproducibleLayout) {
  std::string bytes = export_tar("oci", {"app:v1"});
  TarListing tar = list_tar(bytes);
  std::vector<std::string> blobs = {blob_name(image_.manifest), blob_name(image_.config),
                                    blob_name(image_.layers[0].descriptor),
                                    blob_name(image_.layers[1].descriptor)};
  std::sort(blobs.begin(), blobs.end());
  std::vector<std::string> expected = {"blobs/", "blobs/sha256/"};
  expected.insert(expected.end(), blobs.begin(), blobs.end());
  expected.push_back("index.json");
  expected.push_back("oci-layout");
  EXPECT_EQ(tar.names, expected);

  // Fixed metadata: owner 0:0, mtime 0, containerd's modes.
  EXPECT_EQ(tar.lines["blobs/"], std::to_string(AE_IFDIR) + " 493 0:0 0 0");
  EXPECT_EQ(tar.lines["oci-layout"], std::to_string(AE_IFREG) + " 292 0:0 0 30");
  EXPECT_EQ(tar.lines[blobs[0]].substr(0, 16), std::to_string(AE_IFREG) + " 292 0:0 0 ");
  EXPECT_EQ(tar.data["oci-layout"], R"({"imageLayoutVersion":"1.0.0"})");
  for (const common::Descriptor& d :
       {image_.manifest, image_.config, image_.layers[0].descriptor}) {
    EXPECT_EQ(tar.data[blob_name(d)], blob(d)) << d.digest.str();
  }

  // The same export twice gives the same bytes.
  EXPECT_EQ(export_tar("oci", {"app:v1"}, "again.tar"), bytes);
}

TEST_F(ExportLayout, IndexNamesEachTagAsBuildKitDoes) {
  TarListing tar = list_tar(export_tar("oci", {"app:v1", "localhost:5000/team/app:latest"}));
  auto index = nlohmann::json::parse(tar.data["index.json"]);
  EXPECT_EQ(index["schemaVersion"], 2);
  EXPECT_EQ(index["mediaType"], "application/vnd.oci.image.index.v1+json");
  ASSERT_EQ(index["manifests"].size(), 2u);
  for (const auto& m : index["manifests"]) {
    EXPECT_EQ(m["digest"], image_.manifest.digest.str());
    EXPECT_EQ(m["size"], image_.manifest.size);
    EXPECT_EQ(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  }
  const auto& a0 = index["manifests"][0]["annotations"];
  EXPECT_EQ(a0["io.containerd.image.name"], "docker.io/library/app:v1");
  EXPECT_EQ(a0["org.opencontainers.image.ref.name"], "v1");
  const auto& a1 = index["manifests"][1]["annotations"];
  EXPECT_EQ(a1["io.containerd.image.name"], "localhost:5000/team/app:latest");
  EXPECT_EQ(a1["org.opencontainers.image.ref.name"], "latest");
}

TEST_F(ExportLayout, ANameGivenTwiceIsOneEntry) {
  TarListing tar = list_tar(export_tar("docker", {"app", "docker.io/library/app:latest"}));
  EXPECT_EQ(nlohmann::json::parse(tar.data["index.json"])["manifests"].size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(tar.data["manifest.json"])[0]["RepoTags"],
            nlohmann::json({"app:latest"}));
}

TEST_F(ExportLayout, UnnamedImageHasOneBareIndexEntry) {
  TarListing tar = list_tar(export_tar("oci", {}));
  auto index = nlohmann::json::parse(tar.data["index.json"]);
  ASSERT_EQ(index["manifests"].size(), 1u);
  EXPECT_FALSE(index["manifests"][0].contains("annotations"));
}

TEST_F(ExportLayout, DockerTarHasManifestJsonRepositoriesAndTheLayout) {
  TarListing tar = list_tar(export_tar("docker", {"app:v1", "docker.io/me/tool:2"}));
  auto manifest = nlohmann::json::parse(tar.data["manifest.json"]);
  ASSERT_EQ(manifest.size(), 1u);
  EXPECT_EQ(manifest[0]["Config"], blob_name(image_.config));
  EXPECT_EQ(manifest[0]["RepoTags"], nlohmann::json({"app:v1", "me/tool:2"}));
  EXPECT_EQ(manifest[0]["Layers"], nlohmann::json({blob_name(image_.layers[0].descriptor),
                                                   blob_name(image_.layers[1].descriptor)}));
  auto repos = nlohmann::json::parse(tar.data["repositories"]);
  std::string top(image_.layers[1].descriptor.digest.hex());
  EXPECT_EQ(repos, nlohmann::json({{"app", {{"v1", top}}}, {"me/tool", {{"2", top}}}}));
  // Also an OCI layout (BuildKit's docker tar is both).
  EXPECT_EQ(tar.data["oci-layout"], R"({"imageLayoutVersion":"1.0.0"})");
  EXPECT_EQ(nlohmann::json::parse(tar.data["index.json"])["manifests"].size(), 2u);
  EXPECT_TRUE(tar.data.count(blob_name(image_.config)));
  EXPECT_TRUE(std::is_sorted(tar.names.begin(), tar.names.end()));
}

TEST_F(ExportLayout, UntaggedDockerTarHasNullRepoTags) {
  TarListing tar = list_tar(export_tar("docker", {}));
  EXPECT_TRUE(nlohmann::json::parse(tar.data["manifest.json"])[0]["RepoTags"].is_null());
  EXPECT_EQ(tar.data["repositories"], "{}");
}

TEST_F(ExportLayout, OciDirectoryIsALayoutAndLaterExportsMergeIntoIt) {
  fs::path dir = out("layout");
  export_image(content_, image_.manifest, {"app:v1"},
               parse_output("type=oci,tar=false,dest=" + dir.string()));
  EXPECT_EQ(common::read_file(dir / "oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  EXPECT_EQ(common::read_file(dir / blob_name(image_.layers[1].descriptor), 1 << 30),
            blob(image_.layers[1].descriptor));
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat((dir / blob_name(image_.config)).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0444u);
  // Nothing but the layout: no temp names, no lock, no sibling temp dir.
  EXPECT_EQ(names_in(dir).size(), 8u) << ::testing::PrintToString(names_in(dir));
  EXPECT_EQ(names_in(out("")).size(), 9u) << ::testing::PrintToString(names_in(out("")));

  // A second image: the same tag is replaced (BuildKit's ociindex), a new tag is added.
  TestImage other = put_image(content_, {put_layer(content_, {file("x", "other")})});
  export_image(content_, other.manifest, {"app:v1", "app:v2"},
               parse_output("type=oci,tar=false,dest=" + dir.string()));
  auto index = nlohmann::json::parse(common::read_file(dir / "index.json"));
  ASSERT_EQ(index["manifests"].size(), 2u);
  for (const auto& m : index["manifests"]) EXPECT_EQ(m["digest"], other.manifest.digest.str());
  EXPECT_TRUE(fs::exists(dir / blob_name(image_.layers[0].descriptor)));  // old blobs stay
  EXPECT_TRUE(fs::exists(dir / blob_name(other.layers[0].descriptor)));
  EXPECT_FALSE(fs::exists(dir / "index.json.lock"));
}

TEST_F(ExportLayout, CorruptBlobFailsWithIntegrityAndLeavesNothing) {
  // Same size, different bytes: only the digest check can notice.
  fs::path stored = content_.blob_path(image_.layers[0].descriptor.digest);
  std::string data = common::read_file(stored, 1 << 30);
  data[data.size() / 2] ^= 0x55;
  ::chmod(stored.c_str(), 0644);
  common::write_file_atomic(stored, data);
  EXPECT_EQ(export_error(content_, image_.manifest, {"app:v1"},
                         "type=oci,dest=" + out("bad.tar").string()),
            ErrorKind::kIntegrity);
  EXPECT_EQ(export_error(content_, image_.manifest, {"app:v1"},
                         "type=oci,tar=false,dest=" + out("bad").string()),
            ErrorKind::kIntegrity);
  EXPECT_EQ(export_error(content_, image_.manifest, {}, "type=tar,dest=" + out("fs.tar").string()),
            ErrorKind::kIntegrity);
  EXPECT_TRUE(names_in(out("")).empty()) << ::testing::PrintToString(names_in(out("")));
}

TEST_F(ExportLayout, FailureKeepsThePreviousFileIntact) {
  common::write_file_atomic(out("image.tar"), "previous");
  ASSERT_TRUE(content_.remove(image_.layers[1].descriptor.digest));
  EXPECT_EQ(export_error(content_, image_.manifest, {"app:v1"},
                         "type=docker,dest=" + out("image.tar").string()),
            ErrorKind::kNotFound);
  EXPECT_EQ(common::read_file(out("image.tar")), "previous");
  EXPECT_EQ(names_in(out("")), std::vector<std::string>{"image.tar"});
}

TEST_F(ExportLayout, SuccessReplacesAnExistingFile) {
  common::write_file_atomic(out("image.tar"), "previous");
  std::string bytes = export_tar("oci", {"app:v1"});
  EXPECT_FALSE(list_tar(bytes).names.empty());
  EXPECT_EQ(names_in(out("")), std::vector<std::string>{"image.tar"});
}

TEST_F(ExportLayout, BadDestinationsAreClearErrors) {
  EXPECT_EQ(export_error(content_, image_.manifest, {},
                         "type=oci,dest=" + (work_.path() / "missing/out.tar").string()),
            ErrorKind::kNotFound);
  EXPECT_EQ(export_error(content_, image_.manifest, {},
                         "type=oci,tar=false,dest=" + (work_.path() / "missing/dir").string()),
            ErrorKind::kNotFound);
  EXPECT_EQ(export_error(content_, image_.manifest, {}, "type=docker,dest=" + out("").string()),
            ErrorKind::kUsage);  // an existing directory is not a tar
  common::write_file_atomic(out("file"), "x");
  EXPECT_EQ(export_error(content_, image_.manifest, {},
                         "type=oci,tar=false,dest=" + out("file").string()),
            ErrorKind::kUsage);
  EXPECT_EQ(export_error(content_, image_.manifest, {}, "type=image,name=x"), ErrorKind::kUsage);
  // Specs built by hand get the checks parse_output makes.
  OutputSpec to_stdout{.type = "oci",
                       .dest = "-",
                       .tar = false,
                       .attrs = {},
                       .compression = {},
                       .compression_level = {}};
  EXPECT_THROW(export_image(content_, image_.manifest, {}, to_stdout), Error);
  OutputSpec docker_dir{.type = "docker",
                        .dest = out("dd").string(),
                        .tar = false,
                        .attrs = {},
                        .compression = {},
                        .compression_level = {}};
  EXPECT_THROW(export_image(content_, image_.manifest, {}, docker_dir), Error);
  EXPECT_EQ(export_error(content_, image_.manifest, {"Upper:x"},
                         "type=oci,dest=" + out("x.tar").string()),
            ErrorKind::kUsage);
  EXPECT_EQ(names_in(out("")), std::vector<std::string>{"file"});
  EXPECT_FALSE(fs::exists(work_.path() / "missing"));
}

TEST_F(ExportLayout, TarGoesToStdout) {
  // Point fd 1 at a file for the export, as `mybuild -o type=oci,dest=- > x.tar` would.
  fs::path captured = out("stdout.tar");
  common::UniqueFd file = common::open_file(captured, O_WRONLY | O_CREAT | O_TRUNC);
  int saved = ::dup(STDOUT_FILENO);
  ASSERT_GE(saved, 0);
  ::fflush(stdout);
  ::dup2(file.get(), STDOUT_FILENO);
  try {
    export_image(content_, image_.manifest, {"app:v1"}, parse_output("type=oci,dest=-"));
  } catch (...) {
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
    throw;
  }
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  EXPECT_EQ(common::read_file(captured, 1 << 30), export_tar("oci", {"app:v1"}));
}

TEST_F(ExportLayout, MultiPlatformIndexExportsWholeAsOciButNotAsDocker) {
  TestImage arm = put_image(content_, {put_layer(content_, {file("arch", "arm64")})},
                            common::Platform::parse("linux/arm64"));
  nlohmann::json index = {{"schemaVersion", 2},
                          {"mediaType", "application/vnd.oci.image.index.v1+json"},
                          {"manifests", {image_.manifest, arm.manifest}}};
  common::Descriptor root = content_.put(index.dump(), "application/vnd.oci.image.index.v1+json");
  export_image(content_, root, {"multi:1"}, parse_output("type=oci,dest=" + out("m.tar").string()));
  TarListing tar = list_tar(common::read_file(out("m.tar"), 1 << 30));
  EXPECT_TRUE(tar.data.count(blob_name(root)));
  EXPECT_TRUE(tar.data.count(blob_name(arm.layers[0].descriptor)));
  EXPECT_TRUE(tar.data.count(blob_name(image_.layers[1].descriptor)));
  EXPECT_EQ(nlohmann::json::parse(tar.data["index.json"])["manifests"][0]["digest"],
            root.digest.str());
  EXPECT_EQ(export_error(content_, root, {}, "type=docker,dest=" + out("d.tar").string()),
            ErrorKind::kUsage);
  EXPECT_FALSE(fs::exists(out("d.tar")));
}

}  // namespace
}  // namespace mybuild::image
