#include "builder/context/git_tls.h"

#include <git2.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include "builder/context/git_api.h"
#include "builder/context/git_http_auth.h"
#include "common/error.h"
#include "common/temp_dir.h"
#include "registry/http.h"

namespace mybuild::builder {
namespace {

namespace fs = std::filesystem;

constexpr const char* kGitSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

// The *.crt files of `host_port` in the certs.d directories, as the registry client reads them.
std::vector<fs::path> certs_d_cas(const std::string& host_port) {
  std::vector<fs::path> files;
  for (const auto& dir : registry::default_certs_dirs()) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir / host_port, ec)) {
      if (e.path().extension() == ".crt") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_ca_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    throw common::Error(common::ErrorKind::kResource, "read CA file " + p.string() + ": failed");
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str() + "\n";
}

}  // namespace

void trust_git_remote_cas(std::string_view remote) {
  if (!remote.starts_with("https://")) return;
  const std::optional<std::string> host = http_remote_host(remote);
  const char* env = std::getenv("SSL_CERT_FILE");
  std::vector<fs::path> extra = host ? certs_d_cas(*host) : std::vector<fs::path>{};
  if (extra.empty() && (env == nullptr || *env == '\0')) return;
  extra.insert(extra.begin(), env != nullptr && *env != '\0' ? fs::path(env) : kGitSystemCaBundle);
  std::string bundle;
  for (const auto& f : extra) {
    std::error_code ec;
    if (fs::exists(f, ec)) bundle += read_ca_file(f);
  }
  // mbedTLS parses the file when it is set: the bundle need not outlive this call.
  common::TempDir dir("mybuild-git-ca-");
  const fs::path file = dir.path() / "ca.pem";
  std::ofstream(file, std::ios::binary) << bundle;
  static std::mutex mu;  // the setting is process-wide
  std::lock_guard lock(mu);
  if (git_api().libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file.c_str(), nullptr) < 0) {
    const git_error* e = git_api().error_last();
    throw common::Error(common::ErrorKind::kResource,
                        "git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, " + file.string() +
                            "): " + (e != nullptr && e->message ? e->message : "failed"));
  }
}

}  // namespace mybuild::builder
