#include "image/cache_spec.h"

#include <charconv>

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

std::map<std::string, std::string> fields_of(std::string_view text, bool exporting) {
  std::map<std::string, std::string> attrs;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view field = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (field.empty()) continue;
    size_t eq = field.find('=');
    if (eq == std::string_view::npos || eq == 0) bad(exporting, field, "want key=value");
    attrs[std::string(field.substr(0, eq))] = std::string(field.substr(eq + 1));
  }
  return attrs;
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
    spec.attrs = fields_of(text, exporting);
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
