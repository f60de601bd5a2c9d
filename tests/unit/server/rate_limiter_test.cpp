#include "resolver/server/rate_limiter.hpp"

#include <catch2/catch.hpp>

using resolver::server::RateLimiter;
using namespace std::chrono_literals;

namespace {

boost::asio::ip::address ip(const char* text) {
  return boost::asio::ip::make_address(text);
}
const RateLimiter::Clock::time_point kStart = RateLimiter::Clock::time_point{} + 1000s;

int admitted(RateLimiter& limiter, const char* client, int tries,
             RateLimiter::Clock::time_point at) {
  int count = 0;
  for (int i = 0; i < tries; ++i) count += limiter.admit(ip(client), at) ? 1 : 0;
  return count;
}

}  // namespace

TEST_CASE("a client gets a burst of N and then N per second", "[ratelimit]") {
  auto limiter = std::make_unique<RateLimiter>(10);
  CHECK(admitted(*limiter, "192.0.2.1", 50, kStart) == 10);
  CHECK(admitted(*limiter, "192.0.2.1", 50, kStart + 500ms) == 5);
  CHECK(admitted(*limiter, "192.0.2.1", 50, kStart + 10s) == 10);  // the burst is capped at N
}

TEST_CASE("clients are limited separately", "[ratelimit]") {
  auto limiter = std::make_unique<RateLimiter>(5);
  CHECK(admitted(*limiter, "192.0.2.1", 20, kStart) == 5);
  CHECK(admitted(*limiter, "192.0.2.2", 20, kStart) == 5);
  CHECK(admitted(*limiter, "2001:db8:1::1", 20, kStart) == 5);
}

TEST_CASE("an IPv6 /64 counts as one client and a mapped IPv4 as its IPv4 address", "[ratelimit]") {
  auto limiter = std::make_unique<RateLimiter>(4);
  CHECK(admitted(*limiter, "2001:db8:1:2::1", 2, kStart) == 2);
  CHECK(admitted(*limiter, "2001:db8:1:2:ffff::9", 10, kStart) == 2);
  CHECK(admitted(*limiter, "2001:db8:1:3::1", 10, kStart) == 4);
  CHECK(admitted(*limiter, "198.51.100.7", 3, kStart) == 3);
  CHECK(admitted(*limiter, "::ffff:198.51.100.7", 10, kStart) == 1);
}

TEST_CASE("a flood from many addresses uses no memory beyond the fixed table", "[ratelimit]") {
  auto limiter = std::make_unique<RateLimiter>(1);
  for (std::uint32_t i = 0; i < 200'000; ++i) {
    limiter->admit(boost::asio::ip::address_v4(0x0A000000 + i), kStart);
  }
  // The limiter's size is fixed at construction: nothing to grow. A known client still limits.
  CHECK(sizeof(RateLimiter) < 4 * 1024 * 1024);
  CHECK(admitted(*limiter, "192.0.2.99", 5, kStart + 1ms) <= 1);
}
