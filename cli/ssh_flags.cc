#include "cli/ssh_flags.h"

#include <filesystem>
#include <system_error>

#include "common/error.h"

namespace mybuild::cli {

using common::Error;
using common::ErrorKind;

namespace {

std::vector<std::string> split_ssh_paths(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t comma = text.find(',', pos);
    out.push_back(text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (comma == std::string::npos) return out;
    pos = comma + 1;
  }
}

}  // namespace

std::map<std::string, std::vector<std::string>> parse_ssh_flags(
    const std::vector<std::string>& values, const char* auth_sock) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& value : values) {
    const size_t eq = value.find('=');
    const std::string id = value.substr(0, eq);
    if (id.empty()) throw Error(ErrorKind::kUsage, "--ssh " + value + ": the id is empty");
    if (out.contains(id)) throw Error(ErrorKind::kUsage, "--ssh " + value + ": id given twice");
    std::vector<std::string> paths;
    if (eq == std::string::npos) {
      if (auth_sock == nullptr || *auth_sock == '\0') {
        throw Error(ErrorKind::kUsage,
                    "--ssh " + value + ": SSH_AUTH_SOCK is not set (give ID=SOCKET or ID=KEYFILE)");
      }
      paths.push_back(auth_sock);
    } else {
      paths = split_ssh_paths(value.substr(eq + 1));
    }
    for (auto& path : paths) {
      std::error_code ec;
      if (path.empty() || !std::filesystem::exists(path, ec)) {
        throw Error(
            ErrorKind::kUsage,
            "--ssh " + value + ": " + (path.empty() ? "empty path" : path + " does not exist"));
      }
      path = std::filesystem::absolute(path).lexically_normal().string();
    }
    out[id] = std::move(paths);
  }
  return out;
}

}  // namespace mybuild::cli
