// InFlight: the questions being asked of the parents right now, shared by every worker.
//
// Clients reach whichever worker's socket the kernel hashes them to (SO_REUSEPORT), so a table
// per worker would let one question go upstream once per worker. This table is the server's:
// the first client asking (name, type) makes its worker start the one upstream query; every
// later client, on any worker, waits on that query. Each waiter names the io_context of its
// worker: its reply is run there (posted when another worker's query ends), so transports never
// see another thread. The lock covers only table updates, never I/O or a reply.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolver/dns/answer.hpp"
#include "resolver/server/metrics.hpp"

namespace resolver::server {

class InFlight {
 public:
  // The answer, and where it came from (for the metrics and the query log).
  using Reply = std::function<void(const dns::Answer&, AnswerSource)>;
  struct Waiter {
    boost::asio::io_context* io = nullptr;  // the worker the reply must run on: never null
    Reply reply;
  };
  enum class Join {
    Start,   // no query for the key was in flight: the caller starts it
    Joined,  // the waiter waits on the query in flight
    Full,    // refused: too many waiters on the question, or the caller may not start one
  };

  // Adds `waiter` to the question `key`. When no query is in flight for it, one is registered
  // only if `may_start` (the caller's worker is below its in-flight limit). On Full, `waiter`
  // is left as it was, so the caller can still answer it.
  Join join(const std::string& key, Waiter&& waiter, std::size_t max_waiters, bool may_start);
  // Registers a query without a waiter (a prefetch); false when one is already in flight.
  bool claim(const std::string& key);
  // Ends the query for `key`: its waiters, the entry removed.
  std::vector<Waiter> finish(const std::string& key);
  // The waiters so far, leaving the query in flight (they were given a stale answer).
  std::vector<Waiter> take_waiters(const std::string& key);
  std::size_t size() const;

  // Runs each waiter's reply with `answer`: at once when it belongs to `here`, else posted to
  // its worker.
  static void deliver(std::vector<Waiter> waiters, const dns::Answer& answer, AnswerSource source,
                      const boost::asio::io_context& here);

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<Waiter>> questions_;
};

}  // namespace resolver::server
