#include "cli/ci_log.h"

#include <algorithm>
#include <cstdlib>

namespace mybuild::cli {

namespace {

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

std::string one_line(std::string_view title) {
  std::string t(title);
  std::replace_if(
      t.begin(), t.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return t;
}

}  // namespace

CiLog ci_log_from_env() {
  if (env_set("GITLAB_CI")) return CiLog::kGitLab;
  if (env_set("GITHUB_ACTIONS")) return CiLog::kGitHubActions;
  return CiLog::kNone;
}

std::string ci_section_start(CiLog ci, std::string_view name, std::string_view title,
                             int64_t unix_time) {
  switch (ci) {
    case CiLog::kNone:
      return "";
    case CiLog::kGitHubActions:
      return "::group::" + one_line(title) + "\n";
    case CiLog::kGitLab:
      return std::string("\x1b[0Ksection_start:") + std::to_string(unix_time) + ":" +
             std::string(name) + "[collapsed=true]\r\x1b[0K" + one_line(title) + "\n";
  }
  return "";
}

std::string ci_section_end(CiLog ci, std::string_view name, int64_t unix_time) {
  switch (ci) {
    case CiLog::kNone:
      return "";
    case CiLog::kGitHubActions:
      return "::endgroup::\n";
    case CiLog::kGitLab:
      return std::string("\x1b[0Ksection_end:") + std::to_string(unix_time) + ":" +
             std::string(name) + "\r\x1b[0K\n";
  }
  return "";
}

}  // namespace mybuild::cli
