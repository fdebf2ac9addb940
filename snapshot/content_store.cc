#include "snapshot/content_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <random>
#include <system_error>

#include "common/error.h"
#include "common/log.h"
#include "snapshot/blob_write_behind.h"

namespace mybuild::snapshot {
namespace {

using common::Error;
using common::ErrorKind;
using common::UniqueFd;
namespace fs = std::filesystem;

constexpr std::string_view kOciLayoutFile = R"({"imageLayoutVersion":"1.0.0"})";
constexpr std::string_view kAlgorithms[] = {"sha256", "sha512"};

void make_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::kResource, "mkdir(" + dir.string() + "): " + ec.message());
}

void fsync_dir(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0) common::throw_errno("fsync", dir.string());
}

// Unique within the host: pid, a per-process counter and 64 random bits.
std::string unique_name(std::string_view suffix) {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(rng()) + std::string(suffix);
}

// Gives an anonymous O_TMPFILE a name, so rename() can move it into place. Through /proc
// first (needs no capability), then AT_EMPTY_PATH (needs CAP_DAC_READ_SEARCH).
void link_anonymous(int fd, const fs::path& name) {
  std::string proc = "/proc/self/fd/" + std::to_string(fd);
  if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) return;
  int err = errno;
  if (::linkat(fd, "", AT_FDCWD, name.c_str(), AT_EMPTY_PATH) == 0) return;
  common::throw_errno("linkat", proc + " -> " + name.string(), err);
}

// <root>/blobs.lock: shared while a commit puts a blob in place or finds it there, exclusive
// while the collector decides and removes (ContentStore::lock_for_sweep).
UniqueFd lock_blobs(const fs::path& layout, int operation) {
  fs::path path = layout.parent_path() / "blobs.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) common::throw_errno("open", path.string());
  while (::flock(fd.get(), operation) != 0) {
    if (errno != EINTR) common::throw_errno("flock", path.string());
  }
  return fd;
}

}  // namespace

ContentWriter::ContentWriter(fs::path layout, fs::path ingest, std::string ref)
    : layout_(std::move(layout)), ingest_(std::move(ingest)), ref_(std::move(ref)) {
  // Anonymous while being written: a SIGKILL leaves nothing behind, not even in ingest/.
  fd_.reset(::open(ingest_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0444));
  if (!fd_ && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // File systems without O_TMPFILE: a named file, locked below so that clean_ingest() of
    // another process leaves it alone (a tiny window between open and flock remains).
    named_ = ingest_ / unique_name(".tmp");
    fd_.reset(::open(named_.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0444));
  }
  if (!fd_) common::throw_errno("open", ingest_.string() + " (ingest of " + ref_ + ")");
  if (::flock(fd_.get(), LOCK_EX) != 0) common::throw_errno("flock", ingest_.string());
}

ContentWriter::~ContentWriter() {
  if (!done_) discard();
}

void ContentWriter::discard() noexcept {
  behind_.reset();  // its thread uses fd_
  if (!named_.empty()) ::unlink(named_.c_str());
  named_.clear();
  fd_.reset();
  done_ = true;
}

void ContentWriter::write(std::string_view data) {
  if (done_) throw Error(ErrorKind::kInternal, "write after commit (ingest of " + ref_ + ")");
  try {
    // The hash runs beside the write (two cores: a layer's bytes cost one pass, not two).
    hash_.update_beside(data, [&] { common::FdWriter(fd_.get()).write(data); });
    write_behind();
  } catch (Error& e) {
    // A full disk shows here: name where the bytes were going, and free what was written now
    // rather than when the caller drops the writer (the writer is spent either way).
    discard();
    e.add_context("writing a blob in " + ingest_.string() + " (ingest of " + ref_ + ")");
    throw;
  }
}

// Every kWritebackStep bytes, asks the kernel to start writing the step just written to the
// disk (without waiting), and hands the rest to a BlobWriteBehind (blob_write_behind.h: waits on
// its own thread, drops the written pages from the cache, fdatasyncs as the blob grows), so that
// commit's fsync waits for the last steps only. A file system without sync_file_range (EINVAL,
// ESPIPE, ENOSYS), or a process without a thread to spare, just gets the fsync.
void ContentWriter::write_behind() {
  constexpr uint64_t kWritebackStep = 8 << 20;
  const uint64_t written = hash_.bytes();
  if (written - writeback_from_ < kWritebackStep) return;
  if (::sync_file_range(fd_.get(), static_cast<off64_t>(writeback_from_),
                        static_cast<off64_t>(written - writeback_from_),
                        SYNC_FILE_RANGE_WRITE) != 0) {
    return;  // no write-behind on this file system: leave it all to the fsync
  }
  writeback_from_ = written;
  if (!behind_ && !no_behind_) {
    try {
      behind_ = std::make_unique<BlobWriteBehind>(fd_.get());
    } catch (const std::system_error& e) {
      no_behind_ = true;
      common::log::debug("no thread to write " + ref_ + " behind (" + e.what() +
                         "): commit's fsync does all of it");
    }
  }
  std::string_view call;
  if (behind_) {
    if (int err = behind_->written(written, call)) {
      common::throw_errno(call, "ingest of " + ref_, err);
    }
  }
}

Digest ContentWriter::commit(std::optional<int64_t> size, std::optional<Digest> expected) {
  if (done_) throw Error(ErrorKind::kInternal, "commit twice (ingest of " + ref_ + ")");
  auto written = static_cast<int64_t>(hash_.bytes());
  Digest actual = hash_.finish();
  if (size && *size != written) {
    discard();
    throw Error(ErrorKind::kIntegrity, "size mismatch for " + ref_ + ": expected " +
                                           std::to_string(*size) + " bytes, got " +
                                           std::to_string(written));
  }
  if (expected && *expected != actual) {
    discard();
    throw Error(ErrorKind::kIntegrity, "digest mismatch for " + ref_ + ": expected " +
                                           expected->str() + ", got " + actual.str());
  }
  fs::path dir = layout_ / "blobs" / std::string(actual.algorithm());
  fs::path target = dir / std::string(actual.hex());
  // Under the shared lock, a collector cannot sweep between "present" and our caller naming
  // the blob: either it removed the blob before we looked (and we write it), or it sees the
  // blob as written now, during the writer's live lease, and keeps it (gc.h).
  UniqueFd sweep = lock_blobs(layout_, LOCK_SH);
  struct stat st;
  if (::stat(target.c_str(), &st) == 0 && st.st_size == written) {
    discard();  // already present: same digest, same bytes
    // An old unreferenced copy (an image removed, not yet pruned) is as good as new bytes
    // once its mtime says so.
    if (::utimensat(AT_FDCWD, target.c_str(), nullptr, 0) != 0) {
      common::throw_errno("utimensat", target.string());
    }
    return actual;
  }
  try {
    std::string_view call;
    if (int err = behind_ ? behind_->finish(call) : 0) {
      common::throw_errno(call, "ingest of " + ref_, err);
    }
    behind_.reset();
    if (::fsync(fd_.get()) != 0) common::throw_errno("fsync", "ingest of " + ref_);
    if (named_.empty()) {
      named_ = ingest_ / unique_name(".commit");
      link_anonymous(fd_.get(), named_);
    }
    make_dirs(dir);
    if (::rename(named_.c_str(), target.c_str()) != 0) {
      common::throw_errno("rename", named_.string() + " -> " + target.string());
    }
    named_.clear();
    fsync_dir(dir);
  } catch (Error& e) {
    discard();
    e.add_context("committing " + actual.str());
    throw;
  }
  fd_.reset();
  done_ = true;
  return actual;
}

ContentStore::ContentStore(const fs::path& root) : layout_(root / "oci"), ingest_(root / "ingest") {
  make_dirs(layout_ / "blobs" / "sha256");
  make_dirs(ingest_);
  fs::path layout_file = layout_ / "oci-layout";
  if (::access(layout_file.c_str(), F_OK) != 0) {
    try {
      common::write_file_atomic(layout_file, kOciLayoutFile);
    } catch (const Error&) {
      // Threads of one process opening a fresh root share write_file_atomic's per-pid temp
      // name, so one rename can lose; what matters is that some opener wrote the file.
      if (::access(layout_file.c_str(), F_OK) != 0) throw;
    }
  }
  clean_ingest();
}

fs::path ContentStore::blob_path(const Digest& d) const {
  if (d.empty()) throw Error(ErrorKind::kInternal, "blob_path of an empty digest");
  // Digest::parse admits only [a-z0-9] algorithms and hex, so this cannot leave the layout.
  return layout_ / "blobs" / std::string(d.algorithm()) / std::string(d.hex());
}

std::optional<BlobInfo> ContentStore::info(const Digest& d) const {
  fs::path p = blob_path(d);
  struct stat st;
  if (::stat(p.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    common::throw_errno("stat", p.string());
  }
  return BlobInfo{d, static_cast<int64_t>(st.st_size)};
}

std::unique_ptr<common::Reader> ContentStore::open(const Digest& d) const {
  fs::path p = blob_path(d);
  UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) {
      throw Error(ErrorKind::kNotFound, "blob " + d.str() + " not found in " + layout_.string());
    }
    common::throw_errno("open", p.string());
  }
  return std::make_unique<common::FdReader>(std::move(fd));
}

std::string ContentStore::read_small(const Digest& d, size_t max_bytes) const {
  auto reader = open(d);
  try {
    return common::read_all(*reader, max_bytes);
  } catch (Error& e) {
    e.add_context("reading blob " + d.str());
    throw;
  }
}

std::unique_ptr<ContentWriter> ContentStore::writer(std::string_view ref) const {
  return std::unique_ptr<ContentWriter>(new ContentWriter(layout_, ingest_, std::string(ref)));
}

common::Descriptor ContentStore::put(std::string_view data, std::string_view media_type) const {
  auto w = writer(media_type);
  w->write(data);
  common::Descriptor desc;
  desc.media_type = std::string(media_type);
  desc.size = static_cast<int64_t>(data.size());
  desc.digest = w->commit(desc.size);
  return desc;
}

UniqueFd ContentStore::lock_for_sweep() const { return lock_blobs(layout_, LOCK_EX); }

bool ContentStore::remove(const Digest& d) const {
  fs::path p = blob_path(d);
  if (::unlink(p.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  common::throw_errno("unlink", p.string());
}

std::vector<BlobInfo> ContentStore::list() const {
  std::vector<BlobInfo> out;
  for (auto alg : kAlgorithms) {
    fs::path dir = layout_ / "blobs" / std::string(alg);
    std::error_code ec;
    fs::directory_iterator it(dir, ec), end;
    if (ec) {
      if (ec == std::errc::no_such_file_or_directory) continue;
      throw Error(ErrorKind::kResource, "opendir(" + dir.string() + "): " + ec.message());
    }
    for (; it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      auto d = Digest::try_parse(std::string(alg) + ":" + it->path().filename().string());
      if (!d) continue;
      auto size = it->file_size(ec);
      if (ec) continue;  // removed while we looked
      out.push_back(BlobInfo{*d, static_cast<int64_t>(size)});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const BlobInfo& a, const BlobInfo& b) { return a.digest < b.digest; });
  return out;
}

int ContentStore::clean_ingest() const {
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(ingest_, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    UniqueFd fd(::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    // A live writer holds its flock until it has renamed the file away or removed it.
    if (!fd || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;
    if (::unlink(p.c_str()) == 0) {
      ++removed;
      common::log::debug("removed abandoned ingest file " + p.string());
    }
  }
  return removed;
}

}  // namespace mybuild::snapshot
