#include "resolver/client/tcp_channel.hpp"

#include <array>
#include <boost/asio/error.hpp>
#include <boost/asio/write.hpp>
#include <utility>

#include "resolver/exchange/framing.hpp"

namespace resolver::client {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Appends `message` to `out` behind its length; false (nothing appended) when too long.
bool append_frame(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> message) {
  std::array<std::uint8_t, exchange::kLengthPrefixSize> prefix{};
  if (!exchange::write_length_prefix(message.size(), prefix)) return false;
  out.insert(out.end(), prefix.begin(), prefix.end());
  out.insert(out.end(), message.begin(), message.end());
  return true;
}

}  // namespace

std::string describe_close(const boost::system::error_code& error) {
  if (error == asio::error::eof) return "connection closed by the server";
  if (error == boost::system::errc::bad_message) return "the server sent something that is not DNS";
  return error.message();
}

TcpChannel::TcpChannel(asio::io_context& io, tcp::endpoint server, Handlers handlers)
    : server_(std::move(server)), handlers_(std::move(handlers)), socket_(io) {}

TcpChannel::~TcpChannel() {
  close();
}

bool TcpChannel::send(std::span<const std::uint8_t> message) {
  if (!append_frame(queued_, message)) return false;
  if (state_ == State::Closed) {
    connect();
  } else {
    write_queued();
  }
  return true;
}

void TcpChannel::close() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  ++connection_;  // the ended connection's completions find themselves stale
  boost::system::error_code ignored;
  socket_.close(ignored);
  queued_.clear();
  writing_active_ = false;
  frames_ = std::make_shared<dns::StreamFramer>();  // a part-read message is nothing now
}

void TcpChannel::connect() {
  state_ = State::Connecting;
  std::uint64_t connection = ++connection_;
  socket_.async_connect(server_, [this, alive = std::weak_ptr<bool>(alive_),
                                  connection](const boost::system::error_code& error) {
    if (alive.expired() || connection != connection_) return;
    on_connected(error);
  });
}

void TcpChannel::on_connected(const boost::system::error_code& error) {
  if (error) return end(error);
  state_ = State::Open;
  boost::system::error_code ignored;
  // Queries leave as soon as they are queued: waiting to fill a segment (Nagle) would add a
  // delayed-ACK round trip to a window that is not full.
  socket_.set_option(tcp::no_delay(true), ignored);
  read();
  write_queued();
}

void TcpChannel::write_queued() {
  if (state_ != State::Open || writing_active_ || queued_.empty()) return;
  // Everything queued while the last write was out goes in one write: a window of pipelined
  // queries costs one system call, not one each.
  auto writing = std::make_shared<std::vector<std::uint8_t>>(std::exchange(queued_, {}));
  writing_active_ = true;
  asio::async_write(socket_, asio::buffer(*writing),
                    [this, writing, alive = std::weak_ptr<bool>(alive_), connection = connection_](
                        const boost::system::error_code& error, std::size_t) {
                      if (alive.expired() || connection != connection_) return;
                      writing_active_ = false;
                      if (error) return end(error);
                      write_queued();
                    });
}

void TcpChannel::read() {
  auto space = frames_->free_space();
  socket_.async_read_some(
      asio::buffer(space.data(), space.size()),
      [this, frames = frames_, alive = std::weak_ptr<bool>(alive_), connection = connection_](
          const boost::system::error_code& error, std::size_t size) {
        if (alive.expired() || connection != connection_) return;
        if (error) return end(error);
        frames->commit(size);
        std::span<const std::uint8_t> message;
        for (;;) {
          auto status = frames->next(message);
          if (status == dns::StreamFramer::Status::NeedMore) break;
          if (status == dns::StreamFramer::Status::Garbage) {
            return end(boost::system::errc::make_error_code(boost::system::errc::bad_message));
          }
          handlers_.on_message(message);
          // The handler may have closed the channel (the batch is done); the rest is moot.
          if (connection != connection_) return;
        }
        read();
      });
}

void TcpChannel::end(const boost::system::error_code& error) {
  close();
  handlers_.on_closed(error);
}

}  // namespace resolver::client
