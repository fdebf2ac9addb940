#include "builder/ssh/wire.h"

#include "common/error.h"

namespace mybuild::builder::ssh {

void WireReader::fail(const std::string& why) const {
  throw common::Error(common::ErrorKind::kUsage, what_ + ": " + why);
}

std::string_view WireReader::raw(size_t n) {
  if (n > data_.size()) fail("truncated (wanted " + std::to_string(n) + " more bytes)");
  std::string_view out = data_.substr(0, n);
  data_.remove_prefix(n);
  return out;
}

uint8_t WireReader::byte() { return static_cast<uint8_t>(raw(1)[0]); }

uint32_t WireReader::u32() {
  std::string_view b = raw(4);
  uint32_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::string_view WireReader::string() { return raw(u32()); }

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_string(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

void put_mpint(std::string& out, std::string_view magnitude) {
  while (!magnitude.empty() && magnitude.front() == '\0') magnitude.remove_prefix(1);
  // Two's complement: a set top bit would read as negative, so a zero byte goes first.
  const bool pad = !magnitude.empty() && (static_cast<uint8_t>(magnitude.front()) & 0x80) != 0;
  put_u32(out, static_cast<uint32_t>(magnitude.size() + (pad ? 1 : 0)));
  if (pad) out.push_back('\0');
  out.append(magnitude);
}

}  // namespace mybuild::builder::ssh
