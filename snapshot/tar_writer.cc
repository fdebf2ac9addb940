#include "snapshot/tar_writer.h"

#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <memory>
#include <vector>

#include "common/error.h"

namespace mybuild::snapshot {

using common::Error;
using common::ErrorKind;

namespace {

struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

mode_t file_type_bits(TarEntry::Type t) {
  switch (t) {
    case TarEntry::Type::kDir:
      return AE_IFDIR;
    case TarEntry::Type::kSymlink:
      return AE_IFLNK;
    case TarEntry::Type::kChar:
      return AE_IFCHR;
    case TarEntry::Type::kBlock:
      return AE_IFBLK;
    case TarEntry::Type::kFifo:
      return AE_IFIFO;
    case TarEntry::Type::kFile:
    case TarEntry::Type::kHardlink:
      break;
  }
  return AE_IFREG;
}

}  // namespace

TarWriter::TarWriter(common::Writer& out) : out_(out) {
  a_ = archive_write_new();
  if (a_ == nullptr) throw Error(ErrorKind::kResource, "archive_write_new: out of memory");
  if (archive_write_set_format_pax_restricted(a_) != ARCHIVE_OK ||
      archive_write_set_format_option(a_, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
      // 0: no 10 KiB record padding; each header and data block goes out as it is written.
      archive_write_set_bytes_per_block(a_, 0) != ARCHIVE_OK ||
      archive_write_open(a_, this, nullptr, &TarWriter::on_write, nullptr) != ARCHIVE_OK) {
    std::string msg = archive_error_string(a_) ? archive_error_string(a_) : "unknown error";
    archive_write_free(a_);
    throw Error(ErrorKind::kInternal, "setting up the tar writer: " + msg);
  }
}

TarWriter::~TarWriter() {
  // An unfinished writer must not append end-of-archive blocks to a stream that failed.
  if (!finished_) archive_write_fail(a_);
  archive_write_free(a_);
}

la_ssize_t TarWriter::on_write(archive*, void* self_ptr, const void* buf, size_t n) {
  auto* self = static_cast<TarWriter*>(self_ptr);
  try {
    self->out_.write({static_cast<const char*>(buf), n});
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    self->error_ = std::current_exception();
    return -1;
  }
}

void TarWriter::fail(const std::string& what) {
  if (error_) {
    auto e = std::exchange(error_, nullptr);
    try {
      std::rethrow_exception(e);
    } catch (Error& err) {
      err.add_context("writing tar entry \"" + current_ + "\"");
      throw;
    }
  }
  const char* msg = archive_error_string(a_);
  throw Error(ErrorKind::kResource, what + " \"" + current_ + "\": " + (msg ? msg : "failed"));
}

void TarWriter::add(const TarEntry& entry) {
  current_ = entry.path;
  std::unique_ptr<archive_entry, EntryDeleter> e(archive_entry_new());
  std::string name = entry.path;
  if (entry.type == TarEntry::Type::kDir && !name.empty() && name.back() != '/') name += '/';
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_mode(e.get(), file_type_bits(entry.type) | (entry.mode & 07777));
  archive_entry_set_uid(e.get(), entry.uid);
  archive_entry_set_gid(e.get(), entry.gid);
  archive_entry_set_mtime(e.get(), entry.mtime, 0);
  switch (entry.type) {
    case TarEntry::Type::kFile:
      archive_entry_set_size(e.get(), entry.size);
      break;
    case TarEntry::Type::kSymlink:
      archive_entry_set_symlink(e.get(), entry.link.c_str());
      break;
    case TarEntry::Type::kHardlink:
      archive_entry_set_hardlink(e.get(), entry.link.c_str());
      archive_entry_set_size(e.get(), 0);
      break;
    case TarEntry::Type::kChar:
    case TarEntry::Type::kBlock:
      archive_entry_set_rdevmajor(e.get(), entry.dev_major);
      archive_entry_set_rdevminor(e.get(), entry.dev_minor);
      break;
    case TarEntry::Type::kDir:
    case TarEntry::Type::kFifo:
      break;
  }
  for (const auto& [key, value] : entry.xattrs) {
    archive_entry_xattr_add_entry(e.get(), key.c_str(), value.data(), value.size());
  }
  int rc = archive_write_header(a_, e.get());
  // A name (or link) whose bytes are not text in the locale's charset, such as a file name that
  // is not UTF-8: libarchive has written it byte-exact under hdrcharset=BINARY and only warns.
  // Keep it, as BuildKit keeps such names; any other warning is a failure.
  const char* why = archive_error_string(a_);
  if (rc == ARCHIVE_WARN && why && std::string_view(why).starts_with("Can't translate")) {
    rc = ARCHIVE_OK;
  }
  if (rc != ARCHIVE_OK) fail("writing tar header for");
}

void TarWriter::write_data(std::string_view data) {
  while (!data.empty()) {
    la_ssize_t n = archive_write_data(a_, data.data(), data.size());
    if (n <= 0) fail("writing tar data for");
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void TarWriter::add_file(const TarEntry& entry, common::Reader& content) {
  add(entry);
  // One buffer for every file, not zeroed: a fresh zeroed 256 KiB vector per file was a memset
  // of 1.2 GB for a 5,000-file COPY.
  if (!buffer_) buffer_ = std::make_unique<common::CopyBuffer>(kFileChunk);
  const std::span<char> buf = buffer_->span();
  int64_t left = entry.size;
  while (left > 0) {
    size_t want = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(buf.size())));
    size_t n = content.read(buf.first(want));
    if (n == 0) {
      throw Error(ErrorKind::kResource,
                  "file \"" + entry.path + "\" shrank while being added to the layer");
    }
    write_data({buf.data(), n});
    left -= static_cast<int64_t>(n);
  }
}

void TarWriter::finish() {
  current_ = "(end of archive)";
  if (archive_write_close(a_) != ARCHIVE_OK) fail("closing tar at");
  finished_ = true;
}

}  // namespace mybuild::snapshot
