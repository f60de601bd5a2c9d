// TcpChannel: DNS messages to one server over one TCP connection (RFC 7766), for the client's
// BatchResolver.
//
// The channel moves messages, nothing more (the two-byte length framing is
// exchange/framing.hpp's going out and dns::StreamFramer's coming in): which reply answers which
// query is the batch's business (by ID and question, through exchange::match_reply), so queries may
// be pipelined and their replies come back in any order (RFC 7766 6.2.1.1). It connects on the
// first send, writes whatever was queued meanwhile in one go, and after the connection ends
// connects again on the next send. When a connection ends (the server closed it, an error, a
// length no DNS message has, or it could not be made), every message written to it and not yet
// answered is lost with it: on_closed says so once, and the caller decides what to send again.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "resolver/dns/stream_framer.hpp"

namespace resolver::client {

// Why a connection ended, for people: "connection closed by the server" for end of file, "the
// server sent something that is not DNS" for a bad length (errc::bad_message), else the
// error's own message.
std::string describe_close(const boost::system::error_code& error);

class TcpChannel {
 public:
  struct Handlers {
    // One reply, in the order the server sent them.
    std::function<void(std::span<const std::uint8_t> message)> on_message;
    // The connection ended or could not be made; messages sent on it are lost. `error` is
    // asio::error::eof when the server closed it cleanly, errc::bad_message when it sent a
    // length shorter than a DNS header (nothing after that can be framed).
    std::function<void(const boost::system::error_code& error)> on_closed;
  };

  TcpChannel(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint server, Handlers handlers);
  ~TcpChannel();
  TcpChannel(const TcpChannel&) = delete;
  TcpChannel& operator=(const TcpChannel&) = delete;

  // Queues one message, connecting first when there is no connection. False when the message
  // is too long to frame (nothing is queued).
  bool send(std::span<const std::uint8_t> message);
  // Ends the connection without calling on_closed (the caller is done with it).
  void close();
  bool is_open() const { return state_ != State::Closed; }

 private:
  enum class State { Closed, Connecting, Open };

  void connect();
  void on_connected(const boost::system::error_code& error);
  void write_queued();
  void read();
  void end(const boost::system::error_code& error);

  boost::asio::ip::tcp::endpoint server_;
  Handlers handlers_;
  boost::asio::ip::tcp::socket socket_;
  State state_ = State::Closed;
  // Changes on every connect and close. Completion handlers carry the value they started
  // with and a weak `alive_`: from an ended connection or a destroyed channel they return
  // without touching anything.
  std::uint64_t connection_ = 0;
  std::vector<std::uint8_t> queued_;  // framed messages not yet handed to the socket
  bool writing_active_ = false;
  // Shared with the read in progress, which may complete (aborted) after the connection or the
  // channel is gone: Asio needs its buffer until then. The write's buffer is held the same way.
  std::shared_ptr<dns::StreamFramer> frames_ = std::make_shared<dns::StreamFramer>();
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace resolver::client
