// Which words of a RUN/COPY/ADD line open a heredoc, and how (BuildKit's ParseHeredoc and
// heredocsFromLine). These words use the shell's quoting with `\` as escape whatever the
// Dockerfile's escape token is, as BuildKit does; this is not word expansion (no variables).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mybuild::parser::internal {

struct HeredocWord {
  std::string name;    // the terminator, quotes and escapes removed
  bool expand = true;  // false when any part of the word was quoted
  bool chomp = false;  // `<<-`
  int fd = 0;          // `3<<EOF`
};

// One word such as `<<EOF`, `<<-'EOF'`, `3<<EOF`, `<< EOF`. nullopt when the word is not a
// heredoc; throws std::invalid_argument (message for the user) on unbalanced quotes.
std::optional<HeredocWord> parse_heredoc_word(std::string_view word);

// All heredocs opened by an instruction's argument text, in order. Throws like the above.
std::vector<HeredocWord> heredocs_from_line(std::string_view line);

// The heredocs an instruction opens: only RUN, COPY and ADD (also nested in ONBUILD) take
// them, and not in JSON form. `keyword` is lower case; `args` is the text after the keyword.
std::vector<HeredocWord> heredocs_for_instruction(std::string_view keyword, std::string_view args,
                                                  char escape);

// The tab stripping `<<-` asks for: leading tabs of every line.
std::string chomp_tabs(std::string_view body);

}  // namespace mybuild::parser::internal
