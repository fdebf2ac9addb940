#include "common/shared_library.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::common {
namespace {

TEST(SharedLibrary, ResolvesAFunctionOfAVersionedSoname) {
  SharedLibrary libm("libm.so.6", "this test", "libc6");
  auto* cosine = libm.function<double(double)>("cos");
  ASSERT_NE(cosine, nullptr);
  EXPECT_DOUBLE_EQ(cosine(0.0), 1.0);
}

TEST(SharedLibrary, AMissingSymbolNamesTheLibraryAndTheSymbol) {
  SharedLibrary libm("libm.so.6", "this test", "libc6");
  try {
    libm.symbol("no_such_function_in_libm");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kResource);
    EXPECT_NE(std::string(e.what()).find("no_such_function_in_libm"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("libm.so.6"), std::string::npos);
  }
}

// What a host without the library sees, through the test seam; the error stays the same on
// every later call (dlopen is tried once).
TEST(SharedLibrary, AMissingLibraryIsAnErrorNamingItAndItsPackage) {
  set_shared_library_override_for_tests("libmybuild-absent.so.9");
  SharedLibrary curl("libcurl.so.4", "pulling and pushing images", "libcurl4");
  for (int i = 0; i < 2; ++i) {
    try {
      curl.symbol("curl_easy_init");
      ADD_FAILURE() << "expected an error";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.kind(), ErrorKind::kResource);
      EXPECT_NE(what.find("dlopen(libmybuild-absent.so.9)"), std::string::npos) << what;
      EXPECT_NE(what.find("pulling and pushing images needs libcurl.so.4"), std::string::npos)
          << what;
      EXPECT_NE(what.find("libcurl4"), std::string::npos) << what;
    }
  }
  set_shared_library_override_for_tests("");
}

}  // namespace
}  // namespace mybuild::common
