// Small pieces of instruction semantics that several build steps share.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "builder/stage/build_store.h"
#include "image/pull.h"
#include "parser/node.h"

namespace mybuild::builder {

// A heredoc's body as the step gets it: for `<<-` every line's leading tabs are removed.
std::string heredoc_body(const parser::Heredoc& heredoc);

// The proxy variables BuildKit lets a RUN see without an ARG and never writes into the image.
bool is_proxy_arg(std::string_view name);

// An image's layers paired with the diff_ids of its config (`config_json`), bottom first.
// Throws Error(kIntegrity) when their counts differ.
std::vector<image::LayerRef> layers_of(const image::LocalImage& image,
                                       const std::string& config_json);

}  // namespace mybuild::builder
