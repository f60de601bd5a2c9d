// Hand-laid wire messages for the codec tests: byte strings and their concatenation.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace test_support {

using Bytes = std::vector<std::uint8_t>;

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

}  // namespace test_support
