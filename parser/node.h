// The raw syntax tree, BuildKit's first level (parser.Node): one Node per instruction with its
// keyword, flags and arguments split by the keyword's rule but not validated. Unknown keywords
// are kept. `mybuild debug parse` prints this tree (dump.h); parse_stages (stages.h) turns it
// into the typed AST the builder uses.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace mybuild::parser {

struct Heredoc {
  std::string name;     // terminator word, quotes removed
  std::string content;  // the body byte for byte, every line with its '\n'; tabs kept for <<-
  bool expand = true;   // false when the word was quoted: the body is not expanded
  bool chomp = false;   // <<-: the builder strips leading tabs of every line
  int fd = 0;           // 3<<EOF
};

struct Directive {
  std::string name;  // lower case: syntax, escape, check
  std::string value;
  int line = 0;
};

struct Node {
  std::string keyword;             // lower case ("run")
  std::string original;            // as written ("Run")
  std::vector<std::string> flags;  // "--from=build", quotes and escapes removed
  std::vector<std::string> args;   // split by the keyword's rule; JSON decoded
  bool json = false;               // exec (JSON array) form
  std::vector<Node> next;          // ONBUILD: the nested instruction (0 or 1)
  std::vector<Heredoc> heredocs;   // bodies opened by this line, in order
  std::string text;                // argument text after the keyword, lines joined
  common::SourceRange range;       // file, first line, keyword column, last line
};

struct RawDockerfile {
  std::string file;
  char escape_token = '\\';
  std::vector<Directive> directives;
  std::vector<Node> nodes;
};

}  // namespace mybuild::parser
