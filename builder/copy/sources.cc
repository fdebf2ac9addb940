#include "builder/copy/sources.h"

#include <sys/stat.h>

#include "builder/context/path.h"
#include "builder/copy/wildcard.h"
#include "common/error.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;

std::vector<std::string> split_components(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string last_component(std::string_view rel) {
  const size_t slash = rel.rfind('/');
  return std::string(slash == std::string_view::npos ? rel : rel.substr(slash + 1));
}

bool is_directory(const BuildContext& context, const std::string& rel) {
  struct stat st {};
  return ::stat(context.host_path(rel).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Expands one wildcard source. The literal prefix (before the first component with a wildcard)
// resolves like a plain path; each wildcard component then matches the names of one directory
// level. That equals BuildKit's whole-path filepath.Match, as `*` never crosses a '/'. Matched
// symlinks to directories are not descended into, as BuildKit's checksum tree has no children
// under a symlink.
void expand(const BuildContext& context, const std::string& as_written,
            std::vector<CopySource>& out) {
  const std::vector<std::string> parts = split_components(clean_in_root(as_written));
  size_t first_wild = 0;
  std::string prefix;
  while (first_wild < parts.size() && !has_wildcards(parts[first_wild])) {
    prefix = join_rel(prefix, unescape_wildcards(parts[first_wild]));
    ++first_wild;
  }
  std::vector<std::pair<std::string, std::string>> level;  // (rel, name as matched)
  if (auto base = context.resolve(prefix)) level.emplace_back(*base, "");
  for (size_t i = first_wild; i < parts.size(); ++i) {
    std::vector<std::pair<std::string, std::string>> next;
    for (const auto& [dir, unused] : level) {
      struct stat st {};
      if (::lstat(context.host_path(dir).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
      for (const auto& name : context.list(dir)) {
        if (!wildcard_match(parts[i], name)) continue;
        next.emplace_back(join_rel(dir, name), name);
      }
    }
    level = std::move(next);
  }
  for (auto& [rel, name] : level) {
    // A matched symlink is followed (BuildKit resolves wildcards with FollowLinks for COPY).
    auto followed = context.resolve(rel);
    if (!followed) {
      throw Error(ErrorKind::kNotFound, "\"" + as_written + "\": matched \"" + rel +
                                            "\", a symlink whose target is not in the context");
    }
    out.push_back({as_written, *followed, name, is_directory(context, *followed)});
  }
}

}  // namespace

std::vector<CopySource> resolve_copy_sources(const BuildContext& context,
                                             std::span<const std::string> sources,
                                             bool allow_empty_wildcard) {
  std::vector<CopySource> out;
  for (const std::string& src : sources) {
    if (has_wildcards(src)) {
      const size_t before = out.size();
      expand(context, src, out);
      if (out.size() == before && !allow_empty_wildcard) {
        throw Error(ErrorKind::kNotFound, "no source files were specified: \"" + src +
                                              "\" matched no file in the build context");
      }
      continue;
    }
    const std::string unescaped = unescape_wildcards(src);
    auto rel = context.resolve(unescaped);
    if (!rel) throw Error(ErrorKind::kNotFound, "\"" + src + "\": not found");
    const std::string cleaned = clean_in_root(unescaped);
    out.push_back({src, *rel, last_component(cleaned), is_directory(context, *rel)});
  }
  return out;
}

}  // namespace mybuild::builder
