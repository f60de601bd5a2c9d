// Text helpers for the tests.
#pragma once

#include <string_view>

namespace test_support {

// Whether `needle` occurs in `haystack` (an empty needle always does).
inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace test_support
