#include "builder/context/checksum_memo.h"

#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "snapshot/database.h"

namespace mybuild::builder {
namespace {

const common::Digest kMemoTestDigest = common::Digest::sha256_of("content");

// A memo written by a mybuild that did not remember xattrs is upgraded in place: its rows stay
// hits, and say that the xattrs are not known (so the walk lists them).
TEST(ChecksumMemo, VersionOneRowsSayTheXattrsAreNotKnown) {
  common::TempDir dir;
  const auto file = dir.path() / "file-hashes.db";
  {
    snapshot::Database db(file);
    db.migrate("builder_file_hashes",
               {"CREATE TABLE file_hashes (dev INTEGER NOT NULL, ino INTEGER NOT NULL, "
                "size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, "
                "digest TEXT NOT NULL, PRIMARY KEY (dev, ino)) WITHOUT ROWID"});
    db.prepare("INSERT INTO file_hashes VALUES (1, 2, 3, 4, 5, ?)")
        .bind(1, kMemoTestDigest.str())
        .run();
  }
  FileHashMemo memo(file);
  const FileIdentity id{1, 2, 3, 4, 5};
  auto known = memo.lookup(id);
  ASSERT_TRUE(known.has_value());
  EXPECT_EQ(known->content, kMemoTestDigest);
  EXPECT_FALSE(known->no_layer_xattrs);
  // Any field of the identity that differs is a miss.
  EXPECT_FALSE(memo.lookup({1, 2, 3, 4, 6}).has_value());
  EXPECT_FALSE(memo.lookup({1, 2, 3, 5, 5}).has_value());
  EXPECT_FALSE(memo.lookup({1, 2, 4, 4, 5}).has_value());
  const std::pair<FileIdentity, RememberedFile> row{id, {kMemoTestDigest, true}};
  memo.store({&row, 1});
  EXPECT_TRUE(memo.lookup(id)->no_layer_xattrs);
}

}  // namespace
}  // namespace mybuild::builder
