// Forwarder: coalesces identical questions in flight into one upstream query.
//
// The first client asking (name, type) starts the upstream query; later clients asking the
// same question before it ends wait for the same answer. When it ends, the handler caches the
// parent's answer once and every waiting client gets it. One Forwarder per worker thread.
//
// Serve-stale (RFC 8767 5): when the cache holds an expired answer for the question, the
// clients waiting are given it after `stale_after` (the client response timer), while the
// upstream query goes on and refreshes the cache when it ends.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolver/server/query_handler.hpp"
#include "resolver/server/upstream.hpp"

namespace resolver::server {

// Bounds, so a flood of misses costs a fixed amount of memory and descriptors: beyond them a
// client gets a stale answer or SERVFAIL at once.
struct ForwarderLimits {
  std::size_t max_in_flight = 1000;  // questions upstream at once, per worker (one socket each)
  std::size_t max_waiters = 100;     // clients waiting on one question
};

class Forwarder {
 public:
  using Reply = std::function<void(const dns::Answer&)>;
  static constexpr std::chrono::milliseconds kStaleAfter{1800};  // RFC 8767 5's suggestion

  Forwarder(boost::asio::io_context& io, const QueryHandler& handler, Upstream& upstream,
            ForwarderLimits limits = {});

  void forward(const dns::Question& question, Reply reply);
  // Refreshes the cached answer in the background, unless that question is already in flight.
  void refresh(const dns::Question& question);
  std::size_t questions_in_flight() const { return pending_.size(); }

 private:
  struct Pending {
    std::vector<Reply> waiters;
    std::unique_ptr<boost::asio::steady_timer> stale_timer;
  };
  // Starts the upstream query for a new entry of pending_.
  void start(const dns::Question& question, const std::string& key);
  void answer_stale(const dns::Question& question, const std::string& key);
  void refuse(const dns::Question& question, const Reply& reply) const;

  boost::asio::io_context& io_;
  const QueryHandler& handler_;
  Upstream& upstream_;
  ForwarderLimits limits_;
  std::unordered_map<std::string, Pending> pending_;
};

}  // namespace resolver::server
