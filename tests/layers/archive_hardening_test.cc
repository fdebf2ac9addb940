// Untrusted archives are decoded in-process and within limits: a build context or ADD archive
// never reaches an external decompressor (libarchive runs lrzip, lzop, ... as programs), and
// the layer and context limits trip with an error naming what was unpacked and the limit,
// leaving no snapshot behind.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "builder/context/tar.h"
#include "builder/stage/build_store.h"
#include "common/cancel.h"
#include "common/error.h"
#include "common/io.h"
#include "common/temp_dir.h"
#include "snapshot/compression.h"
#include "snapshot/layer_test_util.h"

namespace mybuild {
namespace {

namespace fs = std::filesystem;
using snapshot::testing::TarBuilder;

std::string gzip(const std::string& data) {
  common::StringWriter out;
  auto c = snapshot::make_compressor(snapshot::Compression::kGzip, out);
  c->write(data);
  c->finish();
  return out.str();
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string unpack_error(const std::string& tar) {
  common::TempDir dest;
  common::StringReader in(tar);
  try {
    builder::unpack_context_tar(in, dest.path());
    return "";
  } catch (const common::Error& e) {
    return e.full_message();
  }
}

// Fake lrzip and lzop first on PATH: if libarchive ever runs one, it leaves a mark.
class ExternalDecompressors : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::path bin = dir_.path() / "bin";
    fs::create_directories(bin);
    for (const char* tool : {"lrzip", "lzop", "lzip", "grzip", "lz4", "lzma"}) {
      common::write_file_atomic(
          bin / tool,
          "#!/bin/sh\necho ran >> " + (dir_.path() / "ran").string() + "\ncat >/dev/null\n", 0755);
    }
    const char* path = std::getenv("PATH");
    path_.emplace("PATH", bin.string() + ":" + (path ? path : "/usr/bin:/bin"));
  }
  bool ran() const { return fs::exists(dir_.path() / "ran"); }

  common::TempDir dir_;
  std::optional<ScopedEnv> path_;
};

TEST_F(ExternalDecompressors, LrzipInsideGzipIsRefusedNotExecuted) {
  // The lrzip magic with a version libarchive's bidder accepts (0.6), then junk.
  std::string lrzip = std::string("LRZI\x00\x06", 6) + std::string(200, 'x');
  std::string err = unpack_error(gzip(lrzip));
  EXPECT_FALSE(ran()) << "libarchive ran an external decompressor";
  EXPECT_NE(err, "") << "an lrzip stream was accepted as a context";
}

TEST_F(ExternalDecompressors, LzopInsideGzipIsRefusedNotExecuted) {
  std::string lzop = std::string("\x89LZO\x00\r\n\x1a\n", 9) + std::string(200, 'x');
  std::string err = unpack_error(gzip(lzop));
  EXPECT_FALSE(ran()) << "libarchive ran an external decompressor";
  EXPECT_NE(err, "") << "an lzop stream was accepted as a context";
}

TEST_F(ExternalDecompressors, InProcessFormatsStillUnpack) {
  std::string tar = TarBuilder().file("a.txt", "hello").take();
  EXPECT_EQ(unpack_error(gzip(tar)), "");
  EXPECT_EQ(unpack_error(tar), "");
  EXPECT_FALSE(ran());
}

TEST(ContextLimits, EntriesAndRatioTripNamingTheArchiveAndTheLimit) {
  TarBuilder many;
  for (int i = 0; i < 10; ++i) many.file(std::to_string(i), "x");
  {
    ScopedEnv limit("MYBUILD_MAX_LAYER_ENTRIES", "5");
    std::string err = unpack_error(many.take());
    EXPECT_NE(err.find("build context tar: more than 5 entries"), std::string::npos) << err;
    EXPECT_NE(err.find("MYBUILD_MAX_LAYER_ENTRIES"), std::string::npos) << err;
  }
  std::string bomb = gzip(TarBuilder().file("zeros", std::string(8 << 20, '\0')).take());
  ScopedEnv floor("MYBUILD_LAYER_RATIO_FLOOR", "1M");
  ScopedEnv ratio("MYBUILD_MAX_LAYER_RATIO", "100");
  std::string err = unpack_error(bomb);
  EXPECT_NE(err.find("build context tar"), std::string::npos) << err;
  EXPECT_NE(err.find("ratio limit of 100:1"), std::string::npos) << err;
  ScopedEnv file("MYBUILD_MAX_LAYER_FILE_SIZE", "1M");
  ScopedEnv off("MYBUILD_MAX_LAYER_RATIO", "0");
  err = unpack_error(bomb);
  EXPECT_NE(err.find("\"zeros\" is 8388608 bytes"), std::string::npos) << err;
  EXPECT_NE(err.find("MYBUILD_MAX_LAYER_FILE_SIZE"), std::string::npos) << err;
}

TEST(ContextTar, NamesThatLeaveTheContextAreRefusedAsBadInput) {
  for (const char* name : {"../evil", "a/../../evil", "/etc/evil"}) {
    common::TempDir dest;
    common::StringReader in(TarBuilder().file(name, "x").take());
    try {
      builder::unpack_context_tar(in, dest.path());
      ADD_FAILURE() << name << " was unpacked";
    } catch (const common::Error& e) {
      // Not kUsage: that would exit 2 and print a usage hint for what is bad input.
      EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity) << name;
      EXPECT_NE(e.message().find("unsafe"), std::string::npos) << e.message();
    }
    EXPECT_FALSE(fs::exists(dest.path().parent_path() / "evil"));
  }
}

// A layer over a limit: the error names the layer's digest and the limit, and the store keeps
// no snapshot of it, active or committed.
TEST(LayerLimits, FailedUnpackLeavesNoSnapshot) {
  common::TempDir root;
  builder::BuildStore store(root.path());
  TarBuilder b;
  for (int i = 0; i < 10; ++i) b.file(std::to_string(i), std::string(100, 'y'));
  std::string tar = b.take();
  auto writer = store.content().writer("test layer");
  writer->write(gzip(tar));
  common::Descriptor blob;
  blob.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  blob.digest = writer->commit();
  blob.size = static_cast<int64_t>(gzip(tar).size());
  image::LayerRef layer{blob, common::Digest::sha256_of(tar)};
  common::CancelToken cancel;
  auto snapshots = [&] {
    int n = 0;
    if (!fs::exists(root.path() / "snapshots")) return 0;
    for (const auto& driver : fs::directory_iterator(root.path() / "snapshots")) {
      if (!driver.is_directory()) continue;
      for (const auto& s : fs::directory_iterator(driver.path())) n += s.is_directory() ? 1 : 0;
    }
    return n;
  };
  const int before = snapshots();
  for (auto [var, value] :
       {std::pair{"MYBUILD_MAX_LAYER_ENTRIES", "5"}, std::pair{"MYBUILD_MAX_LAYER_SIZE", "500"}}) {
    ScopedEnv limit(var, value);
    try {
      store.ensure_snapshot({layer}, cancel);
      ADD_FAILURE() << var << " did not trip";
    } catch (const common::Error& e) {
      EXPECT_EQ(e.kind(), common::ErrorKind::kResource);
      EXPECT_NE(e.full_message().find(blob.digest.str()), std::string::npos) << e.full_message();
      EXPECT_NE(e.full_message().find(var), std::string::npos) << e.full_message();
    }
    EXPECT_EQ(snapshots(), before) << var;
    EXPECT_FALSE(store.with_snapshotter(
        [&](snapshot::Snapshotter& s) { return s.stat(builder::chain_id_of({layer})); }));
  }
  // Within the limits the same layer unpacks: the test above could fail.
  EXPECT_EQ(store.ensure_snapshot({layer}, cancel), builder::chain_id_of({layer}));
  EXPECT_EQ(snapshots(), before + 1);
}

}  // namespace
}  // namespace mybuild
