// The variables a Dockerfile word is expanded against: build args, ENV values, the platform
// args. An ordered list of name/value pairs in which a later entry for the same name wins, as the
// builder accumulates ARG and ENV instructions. A name absent from the list is unset, which is
// not the same as set to "" (`${V-x}` vs `${V:-x}`). Names are case-sensitive (Linux).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mybuild::parser {

class Env {
 public:
  using Entry = std::pair<std::string, std::string>;

  Env() = default;
  Env(std::initializer_list<Entry> entries) : entries_(entries) {}

  // Adds or overrides `name`; the newest value wins in lookup().
  void set(std::string name, std::string value);
  // The newest value of `name`, or nullopt when it was never set.
  std::optional<std::string_view> lookup(std::string_view name) const;
  // Everything set, oldest first, including overridden entries.
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

}  // namespace mybuild::parser
