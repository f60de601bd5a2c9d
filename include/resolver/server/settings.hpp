// ServerConfig: everything `resolver server` runs with, the one struct its command line fills.
//
// The serving settings are ServerSettings (server.hpp) and the structs it nests; the rest is the
// process around the server: the record file and its reloads, cache persistence, the user to
// run as, logging. Every default is written once, here or in the struct of the part that uses
// it; the CLI shows those values as its defaults and never repeats them.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "resolver/server/cache_persistence.hpp"
#include "resolver/server/server.hpp"

namespace resolver::server {

struct ServerConfig {
  ServerSettings server;
  std::string records;             // the record file; required
  std::vector<std::string> hosts;  // `--hosts` files, loaded and reloaded with `records`
  std::uint32_t hosts_ttl = 60;    // the TTL of hosts-file records
  bool watch = false;              // reload `records` when it changes (SIGHUP always reloads it)
  std::string cache_file;          // empty: the cache is not persisted
  std::chrono::seconds cache_save_interval = CachePersistence::kDefaultInterval;
  std::string user;                // switch to this user once the port is bound; empty: stay
  std::string log_level = "info";  // spdlog's names: trace, debug, info, warn, error
  // --http: /metrics, /health and /ready (MetricsEndpoint); none by default.
  std::optional<boost::asio::ip::tcp::endpoint> http;
};

}  // namespace resolver::server
