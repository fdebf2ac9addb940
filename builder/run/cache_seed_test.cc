// seed_cache_dir on real trees (no root needed): the copy, its top directory's mode, symlinks
// clamped to the tree, a missing or file source refused, a seed that lost the race kept.
#include "builder/run/cache_seed.h"

#include <gtest/gtest.h>

#include "builder/context/test_util.h"
#include "builder/run/cache_instance.h"
#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::builder {
namespace {

namespace fs = std::filesystem;
using testing::write;

class CacheSeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write(stage() / "sub/a.txt", "a");
    write(stage() / "sub/deep/b.txt", "b", 0600);
    fs::permissions(stage() / "sub",
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);  // 0750
    write(stage() / "file.txt", "f");
    // Outside the tree: a symlink to it must not reach it.
    write(dir_.path() / "host/secret", "host");
    testing::symlink((dir_.path() / "host").string(), stage() / "out");
    testing::symlink("../../../sub", stage() / "up");
  }
  fs::path stage() const { return dir_.path() / "stage"; }
  fs::path cache(const std::string& name) const { return dir_.path() / "caches" / name; }
  void seed(const std::string& source, const fs::path& dir) {
    fs::create_directories(dir.parent_path());
    seed_cache_dir(BuildContext::open_directory(stage(), include_everything()), source,
                   "stage deps", dir, dir_.path() / "tmp");
  }
  common::TempDir dir_{"mybuild-cacheseed-"};
};

TEST_F(CacheSeedTest, CopiesTheSourceTreeWithItsTopDirectoryMode) {
  seed("/sub", cache("c"));
  EXPECT_TRUE(fs::is_regular_file(cache("c") / "a.txt"));
  EXPECT_TRUE(fs::is_regular_file(cache("c") / "deep/b.txt"));
  EXPECT_EQ(fs::status(cache("c")).permissions() & fs::perms::all,
            fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  // The scratch copy went away with the rename.
  EXPECT_TRUE(fs::is_empty(dir_.path() / "tmp"));
  // A symlink that climbs is clamped to the tree: "up" is the tree's own /sub.
  seed("up", cache("d"));
  EXPECT_TRUE(fs::is_regular_file(cache("d") / "a.txt"));
}

TEST_F(CacheSeedTest, RefusesWhatIsNotADirectoryOfTheTree) {
  try {
    seed("out", cache("c"));  // resolves to <tree>/<host path>, which the tree lacks
    ADD_FAILURE() << "a symlink out of the tree was followed";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find("\"out\": not found in stage deps"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(seed("/missing", cache("c")), common::Error);
  EXPECT_THROW(seed("/file.txt", cache("c")), common::Error);
  EXPECT_FALSE(fs::exists(cache("c")));
  // Refused before any copy: no scratch directory was made.
  EXPECT_TRUE(!fs::exists(dir_.path() / "tmp") || fs::is_empty(dir_.path() / "tmp"));
}

TEST_F(CacheSeedTest, AnExistingCacheWinsTheRace) {
  fs::create_directories(cache("c"));
  write(cache("c") / "mine", "x");
  seed("/sub", cache("c"));
  EXPECT_TRUE(fs::exists(cache("c") / "mine"));
  EXPECT_FALSE(fs::exists(cache("c") / "a.txt"));
}

TEST(SeededCacheIdHash, NamesIdFromAndCleanedSource) {
  const std::string h = seeded_cache_id_hash("/x", "sha256:abc", "/sub");
  EXPECT_EQ(h, seeded_cache_id_hash("/x", "sha256:abc", "sub/"));
  EXPECT_EQ(h, seeded_cache_id_hash("/x", "sha256:abc", "./sub/."));
  EXPECT_NE(h, seeded_cache_id_hash("/x", "sha256:abd", "/sub"));
  EXPECT_NE(h, seeded_cache_id_hash("/y", "sha256:abc", "/sub"));
  EXPECT_NE(h, seeded_cache_id_hash("/x", "sha256:abc", "/"));
  EXPECT_NE(h, cache_mount_id_hash("/x"));  // the plain cache is another directory
}

}  // namespace
}  // namespace mybuild::builder
