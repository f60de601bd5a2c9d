// RateLimiter: at most N queries per second per client (IPv4 address, IPv6 /64).
//
// A token bucket per client, refilled at N per second with a burst of N. The buckets live in a
// fixed table (kSlots, striped locks): memory does not grow with the number of clients, so a
// flood from spoofed sources cannot exhaust it; colliding clients share a slot, which can only
// make the limit stricter for them. Time is a parameter.
#pragma once

#include <array>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>

namespace resolver::server {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kSlots = 1 << 16;
  static constexpr std::size_t kStripes = 64;

  explicit RateLimiter(std::uint32_t queries_per_second);

  // Takes a token for `client`; false when the client is over its rate.
  bool admit(const boost::asio::ip::address& client, Clock::time_point now);

 private:
  struct Bucket {
    bool used = false;
    double tokens = 0;
    Clock::time_point refilled{};
  };
  double rate_;
  std::array<std::mutex, kStripes> stripes_;
  std::array<Bucket, kSlots> buckets_{};
};

}  // namespace resolver::server
