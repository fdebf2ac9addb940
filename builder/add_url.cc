#include "builder/add_url.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <ctime>

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

std::optional<time_t> parse_http_date(const std::string& text) {
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  return ::timegm(&tm);
}

}  // namespace

Download download_url(const std::string& url, const std::filesystem::path& dir,
                      const std::optional<std::string>& checksum, const common::CancelToken& cancel) {
  std::optional<common::Digest> expected;
  if (checksum) {
    expected = common::Digest::try_parse(*checksum);
    if (!expected) throw Error(ErrorKind::kUsage, "ADD --checksum=" + *checksum + ": not a digest (sha256:<hex>)");
  }
  Download d;
  d.name = base_name(url);
  d.file = dir / d.name;
  registry::Transport transport;
  common::UniqueFd fd = common::open_file(d.file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  common::FdWriter file(fd.get());
  common::DigestingWriter hashed(file);
  registry::HttpRequest request;
  request.url = url;
  request.sink = &hashed;
  request.cancel = &cancel;
  registry::HttpResponse response;
  try {
    response = transport.perform(request);
  } catch (Error& e) {
    e.add_context("ADD " + url);
    throw;
  }
  if (response.status < 200 || response.status >= 300) {
    throw Error(ErrorKind::kNetwork, "ADD " + url + ": the server answered HTTP " + std::to_string(response.status));
  }
  d.digest = hashed.finish();
  if (expected && *expected != d.digest) {
    throw Error(ErrorKind::kIntegrity, "ADD " + url + ": checksum mismatch: expected " + expected->str() +
                                           ", got " + d.digest.str());
  }
  ::fchmod(fd.get(), 0600);
  if (auto modified = parse_http_date(response.header("last-modified"))) {
    struct timespec times[2] = {{*modified, 0}, {*modified, 0}};
    ::futimens(fd.get(), times);
  }
  return d;
}

}  // namespace mybuild::builder
