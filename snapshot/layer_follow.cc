// LayerFollower: the thread that writes a layer behind a copy, and the check of the finished
// upper dir against what it wrote (layer_follow.h).
#include "snapshot/layer_follow.h"

#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>

#include "common/error.h"
#include "common/log.h"

namespace mybuild::snapshot {

using common::UniqueFd;

namespace {

std::string follow_join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "/" + name;
}

// Whether `dir` is `path` or one of its ancestors ("" is the root, everyone's).
bool follow_contains(const std::string& dir, const std::string& path) {
  if (dir.empty() || dir == path) return true;
  return path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/';
}

UniqueFd follow_open_dir(int dirfd, const std::string& name, const std::string& shown) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) common::throw_errno("open", shown);
  return fd;
}

// The layer xattrs of the directory at host path `dir`.
std::vector<std::pair<std::string, std::string>> follow_dir_xattrs(
    const std::filesystem::path& dir) {
  UniqueFd parent(::open(dir.parent_path().c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!parent) common::throw_errno("open", dir.parent_path().string());
  return layer_xattrs(parent.get(), dir.filename().c_str());
}

// The stat fields a tar entry is made of (LayerWriter::add), plus the inode of a non-directory:
// a file streamed and then replaced would keep its name but not its inode.
bool follow_same(const struct stat& a, const struct stat& b) {
  if (a.st_mode != b.st_mode || a.st_uid != b.st_uid || a.st_gid != b.st_gid ||
      a.st_mtim.tv_sec != b.st_mtim.tv_sec || a.st_mtim.tv_nsec != b.st_mtim.tv_nsec) {
    return false;
  }
  if (S_ISDIR(a.st_mode)) return true;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_rdev == b.st_rdev;
}

// Whether `name` in `dirfd` carries anything overlayfs reads as its own: a whiteout (0/0
// character device) or an xattr of overlay's namespaces (opaque, redirect, metacopy...). A copy
// through the mount could not have made it so; such a copy is redone the usual way.
bool follow_overlay_marked(int dirfd, const std::string& name, const struct stat& st) {
  if (S_ISCHR(st.st_mode) && st.st_rdev == 0) return true;
  const std::string path = "/proc/self/fd/" + std::to_string(dirfd) + "/" + name;
  std::string keys(4096, '\0');
  ssize_t n = ::llistxattr(path.c_str(), keys.data(), keys.size());
  if (n < 0 && errno == ERANGE) return true;  // a long list: not a plain copy, play safe
  if (n < 0 && errno != ENOTSUP) common::throw_errno("llistxattr", path);
  for (size_t at = 0; n > 0 && at < static_cast<size_t>(n); at = keys.find('\0', at) + 1) {
    const std::string_view key(keys.c_str() + at);
    if (key.starts_with("trusted.overlay.") || key.starts_with("user.overlay.")) return true;
  }
  return false;
}

}  // namespace

LayerFollower::LayerFollower(const std::filesystem::path& upper, common::Writer& out,
                             const LayerOptions& options)
    : upper_(upper),
      writer_(out, options),
      root_(common::open_file(upper, O_RDONLY | O_DIRECTORY)) {
  thread_ = std::thread([this] { run(); });
}

LayerFollower::~LayerFollower() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    abandon_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LayerFollower::entry(const std::string& rel) { push(Event{rel, false, {}, {}}); }

void LayerFollower::dir(const std::string& rel, const struct stat& final_st,
                        const std::filesystem::path& xattrs_of) {
  push(Event{rel, true, final_st, xattrs_of});
}

void LayerFollower::push(Event event) {
  {
    std::lock_guard lock(mu_);
    if (closing_) return;  // the thread stopped on an error: finish() will say so
    queue_.push_back(std::move(event));
  }
  wake_.notify_one();
}

void LayerFollower::run() {
  try {
    for (;;) {
      std::deque<Event> batch;
      {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [this] { return !queue_.empty() || closing_; });
        if (abandon_ || queue_.empty()) return;
        batch.swap(queue_);
      }
      for (const Event& e : batch) {
        if (abandon_) return;
        write(e);
      }
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    failure_ = e.what();
    closing_ = true;
    queue_.clear();
  }
}

void LayerFollower::write(const Event& event) {
  const int parent = parent_fd(event.rel);
  const size_t slash = event.rel.rfind('/');
  const std::string name = slash == std::string::npos ? event.rel : event.rel.substr(slash + 1);
  if (event.is_dir) {
    auto xattrs = follow_dir_xattrs(event.xattrs_of);
    writer_.add_dir(event.rel, event.st, xattrs);
    streamed_.push_back({event.rel, event.st, std::move(xattrs)});
    return;
  }
  struct stat st {};
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    common::throw_errno("lstat", (upper_ / event.rel).string());
  }
  if (follow_overlay_marked(parent, name, st)) {
    throw common::Error(common::ErrorKind::kIntegrity, event.rel + " carries an overlay mark");
  }
  if (S_ISDIR(st.st_mode)) {  // final already (a parent the copy made for its destination)
    auto xattrs = layer_xattrs(parent, name.c_str());
    writer_.add_dir(event.rel, st, xattrs);
    streamed_.push_back({event.rel, st, std::move(xattrs)});
    return;
  }
  struct stat as_added = st;
  if (S_ISREG(st.st_mode)) as_added.st_nlink = std::max<nlink_t>(st.st_nlink, 2);  // see .h
  writer_.add(event.rel, parent, name.c_str(), as_added);
  streamed_.push_back({event.rel, st, {}});
}

int LayerFollower::parent_fd(const std::string& rel) {
  const size_t slash = rel.rfind('/');
  const std::string parent = slash == std::string::npos ? std::string() : rel.substr(0, slash);
  while (!open_dirs_.empty() && !follow_contains(open_dirs_.back().first, parent)) {
    open_dirs_.pop_back();
  }
  std::string at = open_dirs_.empty() ? std::string() : open_dirs_.back().first;
  while (at != parent) {
    const size_t from = at.empty() ? 0 : at.size() + 1;
    const size_t end = parent.find('/', from);
    const std::string next = parent.substr(0, end);
    const int dirfd = open_dirs_.empty() ? root_.get() : open_dirs_.back().second.get();
    open_dirs_.emplace_back(next,
                            follow_open_dir(dirfd, next.substr(from), (upper_ / next).string()));
    at = next;
  }
  return open_dirs_.empty() ? root_.get() : open_dirs_.back().second.get();
}

std::optional<Layer> LayerFollower::finish() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  wake_.notify_all();
  thread_.join();
  open_dirs_.clear();
  if (!failure_.empty()) {
    common::log::debug("layer of " + upper_.string() + " not followed: " + failure_);
    return std::nullopt;
  }
  try {
    if (!upper_matches()) {
      common::log::debug("layer of " + upper_.string() + ": the copy did not end as streamed");
      return std::nullopt;
    }
  } catch (const common::Error& e) {
    common::log::debug("layer of " + upper_.string() + " not followed: " + e.what());
    return std::nullopt;
  }
  return writer_.finish();
}

bool LayerFollower::upper_matches() {
  size_t next = 0;
  return dir_matches(root_.get(), "", next) && next == streamed_.size();
}

// Walks as diff_overlay_upper does (walk_upper in diff.cc): names in byte order, a directory's
// entries right after it.
bool LayerFollower::dir_matches(int dirfd, const std::string& prefix, size_t& next) {
  for (const std::string& name : sorted_names(dirfd, prefix.empty() ? "." : prefix)) {
    const std::string rel = follow_join(prefix, name);
    if (next >= streamed_.size() || streamed_[next].rel != rel) return false;
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      common::throw_errno("lstat", (upper_ / rel).string());
    }
    const Streamed& then = streamed_[next++];
    if (!follow_same(then.st, st)) return false;
    if (!S_ISDIR(st.st_mode)) continue;
    if (follow_overlay_marked(dirfd, name, st)) return false;
    if (layer_xattrs(dirfd, name.c_str()) != then.xattrs) return false;
    UniqueFd child = follow_open_dir(dirfd, name, (upper_ / rel).string());
    if (!dir_matches(child.get(), rel, next)) return false;
  }
  return true;
}

}  // namespace mybuild::snapshot
