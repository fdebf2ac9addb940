// Splits an instruction's argument text into flags and arguments by the keyword's rule
// (BuildKit's line parsers; the table in conformance parser/moby/FORMAT.md section 4).
#pragma once

#include <string_view>

#include "parser/node.h"

namespace mybuild::parser::internal {

// Fills node.flags, node.args, node.json and (ONBUILD) node.next from `text`. node.keyword must
// be set. Throws std::invalid_argument with a message for the user (ENV without a value, a
// JSON array with a non-string item, a pair without '=').
void split_node_args(Node& node, std::string_view text, char escape);

}  // namespace mybuild::parser::internal
