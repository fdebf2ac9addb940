#include "parser/internal/line_split.h"

#include <nlohmann/json.hpp>

namespace mybuild::parser::internal {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

std::string_view trim_left(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && is_blank(text[i])) ++i;
  return text.substr(i);
}

std::string_view trim(std::string_view text) {
  text = trim_left(text);
  size_t n = text.size();
  while (n > 0 && is_blank(text[n - 1])) --n;
  return text.substr(0, n);
}

FlagSplit split_flags(std::string_view text, char escape) {
  FlagSplit out;
  size_t pos = 0;
  for (;;) {
    while (pos < text.size() && is_blank(text[pos])) ++pos;
    if (text.substr(pos, 2) != "--") break;
    std::string word;
    char quote = 0;
    size_t i = pos;
    for (; i < text.size(); ++i) {
      char c = text[i];
      if (quote == 0 && is_blank(c)) break;
      if (c == escape && quote != '\'') {
        // The escape token takes the next character literally; a trailing one is dropped.
        if (i + 1 < text.size()) word += text[++i];
        continue;
      }
      if (quote != 0 && c == quote) {
        quote = 0;
      } else if (quote == 0 && (c == '\'' || c == '"')) {
        quote = c;
      } else {
        word += c;
      }
    }
    if (text.substr(pos, i - pos) == "--") {
      pos = i;
      break;
    }
    out.flags.push_back(std::move(word));
    pos = i;
  }
  out.rest = trim(text.substr(pos));
  return out;
}

std::vector<std::string> split_blank(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_blank(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !is_blank(text[i])) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

JsonArray parse_json_array(std::string_view text) {
  JsonArray out;
  text = trim_left(text);
  if (text.empty() || text[0] != '[') return out;
  // nlohmann/json and Go's encoding/json accept the same grammar; invalid JSON is not an
  // error but the shell form, so parse without exceptions.
  nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (value.is_discarded() || !value.is_array()) return out;
  for (const auto& item : value) {
    if (!item.is_string()) {
      out.form = JsonForm::kNonString;
      out.items.clear();
      return out;
    }
    out.items.push_back(item.get<std::string>());
  }
  out.form = JsonForm::kStrings;
  return out;
}

std::vector<std::string> shell_words(std::string_view text, char escape) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;  // a word that held only quotes ("") still counts
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote == 0 && is_blank(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    if (c == escape && quote != '\'') {
      if (i + 1 < text.size()) {
        in_word = true;
        word += c;
        word += text[++i];
      }
      continue;
    }
    in_word = true;
    if (quote != 0 && c == quote) {
      quote = 0;
    } else if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
    }
    word += c;
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace mybuild::parser::internal
