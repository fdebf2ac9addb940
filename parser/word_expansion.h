// Docker's shell-word expansion, as BuildKit's Dockerfile frontend applies it to instruction
// arguments (frontend/dockerfile/shell/lex.go; NOT POSIX sh): `$V ${V} ${V:-w} ${V-w} ${V:+w}
// ${V+w} ${V:?msg} ${V?msg} ${V#p} ${V##p} ${V%p} ${V%%p} ${V/p/r} ${V//p/r}`, '...' and "..."
// quoting, and the Dockerfile's escape token (`\`, or a backtick after `# escape=`).
//
//   Env env{{"NAME", "web"}, {"TAG", ""}};
//   expand_word("app-${NAME}:${TAG:-latest}", env)      -> "app-web:latest"
//   expand_words("a ${NAME} 'b c'", env)                -> {"a", "web", "b c"}
//
// The syntax of a word is the ANTLR grammar ShellWordLexer.g4/ShellWordParser.g4; what it means
// is here. Errors (unterminated quotes, `${}`, unsupported modifiers like `${V:=x}`, `${V:?msg}`
// with V unset, bad patterns) throw common::Error(kDockerfile) quoting the word. Nothing is
// global: every call is independent and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "parser/word_env.h"

namespace mybuild::parser {

struct WordOptions {
  // The Dockerfile's escape token: '\\' or '`' (anything else throws kUsage).
  char escape = '\\';
};

// Which variables a word looked up, for cache keys ("the build args it actually used"): names
// that were set and names that were looked up but unset, each once, in first-use order.
// Positional and special parameters ($1, $@, ...) are looked up like any name.
struct VariableUse {
  std::vector<std::string> set;
  std::vector<std::string> unset;
};

// BuildKit ProcessWord: one word in, one string out; quotes removed, escapes resolved,
// whitespace kept. `use` (optional) accumulates the variables referenced.
std::string expand_word(std::string_view text, const Env& env, const WordOptions& options = {},
                        VariableUse* use = nullptr);

// BuildKit ProcessWords: the same expansion, then split into words at unquoted white space,
// including white space that comes out of an unquoted variable; never yields empty words.
std::vector<std::string> expand_words(std::string_view text, const Env& env,
                                      const WordOptions& options = {}, VariableUse* use = nullptr);

}  // namespace mybuild::parser
