// Streams: how large data moves between modules (STYLE.md §2). A layer is never a std::string;
// it flows Reader -> ... -> Writer through bounded buffers.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "common/digest.h"
#include "common/unique_fd.h"

namespace mybuild::common {

class Reader {
 public:
  virtual ~Reader() = default;
  // Reads up to buf.size() bytes; returns 0 only at end of stream. Throws on error.
  virtual size_t read(std::span<char> buf) = 0;
};

class Writer {
 public:
  virtual ~Writer() = default;
  // Writes all of data or throws.
  virtual void write(std::string_view data) = 0;
};

// The buffer size used for stream copies: large enough for fast I/O, small enough to hold
// many at once.
inline constexpr size_t kCopyBufferSize = 256 * 1024;

// Copies until end of stream; returns the number of bytes copied.
uint64_t copy_stream(Reader& from, Writer& to);
// Reads the whole stream into a string, failing (kResource) past max_bytes; for small JSON only.
std::string read_all(Reader& from, size_t max_bytes);
// Fills `buf` from `from` until it is full or the stream ends (read() may return less than
// asked); returns the bytes read.
size_t read_up_to(Reader& from, std::span<char> buf);

class FdReader : public Reader {
 public:
  explicit FdReader(UniqueFd fd) : fd_(std::move(fd)) {}
  size_t read(std::span<char> buf) override;
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

class FdWriter : public Writer {
 public:
  explicit FdWriter(int fd) : fd_(fd) {}  // does not own fd
  void write(std::string_view data) override;

 private:
  int fd_;
};

class StringReader : public Reader {
 public:
  explicit StringReader(std::string data) : data_(std::move(data)) {}
  size_t read(std::span<char> buf) override;

 private:
  std::string data_;
  size_t pos_ = 0;
};

class StringWriter : public Writer {
 public:
  void write(std::string_view data) override { data_.append(data); }
  const std::string& str() const { return data_; }
  std::string take() { return std::move(data_); }

 private:
  std::string data_;
};

// Passes bytes to `next` while hashing and counting them.
class DigestingWriter : public Writer {
 public:
  explicit DigestingWriter(Writer& next) : next_(next) {}
  void write(std::string_view data) override {
    hash_.update(data);
    next_.write(data);
  }
  uint64_t bytes() const { return hash_.bytes(); }
  Digest finish() { return hash_.finish(); }

 private:
  Writer& next_;
  Sha256 hash_;
};

// Reads from `in` while hashing and counting what passes (a blob verified as it streams).
class DigestingReader : public Reader {
 public:
  explicit DigestingReader(Reader& in) : in_(in) {}
  size_t read(std::span<char> buf) override {
    size_t n = in_.read(buf);
    hash_.update(std::string_view(buf.data(), n));
    return n;
  }
  uint64_t bytes() const { return hash_.bytes(); }
  Digest finish() { return hash_.finish(); }

 private:
  Reader& in_;
  Sha256 hash_;
};

// Gathers small writes (tar headers, short files) into writes of up to kBufferSize for
// `next`: each write(2) is a syscall, and syscalls are dear in a VM.
class BufferedWriter : public Writer {
 public:
  static constexpr size_t kBufferSize = 1 << 20;
  explicit BufferedWriter(Writer& next) : next_(next) {}
  void write(std::string_view data) override;
  // Passes on what is buffered. The owner calls it before it uses `next` itself.
  void flush();

 private:
  Writer& next_;
  std::string buf_;
};

// Discards everything (for hashing a stream without keeping it).
class NullWriter : public Writer {
 public:
  void write(std::string_view) override {}
};

UniqueFd open_file(const std::filesystem::path& path, int flags, int mode = 0644);
// mkdir(2) of one directory with `mode` (less the umask); throws an Error naming the path,
// also when it exists.
void make_dir(const std::filesystem::path& path, mode_t mode);
// Both ends of a close-on-exec pipe(2). Throws an Error naming `what` when the kernel refuses.
struct Pipe {
  UniqueFd read, write;
};
Pipe make_pipe(std::string_view what);
std::string read_file(const std::filesystem::path& path, size_t max_bytes = 64 << 20);
// Writes to a temp file beside `path`, fsyncs, renames: readers see old or new, never half.
// The temp file has a random name and is created O_EXCL|O_NOFOLLOW with `mode` (less the
// umask), so a symlink planted at the temp name or at `path` is never written through (the
// rename replaces a symlink at `path`); it is removed when anything fails.
void write_file_atomic(const std::filesystem::path& path, std::string_view data, int mode = 0644);

}  // namespace mybuild::common
