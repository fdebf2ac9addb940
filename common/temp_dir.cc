#include "common/temp_dir.h"

#include <cstdlib>
#include <string>
#include <system_error>

#include "common/error.h"
#include "common/log.h"

namespace mybuild::common {

TempDir::TempDir(std::string_view prefix, std::filesystem::path parent) {
  if (parent.empty()) {
    const char* env = std::getenv("TMPDIR");
    parent = env && *env ? env : "/tmp";
  }
  std::string templ = (parent / (std::string(prefix) + "XXXXXX")).string();
  if (!::mkdtemp(templ.data())) throw_errno("mkdtemp", templ);
  path_ = templ;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  if (ec) log::warn("removing temp dir " + path_.string() + ": " + ec.message());
}

}  // namespace mybuild::common
