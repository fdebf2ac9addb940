#include "parser/internal/heredoc_word.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "parser/internal/line_split.h"

namespace mybuild::parser::internal {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

enum class Quotes { kKeep, kRemove };
enum class Escapes { kKeep, kRemove };

// Splits into words at unquoted whitespace the way BuildKit's shell lexer does for heredoc
// detection (no variables: `$` is an ordinary character). Throws on an unterminated quote.
std::vector<std::string> words(std::string_view text, Quotes quotes, Escapes escapes) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (is_space(c)) {
      if (in_word) out.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (escapes == Escapes::kKeep) word += c;
      if (i + 1 < text.size()) word += text[++i];
      continue;
    }
    if (c == '\'' || c == '"') {
      const char quote = c;
      size_t end = i + 1;
      std::string inner;
      for (; end < text.size() && text[end] != quote; ++end) {
        if (quote == '"' && text[end] == '\\' && end + 1 < text.size() &&
            (text[end + 1] == '"' || text[end + 1] == '\\' || text[end + 1] == '$' ||
             text[end + 1] == '`')) {
          if (escapes == Escapes::kKeep) inner += '\\';
          inner += text[++end];
          continue;
        }
        inner += text[end];
      }
      if (end >= text.size()) {
        throw std::invalid_argument(std::string("unexpected end of text while looking for the "
                                                "matching ") +
                                    (quote == '"' ? "double quote" : "single quote"));
      }
      if (quotes == Quotes::kKeep) word += quote;
      word += inner;
      if (quotes == Quotes::kKeep) word += quote;
      i = end;
      continue;
    }
    word += c;
  }
  if (in_word) out.push_back(std::move(word));
  return out;
}

size_t count_quotes(std::string_view s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\'') +
                             std::count(s.begin(), s.end(), '"'));
}

}  // namespace

std::optional<HeredocWord> parse_heredoc_word(std::string_view word) {
  // ^(\d*)<<(-?)\s*([^<]*)$
  size_t i = 0;
  while (i < word.size() && word[i] >= '0' && word[i] <= '9') ++i;
  std::string_view digits = word.substr(0, i);
  if (word.substr(i, 2) != "<<") return std::nullopt;
  i += 2;
  HeredocWord out;
  if (i < word.size() && word[i] == '-') {
    out.chomp = true;
    ++i;
  }
  while (i < word.size() && is_space(word[i])) ++i;
  std::string_view rest = word.substr(i);
  if (rest.empty() || rest.find('<') != std::string_view::npos) return std::nullopt;
  // Read the word with and without its quotes: if they differ, part of it was quoted and the
  // body must not be expanded.
  std::vector<std::string> plain = words(rest, Quotes::kRemove, Escapes::kRemove);
  if (plain.size() != 1) return std::nullopt;
  std::vector<std::string> raw = words(rest, Quotes::kKeep, Escapes::kRemove);
  out.name = plain[0];
  out.expand = raw.size() == 1 && count_quotes(plain[0]) == count_quotes(raw[0]);
  for (char d : digits) {
    if (out.fd > 100000) break;  // absurd descriptors stay absurd but do not overflow
    out.fd = out.fd * 10 + (d - '0');
  }
  return out;
}

std::vector<HeredocWord> heredocs_from_line(std::string_view line) {
  std::vector<HeredocWord> out;
  if (line.find("<<") == std::string_view::npos) return out;
  std::vector<std::string> ws;
  try {
    ws = words(line, Quotes::kKeep, Escapes::kKeep);
  } catch (const std::invalid_argument&) {
    return out;  // BuildKit ignores a lexing error of the whole line here: no heredocs
  }
  for (size_t i = 0; i < ws.size(); ++i) {
    std::string word = ws[i];
    // `<< EOF` and `<<- EOF`: whitespace may separate the operator from its word.
    std::string_view op = word;
    op.remove_prefix(std::min(op.size(), op.find_first_not_of("0123456789")));
    if ((op == "<<" || op == "<<-") && i + 1 < ws.size()) word += " " + ws[++i];
    if (auto doc = parse_heredoc_word(word)) out.push_back(std::move(*doc));
  }
  return out;
}

std::vector<HeredocWord> heredocs_for_instruction(std::string_view keyword, std::string_view args,
                                                  char escape) {
  std::string nested;
  if (keyword == "onbuild") {
    // ONBUILD's own flags come first, then the nested instruction.
    args = split_flags(args, escape).rest;
    size_t end = 0;
    while (end < args.size() && !is_blank(args[end])) ++end;
    nested = args.substr(0, end);
    for (char& c : nested) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    keyword = nested;
    args = args.substr(end);
  }
  if (keyword != "run" && keyword != "copy" && keyword != "add") return {};
  if (args.find("<<") == std::string_view::npos) return {};
  if (parse_json_array(split_flags(args, escape).rest).form != JsonForm::kNotJson) return {};
  return heredocs_from_line(args);
}

std::string chomp_tabs(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  bool line_start = true;
  for (char c : body) {
    if (line_start && c == '\t') continue;
    line_start = c == '\n';
    out += c;
  }
  return out;
}

}  // namespace mybuild::parser::internal
