#include "resolver/server/server.hpp"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <thread>
#include <vector>

#include "resolver/server/forwarder.hpp"
#include "resolver/server/responder.hpp"
#include "resolver/server/shared_cache.hpp"
#include "resolver/server/tcp_server.hpp"
#include "resolver/server/udp_server.hpp"

namespace resolver::server {
namespace {

using boost::asio::ip::tcp;
using boost::asio::ip::udp;
using ReusePort = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

udp::socket bind_socket(boost::asio::io_context& io, const udp::endpoint& endpoint) {
  udp::socket socket(io);
  socket.open(endpoint.protocol());
  socket.set_option(ReusePort(true));
  // Bursts (batch clients, dnsperf) overflow the default 208 KB; the kernel caps the request
  // at net.core.rmem_max, so this never fails for being too large.
  socket.set_option(boost::asio::socket_base::receive_buffer_size(4 << 20));
  if (endpoint.address().is_v6()) socket.set_option(boost::asio::ip::v6_only(false));
  socket.bind(endpoint);
  return socket;
}

tcp::acceptor listen_tcp(boost::asio::io_context& io, const tcp::endpoint& endpoint) {
  tcp::acceptor acceptor(io);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.set_option(ReusePort(true));
  if (endpoint.address().is_v6()) acceptor.set_option(boost::asio::ip::v6_only(false));
  acceptor.bind(endpoint);
  acceptor.listen(boost::asio::socket_base::max_listen_connections);
  return acceptor;
}

// The handler is built from the settings, so they must be complete before it is.
ServerSettings completed(ServerSettings settings) {
  settings.handler.has_parent = !settings.parents.empty();
  // Route i + 1 is the i-th forward: the handler's domains and the server's parent sets must
  // stay in the same order.
  settings.handler.forward_domains.clear();
  for (const auto& zone : settings.forwards)
    settings.handler.forward_domains.push_back(zone.domain);
  return settings;
}

// Route 0: the default parents (none on a root); route i + 1: the i-th forward's.
std::vector<ParentSet> parent_sets(const ServerSettings& settings) {
  std::vector<ParentSet> sets;
  sets.reserve(settings.forwards.size() + 1);
  sets.emplace_back(settings.parents);
  for (const auto& zone : settings.forwards) sets.emplace_back(zone.parents);
  return sets;
}

}  // namespace

struct Server::Worker {
  Worker(const ServerSettings& settings, const cache::Cache& cache, const QueryHandler& handler,
         std::vector<ParentSet>& parent_sets, InFlight& in_flight, ClientPolicy policy,
         std::atomic<std::size_t>& tcp_connections, const udp::endpoint& bind_to)
      // Only this worker's loop thread runs the context and touches its sockets and timers
      // (the others, its reader among them, only post to it), so the reactor can skip its
      // per-operation locking.
      : io(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO) {
    std::vector<ResponderRoute> responder_routes;
    metrics.parents.reserve(parent_sets.size());
    for (auto& parents : parent_sets) metrics.parents.emplace_back(parents.size());
    if (settings.shared_cache) {
      redis = std::make_unique<RedisClient>(io, *settings.shared_cache, system_clock(),
                                            &metrics.shared_cache);
      redis->start();
    }
    for (auto& parents : parent_sets) {
      auto& route = routes.emplace_back();
      if (parents.size() > 0) {
        route.upstream = std::make_unique<Upstream>(io, parents, settings.upstream, system_clock(),
                                                    &metrics, routes.size() - 1);
        ParentQueries* asked = route.upstream.get();
        if (redis) {
          route.shared_cache = std::make_unique<SharedCache>(*redis, *route.upstream, cache,
                                                             system_clock(), &metrics.shared_cache);
          asked = route.shared_cache.get();
        }
        route.forwarder = std::make_unique<Forwarder>(io, handler, *asked, in_flight,
                                                      system_clock(), settings.limits);
      }
      responder_routes.push_back({route.forwarder.get(), parents.size() > 0 ? &parents : nullptr});
    }
    responder.emplace(
        ResponderParts{handler, responder_routes, policy, settings.log_queries, &metrics});
    if (settings.udp_wait == UdpWait::Blocking) {
      reader.emplace(ResponderParts{handler, std::move(responder_routes), policy,
                                    settings.log_queries, &reader_metrics, nullptr, &io});
      // The loop must keep running with nothing of its own to wait for (no TCP, no parents):
      // it answers what the reader hands off.
      keep_running.emplace(io.get_executor());
      server.emplace(bind_socket(io, bind_to), io, *responder, *reader,
                     reader_metrics.backlog_dropped, system_clock());
    } else {
      server.emplace(bind_socket(io, bind_to), io, *responder, system_clock());
    }
    server->start();
    if (settings.tcp.enabled) {
      // With port 0 the UDP socket got an ephemeral port: TCP takes the same one.
      auto udp_bound = server->local_endpoint();
      tcp_server.emplace(listen_tcp(io, tcp::endpoint(udp_bound.address(), udp_bound.port())),
                         *responder, system_clock(), settings.tcp, tcp_connections);
      tcp_server->start();
    }
  }

  // One per route, in route order; all null for a route without parents, shared_cache null
  // without --shared-cache.
  struct Route {
    std::unique_ptr<Upstream> upstream;
    std::unique_ptr<SharedCache> shared_cache;
    std::unique_ptr<Forwarder> forwarder;
  };

  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      keep_running;
  // Before the parts that count into them; read by scrapes from other threads (metrics.hpp).
  // The reader's Responder counts into reader_metrics: each counter has one writing thread.
  WorkerMetrics metrics;
  WorkerMetrics reader_metrics;
  std::unique_ptr<RedisClient> redis;  // the shared cache's connection, if there is one
  std::vector<Route> routes;
  std::optional<Responder> responder;
  std::optional<Responder> reader;  // unless --udp-wait epoll
  std::optional<UdpServer> server;
  std::optional<TcpServer> tcp_server;
};

Server::Server(ServerSettings settings, std::shared_ptr<const records::LocalRecords> local)
    : settings_(completed(std::move(settings))),
      cache_(settings_.cache),
      handler_(std::move(local), cache_, settings_.handler),
      parent_sets_(parent_sets(settings_)) {
  unsigned threads = std::max(1u, settings_.threads);
  if (settings_.rate_limit > 0) rate_limiter_ = std::make_unique<RateLimiter>(settings_.rate_limit);
  ClientPolicy policy{&settings_.access, rate_limiter_.get(),
                      settings_.proxies ? &*settings_.proxies : nullptr};
  // Port 0 asks for any free port: the kernel picks one free for UDP, which TCP may hold (an
  // outgoing connection's local port), so another is tried.
  for (int attempt = 0;; ++attempt) {
    try {
      workers_.push_back(std::make_unique<Worker>(settings_, cache_, handler_, parent_sets_,
                                                  in_flight_, policy, tcp_connections_,
                                                  settings_.listen));
      break;
    } catch (const boost::system::system_error& error) {
      bool retry = settings_.listen.port() == 0 &&
                   error.code() == boost::asio::error::address_in_use && attempt < 20;
      if (!retry) throw;
    }
  }
  // With port 0 the first socket got an ephemeral port; the others must share it.
  udp::endpoint bound = workers_.front()->server->local_endpoint();
  for (unsigned i = 1; i < threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(settings_, cache_, handler_, parent_sets_,
                                                in_flight_, policy, tcp_connections_, bound));
  }
  bool has_parents = std::any_of(parent_sets_.begin(), parent_sets_.end(),
                                 [](const ParentSet& parents) { return parents.size() > 0; });
  if (has_parents) {
    probe_timer_ = std::make_unique<boost::asio::steady_timer>(workers_.front()->io);
    boost::asio::post(workers_.front()->io, [this] { probe_for_loops(); });
  }
}

void Server::probe_for_loops() {
  // Every route's parents: a forward domain's parent may forward to us as well as a default one.
  for (auto& route : workers_.front()->routes) {
    if (!route.upstream) continue;
    auto& upstream = *route.upstream;
    auto& parents = upstream.parents();
    for (std::size_t i = 0; i < parents.size(); ++i) {
      if (parents.looped(i)) continue;
      // The answer does not matter: what matters is whether the probe reaches us (UdpServer).
      upstream.query_parent(i, dns::Question{parents.probe_name(i), dns::RrType::A},
                            [](const UpstreamOutcome&) {});
    }
  }
  probe_timer_->expires_after(settings_.loop_probe_interval);
  probe_timer_->async_wait([this](const boost::system::error_code& error) {
    if (!error) probe_for_loops();
  });
}

void Server::replace_records(std::shared_ptr<const records::LocalRecords> local) {
  handler_.replace_records(std::move(local));
  for (auto& worker : workers_) {
    boost::asio::post(worker->io,
                      [responder = &*worker->responder] { responder->refresh_records(); });
    worker->server->wake_reader();
  }
}

void Server::record_reload(bool taken) {
  (taken ? reloads_ok_ : reloads_failed_).fetch_add(1);
}

MetricsSnapshot Server::metrics() const {
  MetricsSnapshot snapshot;
  auto now = ParentSet::Clock::now();
  for (std::size_t route = 0; route < parent_sets_.size(); ++route) {
    const auto& parents = parent_sets_[route];
    auto domain = route == 0 ? std::string(".") : settings_.forwards[route - 1].domain.to_text();
    for (std::size_t i = 0; i < parents.size(); ++i) {
      auto& parent = snapshot.parents.emplace_back();
      parent.domain = domain;
      parent.address = parents.describe(i);
      parent.healthy = parents.healthy(i, now);
      parent.looped = parents.looped(i);
      parent.smoothed_rtt_us = static_cast<std::uint64_t>(parents.smoothed_rtt(i).count());
    }
  }
  for (const auto& worker : workers_) {
    add_worker(worker->metrics, snapshot);
    add_worker(worker->reader_metrics, snapshot);
  }
  snapshot.cache_entries = cache_.size();
  snapshot.cache_bytes = cache_.memory_bytes();
  snapshot.in_flight = in_flight_.size();
  snapshot.tcp_connections = tcp_connections_.load(std::memory_order_relaxed);
  snapshot.reloads_ok = reloads_ok_.load();
  snapshot.reloads_failed = reloads_failed_.load();
  auto records = handler_.records();
  snapshot.records = records->record_count();
  snapshot.names = records->name_count();
  snapshot.threads = workers_.size();
  return snapshot;
}

Server::~Server() = default;

udp::endpoint Server::local_endpoint() const {
  return workers_.front()->server->local_endpoint();
}

void Server::run() {
  std::vector<std::jthread> threads;
  for (auto& worker : workers_) {
    if (worker->reader) {
      threads.emplace_back([server = &*worker->server] { server->read_until_stopped(); });
    }
  }
  for (std::size_t i = 1; i < workers_.size(); ++i) {
    threads.emplace_back([worker = workers_[i].get()] { worker->io.run(); });
  }
  workers_.front()->io.run();
  // The first loop ends with stop() (or a defect): the readers must not outlive the run.
  stop();
}

void Server::stop() {
  for (auto& worker : workers_) {
    worker->io.stop();
    worker->server->stop_reading();
  }
}

}  // namespace resolver::server
