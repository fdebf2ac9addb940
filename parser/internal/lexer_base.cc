#include "parser/internal/lexer_base.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "common/ascii.h"
#include "parser/internal/line_split.h"

namespace mybuild::parser::internal {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_dspace(char c) { return is_blank(c) || c == '\n'; }

std::string_view strip_newline(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// `#` name `=` value, as BuildKit's directive regexp ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$.
bool split_directive(std::string_view line, std::string& name, std::string& value) {
  line = trim(strip_newline(line));
  if (line.empty() || line[0] != '#') return false;
  size_t i = 1;
  while (i < line.size() && is_dspace(line[i])) ++i;
  size_t start = i;
  if (i >= line.size() || !is_alpha(line[i])) return false;
  while (i < line.size() && (is_alpha(line[i]) || is_digit(line[i]))) ++i;
  name = common::ascii_lower(line.substr(start, i - start));
  while (i < line.size() && is_dspace(line[i])) ++i;
  if (i >= line.size() || line[i] != '=') return false;
  ++i;
  value = std::string(trim(line.substr(i)));
  return !value.empty();
}

// The symbols the grammar sees (DockerfileLexer.g4): '\\' is the escape token, and bytes above
// 0x7F, which every rule treats alike, read as 'a', a character no rule names either.
ByteCharStream::Symbols symbols_for(char escape) {
  ByteCharStream::Symbols symbols;
  for (size_t b = 0; b < symbols.size(); ++b) {
    symbols[b] = b < 0x80 ? static_cast<unsigned char>(b) : 'a';
  }
  if (escape == '`') std::swap(symbols['\\'], symbols['`']);
  return symbols;
}

}  // namespace

DockerfileLexerBase::DockerfileLexerBase(antlr4::CharStream* input)
    : antlr4::Lexer(input), input_(dynamic_cast<ByteCharStream&>(*input)) {
  input_.set_symbols(symbols_for(escape_));
}

void DockerfileLexerBase::set_escape(char escape) {
  escape_ = escape;
  input_.set_symbols(symbols_for(escape));
}

void DockerfileLexerBase::problem(std::string message) {
  problems_.push_back({tokenStartLine, tokenStartCharPositionInLine + 1, std::move(message)});
}

antlr4::Token* DockerfileLexerBase::emit() {
  const TokenKinds k = token_kinds();
  if (type == k.comment) {
    on_comment(k);
  } else if (type == k.keyword) {
    directives_open_ = false;
    keyword_ = common::ascii_lower(trim(getText()));
    args_.clear();
  } else if (type == k.text || type == k.ws || type == k.escaped || type == k.chr) {
    args_ += getText();
  } else if (type == k.eol) {
    on_end_of_line(k);
  } else if (type == k.heredoc_line) {
    on_heredoc_line(k);
  } else if (type == k.blank) {
    directives_open_ = false;
  }
  return antlr4::Lexer::emit();
}

void DockerfileLexerBase::on_comment(const TokenKinds& k) {
  if (!directives_open_) return;
  std::string name, value;
  if (!split_directive(getText(), name, value) ||
      (name != "syntax" && name != "escape" && name != "check")) {
    directives_open_ = false;  // the first ordinary comment ends the directives for good
    return;
  }
  type = k.directive;
  for (const auto& d : directives_) {
    if (d.name == name) {
      problem("only one '" + name + "' parser directive can be used (the first is on line " +
              std::to_string(d.line) + ")");
      return;
    }
  }
  if (name == "escape") {
    if (value != "\\" && value != "`") {
      problem("invalid escape token '" + value + "': expected '\\' or '`'");
      return;
    }
    set_escape(value[0]);
  }
  directives_.push_back({name, value, tokenStartLine});
}

void DockerfileLexerBase::on_end_of_line(const TokenKinds& k) {
  try {
    pending_ = heredocs_for_instruction(keyword_, args_, escape_);
  } catch (const std::invalid_argument& e) {
    problem(std::string("invalid heredoc: ") + e.what());
    pending_.clear();
  }
  pending_index_ = 0;
  if (!pending_.empty()) setMode(k.heredoc_mode);
}

void DockerfileLexerBase::on_heredoc_line(const TokenKinds& k) {
  if (pending_index_ >= pending_.size()) return;
  const HeredocWord& doc = pending_[pending_index_];
  std::string text = getText();
  std::string_view line = strip_newline(text);
  if (doc.chomp) line.remove_prefix(std::min(line.size(), line.find_first_not_of('\t')));
  if (line != doc.name) return;
  type = k.heredoc_end;
  if (++pending_index_ == pending_.size()) {
    pending_.clear();
    pending_index_ = 0;
    setMode(antlr4::Lexer::DEFAULT_MODE);
  }
}

}  // namespace mybuild::parser::internal
