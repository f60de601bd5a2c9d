// Forwarder: coalesces identical questions in flight into one upstream query.
//
// The first client asking (name, type) starts the upstream query; later clients asking the
// same question before it ends, on this worker or any other (InFlight is the server's), wait
// for the same answer. When it ends, the handler caches the parent's answer once and every
// waiting client gets it on its own worker. One Forwarder per worker thread: it runs the
// upstream queries it started, and their timers, on its worker's io_context.
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

#include "resolver/server/in_flight.hpp"
#include "resolver/server/query_handler.hpp"
#include "resolver/server/upstream.hpp"

namespace resolver::server {

// Bounds, so a flood of misses costs a fixed amount of memory and descriptors: beyond them a
// client gets a stale answer or SERVFAIL at once.
struct ForwarderLimits {
  std::size_t max_in_flight = 1000;  // questions a worker has upstream at once (one socket each)
  std::size_t max_waiters = 100;     // clients waiting on one question
};

class Forwarder {
 public:
  using Reply = InFlight::Reply;
  static constexpr std::chrono::milliseconds kStaleAfter{1800};  // RFC 8767 5's suggestion

  // `stale_after`: how long clients wait before a stale answer is given them (tests set 0).
  Forwarder(boost::asio::io_context& io, const QueryHandler& handler, ParentQueries& upstream,
            InFlight& in_flight, const Clock& clock, ForwarderLimits limits = {},
            std::chrono::milliseconds stale_after = kStaleAfter);

  void forward(const dns::Question& question, Reply reply);
  // Refreshes the cached answer in the background, unless that question is already in flight.
  void refresh(const dns::Question& question);
  // The upstream queries this worker started that have not ended.
  std::size_t questions_started() const { return started_.size(); }

 private:
  // Starts the upstream query for a question this worker registered in in_flight_.
  void start(const dns::Question& question, const std::string& key);
  void answer_stale(const dns::Question& question, const std::string& key);
  void refuse(const dns::Question& question, const Reply& reply) const;

  boost::asio::io_context& io_;
  const QueryHandler& handler_;
  ParentQueries& upstream_;
  InFlight& in_flight_;
  const Clock& clock_;
  ForwarderLimits limits_;
  std::chrono::milliseconds stale_after_;
  // By question key: the serve-stale timer (null when no stale answer was held at the start).
  std::unordered_map<std::string, std::unique_ptr<boost::asio::steady_timer>> started_;
};

}  // namespace resolver::server
