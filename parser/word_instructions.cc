#include "parser/word_instructions.h"

#include <array>
#include <cctype>

namespace mybuild::parser {

namespace {

constexpr std::array kTable = {
    InstructionExpansion{"ADD", WordExpansion::kEachWord,
                         "sources, destination, --chown, --chmod, --checksum; unquoted heredocs"},
    InstructionExpansion{"ARG", WordExpansion::kEachWord, "names and default values"},
    InstructionExpansion{"CMD", WordExpansion::kNone, "run by the shell at container start"},
    InstructionExpansion{"COPY", WordExpansion::kEachWord,
                         "sources, destination, --chown, --chmod, --from; unquoted heredocs"},
    InstructionExpansion{"ENTRYPOINT", WordExpansion::kNone, "run by the shell at container start"},
    InstructionExpansion{"ENV", WordExpansion::kEachWord, "keys and values"},
    InstructionExpansion{"EXPOSE", WordExpansion::kSplitWords, "ports, split into words"},
    InstructionExpansion{"FROM", WordExpansion::kEachWord,
                         "image, --platform; only global ARGs (before the first FROM)"},
    InstructionExpansion{"HEALTHCHECK", WordExpansion::kNone, "run by the shell in the container"},
    InstructionExpansion{"LABEL", WordExpansion::kEachWord, "keys and values"},
    InstructionExpansion{"MAINTAINER", WordExpansion::kNone, "kept verbatim"},
    InstructionExpansion{"ONBUILD", WordExpansion::kNone,
                         "kept verbatim; expanded when the child build runs it"},
    InstructionExpansion{"RUN", WordExpansion::kMountFlagsOnly,
                         "--mount values; the command itself is left to the shell"},
    InstructionExpansion{"SHELL", WordExpansion::kNone, "JSON array kept verbatim"},
    InstructionExpansion{"STOPSIGNAL", WordExpansion::kEachWord, "the signal"},
    InstructionExpansion{"USER", WordExpansion::kEachWord, "user[:group]"},
    InstructionExpansion{"VOLUME", WordExpansion::kEachWord, "every path"},
    InstructionExpansion{"WORKDIR", WordExpansion::kEachWord, "the path"},
};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != static_cast<unsigned char>(b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::span<const InstructionExpansion> instruction_expansions() { return kTable; }

WordExpansion expansion_for(std::string_view instruction) {
  for (const InstructionExpansion& e : kTable) {
    if (equal_ignoring_case(instruction, e.instruction)) return e.mode;
  }
  return WordExpansion::kNone;
}

}  // namespace mybuild::parser
