// The Unix-socket plumbing of the ssh agents: connect, listen, and move whole agent messages.
// Sends use MSG_NOSIGNAL: a step that dies mid-reply must not kill mybuild with SIGPIPE.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/unique_fd.h"

namespace mybuild::builder::ssh {

// Throws Error(kNotFound) naming `path` (what = "ssh agent" ...) when nothing listens there.
common::UniqueFd connect_unix(const std::filesystem::path& path, const std::string& what);
// A listening socket bound at `path` (which must not exist). Throws naming the path.
common::UniqueFd listen_unix(const std::filesystem::path& path);

bool send_all(int fd, std::string_view data);
// Waits until `fd` is readable; false when `wake_fd` (>= 0) became readable first.
bool wait_readable(int fd, int wake_fd);
// One framed agent message body; nullopt at EOF, on an error, a wake-up or an oversized length.
std::optional<std::string> recv_agent_message(int fd, int wake_fd);

}  // namespace mybuild::builder::ssh
