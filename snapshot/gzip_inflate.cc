#include "snapshot/gzip_inflate.h"

#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "common/error.h"

namespace mybuild::snapshot {

using common::Error;
using common::ErrorKind;

namespace {

constexpr size_t kInflateInput = 256 << 10;

std::string inflate_failure(int code) {
  switch (code) {
    case ISAL_INVALID_BLOCK:
      return "an invalid deflate block";
    case ISAL_INVALID_SYMBOL:
      return "an invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK:
      return "a back-reference before the start of the data";
    case ISAL_INVALID_WRAPPER:
      return "an invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD:
      return "a compression method other than deflate";
    case ISAL_INCORRECT_CHECKSUM:
      return "a CRC-32 that does not match the data";
    default:
      return "error " + std::to_string(code);
  }
}

}  // namespace

bool starts_like_gzip(std::string_view head) {
  return head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
         static_cast<unsigned char>(head[1]) == 0x8b;
}

struct GzipInflateReader::State {
  inflate_state st{};
  std::vector<uint8_t> input = std::vector<uint8_t>(kInflateInput);
  bool input_ended = false;
};

GzipInflateReader::GzipInflateReader(common::Reader& in, std::string prefix)
    : in_(in), state_(std::make_unique<State>()) {
  isal_inflate_init(&state_->st);
  state_->st.crc_flag = ISAL_GZIP;
  if (prefix.size() > state_->input.size()) state_->input.resize(prefix.size());
  std::memcpy(state_->input.data(), prefix.data(), prefix.size());
  state_->st.next_in = state_->input.data();
  state_->st.avail_in = static_cast<uint32_t>(prefix.size());
}

GzipInflateReader::~GzipInflateReader() = default;

bool GzipInflateReader::refill() {
  inflate_state& st = state_->st;
  if (state_->input_ended) return false;
  // What the inflater has not taken yet moves to the front (a header split across reads).
  std::memmove(state_->input.data(), st.next_in, st.avail_in);
  st.next_in = state_->input.data();
  const size_t n =
      in_.read(std::span<char>(reinterpret_cast<char*>(state_->input.data()) + st.avail_in,
                               state_->input.size() - st.avail_in));
  if (n == 0) state_->input_ended = true;
  st.avail_in += static_cast<uint32_t>(n);
  return n > 0;
}

bool GzipInflateReader::next_member() {
  inflate_state& st = state_->st;
  while (st.avail_in < 2 && refill()) {
  }
  const std::string_view head(reinterpret_cast<const char*>(st.next_in), st.avail_in);
  if (!starts_like_gzip(head)) {
    // Not another member: the stream ends here, as in libarchive and gzip. The rest is read
    // so that whoever hashes the compressed input sees all of it.
    st.avail_in = 0;
    while (refill()) st.avail_in = 0;
    return false;
  }
  // The reset forgets where the input is; keep it.
  uint8_t* next_in = st.next_in;
  const uint32_t avail_in = st.avail_in;
  isal_inflate_reset(&st);
  st.crc_flag = ISAL_GZIP;
  st.next_in = next_in;
  st.avail_in = avail_in;
  return true;
}

size_t GzipInflateReader::read(std::span<char> buf) {
  if (done_ || buf.empty()) return 0;
  inflate_state& st = state_->st;
  const uint32_t room =
      static_cast<uint32_t>(std::min<size_t>(buf.size(), std::numeric_limits<uint32_t>::max()));
  st.next_out = reinterpret_cast<uint8_t*>(buf.data());
  st.avail_out = room;
  for (;;) {
    size_t produced = room - st.avail_out;
    if (st.block_state == ISAL_BLOCK_FINISH) {
      if (produced > 0) return produced;
      if (!next_member()) {
        done_ = true;
        return 0;
      }
    }
    if (st.avail_in == 0) refill();
    const uint32_t avail_before = st.avail_in;
    const int code = isal_inflate(&st);
    if (code < 0) {
      throw Error(ErrorKind::kIntegrity, "gzip: corrupt data: " + inflate_failure(code));
    }
    produced = room - st.avail_out;
    if (st.block_state == ISAL_BLOCK_FINISH) continue;
    if (produced > 0) return produced;
    if (st.avail_in == 0 && avail_before == 0 && state_->input_ended) {
      throw Error(ErrorKind::kIntegrity, "gzip: the stream ends in the middle of a member");
    }
  }
}

}  // namespace mybuild::snapshot
