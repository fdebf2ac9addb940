// Which Dockerfile instructions expand variables in their arguments, and how: BuildKit's
// frontend/dockerfile/instructions (the commands implementing Expand/ExpandRaw) and
// dockerfile2llb (EXPOSE through ProcessWords, RUN only in --mount values, FROM against the
// global ARGs only). The builder asks this table instead of hard-coding the list.
#pragma once

#include <span>
#include <string_view>

namespace mybuild::parser {

enum class WordExpansion {
  kNone,            // arguments are used verbatim (RUN/CMD/ENTRYPOINT go to the shell)
  kEachWord,        // every argument through expand_word (one word stays one word)
  kSplitWords,      // every argument through expand_words (one word may become several)
  kMountFlagsOnly,  // RUN: only the values of --mount flags are expanded
};

struct InstructionExpansion {
  std::string_view instruction;  // upper case
  WordExpansion mode;
  std::string_view what;  // which parts, for people reading the table
};

// Every instruction of the Dockerfile language, in alphabetical order.
std::span<const InstructionExpansion> instruction_expansions();

// The mode for `instruction` (any case); kNone for names not in the table.
WordExpansion expansion_for(std::string_view instruction);

}  // namespace mybuild::parser
