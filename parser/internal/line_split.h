// Splitting an instruction's logical line the way BuildKit's parser does (line_parsers.go,
// split_command.go): flags first, then the arguments by the keyword's rule. Shared by the
// lexer superclass (to see whether a RUN/COPY/ADD line is in JSON form, which disables
// heredocs) and by the tree walk. Nothing here removes quotes or expands variables: that is
// word expansion, done later by the builder.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mybuild::parser::internal {

// The whitespace BuildKit splits arguments at: [ \t\v\f\r].
bool is_blank(char c);
std::string_view trim(std::string_view text);
std::string_view trim_left(std::string_view text);

struct FlagSplit {
  std::vector<std::string> flags;  // "--name=value" with quotes and escapes removed
  std::string_view rest;           // the argument text after the flags, trimmed
};
// Reads leading `--flag` words. A bare `--` ends the flags and is not recorded.
FlagSplit split_flags(std::string_view text, char escape);

// Splits at every run of blank characters.
std::vector<std::string> split_blank(std::string_view text);

enum class JsonForm {
  kNotJson,    // not a JSON array: the instruction falls back to its shell form
  kStrings,    // a JSON array of strings: exec form
  kNonString,  // a JSON array with a non-string item: an error, as in BuildKit
};
struct JsonArray {
  JsonForm form = JsonForm::kNotJson;
  std::vector<std::string> items;  // decoded strings when form == kStrings
};
// `text` is JSON form if, after leading blanks, it starts with '[' and all of it is a valid
// JSON value that is an array (trailing blanks allowed, trailing junk is not).
JsonArray parse_json_array(std::string_view text);

// Shell-like words for ENV/LABEL/ARG: split at unquoted whitespace, quotes and escapes kept.
std::vector<std::string> shell_words(std::string_view text, char escape);

}  // namespace mybuild::parser::internal
