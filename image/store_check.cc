#include "image/store_check.h"

#include <array>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "common/descriptor.h"
#include "common/error.h"
#include "common/media_types.h"
#include "image/store_check_internal.h"
#include "snapshot/content_store.h"
#include "snapshot/database.h"
#include "snapshot/image_store.h"

namespace mybuild::image {
namespace {

namespace fs = std::filesystem;
namespace mt = common::media_type;
using common::Descriptor;
using common::Digest;

constexpr int64_t kWalHeader = 32;
constexpr int64_t kWalFrameHeader = 24;

std::optional<Digest> hash_blob(const snapshot::ContentStore& content, const Digest& d) {
  auto reader = content.open(d);
  common::Sha256 hash;
  std::array<char, 1 << 16> buf{};
  while (size_t n = reader->read(buf)) hash.update(buf.data(), n);
  return hash.finish();
}

}  // namespace

void check_wal(const fs::path& root, CheckReport& report) {
  fs::path wal = snapshot::metadata_path(root).string() + "-wal";
  std::error_code ec;
  auto size = static_cast<int64_t>(fs::file_size(wal, ec));
  if (ec || size == 0) return;  // no WAL or an empty one (a checkpoint may truncate it)
  std::ifstream in(wal, std::ios::binary);
  std::array<unsigned char, kWalHeader> header{};
  in.read(reinterpret_cast<char*>(header.data()), kWalHeader);
  int64_t page = (int64_t{header[8]} << 24) | (header[9] << 16) | (header[10] << 8) | header[11];
  // SQLite appends a frame as two writes, its header and then its page, and commits with the
  // last frame of a transaction. A process killed between the two leaves one lone frame header
  // at the end: a transaction that never committed, which recovery ignores; nothing was lost.
  // Any other tail means frames of committed transactions were cut away.
  bool headed = size >= kWalHeader && page >= 512;
  int64_t tail = headed ? (size - kWalHeader) % (kWalFrameHeader + page) : -1;
  if (tail == 0 || tail == kWalFrameHeader) return;
  report.problems.push_back(
      {wal.string() + " is cut short (" + std::to_string(size) +
           " bytes, not whole frames): the database keeps only its last complete transaction, "
           "and what the lost ones recorded is checked below",
       false});
}

void check_store(const fs::path& root, const CheckOptions& options, CheckReport& report) {
  snapshot::ContentStore content(root);
  snapshot::Database db(snapshot::metadata_path(root));
  // Opening the database recovered whatever the WAL held; a cut WAL is settled by that, and a
  // repair moves it into the database and empties the file (a close no longer checkpoints:
  // snapshot/database.cc), so that the next check does not find the cut tail again.
  if (options.repair) db.exec("PRAGMA wal_checkpoint(TRUNCATE);");
  for (auto& p : report.problems) p.repaired = p.repaired || options.repair;
  std::set<Digest> corrupt = check_blobs(content, options, report);
  check_references(content, db, corrupt, options, report);
  check_snapshots(root, db, options, report);
}

std::set<Digest> check_blobs(const snapshot::ContentStore& content, const CheckOptions& options,
                             CheckReport& report) {
  std::set<Digest> corrupt;
  for (const auto& blob : content.list()) {
    ++report.blobs;
    std::string why;
    try {
      Digest actual = *hash_blob(content, blob.digest);
      if (actual != blob.digest) why = "content hashes to " + actual.str();
    } catch (const common::Error& e) {
      why = std::string("cannot be read: ") + e.what();
    }
    if (why.empty()) continue;
    corrupt.insert(blob.digest);
    bool repaired = options.repair && content.remove(blob.digest);
    report.problems.push_back({"blob " + blob.digest.str() + ": " + why, repaired});
  }
  return corrupt;
}

}  // namespace mybuild::image
