#pragma once
// Paths of the files in tests/fixtures, found from this header's own location
// (CMake compiles with absolute source paths), and small file helpers.

#include <filesystem>
#include <string>
#include <string_view>

namespace flowgrad::testing {

inline std::filesystem::path fixture_path(std::string_view name) {
  return std::filesystem::path(__FILE__).parent_path().parent_path() / "fixtures" / name;
}

// A fresh, empty directory under the system temp dir for a test's files.
inline std::filesystem::path scratch_dir(std::string_view test) {
  auto dir = std::filesystem::temp_directory_path() / ("flowgrad_text_" + std::string(test));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace flowgrad::testing
