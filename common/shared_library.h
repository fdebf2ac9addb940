// SharedLibrary: a library opened with dlopen() on first use, for the few that only some
// commands need (libcurl for pull and push, libgit2 for git contexts). Linking them would map
// and relocate ~30 more libraries (krb5, ldap, gnutls, ssh2, mbedtls...) in every process,
// a no-op build included, for nothing (issue 17).
//
//   common::SharedLibrary curl("libcurl.so.4", "pulling and pushing images", "libcurl4");
//   decltype(&::curl_easy_init) easy_init;
//   curl.bind(easy_init, "curl_easy_init");   // checked against <curl/curl.h>'s prototype
//
// The versioned soname is what the package installs (not the -dev symlink), so the ABI is the
// one the headers were compiled against. A missing library or symbol is Error(kResource)
// naming the library, what needs it and the package that provides it.
// Thread-safe: the library is opened once (std::call_once); function() may run concurrently.
#pragma once

#include <mutex>
#include <string>

namespace mybuild::common {

class SharedLibrary {
 public:
  SharedLibrary(std::string soname, std::string needed_for, std::string package);
  ~SharedLibrary();
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;

  // Opens the library if it is not open yet. Throws Error(kResource) when it cannot be.
  void open();
  // The address of `symbol` (opening the library first). Throws Error(kResource).
  void* symbol(const char* name);
  template <typename F>
  F* function(const char* name) {
    return reinterpret_cast<F*>(symbol(name));
  }
  // Sets a function pointer declared with the library's own prototype:
  //   decltype(&::curl_easy_init) easy_init;  lib.bind(easy_init, "curl_easy_init");
  template <typename F>
  void bind(F*& slot, const char* name) {
    slot = function<F>(name);
  }

  const std::string& soname() const { return soname_; }

 private:
  std::string soname_, needed_for_, package_;
  std::once_flag once_;
  void* handle_ = nullptr;
  std::string open_error_;
};

// Test seam: while set (non-empty), every SharedLibrary opens this file instead of its soname,
// e.g. "libdoes-not-exist.so.0" to see the error a host without the library gets.
void set_shared_library_override_for_tests(std::string soname);

}  // namespace mybuild::common
