#include "snapshot/archive_filters.h"

#include <archive.h>

#include <string>

#include "common/error.h"

namespace mybuild::snapshot {
namespace {

// ARCHIVE_WARN from a support_filter call is libarchive's way of saying "I will use an
// external program for this"; only ARCHIVE_OK means a linked library.
void require_in_process(int rc, struct archive* a, const char* filter) {
  if (rc == ARCHIVE_OK) return;
  const char* why = archive_error_string(a);
  throw common::Error(common::ErrorKind::kInternal,
                      std::string("libarchive cannot decode ") + filter + " in-process (" +
                          (why ? why : "no library") +
                          "); refusing to run an external decompressor on untrusted input");
}

}  // namespace

void support_archive_filters(struct archive* a) {
  require_in_process(archive_read_support_filter_gzip(a), a, "gzip");
  require_in_process(archive_read_support_filter_bzip2(a), a, "bzip2");
  require_in_process(archive_read_support_filter_xz(a), a, "xz");
  require_in_process(archive_read_support_filter_zstd(a), a, "zstd");
}

void support_layer_filters(struct archive* a) {
  require_in_process(archive_read_support_filter_gzip(a), a, "gzip");
  require_in_process(archive_read_support_filter_zstd(a), a, "zstd");
}

}  // namespace mybuild::snapshot
