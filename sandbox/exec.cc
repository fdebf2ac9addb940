// Child side: execve with a PATH search. glibc's execvpe searches the *caller's* PATH and may
// allocate; the step's PATH (from its own environment) is what Docker uses, so we search it here
// in a stack buffer.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sandbox/internal/child_ops.h"

namespace mybuild::sandbox::internal {

int exec_in_path(char* const* argv, char* const* envp, const char* path) {
  const char* name = argv[0];
  if (std::strchr(name, '/') != nullptr) {
    ::execve(name, argv, envp);
    return errno;
  }
  size_t name_len = std::strlen(name);
  int result = ENOENT;
  const char* p = path;
  while (true) {
    const char* end = std::strchr(p, ':');
    size_t dir_len = end != nullptr ? static_cast<size_t>(end - p) : std::strlen(p);
    char buf[4096];
    if (dir_len + name_len + 2 <= sizeof(buf)) {
      size_t n = 0;
      if (dir_len == 0) {
        buf[n++] = '.';  // an empty PATH entry is the current directory (POSIX)
      } else {
        std::memcpy(buf, p, dir_len);
        n = dir_len;
      }
      buf[n++] = '/';
      std::memcpy(buf + n, name, name_len + 1);
      ::execve(buf, argv, envp);
      // Keep looking past "not here"; remember "here but not executable" as execvp does.
      if (errno == EACCES) {
        result = EACCES;
      } else if (errno != ENOENT && errno != ENOTDIR) {
        return errno;
      }
    }
    if (end == nullptr) break;
    p = end + 1;
  }
  return result;
}

}  // namespace mybuild::sandbox::internal
