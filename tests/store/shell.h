// A shell command line run as a user would type it, for the store suites: exit code and
// stdout+stderr together.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace mybuild::store_testing {

struct Ran {
  int code;
  std::string out;
};

inline Ran run(const std::string& command) {
  Ran r{-1, {}};
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace mybuild::store_testing
