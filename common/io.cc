#include "common/io.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "common/error.h"

namespace mybuild::common {

uint64_t copy_stream(Reader& from, Writer& to) {
  std::vector<char> buf(kCopyBufferSize);
  uint64_t total = 0;
  for (;;) {
    size_t n = from.read(buf);
    if (n == 0) return total;
    to.write({buf.data(), n});
    total += n;
  }
}

size_t read_up_to(Reader& from, std::span<char> buf) {
  size_t got = 0;
  while (got < buf.size()) {
    const size_t n = from.read(buf.subspan(got));
    if (n == 0) break;
    got += n;
  }
  return got;
}

std::string read_all(Reader& from, size_t max_bytes) {
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    size_t n = from.read(buf);
    if (n == 0) return out;
    if (out.size() + n > max_bytes) {
      throw Error(ErrorKind::kResource,
                  "stream is larger than the " + std::to_string(max_bytes) + "-byte limit");
    }
    out.append(buf, n);
  }
}

size_t FdReader::read(std::span<char> buf) {
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) throw_errno("read", "fd " + std::to_string(fd_.get()));
  }
}

void FdWriter::write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write", "fd " + std::to_string(fd_));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

size_t StringReader::read(std::span<char> buf) {
  size_t n = std::min(buf.size(), data_.size() - pos_);
  data_.copy(buf.data(), n, pos_);
  pos_ += n;
  return n;
}

UniqueFd open_file(const std::filesystem::path& path, int flags, int mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) throw_errno("open", path.string());
  return UniqueFd(fd);
}

void make_dir(const std::filesystem::path& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0) throw_errno("mkdir", path.string());
}

Pipe make_pipe(std::string_view what) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2", std::string(what));
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::string read_file(const std::filesystem::path& path, size_t max_bytes) {
  FdReader r(open_file(path, O_RDONLY));
  try {
    return read_all(r, max_bytes);
  } catch (Error& e) {
    e.add_context("reading " + path.string());
    throw;
  }
}

namespace {

// 64 random bits as hex: a temp name nobody can guess and plant a symlink at in advance.
std::string random_suffix() {
  uint64_t bits = 0;
  if (::getrandom(&bits, sizeof bits, 0) != static_cast<ssize_t>(sizeof bits)) {
    throw_errno("getrandom", "temp file name");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (char& c : out) {
    c = kHex[bits & 0xf];
    bits >>= 4;
  }
  return out;
}

// Creates a new file beside `path` under a random name. O_EXCL|O_NOFOLLOW: whatever already
// sits at the name (a planted symlink above all) makes the open fail instead of being
// followed; a few fresh names are tried before giving up.
UniqueFd create_temp_beside(const std::filesystem::path& path, int mode,
                            std::filesystem::path& tmp) {
  for (int attempt = 0;; ++attempt) {
    tmp = path;
    tmp += ".tmp-" + random_suffix();
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != EEXIST || attempt == 8) throw_errno("open", tmp.string());
  }
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::string_view data, int mode) {
  std::filesystem::path tmp;
  UniqueFd fd = create_temp_beside(path, mode, tmp);
  try {
    FdWriter(fd.get()).write(data);
    if (::fsync(fd.get()) != 0) throw_errno("fsync", tmp.string());
    fd.reset();
    // rename() replaces a symlink at `path` itself; it never writes through it.
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      throw_errno("rename", tmp.string() + " -> " + path.string());
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

void BufferedWriter::write(std::string_view data) {
  if (buf_.size() + data.size() > kBufferSize) flush();
  if (data.size() >= kBufferSize) {
    next_.write(data);
  } else {
    if (buf_.capacity() < kBufferSize) buf_.reserve(kBufferSize);
    buf_.append(data);
  }
}

void BufferedWriter::flush() {
  if (buf_.empty()) return;
  next_.write(buf_);
  buf_.clear();
}

}  // namespace mybuild::common
