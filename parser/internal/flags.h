// Instruction flags as BuildKit's BFlags reads them: `--name=value`, `--name` alone for a
// boolean, names case-sensitive, each instruction with its own allowed set.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mybuild::parser::internal {

enum class FlagKind { kString, kStringList, kBool };

struct FlagSpec {
  std::string_view name;  // without "--"
  FlagKind kind;
};

struct ParsedFlags {
  std::map<std::string, std::vector<std::string>, std::less<>> strings;
  std::map<std::string, bool, std::less<>> bools;

  std::optional<std::string> string(std::string_view name) const;
  std::vector<std::string> list(std::string_view name) const;
  bool flag(std::string_view name) const;
  std::optional<bool> maybe_flag(std::string_view name) const;
};

// Parses raw flags ("--from=build") against `allowed`. Throws std::invalid_argument naming the
// flag, the instruction and what was expected.
ParsedFlags parse_flags(const std::vector<std::string>& raw, const std::vector<FlagSpec>& allowed,
                        std::string_view instruction);

}  // namespace mybuild::parser::internal
