// Text helpers for the tests.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace test_support {

// Whether `needle` occurs in `haystack` (an empty needle always does).
inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// The lines of `text`, without their newlines.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace test_support
