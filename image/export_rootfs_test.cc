// type=tar and type=local: the filesystem the layers describe (whiteouts applied), as one tar
// or a directory, and what happens to an existing dest.
#include <gtest/gtest.h>
#include <sys/stat.h>

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

std::vector<std::string> tree_with_contents(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    std::string name = e.path().lexically_relative(dir).string();
    if (e.is_symlink()) {
      name += " -> " + fs::read_symlink(e.path()).string();
    } else if (e.is_regular_file()) {
      name += " = " + common::read_file(e.path());
    }
    out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What put_whiteout_image's two layers leave: a/gone whited out, d/ made opaque.
const std::vector<std::string> kFinalTree = {
    "a", "a/keep = changed", "bin", "bin/tool = #!/bin/sh\n", "d", "d/new = new", "link -> a/keep"};

class ExportRootfs : public ::testing::Test {
 protected:
  fs::path out(const std::string& name) const { return work_.path() / "out" / name; }
  void run(const std::string& output) {
    export_image(content_, image_.manifest, {"app:v1"}, parse_output(output));
  }
  ErrorKind error_of(const common::Descriptor& d, const std::string& output) {
    try {
      export_image(content_, d, {}, parse_output(output));
    } catch (const Error& e) {
      return e.kind();
    }
    ADD_FAILURE() << "no error for " << output;
    return ErrorKind::kInternal;
  }

  common::TempDir work_{"export-rootfs-test-"};
  snapshot::ContentStore content_{work_.path() / "store"};
  TestImage image_ = put_whiteout_image(content_);
  bool made_out_ = fs::create_directory(work_.path() / "out");
};

TEST_F(ExportRootfs, TarHoldsTheFinalFilesystem) {
  run("type=tar,dest=" + out("fs.tar").string());
  TarListing tar = list_tar(common::read_file(out("fs.tar"), 1 << 30));
  EXPECT_EQ(tar.names,
            (std::vector<std::string>{"a/", "a/keep", "bin/", "bin/tool", "d/", "d/new", "link"}));
  EXPECT_EQ(tar.data["a/keep"], "changed");
  EXPECT_EQ(tar.lines["bin/tool"], std::to_string(AE_IFREG) + " 493 0:0 1700000000 10");
  EXPECT_EQ(tar.lines["link"].substr(0, 6), std::to_string(AE_IFLNK) + " ");
  EXPECT_EQ(tree_with_contents(out("")),
            std::vector<std::string>{"fs.tar = " + common::read_file(out("fs.tar"), 1 << 30)});
}

TEST_F(ExportRootfs, LocalWritesTheTreeToANewDirectory) {
  run("type=local,dest=" + out("rootfs").string() + "/");  // a trailing slash is the same dir
  EXPECT_EQ(tree_with_contents(out("rootfs")), kFinalTree);
  struct stat st {};
  ASSERT_EQ(::stat(out("rootfs/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1700000000);
  ASSERT_EQ(::stat(out("rootfs").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(tree_with_contents(out("")).size(), kFinalTree.size() + 1);  // no temp dir beside it
}

TEST_F(ExportRootfs, LocalMergesIntoAnExistingDirectory) {
  // BuildKit copies into an existing dest: what the user had stays unless the image has it.
  fs::create_directories(out("rootfs/a"));
  common::write_file_atomic(out("rootfs/mine.txt"), "mine");
  common::write_file_atomic(out("rootfs/a/keep"), "old");
  common::write_file_atomic(out("rootfs/a/extra"), "extra");
  common::write_file_atomic(out("rootfs/d"), "a file where the image has a directory");
  fs::create_directories(out("rootfs/link"));  // a directory where the image has a symlink
  run(out("rootfs").string());                 // a bare path is type=local
  std::vector<std::string> expected = kFinalTree;
  expected.push_back("a/extra = extra");
  expected.push_back("mine.txt = mine");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(tree_with_contents(out("rootfs")), expected);
}

TEST_F(ExportRootfs, MultiPlatformImageGetsADirectoryPerPlatform) {
  TestImage arm = put_image(content_, {put_layer(content_, {file("arch", "arm64")})},
                            common::Platform::parse("linux/arm/v7"));
  TestImage amd = put_image(content_, {put_layer(content_, {file("arch", "amd64")})},
                            common::Platform::parse("linux/amd64"));
  nlohmann::json index = {{"schemaVersion", 2},
                          {"mediaType", "application/vnd.oci.image.index.v1+json"},
                          {"manifests", {amd.manifest, arm.manifest}}};
  common::Descriptor root = content_.put(index.dump(), "application/vnd.oci.image.index.v1+json");
  export_image(content_, root, {}, parse_output(out("multi").string()));
  EXPECT_EQ(tree_with_contents(out("multi")),
            (std::vector<std::string>{"linux_amd64", "linux_amd64/arch = amd64", "linux_arm_v7",
                                      "linux_arm_v7/arch = arm64"}));
}

TEST_F(ExportRootfs, DiffIdMismatchIsAnIntegrityErrorAndLeavesNothing) {
  // A config whose diff_id for layer 2 is wrong: the layer does not hold what the image says.
  StoredLayer wrong = image_.layers[1];
  wrong.diff_id = common::Digest::sha256_of("something else");
  TestImage bad = put_image(content_, {image_.layers[0], wrong});
  EXPECT_EQ(error_of(bad.manifest, "type=local,dest=" + out("rootfs").string()),
            ErrorKind::kIntegrity);
  EXPECT_EQ(error_of(bad.manifest, "type=tar,dest=" + out("fs.tar").string()),
            ErrorKind::kIntegrity);
  fs::create_directories(out("existing"));
  EXPECT_EQ(error_of(bad.manifest, "type=local,dest=" + out("existing").string()),
            ErrorKind::kIntegrity);
  EXPECT_EQ(tree_with_contents(out("")), std::vector<std::string>{"existing"});
}

TEST_F(ExportRootfs, BadDestinations) {
  common::write_file_atomic(out("file"), "x");
  EXPECT_EQ(error_of(image_.manifest, "type=local,dest=" + out("file").string()),
            ErrorKind::kUsage);
  EXPECT_EQ(error_of(image_.manifest, "type=local,dest=" + out("no/such/dir").string()),
            ErrorKind::kNotFound);
  EXPECT_EQ(error_of(image_.manifest, "type=tar,dest=" + out("no/fs.tar").string()),
            ErrorKind::kNotFound);
  EXPECT_EQ(error_of(image_.manifest, "type=tar,dest=" + out("").string()), ErrorKind::kUsage);
  EXPECT_EQ(tree_with_contents(out("")), std::vector<std::string>{"file = x"});
}

}  // namespace
}  // namespace mybuild::image
