#include "registry/curl_api.h"

#include <gtest/gtest.h>

#include <string>

namespace mybuild::registry {
namespace {

// Every function of the table resolves from the installed libcurl.so.4, and calls go through.
TEST(CurlApi, ResolvesEveryFunctionFromTheInstalledLibrary) {
  const CurlApi& curl = curl_api();
  EXPECT_NE(curl.easy_setopt, nullptr);
  EXPECT_NE(curl.slist_free_all, nullptr);
  EXPECT_EQ(std::string(curl.easy_strerror(CURLE_OK)), "No error");
  CURL* h = curl.easy_init();
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(curl.easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:9/"), CURLE_OK);
  curl.easy_cleanup(h);
  EXPECT_EQ(&curl_api(), &curl);  // loaded once
}

}  // namespace
}  // namespace mybuild::registry
