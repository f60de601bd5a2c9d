// Server: the workers behind one port, UDP and TCP.
//
// Each worker owns an io_context (its loop thread), a UDP socket and a TCP listening socket
// bound with SO_REUSEPORT to the same address, its Responder, unless --udp-wait epoll, a
// reader thread with a Responder of its own (UdpServer), and an Upstream and a Forwarder per route
// that has parents (route 0: the default parents; route i + 1: the i-th `--forward` domain's);
// the kernel spreads clients across the sockets. The local records, the cache, the questions in
// flight (keyed by name, so one table serves every route) and what is known of each route's
// parents (one ParentSet per route) are shared. Binding happens in the constructor, so errors
// surface before `run`. The first worker also probes every parent of every route for forwarding
// loops: a query for a random name under resolver.invalid that must never come back to us.
#pragma once

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "resolver/cache/cache.hpp"
#include "resolver/records/local_records.hpp"
#include "resolver/server/access_list.hpp"
#include "resolver/server/forwarder.hpp"
#include "resolver/server/in_flight.hpp"
#include "resolver/server/metrics.hpp"
#include "resolver/server/query_handler.hpp"
#include "resolver/server/query_log.hpp"
#include "resolver/server/rate_limiter.hpp"
#include "resolver/server/redis_client.hpp"
#include "resolver/server/tcp_server.hpp"
#include "resolver/server/udp_server.hpp"
#include "resolver/server/upstream.hpp"

namespace resolver::server {

// Split DNS: names at or below `domain` go to these parents instead of the default ones.
struct ForwardZone {
  dns::DnsName domain;
  std::vector<boost::asio::ip::udp::endpoint> parents;
};

// What the server is told. Every default is written once: here, or in the struct of the part
// that uses it (cache, handler, upstream, forwarder limits). `resolver server` fills it from
// its options (see settings.hpp for the process around it).
struct ServerSettings {
  // "::" takes IPv6 and IPv4 (the sockets are not v6-only); the CLI falls back to 0.0.0.0 on a
  // host without IPv6.
  boost::asio::ip::udp::endpoint listen{boost::asio::ip::address_v6::any(), 53};
  std::vector<boost::asio::ip::udp::endpoint> parents;  // none: a root
  // `--forward`, in command-line order, one entry per domain (the CLI merges repeats); the
  // server fills handler.forward_domains from it. The upstream settings apply to every route.
  std::vector<ForwardZone> forwards;
  UpstreamSettings upstream;
  // How often each parent is probed for a forwarding loop (also once at start).
  std::chrono::seconds loop_probe_interval{60};
  HandlerSettings handler;
  cache::CacheSettings cache;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());  // one per core
  // How each worker waits for UDP queries: its event loop, or a reader thread of its own
  // asleep in recvmmsg (UdpServer), which costs the fewest system calls per wakeup.
  UdpWait udp_wait = UdpWait::Blocking;
  QueryLogFormat log_queries = QueryLogFormat::Off;
  AccessList access = AccessList::private_networks();
  // --proxy-from: whose PROXY v2 headers name the client (Responder::open_envelope); none:
  // nobody's, and a request with one is dropped.
  std::optional<AccessList> proxies;
  std::uint32_t rate_limit = 0;  // queries per second per client; 0: off
  ForwarderLimits limits;
  TcpSettings tcp;
  // --shared-cache: a second-level cache in Redis shared with other servers (SharedCache);
  // none by default.
  std::optional<RedisSettings> shared_cache;
};

class Server {
 public:
  // Throws boost::system::system_error when the address cannot be bound.
  Server(ServerSettings settings, std::shared_ptr<const records::LocalRecords> local);
  ~Server();

  boost::asio::ip::udp::endpoint local_endpoint() const;
  // Serves until stop(); the calling thread runs the first worker.
  void run();
  // Safe to call from any thread, e.g. a signal handler's.
  void stop();
  // Serves `local` from now on; safe from any thread. The cache is kept.
  void replace_records(std::shared_ptr<const records::LocalRecords> local);
  const cache::Cache& cache() const { return cache_; }
  // The counters of every worker summed, with the shared state read now; safe from any thread.
  MetricsSnapshot metrics() const;
  // Counts a reload of the local data and whether it was taken; safe from any thread.
  void record_reload(bool taken);
  cache::Cache& cache() { return cache_; }

 private:
  struct Worker;
  void probe_for_loops();

  ServerSettings settings_;
  cache::Cache cache_;
  QueryHandler handler_;
  // By route, as ResponderParts::routes; never resized once the workers hold references.
  std::vector<ParentSet> parent_sets_;
  InFlight in_flight_;  // before the workers: their forwarders use it
  std::unique_ptr<RateLimiter> rate_limiter_;
  std::atomic<std::size_t> tcp_connections_{0};  // every worker's, against settings_.tcp
  std::atomic<std::uint64_t> reloads_ok_{0};
  std::atomic<std::uint64_t> reloads_failed_{0};
  std::vector<std::unique_ptr<Worker>> workers_;
  // Runs on the first worker's io_context, so it must go before the workers do.
  std::unique_ptr<boost::asio::steady_timer> probe_timer_;
};

}  // namespace resolver::server
