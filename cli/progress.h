// Renderers of build progress (builder::ProgressSink) for people and machines, after
// BuildKit's --progress modes: `plain` (numbered lines, for CI logs and pipes; each step folded
// into a collapsible section when `ci` names a CI that draws them, cli/ci_log.h), `rawjson`
// (BuildKit's client.SolveStatus, one JSON object a line, as `docker buildx build --progress
// rawjson` prints it: cli/progress_rawjson.h), and `tty` (live view; falls back to plain when
// stderr is no terminal). All are thread-safe: events arrive from parallel stages.
#pragma once

#include <memory>
#include <ostream>
#include <string_view>

#include "builder/progress.h"
#include "cli/ci_log.h"

namespace mybuild::cli {

// mode: "auto" | "tty" | "plain" | "rawjson". `auto` is tty on a terminal, plain otherwise.
std::unique_ptr<builder::ProgressSink> make_progress(std::string_view mode, std::ostream& out,
                                                     bool out_is_terminal, CiLog ci = CiLog::kNone);

}  // namespace mybuild::cli
