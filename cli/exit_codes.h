// The one table mapping error kinds to process exit codes (STYLE.md §3). Docker's conventions:
// 0 success, 1 a failed build or operation, 2 bad usage, 130 interrupted (128 + SIGINT; a
// build cancelled by SIGTERM exits 143, see cli/app.cc).
#pragma once

#include "common/error.h"

namespace mybuild::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCancelled = 130;

inline int exit_code_for(common::ErrorKind kind) {
  switch (kind) {
    case common::ErrorKind::kUsage:
      return kExitUsage;
    case common::ErrorKind::kCancelled:
      return kExitCancelled;
    default:
      return kExitFailure;
  }
}

}  // namespace mybuild::cli
