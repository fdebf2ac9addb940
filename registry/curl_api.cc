#include "registry/curl_api.h"

#include "common/shared_library.h"

namespace mybuild::registry {
namespace {

CurlApi load_curl_api() {
  static common::SharedLibrary lib("libcurl.so.4", "talking to registries (pull, push, ADD <url>)",
                                   "libcurl4");
  CurlApi api;
  lib.bind(api.global_init, "curl_global_init");
  lib.bind(api.easy_init, "curl_easy_init");
  lib.bind(api.easy_setopt, "curl_easy_setopt");
  lib.bind(api.easy_perform, "curl_easy_perform");
  lib.bind(api.easy_getinfo, "curl_easy_getinfo");
  lib.bind(api.easy_strerror, "curl_easy_strerror");
  lib.bind(api.easy_reset, "curl_easy_reset");
  lib.bind(api.easy_cleanup, "curl_easy_cleanup");
  lib.bind(api.share_init, "curl_share_init");
  lib.bind(api.share_setopt, "curl_share_setopt");
  lib.bind(api.share_cleanup, "curl_share_cleanup");
  lib.bind(api.slist_append, "curl_slist_append");
  lib.bind(api.slist_free_all, "curl_slist_free_all");
  return api;
}

}  // namespace

const CurlApi& curl_api() {
  // A function-local static: initialised once, thread-safe, and a failure (an exception) leaves
  // it uninitialised, so the next caller gets the same error rather than a half-filled table.
  static const CurlApi api = [] {
    CurlApi loaded = load_curl_api();
    loaded.global_init(CURL_GLOBAL_DEFAULT);
    return loaded;
  }();
  return api;
}

}  // namespace mybuild::registry
