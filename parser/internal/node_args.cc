#include "parser/internal/node_args.h"

#include <cctype>
#include <stdexcept>

#include "common/ascii.h"
#include "parser/internal/line_split.h"

namespace mybuild::parser::internal {
namespace {

// JSON array of strings, else `fallback(rest)`.
template <typename Fallback>
void json_or(Node& node, std::string_view rest, Fallback fallback) {
  JsonArray json = parse_json_array(rest);
  if (json.form == JsonForm::kNonString) {
    throw std::invalid_argument("the JSON array may hold only strings: " + std::string(rest));
  }
  if (json.form == JsonForm::kStrings) {
    node.args = std::move(json.items);
    node.json = true;
    return;
  }
  fallback(rest);
}

void one_string(Node& node, std::string_view rest) {
  if (!rest.empty()) node.args.emplace_back(rest);
}

void name_values(Node& node, std::string_view rest, char escape) {
  std::vector<std::string> words = shell_words(rest, escape);
  if (words.empty()) return;
  if (words[0].find('=') == std::string::npos) {
    // Legacy `ENV key value`: one pair, the value keeps its inner whitespace.
    size_t end = 0;
    while (end < rest.size() && !is_blank(rest[end])) ++end;
    std::string_view value = trim_left(rest.substr(end));
    if (value.empty()) {
      throw std::invalid_argument(node.original + " " + std::string(rest) +
                                  ": expected a value (`" + node.original +
                                  " name value` or `name=value`)");
    }
    node.args = {std::string(rest.substr(0, end)), std::string(value), ""};
    return;
  }
  for (const std::string& word : words) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      throw std::invalid_argument("can't find = in \"" + word +
                                  "\": every pair must be of the form name=value");
    }
    node.args.push_back(word.substr(0, eq));
    node.args.push_back(word.substr(eq + 1));
    node.args.emplace_back("=");
  }
}

void split_node_args_at(Node& node, std::string_view text, char escape, int depth);

}  // namespace

void split_node_args(Node& node, std::string_view text, char escape) {
  split_node_args_at(node, text, escape, 0);
}

namespace {

void split_node_args_at(Node& node, std::string_view text, char escape, int depth) {
  FlagSplit split = split_flags(text, escape);
  node.flags = std::move(split.flags);
  std::string_view rest = split.rest;
  const std::string& k = node.keyword;
  if (k == "from" || k == "expose") {
    node.args = split_blank(rest);
  } else if (k == "add" || k == "copy" || k == "volume") {
    json_or(node, rest, [&](std::string_view r) { node.args = split_blank(r); });
  } else if (k == "run" || k == "cmd" || k == "entrypoint" || k == "shell") {
    json_or(node, rest, [&](std::string_view r) { one_string(node, r); });
  } else if (k == "maintainer" || k == "user" || k == "workdir" || k == "stopsignal") {
    one_string(node, rest);
  } else if (k == "env" || k == "label") {
    name_values(node, rest, escape);
  } else if (k == "arg") {
    node.args = shell_words(rest, escape);
  } else if (k == "healthcheck") {
    if (rest.empty()) return;
    size_t end = 0;
    while (end < rest.size() && !is_blank(rest[end])) ++end;
    std::string type(rest.substr(0, end));
    std::string_view command = trim_left(rest.substr(end));
    json_or(node, command, [&](std::string_view r) { one_string(node, r); });
    node.args.insert(node.args.begin(), std::move(type));
  } else if (k == "onbuild") {
    if (rest.empty()) return;
    // `ONBUILD ONBUILD ...` is rejected by parse_stages; the bound only keeps a hostile line
    // of thousands of ONBUILDs from recursing deeply here.
    if (depth >= 8) throw std::invalid_argument("ONBUILD nested too deeply");
    size_t end = 0;
    while (end < rest.size() && !is_blank(rest[end])) ++end;
    Node nested;
    nested.original = std::string(rest.substr(0, end));
    nested.keyword = common::ascii_lower(nested.original);
    nested.text = std::string(trim_left(rest.substr(end)));
    nested.range = node.range;
    split_node_args_at(nested, nested.text, escape, depth + 1);
    node.next.push_back(std::move(nested));
  } else {
    node.args.emplace_back();  // unknown keyword: rejected later, by parse_stages
  }
}

}  // namespace

}  // namespace mybuild::parser::internal
