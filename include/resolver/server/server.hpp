// Server: the workers behind one UDP port.
//
// Each worker owns an io_context, a socket bound with SO_REUSEPORT to the same address, its
// Upstream and Forwarder; the kernel spreads clients across the sockets. The local records and
// the cache are shared. Binding happens in the constructor, so errors surface before `run`.
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "resolver/cache/cache.hpp"
#include "resolver/records/local_records.hpp"
#include "resolver/server/query_handler.hpp"
#include "resolver/server/upstream.hpp"

namespace resolver::server {

struct ServerSettings {
  boost::asio::ip::udp::endpoint listen{boost::asio::ip::address_v4::any(), 53};
  std::optional<UpstreamSettings> upstream;  // none: a root
  HandlerSettings handler;
  cache::CacheSettings cache;
  unsigned threads = 1;
  bool log_queries = false;
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

 private:
  struct Worker;
  ServerSettings settings_;
  cache::Cache cache_;
  QueryHandler handler_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace resolver::server
