// Points in time for the tests that pass `now` explicitly: at(s) is s seconds after the epoch of
// the cache's clock.
#pragma once

#include <chrono>

#include "resolver/cache/cache.hpp"

namespace test_support {

inline resolver::cache::TimePoint at(long seconds) {
  return resolver::cache::TimePoint{} + std::chrono::seconds(seconds);
}

}  // namespace test_support
