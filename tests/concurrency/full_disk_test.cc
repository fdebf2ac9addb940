// A full disk: the state root on a small tmpfs (20 MiB), then a RUN whose layer does not fit
// when committed and an import bigger than the disk. Each must fail with an error that names
// the path and "No space left on device", leave no partial blob (every blob's name is its
// sha256), no ingest temp file, and a store on which `mybuild images` and a small build work.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/mount.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

constexpr int kDiskMiB = 20;

class FullDisk : public BuildTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
    fs::create_directories(root());
    std::string opts = "size=" + std::to_string(kDiskMiB) + "m,mode=0700";
    if (::mount("tmpfs", root().c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
      GTEST_SKIP() << "mount(tmpfs, " << root() << "): " << std::strerror(errno);
    }
    mounted_ = true;
    BuildTest::SetUp();
  }
  void TearDown() override {
    // Nothing of a failed build may stay mounted under the root; MNT_DETACH so the test
    // cleans up whatever it finds, and reports it.
    if (mounted_ && ::umount2(root().c_str(), 0) != 0) {
      ADD_FAILURE() << "umount(" << root() << "): " << std::strerror(errno)
                    << " (something under the root is still mounted)";
      ::umount2(root().c_str(), MNT_DETACH);
    }
  }

  // A file of `mib` MiB that does not compress (deterministic: a counter through SHA-256).
  static void write_incompressible(const fs::path& path, int mib) {
    std::ofstream out(path, std::ios::binary);
    unsigned char block[32];
    for (uint64_t i = 0; i < static_cast<uint64_t>(mib) * 32768; ++i) {
      unsigned int len = 0;
      EVP_Digest(&i, sizeof i, block, &len, EVP_sha256(), nullptr);
      out.write(reinterpret_cast<const char*>(block), len);
    }
  }

  // Every blob's file name is its content's sha256, and no ingest file is left.
  void expect_store_whole() {
    for (const auto& e : fs::directory_iterator(layout() / "blobs/sha256")) {
      Ran sum = run_process({"sha256sum", e.path().string()}, {});
      EXPECT_EQ(sum.out.substr(0, 64), e.path().filename().string()) << "partial blob";
    }
    if (fs::exists(root() / "ingest")) {
      EXPECT_TRUE(fs::is_empty(root() / "ingest")) << "ingest leftovers";
    }
    Ran images = mybuild({"images"});
    EXPECT_TRUE(images.ok()) << images.both();
    EXPECT_NE(images.out.find("busybox"), std::string::npos) << images.out;
    dockerfile("FROM busybox\nRUN echo small > /small.txt\n");
    Ran small = build({"-t", "small:v1"});
    ASSERT_TRUE(small.ok()) << "a small build after the full disk: " << small.both();
    EXPECT_EQ(image("small:v1").content("/small.txt"), "small\n");
  }

  bool mounted_ = false;
};

bool says_full(const Ran& r, const std::string& path_part) {
  std::string all = r.out + r.err;
  return all.find("No space left on device") != std::string::npos &&
         all.find(path_part) != std::string::npos;
}

TEST_F(FullDisk, LayerCommitThatDoesNotFit) {
  // The RUN's files fit (12 of 20 MiB), their layer blob (as large again) does not.
  write_incompressible(ctx() / "noise", 12);
  dockerfile("FROM busybox\nCOPY noise /noise\n");
  Ran r = build({"-t", "big:v1"});
  ASSERT_FALSE(r.ok()) << r.both();
  EXPECT_TRUE(says_full(r, root().string())) << "the error names the path and the cause\n"
                                             << r.both();
  EXPECT_FALSE(manifest_of("big:v1"));
  expect_store_whole();
}

TEST_F(FullDisk, RunThatWritesMoreThanFits) {
  // busybox head says only "I/O error" on ENOSPC: the build names the full file system.
  dockerfile("FROM busybox\nRUN head -c 30000000 /dev/zero > /big\n");
  Ran r = build({"-t", "big:v1"});
  ASSERT_FALSE(r.ok()) << r.both();
  EXPECT_TRUE(says_full(r, root().string())) << r.both();
  EXPECT_FALSE(manifest_of("big:v1"));
  expect_store_whole();
}

TEST_F(FullDisk, ImportBiggerThanTheDisk) {
  fs::path tree = work() / "bigtree";
  fs::create_directories(tree);
  write_incompressible(tree / "noise", kDiskMiB + 4);
  fs::path tar = work() / "big.tar";
  ASSERT_TRUE(run_process({"tar", "-cf", tar.string(), "-C", tree.string(), "."}, {}).ok());
  Ran r = mybuild({"import", tar.string(), "big:v1"});
  ASSERT_FALSE(r.ok()) << r.both();
  EXPECT_TRUE(says_full(r, root().string())) << r.both();
  EXPECT_FALSE(manifest_of("big:v1"));
  expect_store_whole();
}

}  // namespace
}  // namespace mybuild::build_testing
