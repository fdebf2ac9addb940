// TarWriter: writes a deterministic tar stream (libarchive, "pax restricted": plain ustar
// headers, with a PAX extended header only when a field needs it, as Go's archive/tar does for
// BuildKit and containerd layers) to a common::Writer.
//
// What makes two runs byte-identical: the caller gives entries in a fixed order; only the
// fields of TarEntry are written (numeric uid/gid, no user/group names, no atime/ctime, mtime
// in whole seconds); xattrs go out as SCHILY.xattr.* records in name order (not libarchive's
// extra LIBARCHIVE.xattr.* copies); no padding to 10 KiB records, only the two zero blocks
// that end a tar.
//
// Not thread-safe. Errors throw common::Error naming the entry.
#pragma once

#include <archive.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/copy_buffer.h"
#include "common/io.h"

namespace mybuild::snapshot {

struct TarEntry {
  enum class Type { kFile, kDir, kSymlink, kHardlink, kChar, kBlock, kFifo };

  std::string path;  // relative, '/'-separated, no leading '/'; dirs get a trailing '/' on write
  Type type = Type::kFile;
  uint32_t mode = 0644;  // permission bits incl. setuid/setgid/sticky (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;  // seconds since the epoch
  int64_t size = 0;   // kFile only
  std::string link;   // kSymlink target, or kHardlink: the path of the entry linked to
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;  // sorted by name
};

class TarWriter {
 public:
  explicit TarWriter(common::Writer& out);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  // Writes the header. For kFile, follow with write_data() calls totalling entry.size bytes.
  void add(const TarEntry& entry);
  void write_data(std::string_view data);
  // Adds a regular file whose content is read from `content` (exactly entry.size bytes;
  // a file that changed size meanwhile is an error, not a corrupt tar).
  void add_file(const TarEntry& entry, common::Reader& content);
  // Writes the end-of-archive blocks. Call once.
  void finish();

 private:
  // The read size of add_file: a read(2) per megabyte of a big file.
  static constexpr size_t kFileChunk = 1 << 20;

  static la_ssize_t on_write(archive*, void* self, const void* buf, size_t n);
  [[noreturn]] void fail(const std::string& what);

  common::Writer& out_;
  archive* a_ = nullptr;
  std::exception_ptr error_;
  std::string current_;  // path of the entry being written, for errors
  bool finished_ = false;
  std::unique_ptr<common::CopyBuffer> buffer_;  // add_file's, made by the first file
};

}  // namespace mybuild::snapshot
