// splice_overlay_upper and the tar index it reads the earlier blob with (layer_splice.h).
#include "snapshot/layer_splice.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace mybuild::snapshot {

using common::Error;
using common::ErrorKind;
using common::UniqueFd;

namespace {

constexpr size_t kTarTrailer = 1024;  // two zero blocks end a TarWriter stream

// Passes everything on but the last kTarTrailer bytes, which end_run() checks and drops: one
// LayerWriter per run of fresh entries, its end-of-archive blocks cut off.
class TrailerCut : public common::Writer {
 public:
  explicit TrailerCut(common::Writer& next) : next_(next) {}
  void write(std::string_view data) override {
    held_.append(data);
    if (held_.size() > kTarTrailer) {
      const size_t pass = held_.size() - kTarTrailer;
      next_.write(std::string_view(held_).substr(0, pass));
      held_.erase(0, pass);
    }
  }
  void end_run() {
    if (held_.size() != kTarTrailer || held_.find_first_not_of('\0') != std::string::npos) {
      throw Error(ErrorKind::kInternal, "layer splice: a tar run did not end in two zero blocks");
    }
    held_.clear();
  }

 private:
  common::Writer& next_;
  std::string held_;
};

// Counts what goes to the sink: the layer's size.
class CountingSink : public common::Writer {
 public:
  explicit CountingSink(common::Writer& next) : next_(next) {}
  void write(std::string_view data) override {
    bytes_ += data.size();
    next_.write(data);
  }
  uint64_t bytes() const { return bytes_; }

 private:
  common::Writer& next_;
  uint64_t bytes_ = 0;
};

bool opaque_dir(int fd) {
  char v[2] = {};
  for (const char* key : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
    if (::fgetxattr(fd, key, v, sizeof v) == 1 && v[0] == 'y') return true;
  }
  return false;
}

// The earlier blob, mapped read-only. Blobs are never truncated or rewritten in place (a
// removed one stays readable while mapped), so the mapping cannot fault.
class MappedBlob {
 public:
  MappedBlob(int fd, uint64_t size) : size_(size) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) common::throw_errno("mmap", "the earlier layer blob");
    data_ = static_cast<const char*>(p);
    ::madvise(p, size, MADV_SEQUENTIAL);
  }
  ~MappedBlob() { ::munmap(const_cast<char*>(data_), size_); }
  MappedBlob(const MappedBlob&) = delete;
  MappedBlob& operator=(const MappedBlob&) = delete;
  std::string_view bytes(uint64_t at, uint64_t n) const {
    if (at > size_ || n > size_ - at) {
      throw Error(ErrorKind::kIntegrity, "layer splice: an entry beyond the earlier blob's end");
    }
    return {data_ + at, static_cast<size_t>(n)};
  }

 private:
  const char* data_ = nullptr;
  uint64_t size_;
};

// Opens directory `name` in `dirfd` (-1: none there); -1 when it is not a directory there.
UniqueFd open_dir_or_none(int dirfd, const std::string& name) {
  if (dirfd < 0) return UniqueFd();
  return UniqueFd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

class Splicer {
 public:
  Splicer(const EarlierLayer& earlier, common::Writer& out, const LayerOptions& options)
      : earlier_(earlier),
        out_(out),
        cut_(out_),
        options_(options),
        index_(index_tar_files(earlier.blob, earlier.size)),
        blob_(earlier.blob, earlier.size) {
    options_.compression = Compression::kNone;
    options_.sink_hashes = true;
  }

  // False when an entry cannot be written alike (layer_splice.h). `earlier_dirfd` is the same
  // directory in the earlier upper dir, or -1.
  bool dir(int dirfd, int earlier_dirfd, const std::string& prefix) {
    for (const std::string& name : sorted_names(dirfd, prefix.empty() ? "." : prefix)) {
      const std::string path = prefix.empty() ? name : prefix + "/" + name;
      struct stat st {};
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        common::throw_errno("lstat", path);
      }
      if (S_ISCHR(st.st_mode) && st.st_rdev == 0) return false;  // a whiteout
      if (S_ISREG(st.st_mode) && splice(path, earlier_dirfd, name, st)) continue;
      if (S_ISREG(st.st_mode) && st.st_nlink > 1) return false;
      flush_spliced();
      if (!run_) run_.emplace(cut_, options_);
      run_->add(path, dirfd, name.c_str(), st);
      if (!S_ISDIR(st.st_mode)) continue;
      UniqueFd child(
          ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child) common::throw_errno("open", path);
      if (opaque_dir(child.get())) return false;
      UniqueFd earlier_child = open_dir_or_none(earlier_dirfd, name);
      if (!dir(child.get(), earlier_child.get(), path)) return false;
    }
    return true;
  }

  Layer finish() {
    end_run();
    flush_spliced();
    out_.write(std::string(kTarTrailer, '\0'));
    Layer layer;
    layer.descriptor.media_type = std::string(layer_media_type(Compression::kNone));
    layer.descriptor.size = static_cast<int64_t>(out_.bytes());
    layer.uncompressed_size = layer.descriptor.size;
    return layer;
  }

 private:
  static constexpr uint64_t kSpliceChunk = 8 << 20;

  // The earlier blob's entry for `path` when the file there is the same inode.
  bool splice(const std::string& path, int earlier_dirfd, const std::string& name,
              const struct stat& st) {
    if (earlier_dirfd < 0) return false;
    auto it = index_.find(path);
    if (it == index_.end()) return false;
    struct stat then {};
    if (::fstatat(earlier_dirfd, name.c_str(), &then, AT_SYMLINK_NOFOLLOW) != 0 ||
        then.st_ino != st.st_ino || then.st_dev != st.st_dev) {
      return false;
    }
    end_run();
    // Entries next to each other in the earlier blob go out as one read and one write (most
    // are: a directory's files follow each other there as here).
    const TarSpan& span = it->second;
    if (pending_.end != span.begin || pending_.end - pending_.begin >= kSpliceChunk) {
      flush_spliced();
      pending_.begin = span.begin;
    }
    pending_.end = span.end;
    return true;
  }

  void end_run() {
    if (!run_) return;
    run_->finish();
    run_.reset();
    cut_.end_run();
  }

  // Writes the pending bytes straight from the mapped earlier blob: the content writer hashes
  // them (on the other core) and writes them, with no copy into a buffer first.
  void flush_spliced() {
    for (uint64_t at = pending_.begin; at < pending_.end; at += kSpliceChunk) {
      out_.write(blob_.bytes(at, std::min<uint64_t>(kSpliceChunk, pending_.end - at)));
    }
    pending_ = TarSpan{};
  }

  const EarlierLayer& earlier_;
  CountingSink out_;
  TrailerCut cut_;
  LayerOptions options_;
  std::unordered_map<std::string, TarSpan> index_;
  std::optional<LayerWriter> run_;
  TarSpan pending_;  // spliced bytes not yet written
  MappedBlob blob_;
};

}  // namespace

std::unordered_map<std::string, TarSpan> index_tar_files(int fd, uint64_t size) {
  if (size < kTarTrailer) throw Error(ErrorKind::kIntegrity, "layer splice: a tar too short");
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  if (!a) throw Error(ErrorKind::kResource, "archive_read_new: out of memory");
  archive_read_support_format_tar(a.get());
  if (::lseek(fd, 0, SEEK_SET) != 0) common::throw_errno("lseek", "earlier layer");
  if (archive_read_open_fd(a.get(), fd, 4096) != ARCHIVE_OK) {
    throw Error(ErrorKind::kIntegrity, std::string("archive_read_open_fd (earlier layer): ") +
                                           archive_error_string(a.get()));
  }
  std::unordered_map<std::string, TarSpan> index;
  TarSpan* last = nullptr;
  archive_entry* e = nullptr;
  int r = ARCHIVE_OK;
  while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    const auto at = static_cast<uint64_t>(archive_read_header_position(a.get()));
    if (last) last->end = at;
    last = nullptr;
    if (archive_entry_filetype(e) == AE_IFREG && archive_entry_hardlink(e) == nullptr) {
      last = &index[archive_entry_pathname(e)];
      last->begin = at;
    }
    if (archive_read_data_skip(a.get()) != ARCHIVE_OK) break;
  }
  if (r != ARCHIVE_EOF) {
    throw Error(ErrorKind::kIntegrity,
                std::string("reading the earlier layer's tar: ") + archive_error_string(a.get()));
  }
  if (last) last->end = size - kTarTrailer;
  return index;
}

std::optional<Layer> splice_overlay_upper(const std::filesystem::path& upper,
                                          const EarlierLayer& earlier, common::Writer& out,
                                          const LayerOptions& options) {
  if (options.compression != Compression::kNone ||
      options.source_date_epoch != earlier.source_date_epoch) {
    return std::nullopt;
  }
  UniqueFd dir = common::open_file(upper, O_RDONLY | O_DIRECTORY);
  UniqueFd earlier_dir = common::open_file(earlier.upper, O_RDONLY | O_DIRECTORY);
  Splicer splicer(earlier, out, options);
  try {
    if (!splicer.dir(dir.get(), earlier_dir.get(), "")) return std::nullopt;
  } catch (Error& e) {
    e.add_context("splicing the layer of " + upper.string());
    throw;
  }
  return splicer.finish();
}

}  // namespace mybuild::snapshot
