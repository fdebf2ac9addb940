#include "snapshot/layer_splice.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>

#include "common/temp_dir.h"
#include "common/unique_fd.h"
#include "snapshot/diff.h"
#include "snapshot/layer_test_util.h"

namespace mybuild::snapshot {
namespace {

namespace fs = std::filesystem;

LayerOptions uncompressed() {
  LayerOptions o;
  o.compression = Compression::kNone;
  return o;
}

std::string diff_of(const fs::path& upper) {
  common::StringWriter out;
  diff_overlay_upper(upper, out, uncompressed());
  return out.take();
}

class LayerSplice : public ::testing::Test {
 protected:
  void SetUp() override {
    using testing::write_text;
    write_text(earlier() / "data/a", "alpha");
    write_text(earlier() / "data/big", std::string(200000, 'b'), 0755);
    // Longer than ustar's 100 bytes: a pax header goes first, and belongs to the entry's span.
    write_text(earlier() / "data/sub" / std::string(120, 'n'), "long name");
    write_text(earlier() / "data/sub/z", "zulu");
    fs::create_symlink("a", earlier() / "data/link");
    for (const char* p : {"data/a", "data/big", "data/sub/z", "data/sub", "data"}) {
      testing::set_mtime(earlier() / p, 1600000000);
    }
    write_blob(diff_of(earlier()));
    // The new upper dir: the same files hard-linked, one rewritten, one added.
    fs::copy(earlier(), now(),
             fs::copy_options::recursive | fs::copy_options::create_hard_links |
                 fs::copy_options::copy_symlinks);
    fs::remove(now() / "data/a");
    write_text(now() / "data/a", "alpha, changed");
    write_text(now() / "data/added", "new");
  }
  fs::path earlier() const { return dir_.path() / "earlier"; }
  fs::path now() const { return dir_.path() / "now"; }
  void write_blob(const std::string& bytes) {
    testing::write_text(dir_.path() / "blob", bytes);
    blob_ = common::open_file(dir_.path() / "blob", O_RDONLY);
    size_ = bytes.size();
  }
  std::optional<std::string> splice(const LayerOptions& options = uncompressed()) {
    common::StringWriter out;
    EarlierLayer from{earlier(), blob_.get(), size_, std::nullopt};
    auto layer = splice_overlay_upper(now(), from, out, options);
    if (!layer) return std::nullopt;
    EXPECT_EQ(static_cast<size_t>(layer->descriptor.size), out.str().size());
    return out.take();
  }

  common::TempDir dir_{"mybuild-splice-"};
  common::UniqueFd blob_;
  uint64_t size_ = 0;
};

TEST_F(LayerSplice, GivesTheBytesOfAFullDiff) {
  const auto spliced = splice();
  ASSERT_TRUE(spliced);
  const std::string full = diff_of(now());
  EXPECT_EQ(spliced->size(), full.size());
  EXPECT_TRUE(*spliced == full) << "the spliced layer differs from the diff";
}

TEST_F(LayerSplice, TakesSharedFilesFromTheEarlierBlob) {
  // Mark the earlier blob's copy of data/big: a splice shows the mark, a re-read would not.
  std::string bytes = diff_of(earlier());
  const size_t at = bytes.find(std::string(1000, 'b'));
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'X';
  write_blob(bytes);
  const auto spliced = splice();
  ASSERT_TRUE(spliced);
  EXPECT_NE(spliced->find("X" + std::string(999, 'b')), std::string::npos);
}

TEST_F(LayerSplice, IndexesRegularFilesWithTheirPaxHeaders) {
  const auto index = index_tar_files(blob_.get(), size_);
  EXPECT_EQ(index.count("data/a"), 1u);
  EXPECT_EQ(index.count("data/link"), 0u) << "symlinks are written fresh";
  const TarSpan big = index.at("data/big");
  EXPECT_EQ((big.end - big.begin) % 512, 0u);
  EXPECT_GE(big.end - big.begin, 200000u + 512);
}

TEST_F(LayerSplice, RefusesWhatItCannotWriteAlike) {
  LayerOptions epoch = uncompressed();
  epoch.source_date_epoch = 1;
  EXPECT_FALSE(splice(epoch)) << "another SOURCE_DATE_EPOCH than the earlier layer's";
  LayerOptions gzip;
  EXPECT_FALSE(splice(gzip)) << "a compressed layer";
  if (::geteuid() != 0) GTEST_SKIP() << "a whiteout is a 0/0 character device: mknod needs root";
  ASSERT_EQ(::mknod((now() / "data/gone").c_str(), S_IFCHR | 0600, makedev(0, 0)), 0);
  EXPECT_FALSE(splice()) << "a whiteout";
}

}  // namespace
}  // namespace mybuild::snapshot
