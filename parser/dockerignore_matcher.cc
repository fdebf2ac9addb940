#include "parser/dockerignore_matcher.h"

#include <cctype>

#include "common/error.h"
#include "parser/dockerignore_file.h"

namespace mybuild::parser {

namespace {

// filepath.Dir: everything before the last `/`, cleaned; "." when there is no `/`.
std::string parent_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  return clean_path(path.substr(0, slash + 1));
}

}  // namespace

DockerignoreMatcher::DockerignoreMatcher(const std::vector<std::string>& patterns) {
  for (const std::string& raw : patterns) {
    // patternmatcher.New trims and cleans again: the list may not come from read_dockerignore.
    std::string_view trimmed = raw;
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front()))) {
      trimmed.remove_prefix(1);
    }
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) {
      trimmed.remove_suffix(1);
    }
    if (trimmed.empty()) continue;
    std::string pattern = clean_path(trimmed);
    const bool exception = pattern[0] == '!';
    if (exception) {
      if (pattern.size() == 1) {
        throw common::Error(common::ErrorKind::kDockerfile,
                            "illegal exclusion pattern: \"!\" in .dockerignore");
      }
      pattern.erase(0, 1);
      has_exceptions_ = true;
    }
    patterns_.emplace_back(std::move(pattern), exception);
  }
}

DockerignoreMatcher DockerignoreMatcher::from_file(std::string_view content) {
  return DockerignoreMatcher(read_dockerignore(content));
}

bool DockerignoreMatcher::excluded(std::string_view path) const {
  if (path == ".") return false;
  const std::string parent = parent_of(path);
  std::vector<std::string> ancestors;       // "a", "a/b", ... of the parent, built on first need
  std::vector<std::size_t> prefix_lengths;  // their lengths, when they are prefixes of path
  bool matched = false;
  for (const DockerignorePattern& pattern : patterns_) {
    // Only a pattern that can change the answer is evaluated (patternmatcher does the same,
    // which is observable: a broken pattern is only reported when it is reached).
    if (pattern.exception() != matched) continue;
    bool match = pattern.matches(path);
    if (!match && parent != ".") {
      if (ancestors.empty()) {
        std::size_t pos = 0;
        do {
          pos = parent.find('/', pos);
          ancestors.push_back(parent.substr(0, pos));
          if (pos != std::string::npos) ++pos;
        } while (pos != std::string::npos);
        if (path.substr(0, parent.size()) == parent) {
          for (const std::string& a : ancestors) prefix_lengths.push_back(a.size());
        }
      }
      if (!prefix_lengths.empty()) {
        // The usual case (a clean path): every ancestor is a prefix of the path, checked in
        // one pass instead of one match per ancestor.
        match = pattern.matches_any_prefix(path, prefix_lengths);
      } else {
        for (const std::string& ancestor : ancestors) {
          try {
            match = pattern.matches(ancestor);
          } catch (const common::Error&) {
            match = false;  // patternmatcher ignores errors on parent directories
          }
          if (match) break;
        }
      }
    }
    if (match) matched = !pattern.exception();
  }
  return matched;
}

bool DockerignoreMatcher::can_skip_dir(std::string_view dir) const {
  if (!excluded(dir)) return false;
  for (const DockerignorePattern& pattern : patterns_) {
    if (pattern.exception() && pattern.may_match_below(dir)) return false;
  }
  return true;
}

}  // namespace mybuild::parser
