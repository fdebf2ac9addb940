// The live terminal renderer behind make_progress("tty") (cli/progress.h); `fd` is the
// terminal the stream writes to (for its width).
#pragma once

#include <memory>
#include <ostream>

#include "builder/progress.h"

namespace mybuild::cli {

std::unique_ptr<builder::ProgressSink> make_tty_progress(std::ostream& out, int fd);

}  // namespace mybuild::cli
