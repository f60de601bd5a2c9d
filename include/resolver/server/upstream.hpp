// Upstream: asks the parents one question, within a bounded time.
//
// Each attempt goes out on a UDP socket `connect()`ed to one parent, so the kernel discards
// datagrams from anyone else, with a fresh random ID and 0x20 letter case. The sockets come from
// a pool (UdpSocketPool): opening, connecting, registering and closing a socket per query
// cost more than the rest of a miss, so a socket that carried an answered query goes back to
// its parent's pool and a later query takes one at random. Each socket's port is an ephemeral
// port the kernel picked at random when it was opened, and a socket is retired after
// kMaxSocketUses queries, so the ports rotate; a socket whose attempt failed or timed out is
// closed, never reused (docs/security.md weighs the trade-off). A reply counts only if it is a
// reply to that ID and repeats the question (RFC 5452); anything else is dropped and the wait goes
// on. An attempt that times out, finds the parent's port closed, or gets SERVFAIL/REFUSED moves on
// to the next attempt, on the next parent in ParentSet's ranking when there are several; after the
// last one the query fails.
//
// A truncated reply (TC=1) is the parent working as it should for an answer too big for UDP:
// the same attempt asks the same parent again over TCP (RFC 7766 5), with a fresh ID, within
// what is left of the attempt's time, and the parent stays healthy. Only the TCP exchange
// failing fails the attempt. A truncated answer is never the outcome, so never cached. With
// ParentTransport::Tcp every DNS attempt goes over TCP from the start. Each TCP query has a
// connection of its own (upstream_tcp.hpp says why). The text protocol is UDP only.
// Nothing here blocks: completion is a callback on the io_context's thread.
#pragma once

#include <boost/asio/ip/udp.hpp>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

#include "resolver/dns/message.hpp"
#include "resolver/exchange/exchange.hpp"
#include "resolver/server/clock.hpp"
#include "resolver/server/metrics.hpp"
#include "resolver/server/parent_set.hpp"
#include "resolver/server/query_handler.hpp"

namespace resolver::server {

// What the parents speak (--parent-protocol); the exchange codec does the speaking.
using ParentProtocol = exchange::Protocol;

// How DNS reaches the parents: UDP, with TCP for truncated replies; or TCP for every query
// (--parent-protocol tcp). A text parent is always asked over UDP.
enum class ParentTransport { Udp, Tcp };

struct UpstreamSettings {
  ParentProtocol protocol = ParentProtocol::Dns;
  ParentTransport transport = ParentTransport::Udp;
  // The whole time a question may take upstream, split over the attempts: with one or two
  // parents, 1 s then 1.5 s; with three or more, a third each on the three best.
  std::chrono::milliseconds budget{2500};
};

struct Attempt {
  std::size_t parent;
  std::chrono::milliseconds timeout;
};

// The attempts for one question, given the parents in the order to try them.
std::vector<Attempt> plan_attempts(const std::vector<std::size_t>& ranked,
                                   std::chrono::milliseconds budget);

// What the Forwarder needs of the parents: ask one question, hear back once. Tests script it.
class ParentQueries {
 public:
  using Done = std::function<void(UpstreamOutcome)>;
  virtual ~ParentQueries() = default;
  // `done` runs exactly once, on the caller's io_context (within this call when no parent is
  // usable).
  virtual void query(const dns::Question& question, Done done) = 0;
};

// Idle UDP sockets connected to each parent of one Upstream, on its worker's thread only.
class UdpSocketPool {
 public:
  static constexpr unsigned kMaxSocketUses = 100;  // then the socket is closed: a new port
  static constexpr std::size_t kMaxIdle = 256;     // per parent; beyond, returned ones close

  struct Lease {
    boost::asio::ip::udp::socket socket;
    unsigned uses = 0;  // queries it carried before this one
  };
  UdpSocketPool(boost::asio::io_context& io, std::size_t parents) : io_(io), idle_(parents) {}
  // An idle socket of `parent`, picked at random, or a new one connected to `endpoint`.
  Lease take(std::size_t parent, const boost::asio::ip::udp::endpoint& endpoint,
             boost::system::error_code& error);
  // Back into the pool after an answered query, unless it is worn out or the pool is full.
  void give_back(std::size_t parent, Lease lease);
  std::size_t idle(std::size_t parent) const { return idle_[parent].size(); }

 private:
  boost::asio::io_context& io_;
  std::vector<std::vector<Lease>> idle_;
};

class Upstream final : public ParentQueries {
 public:
  // `metrics` (optional): the worker's counters, into which this route's (`route`) questions
  // and attempts are counted; its parents entry for the route must be sized to `parents`.
  Upstream(boost::asio::io_context& io, ParentSet& parents, UpstreamSettings settings,
           const Clock& clock, WorkerMetrics* metrics = nullptr, std::size_t route = 0);

  void query(const dns::Question& question, Done done) override;
  // One attempt at one parent, whatever its state (for the loop probe).
  void query_parent(std::size_t parent, const dns::Question& question, Done done);
  ParentSet& parents() { return parents_; }

 private:
  boost::asio::io_context& io_;
  ParentSet& parents_;
  UpstreamSettings settings_;
  const Clock& clock_;
  WorkerMetrics* metrics_ = nullptr;
  std::vector<ParentCounters>* counters_ = nullptr;
  UdpSocketPool sockets_;
  // Where every query's UDP reply is read: one at a time on this thread, and each is
  // handled before the next read, so the queries need no 64 kB buffer of their own.
  std::vector<std::uint8_t> receive_buffer_;
};

}  // namespace resolver::server
