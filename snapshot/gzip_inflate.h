// GzipInflateReader: gzip decompression through ISA-L's inflate (Debian's libisal), about
// twice zlib's speed here; a cold build's unpacking of a gzip base layer spent half its CPU in
// zlib (issue 17's C sample on Debian).
//
// Reads every member of a multi-member stream (what mybuild's parallel gzip writes, and
// pigz --independent), checks each member's CRC-32 and length, and ends, as libarchive's
// gzip reader does, at the first bytes after a member that are not another gzip header
// (the rest of the input is read and dropped, so that a digest computed over the compressed
// input still covers all of it). A corrupt or truncated stream throws Error(kIntegrity).
#pragma once

#include <memory>
#include <span>
#include <string>

#include "common/io.h"

namespace mybuild::snapshot {

class GzipInflateReader : public common::Reader {
 public:
  // `prefix`: bytes already read from the front of `in` (the caller's magic-byte peek).
  GzipInflateReader(common::Reader& in, std::string prefix);
  ~GzipInflateReader() override;
  GzipInflateReader(const GzipInflateReader&) = delete;
  GzipInflateReader& operator=(const GzipInflateReader&) = delete;

  size_t read(std::span<char> buf) override;

 private:
  struct State;
  // Makes input available to the inflater; false at the end of `in`.
  bool refill();
  // After a member: true when another one follows (the inflater is reset for it).
  bool next_member();

  common::Reader& in_;
  std::unique_ptr<State> state_;
  bool done_ = false;
};

// True when `head` starts with the gzip magic bytes.
bool starts_like_gzip(std::string_view head);

}  // namespace mybuild::snapshot
