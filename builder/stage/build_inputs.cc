#include "builder/stage/build_inputs.h"

#include "common/error.h"
#include "image/config.h"

namespace mybuild::builder {

std::string heredoc_body(const parser::Heredoc& heredoc) {
  if (!heredoc.chomp) return heredoc.content;
  std::string out;
  bool line_start = true;
  for (char c : heredoc.content) {
    if (line_start && c == '\t') continue;
    line_start = c == '\n';
    out += c;
  }
  return out;
}

bool is_proxy_arg(std::string_view name) {
  for (std::string_view p : {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
                             "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"}) {
    if (name == p) return true;
  }
  return false;
}

std::vector<image::LayerRef> layers_of(const image::LocalImage& image,
                                       const std::string& config_json) {
  image::ImageConfig config = image::ImageConfig::parse(config_json);
  if (config.diff_ids.size() != image.layers.size()) {
    throw common::Error(common::ErrorKind::kIntegrity, "image " + image.name + " has " +
                                                           std::to_string(image.layers.size()) +
                                                           " layers but its config lists " +
                                                           std::to_string(config.diff_ids.size()));
  }
  std::vector<image::LayerRef> layers;
  for (size_t i = 0; i < image.layers.size(); ++i)
    layers.push_back({image.layers[i], config.diff_ids[i]});
  return layers;
}

}  // namespace mybuild::builder
