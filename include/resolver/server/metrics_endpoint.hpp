// MetricsEndpoint: `--http ADDR:PORT`, the server's HTTP face for monitoring.
//
//   GET /metrics  the Prometheus text exposition format (render_prometheus of a fresh snapshot)
//   GET /health   200 while the process serves (liveness)
//   GET /ready    200 when MetricsSnapshot::ready(), else 503 (readiness)
//
// HTTP/1.1 by Boost.Beast (part of Boost, so no new dependency), on a thread and io_context
// of its own: a slow or hostile scraper never touches the serving workers, which only pay for
// their relaxed counters. Connections are few and short: bounded in number, with a read
// timeout, and requests beyond a small size are refused.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>

#include "resolver/server/metrics.hpp"

namespace resolver::server {

class MetricsEndpoint {
 public:
  using Snapshot = std::function<MetricsSnapshot()>;

  // Binds `listen` (throws boost::system::system_error when it cannot) and serves on a thread
  // of its own until destroyed. `snapshot` is called on that thread, once per /metrics or
  // /ready request.
  MetricsEndpoint(const boost::asio::ip::tcp::endpoint& listen, Snapshot snapshot);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace resolver::server
