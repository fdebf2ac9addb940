// Collapsible sections in CI web logs, which plain progress puts around each step's output when
// the build runs in a CI that draws them:
// - GitHub Actions (GITHUB_ACTIONS set): "::group::TITLE" ... "::endgroup::" (workflow
//   commands; groups do not nest).
// - GitLab CI (GITLAB_CI set): "\e[0Ksection_start:UNIXTIME:NAME[collapsed=true]\r\e[0KTITLE"
//   ... "\e[0Ksection_end:UNIXTIME:NAME\r\e[0K" (GitLab's "custom collapsible sections"; NAME is
//   [A-Za-z0-9_.-], the times give the section's duration in the job log).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mybuild::cli {

enum class CiLog { kNone, kGitHubActions, kGitLab };

// From the environment; GitLab wins when both are set (a GitLab runner never sets GitHub's
// variable, so both means someone exported it by hand).
CiLog ci_log_from_env();

// The marker lines, each ending in '\n'; "" for kNone. `name` must be [A-Za-z0-9_.-]; a newline
// in `title` would end the marker early, so it is replaced by a space.
std::string ci_section_start(CiLog ci, std::string_view name, std::string_view title,
                             int64_t unix_time);
std::string ci_section_end(CiLog ci, std::string_view name, int64_t unix_time);

}  // namespace mybuild::cli
