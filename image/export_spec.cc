// parse_output: the --output syntax of `docker buildx build` (buildx util/buildflags/export.go):
// one CSV record of key=value fields, or a bare path.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "image/export.h"
#include "snapshot/compression.h"

namespace mybuild::image {

using common::Error;
using common::ErrorKind;

namespace {

[[noreturn]] void bad_output(std::string_view text, const std::string& why) {
  std::string msg = "invalid --output value \"";
  msg += text;
  msg += "\": ";
  msg += why;
  throw Error(ErrorKind::kUsage, std::move(msg));
}

// Reads a quoted string starting at text[i] == '"' (CSV rules: "" is a quote); returns the index
// just past the closing quote, which must be followed by a comma or the end.
size_t read_quoted(std::string_view text, size_t i, std::string& out) {
  ++i;
  for (;;) {
    size_t q = text.find('"', i);
    if (q == std::string_view::npos) bad_output(text, "unterminated quote");
    out.append(text.substr(i, q - i));
    i = q + 1;
    if (i < text.size() && text[i] == '"') {
      out += '"';
      ++i;
      continue;
    }
    break;
  }
  if (i < text.size() && text[i] != ',') bad_output(text, "unexpected text after a closing quote");
  return i;
}

// Splits one CSV record as Go's encoding/csv does without LazyQuotes (buildx uses
// tonistiigi/go-csvvalue, its strict twin): a field may be quoted whole ("dest=a,b"). As a
// convenience beyond buildx, the value alone may be quoted too (dest="a,b"), which buildx
// rejects as a bare quote; any other quote inside a field is still an error.
std::vector<std::string> csv_fields(std::string_view text) {
  std::vector<std::string> fields;
  size_t i = 0;
  for (;;) {
    std::string field;
    if (i < text.size() && text[i] == '"') {
      i = read_quoted(text, i, field);
    } else {
      while (i < text.size() && text[i] != ',') {
        if (text[i] == '"') {
          bool after_key = !field.empty() && field.find('=') == field.size() - 1;
          if (!after_key) bad_output(text, "bare \" in a field (quote the whole field)");
          i = read_quoted(text, i, field);
          break;
        }
        field += text[i++];
      }
    }
    fields.push_back(std::move(field));
    if (i >= text.size()) return fields;
    ++i;  // the comma; a trailing one gives an empty last field, as in CSV
  }
}

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Go's strconv.ParseBool, which BuildKit uses for boolean exporter attributes.
bool parse_bool(std::string_view text, std::string_view key, std::string_view value) {
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (value == t) return true;
  }
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (value == f) return false;
  }
  std::string why = "invalid boolean value \"";
  why += value;
  why += "\" for ";
  why += key;
  bad_output(text, why);
}

bool needs_dest(const std::string& type) {
  return type == "oci" || type == "docker" || type == "tar" || type == "local";
}

// BuildKit's exporter attributes for layer compression (docs: exporters/oci-docker.md).
void check_compression(std::string_view text, OutputSpec& spec) {
  if (auto it = spec.attrs.find("compression"); it != spec.attrs.end()) {
    if (it->second == "estargz") {
      bad_output(text, "compression=estargz is not supported (gzip, zstd or uncompressed)");
    }
    try {
      snapshot::parse_compression(it->second);
    } catch (const Error&) {
      bad_output(text, "unknown compression \"" + it->second + "\" (gzip, zstd or uncompressed)");
    }
    spec.compression = it->second;
  }
  if (auto it = spec.attrs.find("compression-level"); it != spec.attrs.end()) {
    int level = 0;
    auto [end, ec] =
        std::from_chars(it->second.data(), it->second.data() + it->second.size(), level);
    if (ec != std::errc() || end != it->second.data() + it->second.size() || level < 0) {
      bad_output(text, "compression-level=" + it->second + " is not a level (0, 1, 2, ...)");
    }
    spec.compression_level = level;
  }
  if (auto it = spec.attrs.find("force-compression"); it != spec.attrs.end()) {
    parse_bool(text, "force-compression", it->second);  // always forced: see image/export.h
  }
}

void validate(std::string_view text, OutputSpec& spec) {
  if (spec.type.empty()) bad_output(text, "type is required (type=oci|docker|tar|local|image)");
  if (!needs_dest(spec.type) && spec.type != "image" && spec.type != "registry") {
    bad_output(text, "unknown output type \"" + spec.type +
                         "\" (expected oci, docker, tar, local, image or registry)");
  }
  if (auto it = spec.attrs.find("tar"); it != spec.attrs.end()) {
    spec.tar = parse_bool(text, "tar", it->second);
    if (!spec.tar && spec.type != "oci") {
      bad_output(text, "tar=false is supported by type=oci only");
    }
  }
  check_compression(text, spec);
  if (needs_dest(spec.type) && spec.dest.empty()) {
    bad_output(text, "type=" + spec.type + " needs dest=PATH (or dest=- for stdout)");
  }
  if (spec.dest == "-" && (spec.type == "local" || !spec.tar)) {
    bad_output(text, "a directory output cannot be written to stdout (dest=-)");
  }
}

}  // namespace

OutputSpec parse_output(std::string_view text) {
  if (text.empty()) bad_output(text, "empty value");
  std::vector<std::string> fields = csv_fields(text);
  OutputSpec spec;
  // buildx: one field that is the whole value and does not start with "type=" is a path.
  if (fields.size() == 1 && fields[0] == text && !text.starts_with("type=")) {
    spec.type = text == "-" ? "tar" : "local";
    spec.dest = std::string(text);
    return spec;
  }
  for (const std::string& field : fields) {
    size_t eq = field.find('=');
    if (eq == std::string::npos) bad_output(text, "field \"" + field + "\" is not key=value");
    std::string key = lower_trimmed(std::string_view(field).substr(0, eq));
    std::string value = field.substr(eq + 1);
    if (key == "type") {
      spec.type = value;
    } else if (key == "dest") {
      spec.dest = value;
    }
    spec.attrs[key] = value;
  }
  validate(text, spec);
  return spec;
}

}  // namespace mybuild::image
