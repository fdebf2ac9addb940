// The superclass of the generated DockerfileLexer: the context-dependent parts of lexing that
// ANTLR rules cannot express (see the comment at the top of DockerfileLexer.g4):
//  - the escape token, set at run time by the `# escape=` directive: the input stream reads it
//    as the symbol '\\' that the rules name (see the top of DockerfileLexer.g4);
//  - parser directives, valid only in the first lines of the file (COMMENT -> DIRECTIVE);
//  - heredoc bodies: after a RUN/COPY/ADD line that opens heredocs, the lexer switches to
//    HEREDOC mode and retypes each terminator line to HEREDOC_END.
// Problems found here (duplicate directive, bad escape value, malformed heredoc word) are
// collected, not thrown, so that the parser can report every error of the file at once.
#pragma once

#include <antlr4-runtime.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "parser/internal/byte_char_stream.h"
#include "parser/internal/heredoc_word.h"

namespace mybuild::parser::internal {

struct LexProblem {
  size_t line = 0;    // 1-based
  size_t column = 0;  // 1-based
  std::string message;
};

struct DirectiveValue {
  std::string name;  // lower case: syntax, escape, check
  std::string value;
  size_t line = 0;
};

class DockerfileLexerBase : public antlr4::Lexer {
 public:
  // `input` must be a ByteCharStream (the generated constructor takes any CharStream).
  explicit DockerfileLexerBase(antlr4::CharStream* input);

  // Token types and modes of the generated subclass (the base cannot name them itself).
  struct TokenKinds {
    size_t comment, directive, blank, keyword, eol, text, ws, escaped, chr, heredoc_line,
        heredoc_end, heredoc_mode;
  };

  char escape_token() const { return escape_; }
  const std::vector<DirectiveValue>& directives() const { return directives_; }
  const std::vector<LexProblem>& problems() const { return problems_; }

  antlr4::Token* emit() override;

 protected:
  virtual TokenKinds token_kinds() const = 0;

 private:
  void on_comment(const TokenKinds& k);
  void on_end_of_line(const TokenKinds& k);
  void on_heredoc_line(const TokenKinds& k);
  void problem(std::string message);
  void set_escape(char escape);

  ByteCharStream& input_;
  char escape_ = '\\';
  bool directives_open_ = true;
  std::vector<DirectiveValue> directives_;
  std::vector<LexProblem> problems_;
  std::string keyword_;               // lower case, of the instruction being read
  std::string args_;                  // its argument text so far, continuations removed
  std::vector<HeredocWord> pending_;  // heredocs whose bodies follow
  size_t pending_index_ = 0;
};

}  // namespace mybuild::parser::internal
