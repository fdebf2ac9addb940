// The libcurl functions mybuild calls, resolved from libcurl.so.4 on first use instead of
// linked: a process that never speaks HTTP (a no-op build, `images`, `--version`) does not map
// libcurl and the ~30 libraries it pulls in (common/shared_library.h, issue 17). Each member
// has the type <curl/curl.h> declares, so calls are checked as if they were direct:
//
//   const CurlApi& curl = curl_api();
//   CURL* h = curl.easy_init();
//   curl.easy_setopt(h, CURLOPT_URL, url.c_str());
#pragma once

#include <curl/curl.h>

namespace mybuild::registry {

struct CurlApi {
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_easy_reset) easy_reset = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_share_init) share_init = nullptr;
  decltype(&::curl_share_setopt) share_setopt = nullptr;
  decltype(&::curl_share_cleanup) share_cleanup = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
};

// Opens libcurl.so.4 and resolves the table once, then calls curl_global_init once. Throws
// Error(kResource) naming the library (and the Debian package libcurl4) when it is missing.
const CurlApi& curl_api();

}  // namespace mybuild::registry
