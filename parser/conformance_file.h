// Reading the vector files of ../shared/conformance for the parser's conformance tests; a file
// that is missing fails the test that wanted it, with the likely reason.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace mybuild::parser_testing {

inline std::string read_conformance_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ADD_FAILURE() << "cannot read " << path << " (is ../shared/conformance there?)";
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace mybuild::parser_testing
