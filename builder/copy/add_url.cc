#include "builder/copy/add_url.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <ctime>
#include <memory>

#include "common/digest.h"
#include "common/error.h"
#include "common/io.h"
#include "registry/http.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

namespace {

// "https://example.com/dl/tool.tar.gz?x=1#y" -> "tool.tar.gz"; "__unnamed__" when empty (BuildKit).
std::string base_name(const std::string& url) {
  std::string path = url;
  if (auto scheme = path.find("://"); scheme != std::string::npos) {
    auto slash = path.find('/', scheme + 3);
    path = slash == std::string::npos ? "" : path.substr(slash);
  }
  path = path.substr(0, path.find_first_of("?#"));
  while (!path.empty() && path.back() == '/') path.pop_back();
  std::string name = path.substr(path.rfind('/') + 1);
  return name.empty() ? "__unnamed__" : name;
}

// An --checksum value: BuildKit takes any digest go-digest knows (sha256, sha384, sha512).
struct Checksum {
  std::string algorithm;  // "sha256" | "sha384" | "sha512"
  std::string hex;
};

Checksum parse_checksum(const std::string& text) {
  const auto colon = text.find(':');
  const std::string alg = colon == std::string::npos ? "" : text.substr(0, colon);
  const std::string hex = colon == std::string::npos ? "" : text.substr(colon + 1);
  const size_t want = alg == "sha256" ? 64 : alg == "sha384" ? 96 : alg == "sha512" ? 128 : 0;
  bool ok = want != 0 && hex.size() == want;
  for (char c : hex) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!ok) {
    throw Error(ErrorKind::kUsage, "ADD --checksum=" + text +
                                       ": not a digest (sha256:, sha384: or sha512: and "
                                       "lower-case hex)");
  }
  return {alg, hex};
}

// Hashes what passes through with the named OpenSSL digest, for a --checksum other than
// sha256 (the download is always hashed with sha256 too: that names it in the cache).
class EvpWriter : public common::Writer {
 public:
  EvpWriter(common::Writer& next, const std::string& algorithm)
      : next_(next), ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    const EVP_MD* md = EVP_get_digestbyname(algorithm.c_str());
    if (!ctx_ || md == nullptr || EVP_DigestInit_ex(ctx_.get(), md, nullptr) != 1) {
      throw Error(ErrorKind::kResource, "OpenSSL cannot compute " + algorithm);
    }
  }
  void write(std::string_view data) override {
    EVP_DigestUpdate(ctx_.get(), data.data(), data.size());
    next_.write(data);
  }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &n);
    return common::to_hex({md, n});
  }

 private:
  common::Writer& next_;
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

std::optional<time_t> parse_http_date(const std::string& text) {
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  return ::timegm(&tm);
}

}  // namespace

Download download_url(const std::string& url, const std::filesystem::path& dir,
                      const std::optional<std::string>& checksum,
                      const common::CancelToken& cancel) {
  std::optional<Checksum> expected;
  if (checksum) expected = parse_checksum(*checksum);
  Download d;
  d.name = base_name(url);
  d.file = dir / d.name;
  // The CAs Docker's certs.d gives the host, as the registry client trusts them.
  registry::TransportOptions tls;
  tls.certs_dirs = registry::default_certs_dirs();
  registry::Transport transport(tls);
  common::UniqueFd fd = common::open_file(d.file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  common::FdWriter file(fd.get());
  common::DigestingWriter hashed(file);
  std::optional<EvpWriter> other;
  if (expected && expected->algorithm != "sha256") other.emplace(hashed, expected->algorithm);
  registry::HttpRequest request;
  request.url = url;
  request.sink = other ? static_cast<common::Writer*>(&*other) : &hashed;
  request.cancel = &cancel;
  registry::HttpResponse response;
  try {
    response = transport.perform(request);
  } catch (Error& e) {
    e.add_context("ADD " + url);
    throw;
  }
  if (response.status < 200 || response.status >= 300) {
    throw Error(ErrorKind::kNetwork,
                "ADD " + url + ": the server answered HTTP " + std::to_string(response.status));
  }
  d.digest = hashed.finish();
  if (expected) {
    const std::string got = other ? other->hex() : std::string(d.digest.hex());
    if (got != expected->hex) {
      throw Error(ErrorKind::kIntegrity, "ADD " + url + ": checksum mismatch: expected " +
                                             expected->algorithm + ":" + expected->hex + ", got " +
                                             expected->algorithm + ":" + got);
    }
  }
  ::fchmod(fd.get(), 0600);
  if (auto modified = parse_http_date(response.header("last-modified"))) {
    struct timespec times[2] = {{*modified, 0}, {*modified, 0}};
    ::futimens(fd.get(), times);
  }
  return d;
}

}  // namespace mybuild::builder
