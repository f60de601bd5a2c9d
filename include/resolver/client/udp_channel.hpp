// UdpChannel: the client's one connected UDP socket to a server, for BatchResolver.
//
// Connected, so only the server's datagrams get in, and an ICMP error about the server (port
// unreachable, ...) comes back as a receive error. Sending never blocks: a full send buffer is
// reported and waited out by the caller. Replies are read in bursts: one wake-up drains what
// has arrived, then `after_burst` runs once, the moment for the caller to send more.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace resolver::client {

class UdpChannel {
 public:
  struct Handlers {
    std::function<void(std::span<const std::uint8_t> datagram)> on_datagram;
    // A receive error: about the server, not about any one query.
    std::function<void(const boost::system::error_code& error)> on_error;
    std::function<void()> after_burst;
  };

  UdpChannel(boost::asio::io_context& io, Handlers handlers);

  // Opens the socket, connected to `server`, with receive room for about `window` replies at
  // once, and starts reading. Throws boost::system::system_error when that fails.
  void open(const boost::asio::ip::udp::endpoint& server, std::size_t window);
  // False when the send buffer is full (nothing sent, `error` clear); any other failure is in
  // `error`.
  bool send(std::span<const std::uint8_t> datagram, boost::system::error_code& error);
  // Calls `ready` once the send buffer has room again (never after close()).
  void wait_writable(std::function<void()> ready);
  // Ends the reading and any wait; handlers are not called after this.
  void close();

 private:
  void receive();

  boost::asio::ip::udp::socket socket_;
  Handlers handlers_;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace resolver::client
