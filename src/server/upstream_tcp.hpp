// TcpExchange: one DNS query to one parent over a connection of its own (RFC 7766).
//
// Connects, writes the framed query, then reads framed messages and hands each to the caller,
// who either reads on (the message was not the reply) or closes. It has no timer: the attempt
// that started it bounds it and closes it when its time is up. A connection carries one query
// and is closed with it: no reuse, so nothing sent for one question can be read as another's
// reply and no idle connection is left open on a parent (reuse is optional for a client,
// RFC 7766 6.2.1). The cost, a handshake per query, is paid only for the answers too big for
// UDP, or by choice with --parent-protocol tcp.
#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "resolver/exchange/framing.hpp"

namespace resolver::server {

class TcpExchange : public std::enable_shared_from_this<TcpExchange> {
 public:
  // A message read (with no error), or the error that ended the exchange: refused, reset, or the
  // connection closed before a whole message. After a message nothing happens until read_next()
  // or close(); after an error, nothing at all. The span is valid during the call only.
  using Handler = std::function<void(const boost::system::error_code& error,
                                     std::span<const std::uint8_t> message)>;

  TcpExchange(const boost::asio::any_io_executor& executor, Handler handler);

  // Must be called once, on a TcpExchange owned by a shared_ptr.
  void start(const boost::asio::ip::tcp::endpoint& parent,
             std::span<const std::uint8_t> framed_query);
  void read_next();
  // Ends the exchange at any point; the handler is never called again, so it may also be called
  // from within the handler.
  void close();

 private:
  void report(const boost::system::error_code& error);

  boost::asio::ip::tcp::socket socket_;
  Handler handler_;
  bool closed_ = false;
  std::vector<std::uint8_t> request_;
  std::array<std::uint8_t, exchange::kLengthPrefixSize> prefix_{};
  std::vector<std::uint8_t> message_;
};

}  // namespace resolver::server
