// The text BuildKit writes into history `created_by` and how Go formats what goes in it
// (dockerfile2llb uses fmt's %q and %v on string slices and durations).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mybuild::builder {

// Go's strconv.Quote: "a \"b\"\n" -> "\"a \\\"b\\\"\\n\"".
std::string go_quote(std::string_view s);
// fmt %q of []string: ["a" "b"].
std::string go_quote_list(const std::vector<std::string>& v);
// fmt %v of []string: [a b].
std::string go_list(const std::vector<std::string>& v);
// time.Duration.String(): "30s", "1m30s", "1.5s", "0s", "100ms".
std::string go_duration(std::chrono::nanoseconds d);

}  // namespace mybuild::builder
