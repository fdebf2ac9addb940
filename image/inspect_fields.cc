#include "image/inspect_fields.h"

namespace mybuild::image {

using nlohmann::json;

std::string text_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json inspect_config_fields(const json& config) {
  json rootfs = {{"Type", "layers"}, {"Layers", json::array()}};
  if (auto it = config.find("rootfs"); it != config.end() && it->is_object()) {
    if (auto ids = it->find("diff_ids"); ids != it->end() && ids->is_array()) {
      rootfs["Layers"] = *ids;
    }
  }
  json out = {
      {"Comment", text_field(config, "comment")},
      {"Created", text_field(config, "created")},
      {"Author", text_field(config, "author")},
      {"Architecture", text_field(config, "architecture")},
      {"Os", text_field(config, "os")},
      {"Config", config.contains("config") ? config["config"] : json::object()},
      {"RootFS", rootfs},
  };
  if (std::string v = text_field(config, "variant"); !v.empty()) out["Variant"] = v;
  return out;
}

}  // namespace mybuild::image
