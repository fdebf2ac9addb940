#include "snapshot/image_store.h"

#include <fcntl.h>
#include <sys/file.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/io.h"
#include "common/media_types.h"

namespace mybuild::snapshot {
namespace {

using common::Error;
using common::ErrorKind;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::string_view kImageStoreMigrations[] = {
    "CREATE TABLE tags ("
    " name TEXT PRIMARY KEY,"
    " digest TEXT NOT NULL,"
    " descriptor TEXT NOT NULL,"  // the descriptor as JSON (keeps platform, annotations)
    " updated_at INTEGER NOT NULL);"
    "CREATE INDEX tags_by_digest ON tags (digest);"
    "CREATE TABLE tag_history ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " name TEXT NOT NULL,"
    " digest TEXT,"  // NULL: untagged
    " at INTEGER NOT NULL);"
    "CREATE INDEX tag_history_by_name ON tag_history (name, id);",
};

int64_t now_seconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

void check_name(std::string_view name) {
  if (name.empty()) throw Error(ErrorKind::kUsage, "an image name must not be empty");
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      throw Error(ErrorKind::kUsage, "invalid image name '" + std::string(name) +
                                         "': it contains whitespace or control characters");
    }
  }
}

common::Descriptor parse_descriptor(const std::string& text, std::string_view name) {
  try {
    return json::parse(text).get<common::Descriptor>();
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kIntegrity,
                "metadata for tag '" + std::string(name) + "' is corrupt: " + e.what());
  }
}

// Exclusive flock on a lock file for the life of the object.
class FileLock {
 public:
  explicit FileLock(const fs::path& path)
      : fd_(common::open_file(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    while (::flock(fd_.get(), LOCK_EX) != 0) {
      if (errno != EINTR) common::throw_errno("flock", path.string());
    }
  }

 private:
  common::UniqueFd fd_;  // closing it releases the lock
};

}  // namespace

std::string familiar_name(std::string_view name) {
  for (std::string_view prefix : {"docker.io/", "index.docker.io/"}) {
    if (name.substr(0, prefix.size()) == prefix) {
      name.remove_prefix(prefix.size());
      std::string_view library = "library/";
      if (name.substr(0, library.size()) == library &&
          name.find('/', library.size()) == std::string_view::npos) {
        name.remove_prefix(library.size());
      }
      break;
    }
  }
  return std::string(name);
}

ImageStore::ImageStore(const ContentStore& content, Database& db) : content_(content), db_(db) {
  db_.migrate("image_store", kImageStoreMigrations);
  sync_index();
}

void ImageStore::tag(std::string_view name, const common::Descriptor& target) {
  check_name(name);
  if (target.digest.empty() || target.media_type.empty()) {
    throw Error(ErrorKind::kInternal,
                "tag '" + std::string(name) + "': descriptor without digest or mediaType");
  }
  json j = target;
  const std::string descriptor = j.dump();
  {
    // Naming what the name already names changes nothing, and writes nothing: a no-op rebuild
    // then leaves the database as it was (issue 17; the history records changes only).
    auto st = db_.prepare("SELECT descriptor FROM tags WHERE name = ?");
    st.bind(1, name);
    if (st.step() && st.column_text(0) == descriptor) return;
  }
  int64_t now = now_seconds();
  {
    Transaction tx(db_);
    db_.prepare(
           "INSERT INTO tags (name, digest, descriptor, updated_at) VALUES (?, ?, ?, ?) "
           "ON CONFLICT(name) DO UPDATE SET digest = excluded.digest,"
           " descriptor = excluded.descriptor, updated_at = excluded.updated_at")
        .bind(1, name)
        .bind(2, target.digest.str())
        .bind(3, descriptor)
        .bind(4, now)
        .run();
    db_.prepare("INSERT INTO tag_history (name, digest, at) VALUES (?, ?, ?)")
        .bind(1, name)
        .bind(2, target.digest.str())
        .bind(3, now)
        .run();
    tx.commit();
  }
  sync_index();
}

std::optional<common::Descriptor> ImageStore::resolve(std::string_view name) {
  auto st = db_.prepare("SELECT descriptor FROM tags WHERE name = ?");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return parse_descriptor(st.column_text(0), name);
}

bool ImageStore::untag(std::string_view name) {
  {
    Transaction tx(db_);
    db_.prepare("DELETE FROM tags WHERE name = ?").bind(1, name).run();
    if (db_.changes() == 0) return false;
    db_.prepare("INSERT INTO tag_history (name, digest, at) VALUES (?, NULL, ?)")
        .bind(1, name)
        .bind(2, now_seconds())
        .run();
    tx.commit();
  }
  sync_index();
  return true;
}

std::vector<TagRecord> ImageStore::list() {
  std::vector<TagRecord> out;
  auto st = db_.prepare("SELECT name, descriptor, updated_at FROM tags ORDER BY name");
  while (st.step()) {
    std::string name = st.column_text(0);
    auto desc = parse_descriptor(st.column_text(1), name);
    out.push_back(TagRecord{std::move(name), std::move(desc), st.column_int(2)});
  }
  return out;
}

std::vector<TagEvent> ImageStore::history(std::string_view name) {
  std::vector<TagEvent> out;
  auto st = db_.prepare("SELECT digest, at FROM tag_history WHERE name = ? ORDER BY id");
  st.bind(1, name);
  while (st.step()) {
    std::optional<Digest> d;
    if (!st.is_null(0)) d = Digest::parse(st.column_text(0));
    out.push_back(TagEvent{std::string(name), std::move(d), st.column_int(1)});
  }
  return out;
}

std::string ImageStore::render_index() {
  json manifests = json::array();
  for (auto& rec : list()) {
    common::Descriptor d = rec.target;
    d.annotations[std::string(kRefNameAnnotation)] = familiar_name(rec.name);
    manifests.push_back(d);
  }
  json index = {{"schemaVersion", 2},
                {"mediaType", std::string(common::media_type::kOciIndex)},
                {"manifests", std::move(manifests)}};
  return index.dump() + "\n";
}

void ImageStore::sync_index() {
  const fs::path root = content_.layout_dir().parent_path();
  const fs::path index = content_.layout_dir() / "index.json";
  try {
    // Read the table under the lock: a writer that committed after us renders after us too,
    // so the last rename always carries the newest committed state.
    FileLock lock(root / "index.lock");
    std::string wanted = render_index();
    std::error_code ec;
    if (fs::exists(index, ec) && common::read_file(index) == wanted) return;
    common::write_file_atomic(index, wanted);
  } catch (Error& e) {
    e.add_context("writing " + index.string());
    throw;
  }
}

}  // namespace mybuild::snapshot
