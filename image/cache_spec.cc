#include "image/cache_spec.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "common/error.h"

namespace mybuild::image {

using common::Error;
using common::ErrorKind;

namespace {

[[noreturn]] void bad(bool exporting, std::string_view text, const std::string& why) {
  throw Error(ErrorKind::kUsage, std::string("invalid ") +
                                     (exporting ? "--cache-to" : "--cache-from") + " value \"" +
                                     std::string(text) + "\": " + why);
}

// Splits on commas as Go's encoding/csv does for buildx: a field in double quotes may hold
// commas ("cache-mounts=a,b"), and "" inside it is one quote.
std::vector<std::string> csv_fields(std::string_view text, bool exporting) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= text.size()) {
    std::string field;
    if (i < text.size() && text[i] == '"') {
      for (++i;; ++i) {
        if (i >= text.size()) bad(exporting, text, "unterminated quote");
        if (text[i] != '"') {
          field += text[i];
        } else if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"', ++i;
        } else {
          break;
        }
      }
      ++i;  // past the closing quote: a comma or the end must follow
      if (i < text.size() && text[i] != ',') bad(exporting, text, "text after a closing quote");
    } else {
      size_t comma = std::min(text.find(',', i), text.size());
      field = std::string(text.substr(i, comma - i));
      i = comma;
    }
    out.push_back(std::move(field));
    ++i;  // past the comma
  }
  return out;
}

// cache-mounts=: IDs separated by ';' or, in a quoted field, ','; the key may repeat.
void add_cache_mounts(CacheSpec& spec, std::string_view value) {
  while (!value.empty()) {
    size_t sep = value.find_first_of(",;");
    std::string id(value.substr(0, sep));
    value = sep == std::string_view::npos ? std::string_view() : value.substr(sep + 1);
    if (!id.empty() && std::find(spec.cache_mounts.begin(), spec.cache_mounts.end(), id) ==
                           spec.cache_mounts.end()) {
      spec.cache_mounts.push_back(std::move(id));
    }
  }
}

void parse_fields(CacheSpec& spec, std::string_view text, bool exporting) {
  for (const std::string& field : csv_fields(text, exporting)) {
    if (field.empty()) continue;
    size_t eq = field.find('=');
    if (eq == std::string::npos || eq == 0) bad(exporting, field, "want key=value");
    std::string key = field.substr(0, eq);
    if (key == kCacheMountsKey) add_cache_mounts(spec, std::string_view(field).substr(eq + 1));
    spec.attrs[key] = field.substr(eq + 1);
  }
}

void parse_target(CacheSpec& spec, std::string_view text, bool exporting) {
  auto get = [&](const std::string& k) {
    auto it = spec.attrs.find(k);
    return it == spec.attrs.end() ? std::string() : it->second;
  };
  spec.type = get("type");
  if (spec.type.empty()) spec.type = "registry";  // buildx's default type
  if (spec.type == "registry") {
    spec.ref = get("ref");
    if (spec.ref.empty()) bad(exporting, text, "type=registry needs ref=REG/REPO:TAG");
  } else if (spec.type == "local") {
    spec.dir = get(exporting ? "dest" : "src");
    if (spec.dir.empty()) {
      bad(exporting, text, exporting ? "type=local needs dest=DIR" : "type=local needs src=DIR");
    }
  } else if (spec.type == "inline") {
    spec.ref = get("ref");  // import: the image whose config holds the records
    if (!exporting && spec.ref.empty()) bad(exporting, text, "type=inline needs ref=IMAGE");
  } else {
    bad(exporting, text, "unknown type \"" + spec.type + "\" (registry, local or inline)");
  }
}

}  // namespace

CacheSpec parse_cache_spec(std::string_view text, bool exporting) {
  CacheSpec spec;
  if (text.find('=') == std::string_view::npos) {
    spec.attrs = {{"type", "registry"}, {"ref", std::string(text)}};
  } else {
    parse_fields(spec, text, exporting);
  }
  parse_target(spec, text, exporting);
  auto get = [&](const std::string& k) {
    auto it = spec.attrs.find(k);
    return it == spec.attrs.end() ? std::string() : it->second;
  };
  std::string mode = get("mode");
  if (mode == "max") {
    spec.mode = CacheMode::kMax;
  } else if (!mode.empty() && mode != "min") {
    bad(exporting, text, "mode must be min or max");
  }
  if (auto c = get("compression"); !c.empty()) spec.compression = c;
  if (auto l = get("compression-level"); !l.empty()) {
    auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), spec.compression_level);
    if (ec != std::errc() || p != l.data() + l.size())
      bad(exporting, text, "bad compression-level");
  }
  spec.ignore_error = get("ignore-error") == "true";
  if (spec.attrs.count(std::string(kCacheMountsKey))) {
    if (!exporting) {
      bad(exporting, text,
          "cache-mounts= belongs to --cache-to; --cache-from restores every cache mount it holds");
    }
    if (spec.type == "inline") bad(exporting, text, "type=inline cannot carry cache mounts");
    if (spec.cache_mounts.empty()) bad(exporting, text, "cache-mounts= names no cache mount id");
  }
  return spec;
}

CacheSpec cache_repo_spec(const std::string& repo) {
  CacheSpec spec;
  spec.type = "registry";
  // A tag after the last '/' is kept; else :cache.
  size_t slash = repo.rfind('/');
  bool tagged = repo.find(':', slash == std::string::npos ? 0 : slash) != std::string::npos;
  spec.ref = tagged ? repo : repo + ":cache";
  spec.mode = CacheMode::kMax;
  spec.attrs = {{"type", "registry"}, {"ref", spec.ref}, {"mode", "max"}};
  return spec;
}

}  // namespace mybuild::image
