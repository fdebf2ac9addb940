#include "builder/context/file_checksum.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "builder/context/path.h"
#include "common/error.h"
#include "common/io.h"
#include "common/parallel.h"
#include "snapshot/layer_writer.h"

namespace mybuild::builder {
namespace {

using common::Digest;
using common::Error;
using common::ErrorKind;

struct Entry {
  std::string rel_in_source;  // "" for the source itself
  std::string host_rel;       // relative to the context root
  char type = 'f';            // f, d, l
  struct stat st {};
  std::string link_target;
  std::optional<Digest> content;
  // Only ever non-empty for files that have them, so that an ordinary file's record (and so
  // every existing cache key without them) is what it was before they counted.
  std::vector<std::pair<std::string, std::string>> xattrs;  // those that reach the layer
  // A regular file's xattrs are listed only when the memo does not know it has none.
  bool xattrs_listed = false;
  std::string hardlink_to;  // "<source index>:<path in source>" of an earlier link, in this copy
};

// The xattrs of `host` that reach a layer (snapshot::layer_xattrs: all but overlay's own).
// One llistxattr for the usual entry, which has none; a file system without xattrs has none.
std::vector<std::pair<std::string, std::string>> layer_xattrs_of(
    const std::filesystem::path& host) {
  const ssize_t n = ::llistxattr(host.c_str(), nullptr, 0);
  if (n < 0 && errno != ENOTSUP) common::throw_errno("llistxattr", host.string());
  if (n <= 0) return {};
  std::filesystem::path p = host;
  if (!p.has_filename()) p = p.parent_path();  // "ctx/": the context root itself
  common::UniqueFd dir(::open(p.parent_path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) common::throw_errno("open", p.parent_path().string());
  return snapshot::layer_xattrs(dir.get(), p.filename().c_str());
}

void put(common::Sha256& h, std::string_view field) {
  h.update(field);
  h.update(std::string_view("\0", 1));
}

// The optional fields close an entry's record. Their markers start with '/', which no path in a
// source does (the next record's first field), so they cannot be confused with one; an xattr's
// value may hold NUL bytes, so its length goes first.
void put_links_and_xattrs(common::Sha256& h, const Entry& e) {
  if (!e.hardlink_to.empty()) {
    put(h, "/hardlink");
    put(h, e.hardlink_to);
  }
  for (const auto& [name, value] : e.xattrs) {
    put(h, "/xattr");
    put(h, name);
    put(h, std::to_string(value.size()));
    put(h, value);
  }
}

// One entry's record in the canonical stream. Paths cannot contain NUL, so NUL separates fields.
void put_entry(common::Sha256& h, const Entry& e, bool include_mtime) {
  put(h, e.rel_in_source);
  put(h, std::string(1, e.type));
  put(h, std::to_string(e.st.st_mode & 07777));
  put(h, e.link_target);
  put(h, e.content ? e.content->str() : "");
  if (e.type == 's') put(h, std::to_string(e.st.st_rdev));
  if (include_mtime) {
    put(h, std::to_string(static_cast<int64_t>(e.st.st_mtim.tv_sec) * 1'000'000'000 +
                          e.st.st_mtim.tv_nsec));
  }
  put_links_and_xattrs(h, e);
}

// Entries walked but not yet in the digest. Memory stays bounded whatever the context's size
// (bench/limits: 200,000 files): every kBatch entries their contents are looked up in the memo
// or hashed, their records go into the digest in walk order, and they are dropped.
class Batch {
 public:
  // Small enough that the entries' memory is touched once and then reused: at 4096 the batch's
  // first fill was most of a no-op build's page faults (issue 17).
  static constexpr size_t kBatch = 1024;
  Batch(const BuildContext& ctx, FileHashMemo* memo, const ChecksumOptions& opts, common::Sha256& h,
        ChecksumStats& stats)
      : ctx_(ctx), memo_(memo), opts_(opts), h_(h), stats_(stats) {
    pending_.reserve(kBatch);  // no moving of every entry as the vector grows (issue 17)
  }
  // COPY keeps files that are one inode in the context one inode in the layer (builder/copy/
  // into.cc): each later name of an inode records the first name it has in this copy.
  void start_source(size_t index) { source_ = index; }
  void add(Entry e) {
    if (e.type == 'f' && e.st.st_nlink >= 2) {
      auto [it, fresh] = first_names_.try_emplace({e.st.st_dev, e.st.st_ino},
                                                  std::to_string(source_) + ":" + e.rel_in_source);
      if (!fresh) e.hardlink_to = it->second;
    }
    pending_.push_back(std::move(e));
    if (pending_.size() >= kBatch) flush();
  }
  void flush();
  const ChecksumOptions& options() const { return opts_; }

 private:
  std::vector<Entry*> look_up();
  void list_xattrs_of_hit(Entry& e, const Digest& content);
  void hash(const std::vector<Entry*>& jobs);

  const BuildContext& ctx_;
  FileHashMemo* memo_;
  const ChecksumOptions& opts_;
  common::Sha256& h_;
  ChecksumStats& stats_;
  std::vector<Entry> pending_;
  size_t source_ = 0;
  std::map<std::pair<dev_t, ino_t>, std::string> first_names_;     // linked files only
  std::vector<std::pair<FileIdentity, RememberedFile>> remember_;  // for the memo, per flush
};

// Memo lookups on this thread; the misses are returned as hashing jobs.
std::vector<Entry*> Batch::look_up() {
  std::vector<Entry*> jobs;
  std::vector<FileIdentity> ids;
  for (const Entry& e : pending_) {
    if (e.type == 'f') ids.push_back(file_identity(e.st));
  }
  std::vector<std::optional<RememberedFile>> remembered(ids.size());
  if (memo_) {
    memo_->begin_reads();
    remembered = memo_->lookup_many(ids);
    memo_->end_reads();
  }
  size_t next = 0;
  for (Entry& e : pending_) {
    ++stats_.entries;
    if (e.type != 'f') continue;
    std::optional<RememberedFile>& known = remembered[next++];
    if (!known) {
      jobs.push_back(&e);
      continue;
    }
    ++stats_.memo_hits;
    e.content = std::move(known->content);
    if (known->no_layer_xattrs) {
      e.xattrs_listed = true;  // none: a change would have moved the ctime
    } else {
      list_xattrs_of_hit(e, *e.content);
    }
  }
  return jobs;
}

// A hit the memo cannot vouch for has its xattrs listed; when it has none, the memo learns it
// (rows written before the memo remembered xattrs heal on their first use).
void Batch::list_xattrs_of_hit(Entry& e, const Digest& content) {
  const int64_t started = realtime_now_ns();
  e.xattrs = layer_xattrs_of(ctx_.host_path(e.host_rel));
  e.xattrs_listed = true;
  ++stats_.xattr_lists;
  const FileIdentity id = file_identity(e.st);
  if (e.xattrs.empty() && safe_to_remember(id, started)) {
    remember_.emplace_back(id, RememberedFile{content, true});
  }
}

// Hashes the misses on a small pool; remembers only digests that cannot be racy.
void Batch::hash(const std::vector<Entry*>& jobs) {
  const unsigned threads =
      opts_.threads ? opts_.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::optional<std::pair<FileIdentity, RememberedFile>>> remember(jobs.size());
  std::atomic<uint64_t> bytes{0};
  common::parallel_for(jobs.size(), threads, [&](size_t j) {
    if (opts_.cancel) opts_.cancel->check("checksumming the build context");
    Entry& e = *jobs[j];
    const std::filesystem::path host = ctx_.host_path(e.host_rel);
    const int64_t started = realtime_now_ns();
    // Listed after `started` and before the identity is checked again, so what is remembered
    // of them is timed as the content is.
    if (!e.xattrs_listed) e.xattrs = layer_xattrs_of(host);
    e.xattrs_listed = true;
    uint64_t n = 0;
    e.content = hash_file_content(host, &n);
    bytes += n;
    struct stat after {};
    const FileIdentity before = file_identity(e.st);
    if (::lstat(host.c_str(), &after) != 0) common::throw_errno("lstat", host.string());
    if (file_identity(after) != before) {
      // The digest may mix two versions: a cache key that no content ever had.
      throw Error(ErrorKind::kIntegrity, "context file " + host.string() +
                                             " changed while it was being checksummed; build "
                                             "again once nothing writes to it");
    }
    if (safe_to_remember(before, started)) {
      remember[j].emplace(before, RememberedFile{*e.content, e.xattrs.empty()});
    }
  });
  stats_.files_hashed += jobs.size();
  stats_.xattr_lists += jobs.size();  // every miss has them listed
  stats_.bytes_hashed += bytes.load();
  if (!memo_) return;
  for (auto& r : remember) {
    if (r) remember_.push_back(std::move(*r));
  }
  memo_->store(remember_);
  remember_.clear();
}

void Batch::flush() {
  if (pending_.empty()) return;
  hash(look_up());
  for (const Entry& e : pending_) put_entry(h_, e, opts_.include_mtime);
  pending_.clear();
}

void add_entry(const BuildContext& ctx, std::string rel_in_source, std::string host_rel, Batch& out,
               int dir_fd = AT_FDCWD, const char* name = nullptr);

// The entries are lstat'ed through the directory's fd: one path component to look up instead of
// the whole path from / (that lookup was most of an unchanged context's walk). O_NOFOLLOW: the
// directory was just lstat'ed as one; a symlink swapped in since is refused, not followed.
void walk_dir(const BuildContext& ctx, const std::string& rel_in_source,
              const std::string& host_rel, Batch& out) {
  if (out.options().cancel) out.options().cancel->check("checksumming the build context");
  const std::filesystem::path host = ctx.host_path(host_rel);
  common::UniqueFd dir(::open(host.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) common::throw_errno("open", host.string());
  for (const std::string& name : ctx.list(host_rel)) {
    add_entry(ctx, join_rel(rel_in_source, name), join_rel(host_rel, name), out, dir.get(),
              name.c_str());
  }
}

// lstat's `host_rel` (sources were followed when resolved), then its contents when a directory.
// `name` in `dir_fd` is the same entry, when the caller has its directory open.
void add_entry(const BuildContext& ctx, std::string rel_in_source, std::string host_rel, Batch& out,
               int dir_fd, const char* name) {
  Entry e;
  // The host path only when a call needs it: building one per entry was a tenth of the walk.
  auto host = [&] { return ctx.host_path(host_rel); };
  const bool named = name != nullptr;
  if (::fstatat(dir_fd, named ? name : host().c_str(), &e.st, AT_SYMLINK_NOFOLLOW) != 0) {
    common::throw_errno("lstat", host().string());
  }
  if (S_ISDIR(e.st.st_mode)) {
    e.type = 'd';
  } else if (S_ISLNK(e.st.st_mode)) {
    e.type = 'l';
    std::error_code ec;
    e.link_target = std::filesystem::read_symlink(host(), ec).string();
    if (ec) common::throw_errno("readlink", host().string(), ec.value());
  } else if (S_ISREG(e.st.st_mode)) {
    e.type = 'f';
  } else {
    e.type = 's';  // fifo, socket, device: copied as a node, no content
  }
  // A symlink's xattrs are not written to a layer (snapshot/layer_writer.cc). A regular file's
  // wait for the memo (Batch::look_up).
  if (e.type != 'l' && e.type != 'f') e.xattrs = layer_xattrs_of(host());
  e.rel_in_source = std::move(rel_in_source);
  e.host_rel = std::move(host_rel);
  if (e.type != 'd') {
    out.add(std::move(e));
    return;
  }
  // Copies: the batch may flush (and drop the entry) before the walk goes on.
  std::string in_source = e.rel_in_source, in_context = e.host_rel;
  out.add(std::move(e));
  walk_dir(ctx, in_source, in_context, out);
}

}  // namespace

Digest hash_file_content(const std::filesystem::path& path, uint64_t* bytes_read) {
  common::UniqueFd fd = common::open_file(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  common::Sha256 h;
  std::vector<char> buf(common::kCopyBufferSize);
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      common::throw_errno("read", path.string());
    }
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
  }
  if (bytes_read) *bytes_read += h.bytes();
  return h.finish();
}

Digest checksum_sources(const BuildContext& context, std::span<const CopySource> sources,
                        FileHashMemo* memo, const ChecksumOptions& options, ChecksumStats* stats) {
  ChecksumStats local;
  common::Sha256 h;
  put(h, "mybuild.copy-checksum.v1");
  Batch batch(context, memo, options, h, local);
  for (size_t i = 0; i < sources.size(); ++i) {
    put(h, "source");
    put(h, std::to_string(i));
    put(h, sources[i].name);
    batch.start_source(i);
    add_entry(context, "", sources[i].rel, batch);
    batch.flush();  // this source's records before the next source's header
  }
  if (stats) *stats = local;
  return h.finish();
}

}  // namespace mybuild::builder
