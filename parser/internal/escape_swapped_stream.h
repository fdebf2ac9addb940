// The input of the shell-word lexer (ShellWordLexer.g4): code points, as ANTLRInputStream reads
// UTF-8, except that under `# escape=`` the lexer sees '`' as '\\' and '\\' as '`'. So the rules
// can name the escape token as the literal '\\' instead of checking it with a semantic predicate:
// a predicate stops ANTLR 4.9's lexer from caching its DFA edges (it simulates the ATN again,
// allocating, for every escape) and leaks the config set of a failed match. Token texts come
// from the unswapped data, so they stay what the Dockerfile says.
#pragma once

#include "antlr4-runtime.h"

namespace mybuild::parser::internal {

class EscapeSwappedStream : public antlr4::ANTLRInputStream {
 public:
  EscapeSwappedStream(const std::string& input, char escape)
      : antlr4::ANTLRInputStream(input), swap_(escape == '`') {}

  size_t LA(ssize_t i) override {
    const size_t c = antlr4::ANTLRInputStream::LA(i);
    if (!swap_) return c;
    if (c == '`') return '\\';
    if (c == '\\') return '`';
    return c;
  }

 private:
  bool swap_;
};

}  // namespace mybuild::parser::internal
