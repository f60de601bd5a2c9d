// ParentSet: the parents a server forwards to, and what it has learned about each.
//
// Shared by every worker. A parent that times out or refuses is marked down for a while and
// tried last; among the others, the one with the lowest smoothed round-trip time comes first
// (as Unbound's infra cache does, much simplified). A parent that forwards our own loop probe
// back to us is in a forwarding loop and is never used again (docs/resolution.md, "Forwarding
// loops"). All state is atomics: ranking and updates need no lock on the serving path.
#pragma once

#include <atomic>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "resolver/dns/name.hpp"

namespace resolver::server {

class ParentSet {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kDownFor{30};

  explicit ParentSet(std::vector<boost::asio::ip::udp::endpoint> parents);

  std::size_t size() const { return parents_.size(); }
  const boost::asio::ip::udp::endpoint& endpoint(std::size_t index) const;
  std::string describe(std::size_t index) const;  // "ADDR:PORT"

  // Indices in the order to try them; parents in a loop are left out.
  std::vector<std::size_t> ranked(Clock::time_point now) const;
  void record_success(std::size_t index, std::chrono::microseconds round_trip);
  void record_failure(std::size_t index, Clock::time_point now);
  // Neither marked down at `now` nor in a loop (for /ready and the metrics).
  bool healthy(std::size_t index, Clock::time_point now) const;
  // The smoothed round-trip time; zero until measured.
  std::chrono::microseconds smoothed_rtt(std::size_t index) const;

  // The random name probing `index` for a forwarding loop.
  const dns::DnsName& probe_name(std::size_t index) const;
  // The parent whose probe `name` is, if it is one.
  std::optional<std::size_t> probed_parent(const dns::DnsName& name) const;
  // The same question for the hit path, which has the name lower-cased in wire form.
  bool is_probe_name(std::span<const std::uint8_t> lowercase_wire) const;
  // Returns true the first time a parent is marked.
  bool mark_looped(std::size_t index);
  bool looped(std::size_t index) const;

  // 0x20: whether a parent echoes the question's letter case as sent. Once a parent has been
  // seen to, a reply from it that does not is a forgery; until then, mismatches are accepted
  // (many servers lower-case names) and the parent is not trusted to preserve case.
  bool preserves_case(std::size_t index) const;
  void record_case_echo(std::size_t index, bool preserved);

 private:
  struct Parent {
    boost::asio::ip::udp::endpoint endpoint;
    dns::DnsName probe;
    std::string probe_key;                         // probe.key()
    std::atomic<std::int64_t> smoothed_rtt_us{0};  // 0 until measured
    std::atomic<Clock::rep> down_until{0};
    std::atomic<bool> looped{false};
    std::atomic<bool> preserves_case{false};
  };
  std::vector<std::unique_ptr<Parent>> parents_;
};

}  // namespace resolver::server
