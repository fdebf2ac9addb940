// The SSH wire encoding (RFC 4251 section 5) that ssh-agent messages and OpenSSH key files are
// written in: big-endian uint32, length-prefixed strings, mpints. WireReader never reads past its
// input: a short or lying length throws Error(kUsage) naming `what` (a key file, a message).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mybuild::builder::ssh {

class WireReader {
 public:
  WireReader(std::string_view data, std::string what) : data_(data), what_(std::move(what)) {}
  uint8_t byte();
  uint32_t u32();
  std::string_view string();
  std::string_view raw(size_t n);  // n bytes as they are
  bool empty() const { return data_.empty(); }
  std::string_view rest() const { return data_; }
  [[noreturn]] void fail(const std::string& why) const;

 private:
  std::string_view data_;
  std::string what_;
};

void put_u32(std::string& out, uint32_t v);
void put_string(std::string& out, std::string_view s);
// A non-negative integer given big-endian (leading zero bytes allowed) as an SSH mpint.
void put_mpint(std::string& out, std::string_view magnitude);

}  // namespace mybuild::builder::ssh
