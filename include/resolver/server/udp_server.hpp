// UdpServer: one worker's receive loop on one UDP socket.
//
// Every datagram is classified by its bytes (a NUL byte means DNS, none means the text
// protocol), decoded, resolved through the QueryHandler (and the Forwarder on a miss), encoded
// in the protocol it came in, and sent back. Each datagram is handled inside its own try/catch:
// no input can stop the loop. Clients over the rate limit are dropped before any parsing (a
// reply would feed reflection attacks); clients outside the access list get REFUSED once their
// question is read (the order of hickory-dns's request checks). A query for one of our own loop
// probes means a parent sends our queries back to us: that parent is dropped (see ParentSet) and
// the probe gets SERVFAIL.
#pragma once

#include <array>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <span>

#include "resolver/dns/query_parser.hpp"
#include "resolver/server/access_list.hpp"
#include "resolver/server/forwarder.hpp"
#include "resolver/server/query_handler.hpp"
#include "resolver/server/rate_limiter.hpp"

namespace resolver::server {

// Who may ask, and how often: shared by every worker.
struct ClientPolicy {
  const AccessList* access = nullptr;   // null: everyone
  RateLimiter* rate_limiter = nullptr;  // null: no limit
};

class UdpServer {
 public:
  // `forwarder` and `parents` are null for a root (no parent).
  UdpServer(boost::asio::ip::udp::socket socket, const QueryHandler& handler, Forwarder* forwarder,
            ParentSet* parents, ClientPolicy policy, bool log_queries);

  void start();
  boost::asio::ip::udp::endpoint local_endpoint() const { return socket_.local_endpoint(); }

 private:
  using Endpoint = boost::asio::ip::udp::endpoint;

  void receive();
  void serve(std::span<const std::uint8_t> datagram, const Endpoint& client);
  void serve_dns(std::span<const std::uint8_t> datagram, const Endpoint& client);
  void serve_text(std::span<const std::uint8_t> datagram, const Endpoint& client);
  void reply_dns(const dns::Query& query, const dns::Answer& answer, const Endpoint& client);
  void send(std::span<const std::uint8_t> reply, const Endpoint& client);
  // True when `name` is our own loop probe coming back: a parent forwards to us.
  bool is_own_probe(const dns::DnsName& name, const Endpoint& client);
  // Resolves now when possible, else after the parent answers; `then` runs exactly once.
  template <typename Then>
  void resolve(const dns::Question& question, bool recursion_desired, Then then);

  boost::asio::ip::udp::socket socket_;
  const QueryHandler& handler_;
  Forwarder* forwarder_;
  ParentSet* parents_;
  ClientPolicy policy_;
  bool log_queries_;
  Endpoint sender_;
  std::array<std::uint8_t, 65536> in_{};
  std::array<std::uint8_t, 4096> out_{};
};

}  // namespace resolver::server
