// Small URL helpers for the registry client: percent-encoding of query values and resolving a
// Location header against the URL it answered (distribution's API spec allows both relative and
// absolute Locations).
#pragma once

#include <string>
#include <string_view>

namespace mybuild::registry::internal {

// RFC 3986 unreserved characters pass; everything else becomes %XX.
inline std::string url_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// "https://h:1/a/b?x" + "/v2/..." -> "https://h:1/v2/..."; absolute locations are kept.
inline std::string resolve_location(std::string_view base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return std::string(location);
  size_t scheme_end = base.find("://");
  size_t host_end = base.find('/', scheme_end == std::string_view::npos ? 0 : scheme_end + 3);
  std::string origin(base.substr(0, host_end));
  if (location.rfind("//", 0) == 0)
    return std::string(base.substr(0, scheme_end + 1)) + std::string(location);
  if (!location.empty() && location.front() == '/') return origin + std::string(location);
  // Relative to the directory of the base path.
  std::string_view path = base.substr(origin.size());
  path = path.substr(0, path.find('?'));
  return origin + std::string(path.substr(0, path.rfind('/') + 1)) + std::string(location);
}

// Appends "key=value" to a URL's query.
inline std::string with_query(std::string url, std::string_view key, std::string_view value) {
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += key;
  url += '=';
  url += url_escape(value);
  return url;
}

}  // namespace mybuild::registry::internal
