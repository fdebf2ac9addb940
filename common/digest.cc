#include "common/digest.h"

#include <openssl/evp.h>

#include "common/error.h"

namespace mybuild::common {
namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::optional<Digest> Digest::try_parse(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto alg = text.substr(0, colon);
  auto hex = text.substr(colon + 1);
  size_t want = 0;
  if (alg == "sha256")
    want = 64;
  else if (alg == "sha512")
    want = 128;
  else
    return std::nullopt;
  if (hex.size() != want || !is_lower_hex(hex)) return std::nullopt;
  return Digest(std::string(text));
}

Digest Digest::parse(std::string_view text) {
  auto d = try_parse(text);
  if (!d) {
    throw Error(ErrorKind::kIntegrity, "invalid digest \"" + std::string(text.substr(0, 200)) +
                                           "\": want sha256:<64 lower-case hex digits>");
  }
  return *d;
}

Digest Digest::sha256_of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

std::string_view Digest::algorithm() const {
  std::string_view t = text_;
  return t.substr(0, t.find(':'));
}

std::string_view Digest::hex() const {
  std::string_view t = text_;
  auto colon = t.find(':');
  return colon == std::string_view::npos ? std::string_view{} : t.substr(colon + 1);
}

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorKind::kInternal, "EVP_DigestInit_ex(sha256) failed");
  }
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t size) {
  if (size == 0) return;
  EVP_DigestUpdate(ctx_->md, data, size);
  bytes_ += size;
}

Digest Sha256::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md, out, &len);
  return Digest::parse("sha256:" + to_hex({out, len}));
}

std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

}  // namespace mybuild::common
