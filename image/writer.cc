#include "image/writer.h"

#include <nlohmann/json.hpp>

#include "common/media_types.h"

namespace mybuild::image {

WrittenImage write_image(const snapshot::ContentStore& content, const ImageConfig& config,
                         const std::vector<LayerRef>& layers,
                         const std::map<std::string, std::string>& annotations) {
  WrittenImage out;
  out.config = content.put(config.to_json_text(), common::media_type::kOciConfig);
  nlohmann::json layer_list = nlohmann::json::array();
  for (const auto& l : layers) layer_list.push_back(l.blob);
  nlohmann::json manifest = {{"schemaVersion", 2},
                             {"mediaType", common::media_type::kOciManifest},
                             {"config", out.config},
                             {"layers", layer_list}};
  if (!annotations.empty()) manifest["annotations"] = annotations;
  out.manifest = content.put(manifest.dump(), common::media_type::kOciManifest);
  out.manifest.platform = config.platform;
  return out;
}

}  // namespace mybuild::image
