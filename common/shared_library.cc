#include "common/shared_library.h"

#include <dlfcn.h>

#include "common/error.h"

namespace mybuild::common {
namespace {

std::string& shared_library_test_override() {
  static std::string name;
  return name;
}

}  // namespace

void set_shared_library_override_for_tests(std::string soname) {
  shared_library_test_override() = std::move(soname);
}

SharedLibrary::SharedLibrary(std::string soname, std::string needed_for, std::string package)
    : soname_(std::move(soname)),
      needed_for_(std::move(needed_for)),
      package_(std::move(package)) {}

SharedLibrary::~SharedLibrary() {
  // Never dlclose(): a library's threads or atexit handlers may outlive this object (libcurl's
  // resolver, OpenSSL's), and the process ends soon after anyway.
}

void SharedLibrary::open() {
  std::call_once(once_, [this] {
    const std::string& forced = shared_library_test_override();
    const std::string file = forced.empty() ? soname_ : forced;
    // RTLD_LOCAL: its symbols stay out of the global namespace; RTLD_NOW: a broken install
    // fails here, with its name, instead of at some later call.
    handle_ = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
      const char* why = ::dlerror();
      open_error_ = "dlopen(" + file + "): " + (why ? why : "unknown error") + "; " + needed_for_ +
                    " needs " + soname_ + " (Debian package " + package_ + ")";
    }
  });
  if (!handle_) throw Error(ErrorKind::kResource, open_error_);
}

void* SharedLibrary::symbol(const char* name) {
  open();
  ::dlerror();  // clear: a symbol's value may be NULL, only dlerror() tells a failure
  void* address = ::dlsym(handle_, name);
  if (const char* why = ::dlerror()) {
    throw Error(ErrorKind::kResource, "dlsym(" + soname_ + ", " + name + "): " + why + " (" +
                                          needed_for_ + " needs a newer " + package_ + ")");
  }
  return address;
}

}  // namespace mybuild::common
