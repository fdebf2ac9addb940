#include "builder/stage/background_syncs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"

namespace mybuild::builder {
namespace {

namespace fs = std::filesystem;

TEST(BackgroundSyncs, WaitsForEverySyncStarted) {
  const fs::path dir = fs::temp_directory_path() / ("bgsync-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "f") << "data";
  BackgroundSyncs syncs;
  syncs.start(dir);
  syncs.start(dir);
  EXPECT_NO_THROW(syncs.wait_all());
  EXPECT_NO_THROW(syncs.wait_all());  // nothing pending any more
  fs::remove_all(dir);
}

TEST(BackgroundSyncs, AMissingDirectoryIsAnErrorNamingIt) {
  BackgroundSyncs syncs;
  try {
    syncs.start("/nonexistent/mybuild-bgsync");
    FAIL() << "no error";
  } catch (const common::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/mybuild-bgsync"), std::string::npos);
  }
}

}  // namespace
}  // namespace mybuild::builder
