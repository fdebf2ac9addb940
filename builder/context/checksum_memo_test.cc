#include "builder/context/checksum_memo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

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

// lookup_many answers what lookup answers, file by file, whether it scans a device's inodes
// (dense: device 7) or looks each one up (a lone file: devices 8 and 9); with hard links (an
// inode wanted twice), a changed file, and remembered files nobody asked for in the range.
TEST(ChecksumMemo, ManyLookupsAnswerAsOneByOne) {
  common::TempDir dir;
  FileHashMemo memo(dir.path() / "file-hashes.db");
  std::vector<std::pair<FileIdentity, RememberedFile>> rows;
  for (int64_t i = 0; i < 40; ++i) {
    const FileIdentity id{7, 1000 + 2 * static_cast<uint64_t>(i), i, 10, 20};
    rows.emplace_back(id, RememberedFile{common::Digest::sha256_of(std::to_string(i)), i % 3 == 0});
  }
  rows.emplace_back(FileIdentity{8, 1001, 1, 2, 3}, RememberedFile{kMemoTestDigest, false});
  rows.emplace_back(FileIdentity{9, uint64_t{1} << 63, 1, 2, 3},
                    RememberedFile{kMemoTestDigest, true});
  memo.store(rows);
  const std::pair<FileIdentity, RememberedFile> unasked{{7, 1005, 1, 2, 3},
                                                        {kMemoTestDigest, true}};
  memo.store(std::span(&unasked, 1));
  std::vector<FileIdentity> wanted;
  for (const auto& row : rows) wanted.push_back(row.first);
  wanted.push_back(rows[5].first);  // another name of the same inode
  FileIdentity changed = rows[6].first;
  changed.ctime_ns += 1;
  wanted.push_back(changed);
  wanted.push_back({7, 1001, 0, 10, 20});  // never remembered
  std::reverse(wanted.begin(), wanted.end());
  const auto many = memo.lookup_many(wanted);
  ASSERT_EQ(many.size(), wanted.size());
  int hits = 0;
  for (size_t i = 0; i < wanted.size(); ++i) {
    const auto one = memo.lookup(wanted[i]);
    ASSERT_EQ(many[i].has_value(), one.has_value()) << i;
    if (!one) continue;
    ++hits;
    EXPECT_EQ(many[i]->content, one->content) << i;
    EXPECT_EQ(many[i]->no_layer_xattrs, one->no_layer_xattrs) << i;
  }
  EXPECT_EQ(hits, 43);  // the 42 rows and the second name; not the changed file nor 1001
  EXPECT_TRUE(many[wanted.size() - 1 - 3]->no_layer_xattrs);  // rows[3]: i % 3 == 0
  EXPECT_FALSE(many[wanted.size() - 1 - 4]->no_layer_xattrs);
}

}  // namespace
}  // namespace mybuild::builder
