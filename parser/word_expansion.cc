// The meaning of a shell word: walks the tree of ShellWordParser.g4 with BuildKit's rules
// (frontend/dockerfile/shell/lex.go). Which lex.go function each piece mirrors is named where
// it matters, because several behaviours are surprising and deliberate (see
// ../shared/conformance/shell/FORMAT.md, "Surprises").
#include "parser/word_expansion.h"

#include <algorithm>

#include "ShellWordLexer.h"
#include "ShellWordParser.h"
#include "antlr4-runtime.h"
#include "common/error.h"
#include "parser/internal/antlr_caches.h"
#include "parser/internal/escape_swapped_stream.h"
#include "parser/word_pattern.h"
#include "parser/word_utf8.h"

namespace mybuild::parser {

namespace {

using common::Error;
using common::ErrorKind;
using gen::ShellWordLexer;
using gen::ShellWordParser;

// Nesting of ${...} and quotes beyond this is refused: the generated parser and the walk
// recurse once per level, and no real Dockerfile comes near it.
constexpr int kMaxNesting = 200;

// lex.go wordsStruct: builds the word list of ProcessWords. Unquoted characters split at
// white space; quoted text and escaped characters never do.
class WordSplitter {
 public:
  void add_char(char32_t r) {
    if (is_unicode_space(r)) {
      if (in_word_ && !word_.empty()) {
        words_.push_back(std::move(word_));
        word_.clear();
        in_word_ = false;
      }
      return;
    }
    append_utf8(word_, r);
    in_word_ = true;
  }
  void add_string(std::string_view text) {
    for (char32_t r : decode_utf8(text)) add_char(r);
  }
  void add_raw_string(std::string_view text) {
    word_.append(text);
    in_word_ = true;
  }
  std::vector<std::string> finish() {
    if (!word_.empty()) words_.push_back(std::move(word_));
    return std::move(words_);
  }

 private:
  std::string word_;
  std::vector<std::string> words_;
  bool in_word_ = false;
};

// Collects the first syntax error; the walk never runs on a tree with errors.
class FirstError : public antlr4::BaseErrorListener {
 public:
  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending, size_t, size_t column,
                   const std::string&, std::exception_ptr) override {
    if (message_) return;
    message_ = describe(recognizer, offending);
    column_ = column;
  }
  const std::optional<std::string>& message() const { return message_; }
  size_t column() const { return column_; }

 private:
  static std::string describe(antlr4::Recognizer* recognizer, antlr4::Token* offending) {
    if (offending == nullptr) return "syntax error";
    switch (offending->getType()) {
      case ShellWordLexer::BAD_NAME:
        return "bad substitution";
      case ShellWordLexer::BAD_OP:
        return "unsupported modifier (" + offending->getText() + ") in substitution";
      case antlr4::Token::EOF:
        break;
      default:
        return "unexpected '" + offending->getText() + "'";
    }
    auto* parser = dynamic_cast<antlr4::Parser*>(recognizer);
    if (parser == nullptr) return "syntax error";
    const antlr4::misc::IntervalSet expected = parser->getExpectedTokens();
    if (expected.contains(size_t{ShellWordLexer::SQ_CLOSE})) return "unterminated single quote";
    if (expected.contains(size_t{ShellWordLexer::DQ_CLOSE})) return "unterminated double quote";
    if (expected.contains(size_t{ShellWordLexer::PATTERN_END})) return "missing '/' in ${}";
    if (expected.contains(size_t{ShellWordLexer::PARAM})) return "bad substitution";
    return "missing '}'";
  }

  std::optional<std::string> message_;
  size_t column_ = 0;
};

class Expander {
 public:
  Expander(const Env& env, char escape, VariableUse* use) : env_(env), escape_(escape), use_(use) {}

  // lex.go processStopOn(EOF): the whole word, optionally split into words.
  std::string top(ShellWordParser::WordContext* word, WordSplitter* splitter) {
    std::string out;
    for (ShellWordParser::PartContext* part : word->part()) {
      if (part->TEXT()) {
        const std::string text = part->TEXT()->getText();
        out += text;
        if (splitter) splitter->add_string(text);
      } else if (part->ESC()) {
        const std::string escaped = part->ESC()->getText().substr(1);
        out += escaped;  // a trailing lone escape is dropped
        if (splitter && !escaped.empty()) splitter->add_raw_string(escaped);
      } else if (part->dollar()) {
        const std::string value = dollar(part->dollar());
        out += value;
        if (splitter) splitter->add_string(value);
      } else {
        const std::string quoted = part->singleQuoted() ? single_quoted(part->singleQuoted())
                                                        : double_quoted(part->doubleQuoted());
        out += quoted;
        if (splitter) splitter->add_raw_string(quoted);
      }
    }
    return out;
  }

 private:
  // lex.go processStopOn('}' or '/') inside ${...}: like top() but never split, and for
  // patterns (raw_escapes) the escape token is kept so that `\*` stays a literal star.
  std::string nested(const std::vector<ShellWordParser::PartContext*>& parts, bool raw_escapes) {
    std::string out;
    for (ShellWordParser::PartContext* part : parts) {
      if (part->TEXT()) {
        out += part->TEXT()->getText();
      } else if (part->ESC()) {
        const std::string text = part->ESC()->getText();
        out += raw_escapes ? text : text.substr(1);
      } else if (part->dollar()) {
        out += dollar(part->dollar());
      } else if (part->singleQuoted()) {
        out += single_quoted(part->singleQuoted());
      } else {
        out += double_quoted(part->doubleQuoted());
      }
    }
    return out;
  }

  static std::string single_quoted(ShellWordParser::SingleQuotedContext* ctx) {
    return ctx->SQ_TEXT() ? ctx->SQ_TEXT()->getText() : std::string();
  }

  // lex.go processDoubleQuote: the escape token escapes only `"`, `$` and itself; before any
  // other character it is kept (`"a\tb"` is `a\tb`).
  std::string double_quoted(ShellWordParser::DoubleQuotedContext* ctx) {
    std::string out;
    for (ShellWordParser::QuotedPartContext* part : ctx->quotedPart()) {
      if (part->TEXT()) {
        out += part->TEXT()->getText();
      } else if (part->ESC()) {
        const std::string text = part->ESC()->getText();
        if (text.size() == 1) continue;
        const char next = text[1];
        out += (next == '"' || next == '$' || next == escape_) ? text.substr(1) : text;
      } else {
        out += dollar(part->dollar());
      }
    }
    return out;
  }

  std::optional<std::string_view> lookup(const std::string& name) {
    std::optional<std::string_view> value = env_.lookup(name);
    if (use_) {
      std::vector<std::string>& list = value ? use_->set : use_->unset;
      if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
    }
    return value;
  }

  // lex.go processDollar.
  std::string dollar(ShellWordParser::DollarContext* ctx) {
    if (ctx->DOLLAR()) return "$";  // `$` before something that is not a name
    if (ctx->DOLLAR_NAME()) {
      return std::string(lookup(ctx->DOLLAR_NAME()->getText().substr(1)).value_or(""));
    }
    const std::string name = ctx->PARAM()->getText();
    if (ctx->PARAM_CLOSE()) return std::string(lookup(name).value_or(""));
    if (ctx->OP()) return operator_value(name, ctx->OP()->getText(), ctx->operand);
    // ${V/pattern/replacement}: both sides are expanded first, with escapes kept raw.
    const std::string pattern = nested(ctx->pattern, true);
    const std::string replacement = nested(ctx->replacement, true);
    const std::string value(lookup(name).value_or(""));
    return replace_pattern(value, pattern, replacement, ctx->SLASH_ALL() != nullptr);
  }

  std::string operator_value(const std::string& name, const std::string& op,
                             const std::vector<ShellWordParser::PartContext*>& operand) {
    const char kind = op.back();
    const bool null_is_unset = op.size() == 2;  // the `:` forms
    // The operand is expanded before the variable is read, even when it is not used (lex.go),
    // so `${X:+${Y:?}}` fails with Y unset whatever X is.
    std::string word = nested(operand, kind == '#' || kind == '%');
    const std::optional<std::string_view> value = lookup(name);
    const bool unset = !value || (null_is_unset && value->empty());
    switch (kind) {
      case '-':
        return unset ? word : std::string(*value);
      case '+':
        return unset ? std::string() : word;
      case '?':
        if (unset) {
          const char* what = !value ? "is not allowed to be unset" : "is not allowed to be empty";
          throw Error(ErrorKind::kDockerfile, name + ": " + (word.empty() ? what : word));
        }
        return std::string(*value);
      default: {
        // `##`/`%%` are recognised on the expanded operand, as lex.go does: ${V#$P} with
        // P="#x" removes the longest match of `x`.
        const bool longest = !word.empty() && word[0] == kind;
        if (longest) word.erase(0, 1);
        const std::string subject(value.value_or(""));
        return kind == '#' ? remove_prefix_pattern(subject, word, longest)
                           : remove_suffix_pattern(subject, word, longest);
      }
    }
  }

  const Env& env_;
  char escape_;
  VariableUse* use_;
};

// The ANTLR runtime (4.9) rejects invalid UTF-8; Go's scanner reads each bad byte as U+FFFD,
// so re-encode the text the same way first.
std::string sanitize_utf8(std::string_view text) { return encode_utf8(decode_utf8(text)); }

int max_nesting(antlr4::CommonTokenStream& tokens) {
  int depth = 0, deepest = 0;
  for (antlr4::Token* t : tokens.getTokens()) {
    switch (t->getType()) {
      case ShellWordLexer::DOLLAR_BRACE:
      case ShellWordLexer::SQ_OPEN:
      case ShellWordLexer::DQ_OPEN:
        deepest = std::max(deepest, ++depth);
        break;
      case ShellWordLexer::PARAM_CLOSE:
      case ShellWordLexer::WORD_CLOSE:
      case ShellWordLexer::SQ_CLOSE:
      case ShellWordLexer::DQ_CLOSE:
        --depth;
        break;
      default:
        break;
    }
  }
  return deepest;
}

std::string expand(std::string_view text, const Env& env, const WordOptions& options,
                   VariableUse* use, WordSplitter* splitter) {
  if (options.escape != '\\' && options.escape != '`') {
    throw Error(ErrorKind::kUsage, "invalid escape token '" + std::string(1, options.escape) +
                                       "': only '\\' and '`' are allowed");
  }
  try {
    internal::EscapeSwappedStream input(sanitize_utf8(text), options.escape);
    ShellWordLexer lexer(&input);
    FirstError errors;
    lexer.removeErrorListeners();
    lexer.addErrorListener(&errors);
    antlr4::CommonTokenStream tokens(&lexer);
    tokens.fill();
    if (max_nesting(tokens) > kMaxNesting) {
      throw Error(ErrorKind::kDockerfile,
                  "too deeply nested (more than " + std::to_string(kMaxNesting) + " levels)");
    }
    ShellWordParser parser(&tokens);
    parser.removeErrorListeners();
    parser.addErrorListener(&errors);
    ShellWordParser::WordContext* tree = parser.word();
    if (errors.message()) {
      throw Error(ErrorKind::kDockerfile, "syntax error at character " +
                                              std::to_string(errors.column() + 1) + ": " +
                                              *errors.message());
    }
    return Expander(env, options.escape, use).top(tree, splitter);
  } catch (Error& e) {
    e.add_context("expanding \"" + std::string(text.substr(0, 200)) + "\"");
    throw;
  }
}

}  // namespace

void internal::clear_word_antlr_caches() {
  // The tables are static; any simulator of the grammar reaches them.
  antlr4::ANTLRInputStream input("");
  ShellWordLexer lexer(&input);
  antlr4::CommonTokenStream tokens(&lexer);
  ShellWordParser parser(&tokens);
  lexer.getInterpreter<antlr4::atn::LexerATNSimulator>()->clearDFA();
  auto* simulator = parser.getInterpreter<antlr4::atn::ParserATNSimulator>();
  simulator->clearDFA();
  simulator->getSharedContextCache().clear();
}

std::string expand_word(std::string_view text, const Env& env, const WordOptions& options,
                        VariableUse* use) {
  return expand(text, env, options, use, nullptr);
}

std::vector<std::string> expand_words(std::string_view text, const Env& env,
                                      const WordOptions& options, VariableUse* use) {
  WordSplitter splitter;
  expand(text, env, options, use, &splitter);
  return splitter.finish();
}

}  // namespace mybuild::parser
