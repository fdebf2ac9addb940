// The image configuration (OCI image-spec config.md, plus the Docker extensions BuildKit writes:
// Healthcheck, OnBuild, Shell, ArgsEscaped) as the builder edits it instruction by instruction.
// Fields we do not model are kept verbatim from the base image's JSON (`extra`), so a config
// passed through mybuild loses nothing.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/descriptor.h"
#include "common/digest.h"

namespace mybuild::image {

struct Healthcheck {
  std::vector<std::string> test;  // ["NONE"] | ["CMD", ...] | ["CMD-SHELL", "..."]
  int64_t interval_ns = 0;        // durations in nanoseconds, as Docker's JSON has them
  int64_t timeout_ns = 0;
  int64_t start_period_ns = 0;
  int64_t start_interval_ns = 0;
  int retries = 0;
  friend bool operator==(const Healthcheck&, const Healthcheck&) = default;
};

// The "config" object: what a container started from the image gets.
struct ContainerConfig {
  std::string user;
  std::vector<std::string> exposed_ports;  // "80/tcp", kept sorted and unique
  std::vector<std::string> env;            // "K=V", ordered; set_env replaces in place
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> volumes;  // sorted and unique
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  bool args_escaped = false;
  std::optional<Healthcheck> healthcheck;
  std::vector<std::string> on_build;
  std::optional<std::vector<std::string>> shell;
  nlohmann::json extra = nlohmann::json::object();  // unmodelled keys, kept as they came

  // ENV semantics: a later value for the same name replaces the earlier one where it stood.
  void set_env(const std::string& name, const std::string& value);
  std::optional<std::string> get_env(const std::string& name) const;
};

struct HistoryEntry {
  std::string created;     // RFC 3339, UTC
  std::string created_by;  // BuildKit's text, e.g. "RUN /bin/sh -c make # buildkit"
  std::string author;
  std::string comment;
  bool empty_layer = false;
  friend bool operator==(const HistoryEntry&, const HistoryEntry&) = default;
};

struct ImageConfig {
  std::string created;
  std::string author;
  common::Platform platform;
  ContainerConfig config;
  std::vector<common::Digest> diff_ids;  // rootfs.diff_ids, bottom layer first
  std::vector<HistoryEntry> history;
  nlohmann::json extra = nlohmann::json::object();

  // Parses a config blob (ours, Docker's, or any OCI producer's). Throws Error(kIntegrity)
  // on malformed JSON or when rootfs.diff_ids and non-empty history layers disagree in count.
  static ImageConfig parse(const std::string& json_text);
  // Canonical JSON (sorted keys, no insignificant whitespace): the same config always gives
  // the same bytes and so the same digest.
  std::string to_json_text() const;
};

void to_json(nlohmann::json& j, const ContainerConfig& c);
void from_json(const nlohmann::json& j, ContainerConfig& c);

}  // namespace mybuild::image
