// BuildKit's debug dump of the raw tree (`buildctl debug dump-llb`'s parser counterpart, the
// format of the moby parser corpus): one `(keyword ["--flag"] "arg" ...)` line per node.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "parser/node.h"

namespace mybuild::parser {

// The dump of every node, each line ending in '\n'.
std::string dump(const std::vector<Node>& nodes);
// One node without parentheses: `run ["--mount=x"] "make"`.
std::string dump_node(const Node& node);
// Go's strconv.Quote: the quoting the dump uses for flags and arguments.
std::string go_quote(std::string_view value);

}  // namespace mybuild::parser
