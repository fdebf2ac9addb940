#include "parser/internal/flags.h"

#include <stdexcept>

namespace mybuild::parser::internal {

std::optional<std::string> ParsedFlags::string(std::string_view name) const {
  auto it = strings.find(name);
  if (it == strings.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ParsedFlags::list(std::string_view name) const {
  auto it = strings.find(name);
  return it == strings.end() ? std::vector<std::string>{} : it->second;
}

bool ParsedFlags::flag(std::string_view name) const { return maybe_flag(name).value_or(false); }

std::optional<bool> ParsedFlags::maybe_flag(std::string_view name) const {
  auto it = bools.find(name);
  if (it == bools.end()) return std::nullopt;
  return it->second;
}

ParsedFlags parse_flags(const std::vector<std::string>& raw, const std::vector<FlagSpec>& allowed,
                        std::string_view instruction) {
  ParsedFlags out;
  for (const std::string& flag : raw) {
    std::string_view text = flag;
    text.remove_prefix(2);  // "--"
    size_t eq = text.find('=');
    std::string_view name = text.substr(0, eq);
    std::optional<std::string_view> value;
    if (eq != std::string_view::npos) value = text.substr(eq + 1);
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : allowed) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) {
      std::string message =
          "flag --" + std::string(name) + " is not allowed on " + std::string(instruction);
      if (allowed.empty()) {
        message += " (it takes no flags)";
      } else {
        message += " (expected one of";
        for (const FlagSpec& s : allowed) message += " --" + std::string(s.name);
        message += "; flags are case-sensitive)";
      }
      throw std::invalid_argument(message);
    }
    const std::string key(name);
    switch (spec->kind) {
      case FlagKind::kBool: {
        if (out.bools.count(key) != 0) {
          throw std::invalid_argument("flag --" + key + " given twice");
        }
        if (!value || *value == "true") {
          out.bools[key] = true;
        } else if (*value == "false") {
          out.bools[key] = false;
        } else {
          throw std::invalid_argument("bad value for --" + key + ": \"" + std::string(*value) +
                                      "\" (expected true or false)");
        }
        break;
      }
      case FlagKind::kString:
      case FlagKind::kStringList: {
        if (!value) {
          throw std::invalid_argument("flag --" + key + " needs a value (--" + key + "=...)");
        }
        auto& values = out.strings[key];
        if (spec->kind == FlagKind::kString && !values.empty()) {
          throw std::invalid_argument("flag --" + key + " given twice");
        }
        values.emplace_back(*value);
        break;
      }
    }
  }
  return out;
}

}  // namespace mybuild::parser::internal
