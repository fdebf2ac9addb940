#include "image/config.h"

#include <algorithm>
#include <climits>

#include "common/error.h"

namespace mybuild::image {
namespace {

using nlohmann::json;

// Keys of the Docker/OCI "config" object that ContainerConfig models (image-spec config.md;
// Healthcheck, OnBuild, Shell are Docker's and BuildKit writes them).
constexpr const char* kModelledConfigKeys[] = {
    "User",   "ExposedPorts", "Env",         "Entrypoint",  "Cmd",     "Volumes", "WorkingDir",
    "Labels", "StopSignal",   "ArgsEscaped", "Healthcheck", "OnBuild", "Shell"};
constexpr const char* kModelledTopKeys[] = {"created", "author",     "architecture", "os",
                                            "variant", "os.version", "os.features",  "config",
                                            "rootfs",  "history"};

std::vector<std::string> object_keys(const json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key) && j.at(key).is_object()) {
    for (auto& [k, _] : j.at(key).items()) out.push_back(k);
  }
  return out;
}

std::optional<std::vector<std::string>> optional_list(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return j.at(key).get<std::vector<std::string>>();
}

json set_as_object(const std::vector<std::string>& keys) {
  json o = json::object();
  for (const auto& k : keys) o[k] = json::object();
  return o;
}

// 0 when absent, like Go's zero value; a float or an absurd number is Error(kIntegrity).
int64_t healthcheck_int(const json& hj, const char* key) {
  auto it = hj.find(key);
  if (it == hj.end()) return 0;
  return common::json_int64(*it, std::string("image config Healthcheck.") + key);
}

}  // namespace

void ContainerConfig::set_env(const std::string& name, const std::string& value) {
  std::string entry = name + "=" + value;
  for (auto& e : env) {
    if (e.compare(0, name.size() + 1, name + "=") == 0) {
      e = std::move(entry);
      return;
    }
  }
  env.push_back(std::move(entry));
}

std::optional<std::string> ContainerConfig::get_env(const std::string& name) const {
  for (const auto& e : env) {
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=') {
      return e.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

void to_json(json& j, const ContainerConfig& c) {
  j = c.extra.is_object() ? c.extra : json::object();
  // omitempty, as Go's encoding/json writes BuildKit's configs.
  if (!c.user.empty()) j["User"] = c.user;
  if (!c.exposed_ports.empty()) j["ExposedPorts"] = set_as_object(c.exposed_ports);
  if (!c.env.empty()) j["Env"] = c.env;
  if (c.entrypoint && !c.entrypoint->empty()) j["Entrypoint"] = *c.entrypoint;
  if (c.cmd && !c.cmd->empty()) j["Cmd"] = *c.cmd;
  if (!c.volumes.empty()) j["Volumes"] = set_as_object(c.volumes);
  if (!c.working_dir.empty()) j["WorkingDir"] = c.working_dir;
  if (!c.labels.empty()) j["Labels"] = c.labels;
  if (!c.stop_signal.empty()) j["StopSignal"] = c.stop_signal;
  if (c.args_escaped) j["ArgsEscaped"] = true;
  if (c.healthcheck) {
    const auto& h = *c.healthcheck;
    json hj = {{"Test", h.test}};
    if (h.interval_ns) hj["Interval"] = h.interval_ns;
    if (h.timeout_ns) hj["Timeout"] = h.timeout_ns;
    if (h.start_period_ns) hj["StartPeriod"] = h.start_period_ns;
    if (h.start_interval_ns) hj["StartInterval"] = h.start_interval_ns;
    if (h.retries) hj["Retries"] = h.retries;
    j["Healthcheck"] = std::move(hj);
  }
  if (!c.on_build.empty()) j["OnBuild"] = c.on_build;
  if (c.shell && !c.shell->empty()) j["Shell"] = *c.shell;
}

void from_json(const json& j, ContainerConfig& c) {
  c = ContainerConfig{};
  if (j.is_null()) return;
  c.user = j.value("User", "");
  c.exposed_ports = object_keys(j, "ExposedPorts");
  if (j.contains("Env") && !j.at("Env").is_null())
    c.env = j.at("Env").get<std::vector<std::string>>();
  c.entrypoint = optional_list(j, "Entrypoint");
  c.cmd = optional_list(j, "Cmd");
  c.volumes = object_keys(j, "Volumes");
  c.working_dir = j.value("WorkingDir", "");
  if (j.contains("Labels") && !j.at("Labels").is_null()) {
    c.labels = j.at("Labels").get<std::map<std::string, std::string>>();
  }
  c.stop_signal = j.value("StopSignal", "");
  c.args_escaped = j.value("ArgsEscaped", false);
  if (j.contains("Healthcheck") && j.at("Healthcheck").is_object()) {
    const auto& hj = j.at("Healthcheck");
    Healthcheck h;
    if (hj.contains("Test") && !hj.at("Test").is_null())
      h.test = hj.at("Test").get<std::vector<std::string>>();
    h.interval_ns = healthcheck_int(hj, "Interval");
    h.timeout_ns = healthcheck_int(hj, "Timeout");
    h.start_period_ns = healthcheck_int(hj, "StartPeriod");
    h.start_interval_ns = healthcheck_int(hj, "StartInterval");
    const int64_t retries = healthcheck_int(hj, "Retries");
    if (retries < INT_MIN || retries > INT_MAX) {
      throw common::Error(
          common::ErrorKind::kIntegrity,
          "image config Healthcheck.Retries is out of range: " + std::to_string(retries));
    }
    h.retries = static_cast<int>(retries);
    c.healthcheck = std::move(h);
  }
  if (j.contains("OnBuild") && !j.at("OnBuild").is_null()) {
    c.on_build = j.at("OnBuild").get<std::vector<std::string>>();
  }
  c.shell = optional_list(j, "Shell");
  c.extra = j;
  for (const char* k : kModelledConfigKeys) c.extra.erase(k);
}

ImageConfig ImageConfig::parse(const std::string& json_text) {
  ImageConfig cfg;
  try {
    json j = json::parse(json_text);
    if (!j.is_object())
      throw common::Error(common::ErrorKind::kIntegrity, "image config is not a JSON object");
    cfg.created = j.value("created", "");
    cfg.author = j.value("author", "");
    common::from_json(j, cfg.platform);
    if (j.contains("config")) cfg.config = j.at("config").get<ContainerConfig>();
    if (j.contains("rootfs") && j.at("rootfs").contains("diff_ids")) {
      for (const auto& d : j.at("rootfs").at("diff_ids")) {
        cfg.diff_ids.push_back(common::Digest::parse(d.get<std::string>()));
      }
    }
    if (j.contains("history") && j.at("history").is_array()) {
      for (const auto& h : j.at("history")) {
        cfg.history.push_back({h.value("created", ""), h.value("created_by", ""),
                               h.value("author", ""), h.value("comment", ""),
                               h.value("empty_layer", false)});
      }
    }
    cfg.extra = j;
    for (const char* k : kModelledTopKeys) cfg.extra.erase(k);
  } catch (const json::exception& e) {
    throw common::Error(common::ErrorKind::kIntegrity,
                        std::string("malformed image config: ") + e.what());
  }
  if (!cfg.history.empty()) {
    auto layers = std::count_if(cfg.history.begin(), cfg.history.end(),
                                [](const HistoryEntry& h) { return !h.empty_layer; });
    if (static_cast<size_t>(layers) != cfg.diff_ids.size()) {
      throw common::Error(common::ErrorKind::kIntegrity,
                          "image config: history has " + std::to_string(layers) +
                              " layers but rootfs has " + std::to_string(cfg.diff_ids.size()));
    }
  }
  return cfg;
}

std::string ImageConfig::to_json_text() const {
  json j = extra.is_object() ? extra : json::object();
  if (!created.empty()) j["created"] = created;
  if (!author.empty()) j["author"] = author;
  j["architecture"] = platform.architecture;
  j["os"] = platform.os;
  if (!platform.variant.empty()) j["variant"] = platform.variant;
  if (!platform.os_version.empty()) j["os.version"] = platform.os_version;
  if (!platform.os_features.empty()) j["os.features"] = platform.os_features;
  j["config"] = config;
  json ids = json::array();
  for (const auto& d : diff_ids) ids.push_back(d.str());
  j["rootfs"] = {{"type", "layers"}, {"diff_ids", ids}};
  if (!history.empty()) {
    json hs = json::array();
    for (const auto& h : history) {
      json hj = json::object();
      if (!h.created.empty()) hj["created"] = h.created;
      if (!h.created_by.empty()) hj["created_by"] = h.created_by;
      if (!h.author.empty()) hj["author"] = h.author;
      if (!h.comment.empty()) hj["comment"] = h.comment;
      if (h.empty_layer) hj["empty_layer"] = true;
      hs.push_back(std::move(hj));
    }
    j["history"] = std::move(hs);
  }
  return j.dump();
}

}  // namespace mybuild::image
