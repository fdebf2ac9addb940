#include "builder/context/tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "builder/context/path.h"
#include "common/copy_buffer.h"
#include "common/error.h"
#include "common/log.h"
#include "snapshot/archive_filters.h"
#include "snapshot/extract_limits.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;

struct ReadState {
  common::Reader* reader;
  common::CopyBuffer buffer;
  std::exception_ptr error;
};

// A C callback: exceptions must not cross libarchive (STYLE.md §3), so stash and rethrow.
la_ssize_t read_callback(struct archive* a, void* opaque, const void** out) {
  auto* state = static_cast<ReadState*>(opaque);
  try {
    const size_t n = state->reader->read(state->buffer.span());
    *out = state->buffer.data();
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    state->error = std::current_exception();
    archive_set_error(a, EIO, "read failed");
    return -1;
  }
}

// Returns the cleaned relative name, or throws when the name tries to leave the context: a
// hostile or corrupt archive (exit 1), not a mistake in the command line (exit 2).
std::string safe_name(const char* raw, std::string_view what) {
  const std::string name = raw ? raw : "";
  if (!name.empty() && name.front() == '/') {
    throw Error(ErrorKind::kIntegrity,
                "unsafe " + std::string(what) + " \"" + name + "\" in context tar: absolute path");
  }
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('/', i);
    if (j == std::string::npos) j = name.size();
    if (name.compare(i, j - i, "..") == 0 && j - i == 2) {
      throw Error(ErrorKind::kIntegrity, "unsafe " + std::string(what) + " \"" + name +
                                             "\" in context tar: \"..\" component");
    }
    i = j + 1;
  }
  return clean_in_root(name);
}

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

void check(struct archive* a, int rc, ReadState& state, std::string_view what) {
  if (rc >= ARCHIVE_WARN) return;
  if (state.error) std::rethrow_exception(state.error);
  throw Error(ErrorKind::kIntegrity,
              std::string(what) + ": " +
                  (archive_error_string(a) ? archive_error_string(a) : "corrupt archive"));
}

}  // namespace

void unpack_context_tar(common::Reader& tar, const std::filesystem::path& dest, bool keep_owners) {
  ReadState state{&tar, common::CopyBuffer(common::kDecodeBufferSize), nullptr};
  ArchivePtr in(archive_read_new(), archive_read_free);
  ArchivePtr out(archive_write_disk_new(), archive_write_free);
  if (!in || !out) throw Error(ErrorKind::kResource, "libarchive: out of memory");
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  // Never _filter_all: it runs external programs (lrzip, lzop, ...) on what the user sent.
  snapshot::support_archive_filters(in.get());
  // Only ADD keeps owners (see the header), so this names what the user is unpacking.
  snapshot::ExtractBudget budget(snapshot::ExtractLimits::from_env(),
                                 keep_owners ? "archive added by ADD" : "build context tar");
  // Without a user/group lookup set, ARCHIVE_EXTRACT_OWNER uses the entries' numeric ids.
  archive_write_disk_set_options(
      out.get(), ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                     ARCHIVE_EXTRACT_SECURE_NODOTDOT | (keep_owners ? ARCHIVE_EXTRACT_OWNER : 0));
  // Not ARCHIVE_EXTRACT_UNLINK: with it, libarchive silently replaces a symlink in the way
  // instead of refusing the entry; a context tar that writes through its own symlink is
  // malformed or hostile, and the user should hear about it.
  check(in.get(), archive_read_open(in.get(), &state, nullptr, read_callback, nullptr), state,
        "opening context tar");
  // Canonical, so that SECURE_SYMLINKS does not trip over a symlink in $TMPDIR itself.
  const std::string prefix = std::filesystem::canonical(dest).string() + "/";
  for (;;) {
    struct archive_entry* entry = nullptr;
    int rc = archive_read_next_header(in.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    check(in.get(), rc, state, "reading context tar");
    const std::string name = safe_name(archive_entry_pathname(entry), "entry");
    budget.add_entry(name);
    if (name.empty()) continue;  // "./" itself: the root exists already
    const char* hardlink = archive_entry_hardlink(entry);
    // A hard link entry may carry no file type of its own (tar type '1').
    const mode_t type = hardlink ? AE_IFREG : archive_entry_filetype(entry);
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
      common::log::warn("context tar: skipping special file " + name);
      continue;
    }
    archive_entry_set_pathname(entry, (prefix + name).c_str());
    if (hardlink) {
      const std::string target = safe_name(hardlink, "hard link target");
      archive_entry_set_hardlink(entry, (prefix + target).c_str());
    }
    if (!keep_owners) {
      archive_entry_set_uid(entry, 0);
      archive_entry_set_gid(entry, 0);
    }
    rc = archive_write_header(out.get(), entry);
    check(out.get(), rc, state, "extracting " + name);
    if (archive_entry_size(entry) > 0 && type == AE_IFREG) {
      budget.check_file_size(name, archive_entry_size(entry));
      const void* buf = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      while ((rc = archive_read_data_block(in.get(), &buf, &size, &offset)) == ARCHIVE_OK) {
        // Filter -1 is the raw input, 0 the decompressed stream libarchive reads the tar from.
        budget.add_bytes(name, static_cast<int64_t>(size), offset + static_cast<int64_t>(size));
        budget.check_ratio(static_cast<uint64_t>(archive_filter_bytes(in.get(), -1)),
                           static_cast<uint64_t>(archive_filter_bytes(in.get(), 0)));
        check(out.get(), static_cast<int>(archive_write_data_block(out.get(), buf, size, offset)),
              state, "writing " + name);
      }
      if (rc != ARCHIVE_EOF) check(in.get(), rc, state, "reading " + name);
    }
    check(out.get(), archive_write_finish_entry(out.get()), state, "finishing " + name);
  }
  check(out.get(), archive_write_close(out.get()), state, "closing extracted context");
}

bool starts_like_archive(std::string_view head) {
  using namespace std::string_view_literals;
  for (std::string_view magic : {"\x1f\x8b"sv, "BZh"sv,
                                 "\xfd"
                                 "7zXZ\x00"sv,
                                 "\x28\xb5\x2f\xfd"sv}) {
    if (head.starts_with(magic)) return true;  // gzip, bzip2, xz, zstd
  }
  return head.size() >= 262 && head.substr(257, 5) == "ustar"sv;  // tar (POSIX and GNU)
}

}  // namespace mybuild::builder
