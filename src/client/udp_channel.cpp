#include "resolver/client/udp_channel.hpp"

#include <algorithm>
#include <utility>

namespace resolver::client {

namespace asio = boost::asio;
using asio::ip::udp;

UdpChannel::UdpChannel(asio::io_context& io, Handlers handlers)
    : socket_(io), handlers_(std::move(handlers)), buffer_(65536) {}

void UdpChannel::open(const udp::endpoint& server, std::size_t window) {
  socket_.open(server.protocol());
  boost::system::error_code ignored;
  // Best effort: room for a full window of replies arriving at once.
  socket_.set_option(asio::socket_base::receive_buffer_size(
                         static_cast<int>(std::min<std::size_t>(window * 2048, 8 << 20))),
                     ignored);
  socket_.connect(server);
  socket_.non_blocking(true);
  receive();
}

bool UdpChannel::send(std::span<const std::uint8_t> datagram, boost::system::error_code& error) {
  socket_.send(asio::buffer(datagram.data(), datagram.size()), 0, error);
  if (error != asio::error::would_block) return true;
  error.clear();
  return false;
}

void UdpChannel::wait_writable(std::function<void()> ready) {
  socket_.async_wait(udp::socket::wait_write,
                     [this, ready = std::move(ready)](const boost::system::error_code& error) {
                       if (error) return;  // first: after an abort `this` may be gone
                       if (socket_.is_open()) ready();
                     });
}

void UdpChannel::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

// Waits for the socket to be readable, then drains it without blocking: one wake-up for a
// burst of replies instead of one per reply.
void UdpChannel::receive() {
  socket_.async_wait(udp::socket::wait_read, [this](const boost::system::error_code& error) {
    if (error || !socket_.is_open()) return;  // first: after an abort `this` may be gone
    for (int budget = 256; budget > 0 && socket_.is_open(); --budget) {
      boost::system::error_code receive_error;
      std::size_t size = socket_.receive(asio::buffer(buffer_), 0, receive_error);
      if (receive_error == asio::error::would_block) break;
      if (receive_error) {
        handlers_.on_error(receive_error);
        break;
      }
      handlers_.on_datagram(std::span<const std::uint8_t>(buffer_.data(), size));
    }
    if (!socket_.is_open()) return;
    handlers_.after_burst();
    if (socket_.is_open()) receive();
  });
}

}  // namespace resolver::client
