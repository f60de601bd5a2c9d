// BatchResolver: many names asked of one server through a window of queries in flight, the
// answers delivered in input order.
//
// One connected UDP socket (udp_channel.hpp) carries every query sent over UDP (so only the
// server's replies get in). DNS replies are matched by their random ID and must repeat the
// question (RFC 5452 9.1); the text protocol has no ID, so its replies are matched by the name
// they are about. Each attempt has its own timer; a retry goes out with a fresh ID.
//
// DNS over TCP (RFC 7766) goes through one TcpChannel (tcp_channel.hpp), opened when first
// needed and reused: for every query with `lookup.tcp`, else for each name whose UDP reply
// came back truncated (TC=1), which is asked again over TCP with a fresh ID and attempts of
// its own, as dig does. Queries are pipelined on the connection, as many as the window holds,
// and replies matched as over UDP, in whatever order they come. When the connection ends with
// queries outstanding they are sent again on a new one: free of charge when the server had
// answered something on it (a server may close a connection whenever it likes, RFC 7766
// 6.2.3), else as a failed attempt each, so a server that never answers still ends the batch.
//
// Memory is bounded by the window, not the input: at most `concurrency` queries are in flight,
// and a name starts only while fewer than kBufferedPerSlot x `concurrency` names wait for an
// earlier one's answer (results are held back until every earlier name has its result).
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <functional>
#include <string>

#include "resolver/client/lookup.hpp"
#include "resolver/client/name_source.hpp"
#include "resolver/dns/types.hpp"

namespace resolver::client {

inline constexpr std::size_t kMaxConcurrency = 10000;  // well below the 65,536 DNS IDs
inline constexpr std::size_t kBufferedPerSlot = 16;

struct BatchSettings {
  LookupSettings lookup;
  dns::RrType type = dns::RrType::A;  // ignored by the text protocol
  std::size_t concurrency = 100;      // queries in flight, 1..kMaxConcurrency
  double rate = 0;                    // queries sent per second, retries included; 0: no limit
};

struct BatchItem {
  std::size_t index = 0;  // position in the input, from 0
  std::string name;       // as given
  LookupResult result;
};

struct BatchCallbacks {
  // Every name's result, in input order, on the thread that called run().
  std::function<void(const BatchItem&)> on_result;
  // Every name read so far has its result and the batch waits for more input: the moment to
  // flush buffered output, so a script that waits for an answer before writing the next
  // name gets it. Optional.
  std::function<void()> on_caught_up;
};

class BatchResolver {
 public:
  // Throws std::invalid_argument for `lookup.tcp` with the text protocol (UDP only).
  BatchResolver(boost::asio::io_context& io, BatchSettings settings);

  // Looks up every name `source` offers and returns once each has been delivered. Runs `io`
  // (restarting it first), so it must not be running elsewhere. Throws
  // boost::system::system_error when no UDP socket can be opened to the server (a TCP
  // connection that cannot be made is an error for each name asked over it instead).
  void run(NameSource& source, const BatchCallbacks& callbacks);

  const BatchSettings& settings() const { return settings_; }

 private:
  boost::asio::io_context& io_;
  BatchSettings settings_;
};

}  // namespace resolver::client
