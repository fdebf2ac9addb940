// libFuzzer target: .dockerignore reading and matching (parser/dockerignore_*.h). The input up
// to the first 0x01 byte is the .dockerignore file; each further 0x01-separated piece is a path
// to match and to test as a directory the walker might skip. Malformed patterns may throw
// common::Error; anything else, a crash, a hang or a sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "parser/dockerignore_file.h"
#include "parser/dockerignore_matcher.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mybuild::parser;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t cut = input.find('\x01');
  const std::string_view file = input.substr(0, cut);
  try {
    const DockerignoreMatcher matcher = DockerignoreMatcher::from_file(file);
    if (cut == std::string_view::npos) {
      // The patterns themselves as paths; a few are enough (keeps the fuzzer fast).
      int budget = 16;
      for (const auto& p : read_dockerignore(file)) {
        if (budget-- == 0) break;
        try {
          matcher.excluded(p);
        } catch (const mybuild::common::Error&) {
        }
      }
      return 0;
    }
    std::string_view rest = input.substr(cut + 1);
    for (;;) {
      const std::size_t next = rest.find('\x01');
      const std::string_view path = rest.substr(0, next);
      try {
        matcher.excluded(path);
        matcher.can_skip_dir(path);
      } catch (const mybuild::common::Error&) {
      }
      if (next == std::string_view::npos) break;
      rest.remove_prefix(next + 1);
    }
  } catch (const mybuild::common::Error&) {
  }
  return 0;
}
