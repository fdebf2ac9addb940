#include "builder/context/git_source.h"

#include <filesystem>
#include <vector>

#include "builder/build_request.h"
#include "common/error.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;

// The URL up to its fragment or query: where docker's IsGitURL looks for ".git".
std::string_view url_path_part(std::string_view text) {
  return text.substr(0, text.find_first_of("#?"));
}

[[noreturn]] void bad_source(const std::string& text, const std::string& why) {
  throw Error(ErrorKind::kUsage, "git context " + text + ": " + why);
}

std::string percent_decode(std::string_view s, const std::string& text) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    auto hex = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (i + 2 >= s.size() || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0) {
      bad_source(text, "bad %-escape in the query");
    }
    out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
    i += 2;
  }
  return out;
}

// A query boolean as Go's strconv.ParseBool reads it (BuildKit's parser).
bool query_bool(const std::string& key, const std::string& value, const std::string& text) {
  for (const char* t : {"1", "t", "T", "true", "TRUE", "True", ""}) {
    if (value == t) return true;
  }
  for (const char* f : {"0", "f", "F", "false", "FALSE", "False"}) {
    if (value == f) return false;
  }
  bad_source(text, key + "=" + value + " is not a boolean");
}

// BuildKit 1.18: ref= (or branch=, tag=), subdir=, checksum=, keep-git-dir=, submodules=.
void apply_query(std::string_view query, GitSource& src) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key(pair.substr(0, eq));
    std::string value =
        eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), src.text);
    if (key == "ref" || key == "branch" || key == "tag") {
      if (!src.ref.empty()) bad_source(src.text, "the ref is given twice");
      src.ref = value;
    } else if (key == "subdir") {
      src.subdir = value;
    } else if (key == "checksum" || key == "commit") {
      src.checksum = value;
    } else if (key == "keep-git-dir") {
      src.keep_git_dir = query_bool(key, value, src.text);
    } else if (key == "submodules") {
      src.submodules = query_bool(key, value, src.text);
    } else {
      bad_source(src.text, "unknown query key \"" + key + "\"");
    }
  }
}

// A subdir names a directory inside the tree: relative, and no `..` out of it.
std::string clean_subdir(const std::string& subdir, const std::string& text) {
  std::filesystem::path p = std::filesystem::path(subdir).lexically_normal();
  std::string s = p.string();
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (s == ".") return "";
  if (p.is_absolute() || s == ".." || s.starts_with("../")) {
    bad_source(text, "subdir \"" + subdir + "\" is not inside the repository");
  }
  return s;
}

}  // namespace

bool is_git_context(const std::string& context) { return is_git_url(context); }

bool is_git_url(std::string_view text) {
  for (std::string_view p : {"git://", "git@", "github.com/", "ssh://", "file://"}) {
    if (text.starts_with(p)) return true;
  }
  if (text.starts_with("https://") || text.starts_with("http://")) {
    std::string_view path = url_path_part(text);
    return path.size() > 4 && path.substr(path.size() - 4) == ".git";
  }
  return false;
}

std::optional<GitSource> parse_git_source(std::string_view text) {
  if (!is_git_url(text)) return std::nullopt;
  GitSource src;
  src.text = std::string(text);
  std::string_view rest = text;
  std::string_view fragment;
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) {
    fragment = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
  }
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    apply_query(rest.substr(q + 1), src);
    rest = rest.substr(0, q);
  }
  src.remote = std::string(rest);
  if (src.remote.starts_with("github.com/")) src.remote = "https://" + src.remote;
  if (!fragment.empty()) {
    if (!src.ref.empty() || !src.subdir.empty()) {
      bad_source(src.text, "give the ref and subdir in the fragment or the query, not both");
    }
    size_t colon = fragment.find(':');
    src.ref = std::string(fragment.substr(0, colon));
    if (colon != std::string_view::npos) src.subdir = std::string(fragment.substr(colon + 1));
  }
  if (src.remote.empty()) bad_source(src.text, "no repository URL");
  src.subdir = clean_subdir(src.subdir, src.text);
  return src;
}

}  // namespace mybuild::builder
