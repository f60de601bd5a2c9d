#include "resolver/server/rate_limiter.hpp"

#include <algorithm>

namespace resolver::server {
namespace {

// IPv4: the address; IPv6: its /64 (a single host usually owns a whole /64).
std::uint64_t client_key(const boost::asio::ip::address& address) {
  std::uint64_t key = 0;
  if (address.is_v6() && !address.to_v6().is_v4_mapped()) {
    auto bytes = address.to_v6().to_bytes();
    for (int i = 0; i < 8; ++i) key = key << 8 | bytes[i];
    return key | 1ull << 63;
  }
  auto v4 = address.is_v4()
                ? address.to_v4()
                : boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  return static_cast<std::uint64_t>(v4.to_uint()) | 1ull << 32;
}

std::size_t slot_of(std::uint64_t key) {
  // Fibonacci hashing spreads neighbouring addresses over the table.
  return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> 48) % RateLimiter::kSlots;
}

}  // namespace

RateLimiter::RateLimiter(std::uint32_t queries_per_second)
    : rate_(std::max<std::uint32_t>(1, queries_per_second)) {}

bool RateLimiter::admit(const boost::asio::ip::address& client, Clock::time_point now) {
  auto key = client_key(client);
  auto slot = slot_of(key);
  std::lock_guard lock(stripes_[slot % kStripes]);
  Bucket& bucket = buckets_[slot];
  if (!bucket.used) bucket = Bucket{true, rate_, now};
  std::chrono::duration<double> elapsed = now - bucket.refilled;
  bucket.tokens = std::min(rate_, bucket.tokens + elapsed.count() * rate_);
  bucket.refilled = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

}  // namespace resolver::server
