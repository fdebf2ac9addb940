// The registry options of every command that talks to a registry (build's base-image pulls
// and --push, pull, push, login), made in one place from the command's flags and mybuild's
// config file, so that `mybuild pull` and `mybuild build` reach a registry the same way.
//
// The config file is $MYBUILD_CONFIG/config.json, by default ~/.config/mybuild/config.json (the
// directory whose certs.d the TLS lookup already reads). It is JSON shaped like dockerd's
// daemon.json, every key optional:
//
//   {
//     "registry-mirrors": ["https://mirror.gcr.io"],      // pull mirrors for docker.io
//     "mirrors": {"ghcr.io": ["https://ghcr-mirror.internal"]},  // for any other registry
//     "insecure-registries": ["registry.lan:5000", "10.0.0.0/8"],
//     "max-concurrent-transfers": 4,
//     "low-speed-limit": 1024, "low-speed-time": 60
//   }
//
// - Mirrors are tried in order before the registry itself, for pulls only; a mirror that fails
//   in any way but corruption falls back to the next, then to the origin. An entry is a base URL
//   ("https://host[:port]", "http://..." for a plain-HTTP mirror) or a bare "host[:port]" (then
//   HTTPS, or plain HTTP where the insecure rule below allows it). A path, query or fragment is
//   refused, as dockerd refuses it. "mirrors" keys are registry domains as references spell them
//   ("ghcr.io", "registry.lan:5000"); its "docker.io" entry is the same as "registry-mirrors".
// - Insecure registries (plain HTTP allowed, after HTTPS failed) are "host[:port]" or CIDRs;
//   loopback registries always are (registry/insecure.h). A leading http:// or https:// is
//   dropped, as dockerd drops it.
// - max-concurrent-transfers: blobs pulled or pushed at once, >= 1 (default 4).
// - low-speed-limit (bytes/s) and low-speed-time (seconds), both >= 1: a transfer slower than
//   the limit for that long fails as a timeout (defaults 1024 and 60), so that neither a silent
//   server nor one that drips bytes (a slow-loris) holds a pull forever.
// Unknown keys are ignored with a warning (the file may hold settings of newer versions);
// anything else that is wrong is an Error(kUsage) naming the file and the key. A missing file
// is an empty one.
//
// Flags add to the file: their mirrors and insecure registries come first, then the file's;
// --max-concurrent-transfers overrides the file's value.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mybuild::registry {
struct ClientOptions;
}

namespace mybuild::image {

// What `--insecure-registry`, `--registry-mirror` and `--max-concurrent-transfers` say.
struct RegistryFlags {
  std::vector<std::string> insecure_registries;  // "host[:port]" or CIDR
  std::vector<std::string> mirrors;              // pull mirrors for docker.io, tried in order
  std::optional<int> max_concurrent_transfers;   // unset: the file's, else 4
  // Kaniko's --push-retry N as N+1: each request is tried at least this often (the client's
  // own default, 5, when larger).
  std::optional<int> min_attempts;
};

// The registry part of the config file, validated and normalised.
struct RegistryConfig {
  std::map<std::string, std::vector<std::string>> mirrors;  // domain -> base URLs or hosts
  std::vector<std::string> insecure_registries;
  std::optional<int> max_concurrent_transfers;
  std::optional<int> low_speed_limit;  // bytes/s
  std::optional<int> low_speed_time;   // seconds
};

// $MYBUILD_CONFIG/config.json, else $HOME/.config/mybuild/config.json.
std::filesystem::path registry_config_path();

// Parses the file's text; `file` names it in errors. Throws Error(kUsage).
RegistryConfig parse_registry_config(std::string_view text, const std::string& file);
// Reads and parses `file`; a missing file gives an empty config.
RegistryConfig read_registry_config(const std::filesystem::path& file);

// The client options for `flags` over `config` (validating the flags' values: kUsage).
registry::ClientOptions registry_client_options(const RegistryFlags& flags,
                                                const RegistryConfig& config);
// The same over the config file at registry_config_path().
registry::ClientOptions registry_client_options(const RegistryFlags& flags);

// One mirror entry checked and normalised ("https://m.example/" -> "https://m.example");
// kUsage saying what is wrong, prefixed by `where` ("--registry-mirror", "<file>: mirrors").
std::string normalize_mirror(std::string_view entry, const std::string& where);
// One insecure-registry entry checked and normalised ("http://h:5000" -> "h:5000").
std::string normalize_insecure_registry(std::string_view entry, const std::string& where);

}  // namespace mybuild::image
