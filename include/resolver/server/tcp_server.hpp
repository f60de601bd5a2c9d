// TcpServer: one worker's DNS-over-TCP transport (RFC 7766). Like UdpServer it only moves
// bytes: each message read is handed to the worker's Responder, and what it answers goes back
// on the same connection.
//
// Every worker accepts on its own listening socket (SO_REUSEPORT on the UDP port, so the
// kernel spreads connections as it spreads datagrams). A connection carries any number of
// queries, two-byte length framed; they are answered as they complete, out of order when a
// later one is answered locally while an earlier one waits for a parent (RFC 7766 6.2.1.1).
//
// Bounds, so slow or idle clients cannot starve UDP or other connections:
// - at most `max_connections` open connections over the whole server: beyond that a new one
//   is closed at once;
// - a connection with no query answered or read for `idle_timeout` is closed (RFC 7766 6.2.3);
//   a message trickling in byte by byte does not count as activity, so a slowloris client is
//   closed like an idle one, and so is a client that stops reading its replies;
// - at most `max_queries` queries of one connection in flight, and a bounded backlog of
//   unsent replies: beyond either the connection is not read until they drain.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <unordered_map>

#include "resolver/server/clock.hpp"
#include "resolver/server/responder.hpp"

namespace resolver::server {

struct TcpSettings {
  bool enabled = true;  // off: UDP only, for a port whose TCP side another program holds
  std::size_t max_connections = 1000;     // over the whole server
  std::chrono::seconds idle_timeout{10};  // RFC 7766 6.2.3 suggests seconds, not minutes
  std::size_t max_queries = 100;          // in flight on one connection
};

class TcpConnection;

class TcpServer {
 public:
  // `open_connections` is the server's count, shared by every worker's TcpServer.
  TcpServer(boost::asio::ip::tcp::acceptor acceptor, Responder& responder, const Clock& clock,
            TcpSettings settings, std::atomic<std::size_t>& open_connections);
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  void start();
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  friend class TcpConnection;

  void accept();
  void closed(TcpConnection* connection);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;  // after an accept error such as EMFILE
  Responder& responder_;
  const Clock& clock_;
  TcpSettings settings_;
  std::atomic<std::size_t>& open_connections_;
  // This worker's open connections; a connection leaves when it closes.
  std::unordered_map<TcpConnection*, std::shared_ptr<TcpConnection>> connections_;
  // Where the connections' replies are written before they are queued: one per worker, since
  // a reply is encoded and copied out in one go.
  std::array<std::uint8_t, Responder::kMaxTcpReply> scratch_{};
  Responder::Prepared prepared_;
};

}  // namespace resolver::server
