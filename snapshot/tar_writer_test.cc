// The tar bytes of TarWriter are what users' layer digests depend on: they are pinned here, for
// entries at the sizes where tar's 512-byte blocks and add_file's read chunks (1 MiB) change,
// and compared against the same entries written through write_data() in odd-sized pieces.
#include "snapshot/tar_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/digest.h"
#include "common/error.h"
#include "common/io.h"

namespace mybuild::snapshot {
namespace {

std::string tar_test_content(size_t n, unsigned seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

struct TarTestFile {
  TarEntry entry;
  std::string content;
};

std::vector<TarTestFile> tar_test_files() {
  std::vector<TarTestFile> files;
  const size_t sizes[] = {0, 1, 511, 512, 513, 1 << 20, (1 << 20) + 1, (3 << 20) + 5};
  unsigned seed = 1;
  for (size_t size : sizes) {
    TarEntry e;
    e.path = "dir/file-" + std::to_string(size);
    e.mode = 0640;
    e.uid = 1000;
    e.gid = 100;
    e.mtime = 1700000000 + seed;
    e.size = static_cast<int64_t>(size);
    files.push_back({e, tar_test_content(size, seed++)});
  }
  TarEntry x;  // xattrs: a PAX header before the ustar one
  x.path = "dir/with-xattrs";
  x.size = 700;
  x.xattrs = {{"security.capability", std::string("\x01\x00\x00\x02", 4)}, {"user.k", "v"}};
  files.push_back({x, tar_test_content(700, seed++)});
  TarEntry sparse;  // a sparse file reads as its zeros: the tar holds them (no GNU sparse)
  sparse.path = "dir/" + std::string(120, 's');  // past ustar's 100-byte name: PAX path
  sparse.size = 2 << 20;
  std::string holes(2 << 20, '\0');
  holes[1 << 20] = 'x';
  files.push_back({sparse, holes});
  return files;
}

void add_tar_test_markers(TarWriter& w) {
  TarEntry dir;
  dir.path = "dir";
  dir.type = TarEntry::Type::kDir;
  dir.mode = 0755;
  w.add(dir);
  TarEntry hard;
  hard.path = "dir/hard";
  hard.type = TarEntry::Type::kHardlink;
  hard.link = "dir/file-1";
  w.add(hard);
}

TEST(TarWriter, AddFileBytesEqualPiecewiseWritesAndThePinnedDigest) {
  const std::vector<TarTestFile> files = tar_test_files();
  common::StringWriter whole, pieces;
  {
    TarWriter w(whole);
    add_tar_test_markers(w);
    for (const TarTestFile& f : files) {
      common::StringReader in(f.content);
      w.add_file(f.entry, in);
    }
    w.finish();
  }
  {
    TarWriter w(pieces);
    add_tar_test_markers(w);
    for (const TarTestFile& f : files) {
      w.add(f.entry);
      std::string_view rest = f.content;
      for (size_t step = 1; !rest.empty(); step = step * 3 + 7) {
        const size_t n = std::min(step, rest.size());
        w.write_data(rest.substr(0, n));
        rest.remove_prefix(n);
      }
    }
    w.finish();
  }
  EXPECT_EQ(whole.str().size(), pieces.str().size());
  EXPECT_TRUE(whole.str() == pieces.str());
  EXPECT_EQ(whole.str().size() % 512, 0u);
  // Written by main before issue 17's changes to the write path; a change here changes the
  // digest of every layer users have built.
  EXPECT_EQ(common::Digest::sha256_of(whole.str()).str(),
            "sha256:1de6f9f589ca9bc28b634f9071aa81e02cfa53398fde14ac966955d543203fff");
}

TEST(TarWriter, FileThatShrankIsAnError) {
  TarEntry e;
  e.path = "short";
  e.size = 10;
  common::StringReader in("12345");
  common::StringWriter out;
  TarWriter w(out);
  EXPECT_THROW(w.add_file(e, in), common::Error);
}

}  // namespace
}  // namespace mybuild::snapshot
