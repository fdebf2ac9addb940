#include "builder/context/checksum_memo.h"

#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "snapshot/database.h"

namespace mybuild::builder {
namespace {

const common::Digest kMemoTestDigest = common::Digest::sha256_of("content");

// What a mybuild before issue 17 did with the memo: its one-step migration and its INSERT.
void write_as_an_older_mybuild(const std::filesystem::path& file, const FileIdentity& id) {
  snapshot::Database db(file);
  db.migrate("builder_file_hashes",
             {"CREATE TABLE file_hashes (dev INTEGER NOT NULL, ino INTEGER NOT NULL, "
              "size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, "
              "digest TEXT NOT NULL, PRIMARY KEY (dev, ino)) WITHOUT ROWID"});
  db.prepare("INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?, ?, ?, ?)")
      .bind(1, static_cast<int64_t>(id.dev))
      .bind(2, static_cast<int64_t>(id.ino))
      .bind(3, id.size)
      .bind(4, id.mtime_ns)
      .bind(5, id.ctime_ns)
      .bind(6, kMemoTestDigest.str())
      .run();
}

// Rows of an older mybuild stay hits, and say that the xattrs are not known (so the walk lists
// them); any field of the identity that differs is a miss.
TEST(ChecksumMemo, RowsOfAnOlderMybuildSayTheXattrsAreNotKnown) {
  common::TempDir dir;
  const auto file = dir.path() / "file-hashes.db";
  const FileIdentity id{1, 2, 3, 4, 5};
  write_as_an_older_mybuild(file, id);
  FileHashMemo memo(file);
  auto known = memo.lookup(id);
  ASSERT_TRUE(known.has_value());
  EXPECT_EQ(known->content, kMemoTestDigest);
  EXPECT_FALSE(known->no_layer_xattrs);
  EXPECT_FALSE(memo.lookup({1, 2, 3, 4, 6}).has_value());
  EXPECT_FALSE(memo.lookup({1, 2, 3, 5, 5}).has_value());
  EXPECT_FALSE(memo.lookup({1, 2, 4, 4, 5}).has_value());
  const std::pair<FileIdentity, RememberedFile> row{id, {kMemoTestDigest, true}};
  memo.store({&row, 1});
  EXPECT_TRUE(memo.lookup(id)->no_layer_xattrs);
}

// The store stays usable by the mybuild it was upgraded from (a runner with two versions, or a
// downgrade), and what that mybuild writes is never read as "no xattrs" for another identity.
TEST(ChecksumMemo, AnOlderMybuildCanStillUseTheMemo) {
  common::TempDir dir;
  const auto file = dir.path() / "file-hashes.db";
  const FileIdentity before{1, 2, 3, 4, 5}, after{1, 2, 3, 4, 9};  // a ctime moved by setxattr
  {
    FileHashMemo memo(file);
    const std::pair<FileIdentity, RememberedFile> row{before, {kMemoTestDigest, true}};
    memo.store({&row, 1});
  }
  ASSERT_NO_THROW(write_as_an_older_mybuild(file, after));
  FileHashMemo memo(file);
  auto known = memo.lookup(after);
  ASSERT_TRUE(known.has_value());
  EXPECT_FALSE(known->no_layer_xattrs);
  EXPECT_FALSE(memo.lookup(before).has_value());
}

}  // namespace
}  // namespace mybuild::builder
