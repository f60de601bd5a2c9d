// Metrics: what the server counts, and the snapshot a scrape renders (docs/operations.md).
//
// Every counter on the serving path belongs to one worker and is written by that worker's
// thread only: an increment is a relaxed load and store, never a locked read-modify-write, so
// the hot path pays no shared cache line. A scrape (another thread) reads them relaxed and sums
// the workers into a MetricsSnapshot, a plain value that the exposition renders and tests
// compare. What is shared anyway (cache size, parent health, TCP connections, reloads) is read
// from its owner at scrape time.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/dns/message.hpp"

namespace resolver::server {

// A count written by one thread and read by any.
class Counter {
 public:
  void add(std::uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void set(std::uint64_t n) { value_.store(n, std::memory_order_relaxed); }  // for a gauge
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// How a query came: DNS over UDP or TCP, or the course's text protocol (UDP).
enum class QueryProtocol : std::uint8_t { Udp, Tcp, Text };
inline constexpr std::size_t kQueryProtocols = 3;
std::string_view protocol_label(QueryProtocol protocol);  // "udp", "tcp", "text"

// Where an answer came from. None: the server said no by itself (REFUSED, FORMERR, a loop
// probe's SERVFAIL, REFUSED without recursion).
// Shared: the fleet's cache in Redis (--shared-cache), asked before the parents.
enum class AnswerSource : std::uint8_t { Local, Cache, Stale, Parent, Shared, None };
inline constexpr std::size_t kAnswerSources = 6;
std::string_view source_label(AnswerSource source);  // "local", "cache", ...

// The query types counted by name; every other type is counted as "other". A text query asks
// for both addresses and is counted as "A+AAAA".
inline constexpr std::array<dns::RrType, 11> kCountedTypes{
    dns::RrType::A,   dns::RrType::AAAA, dns::RrType::CNAME, dns::RrType::PTR,
    dns::RrType::MX,  dns::RrType::SRV,  dns::RrType::TXT,   dns::RrType::NS,
    dns::RrType::SOA, dns::RrType{65},   dns::RrType{255}};          // HTTPS, ANY
inline constexpr std::size_t kTypeSlots = kCountedTypes.size() + 2;  // + other, + A+AAAA
inline constexpr std::size_t kTextTypeSlot = kTypeSlots - 1;
std::size_t type_slot(dns::RrType type);
std::string type_label(std::size_t slot);

// NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, and "other".
inline constexpr std::size_t kRcodeSlots = 7;
std::size_t rcode_slot(dns::Rcode rcode);
std::string_view rcode_label(std::size_t slot);

// Upstream latency buckets (upper bounds, seconds), as Prometheus histograms take them.
inline constexpr std::array<double, 11> kLatencyBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                       0.1,   0.25,   0.5,   1.0,  2.5};

// One parent's exchanges as one worker saw them.
struct ParentCounters {
  Counter queries;   // attempts sent (UDP or TCP)
  Counter timeouts;  // attempts that got no usable reply in time
  Counter failures;  // attempts that ended otherwise without an answer (port closed, SERVFAIL,
                     // REFUSED, a TCP fallback failing)
  // Non-cumulative: bucket i counts replies within kLatencyBounds[i] and above the one before;
  // the last one those above every bound.
  std::array<Counter, kLatencyBounds.size() + 1> latency;
  Counter latency_sum_us;
  void record_latency(std::chrono::microseconds round_trip);
};

// PROXY v2 headers (--proxy-from), by what became of the request.
struct ProxyCounters {
  Counter accepted;   // a trusted balancer's header: the request served for its client
  Counter untrusted;  // a header from an address not in --proxy-from: dropped
  Counter malformed;  // a trusted balancer's header that does not parse: dropped
  Counter missing;    // a trusted balancer's request without a header: dropped
};

// The shared cache in Redis (--shared-cache), as one worker used it.
struct SharedCacheCounters {
  Counter hits;      // lookups answered from Redis
  Counter misses;    // lookups Redis had nothing (fresh) for
  Counter errors;    // lookups answered with an error or a value that does not decode
  Counter timeouts;  // lookups not answered in time
  Counter skipped;   // lookups not sent: connection down, breaker open, or too many waiting
  Counter stores;    // answers sent to Redis
  Counter failures;  // connections that failed and opened the breaker
  Counter up;        // 1 while the worker's connection is up (a gauge)
};

// A worker's counters. Only the worker's thread writes them.
struct WorkerMetrics {
  std::array<std::array<Counter, kTypeSlots>, kQueryProtocols> queries;
  std::array<std::array<Counter, kRcodeSlots>, kQueryProtocols> responses;
  std::array<Counter, kAnswerSources> answers;
  Counter rate_limited;     // dropped by the rate limiter
  Counter backlog_dropped;  // dropped by the UDP reader: the loop had too many to take up
  Counter refused;          // REFUSED by the access list
  // By protocol (QueryProtocol's order): dropped or answered FORMERR for their bytes.
  std::array<Counter, kQueryProtocols> malformed;
  Counter upstream_questions;  // questions this worker sent to parents (coalesced: one each)
  ProxyCounters proxy;
  SharedCacheCounters shared_cache;
  // By route, then parent (ParentSet order); sized once when the worker is built.
  std::vector<std::vector<ParentCounters>> parents;
};

// Everything a scrape shows, summed over the workers.
struct MetricsSnapshot {
  std::array<std::array<std::uint64_t, kTypeSlots>, kQueryProtocols> queries{};
  std::array<std::array<std::uint64_t, kRcodeSlots>, kQueryProtocols> responses{};
  std::array<std::uint64_t, kAnswerSources> answers{};
  std::uint64_t rate_limited = 0;
  std::uint64_t backlog_dropped = 0;
  std::uint64_t refused = 0;
  std::array<std::uint64_t, kQueryProtocols> malformed{};
  std::uint64_t upstream_questions = 0;
  // PROXY v2 headers: accepted, untrusted, malformed, missing (ProxyCounters' order).
  std::array<std::uint64_t, 4> proxy{};
  struct SharedCache {
    std::uint64_t hits = 0, misses = 0, errors = 0, timeouts = 0, skipped = 0;
    std::uint64_t stores = 0, failures = 0;
    std::uint64_t up = 0;  // workers whose connection is up
  };
  SharedCache shared_cache{};

  struct Parent {
    std::string domain;   // the route: "." for the default parents, else the forward domain
    std::string address;  // "ADDR:PORT"
    bool healthy = true;  // not marked down and not in a loop
    bool looped = false;
    std::uint64_t smoothed_rtt_us = 0;  // 0 until measured
    std::uint64_t queries = 0;
    std::uint64_t timeouts = 0;
    std::uint64_t failures = 0;
    std::array<std::uint64_t, kLatencyBounds.size() + 1> latency{};  // non-cumulative
    std::uint64_t latency_sum_us = 0;
  };
  std::vector<Parent> parents{};

  std::uint64_t cache_entries = 0;
  std::uint64_t cache_bytes = 0;  // an estimate: the answers' records and keys
  std::uint64_t in_flight = 0;    // questions at the parents now
  std::uint64_t tcp_connections = 0;
  std::uint64_t reloads_ok = 0;
  std::uint64_t reloads_failed = 0;
  std::uint64_t records = 0;  // the local records in service
  std::uint64_t names = 0;
  std::uint64_t threads = 0;

  // /ready: records loaded (a snapshot exists only then) and a parent healthy on the default
  // route, or no default parents (a root).
  bool ready() const;
};

// Adds `worker`'s counters into `into` (parents are matched by position: same routes and order).
void add_worker(const WorkerMetrics& worker, MetricsSnapshot& into);

}  // namespace resolver::server
