// Content digests ("sha256:<64 hex>") and a streaming SHA-256 over OpenSSL's EVP interface
// (which uses the CPU's SHA extensions where present).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mybuild::common {

// A validated digest. Only sha256 is produced; sha512 is accepted when parsing, as the OCI
// image spec registers both (descriptor.md, "Registered algorithms").
class Digest {
 public:
  Digest() = default;
  // Throws Error(kIntegrity) naming the text when it is not "<alg>:<hex>" of the right length.
  static Digest parse(std::string_view text);
  static std::optional<Digest> try_parse(std::string_view text);
  static Digest sha256_of(std::string_view data);

  const std::string& str() const { return text_; }
  std::string_view algorithm() const;
  std::string_view hex() const;
  bool empty() const { return text_.empty(); }
  // First 12 hex characters, as docker prints image ids.
  std::string short_hex() const { return std::string(hex().substr(0, 12)); }

  friend bool operator==(const Digest&, const Digest&) = default;
  friend auto operator<=>(const Digest&, const Digest&) = default;

 private:
  explicit Digest(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

// Incremental SHA-256. Not thread-safe; one per stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Ends the stream; the hasher must not be updated afterwards.
  Digest finish();
  uint64_t bytes() const { return bytes_; }

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  uint64_t bytes_ = 0;
};

std::string to_hex(std::span<const unsigned char> bytes);

}  // namespace mybuild::common

template <>
struct std::hash<mybuild::common::Digest> {
  size_t operator()(const mybuild::common::Digest& d) const noexcept {
    return std::hash<std::string>()(d.str());
  }
};
