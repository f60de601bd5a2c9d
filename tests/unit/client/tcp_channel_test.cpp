// TcpChannel against an in-process TCP server on 127.0.0.1 that writes exactly the bytes each
// test scripts, however it likes to cut them.
#include "resolver/client/tcp_channel.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <thread>

namespace {

using namespace resolver::client;
using Bytes = std::vector<std::uint8_t>;

// Accepts connections one after the other and runs `script` on each (with its number, from
// 0), closing it afterwards; stops after `connections` of them.
class ScriptedTcpServer {
 public:
  using Script = std::function<void(int fd, int connection)>;

  ScriptedTcpServer(int connections, Script script) : script_(std::move(script)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(listen(listen_fd_, 4) == 0);
    socklen_t length = sizeof address;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this, connections] {
      for (int i = 0; i < connections; ++i) {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        script_(fd, i);
        close(fd);
      }
    });
  }
  ~ScriptedTcpServer() {
    shutdown(listen_fd_, SHUT_RDWR);  // ends an accept still waiting
    thread_.join();
    close(listen_fd_);
  }

  boost::asio::ip::tcp::endpoint endpoint() const {
    return {boost::asio::ip::make_address("127.0.0.1"), port_};
  }

 private:
  Script script_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// Reads one length-framed message from `fd`; empty at end of stream.
Bytes read_message(int fd) {
  auto read_exactly = [fd](std::size_t size) {
    Bytes out(size);
    std::size_t have = 0;
    while (have < size) {
      ssize_t n = recv(fd, out.data() + have, size - have, 0);
      if (n <= 0) return Bytes{};
      have += static_cast<std::size_t>(n);
    }
    return out;
  };
  Bytes prefix = read_exactly(2);
  if (prefix.empty()) return {};
  return read_exactly(std::size_t{prefix[0]} << 8 | prefix[1]);
}

void write_all(int fd, const Bytes& bytes) {
  send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

Bytes framed(const Bytes& message) {
  // Sized up front: g++ 12 at -O2 misreads an insert after a two-element initialiser as an
  // overflow (-Warray-bounds).
  Bytes out(message.size() + 2);
  out[0] = static_cast<std::uint8_t>(message.size() >> 8);
  out[1] = static_cast<std::uint8_t>(message.size() & 0xFF);
  std::copy(message.begin(), message.end(), out.begin() + 2);
  return out;
}

// A message of `size` bytes (at least a DNS header's 12) filled with `fill`.
Bytes message_of(std::size_t size, std::uint8_t fill) {
  return Bytes(size, fill);
}

}  // namespace

TEST_CASE("a TCP channel hands on whole messages however the stream was cut", "[client]") {
  Bytes first = message_of(40, 'a');
  Bytes second = message_of(12, 'b');
  Bytes third = message_of(3000, 'c');
  Bytes query = message_of(20, 'q');
  std::atomic<bool> query_seen{false};
  ScriptedTcpServer server(1, [&](int fd, int) {
    query_seen = read_message(fd) == query;
    // The first message byte by byte, the other two in one write.
    for (auto byte : framed(first)) write_all(fd, Bytes{byte});
    Bytes both = framed(second);
    Bytes rest = framed(third);
    both.insert(both.end(), rest.begin(), rest.end());
    write_all(fd, both);
    read_message(fd);  // until the client is done and closes
  });
  boost::asio::io_context io;
  std::vector<Bytes> received;
  int closed = 0;
  TcpChannel* channel_pointer = nullptr;
  TcpChannel channel(io, server.endpoint(),
                     {[&](std::span<const std::uint8_t> message) {
                        received.emplace_back(message.begin(), message.end());
                        if (received.size() == 3) channel_pointer->close();
                      },
                      [&](const boost::system::error_code&) { ++closed; }});
  channel_pointer = &channel;
  REQUIRE(channel.send(query));
  io.run();
  CHECK(query_seen);
  REQUIRE(received.size() == 3);
  CHECK(received[0] == first);
  CHECK(received[1] == second);
  CHECK(received[2] == third);
  CHECK(closed == 0);  // close() by the caller is not reported
  CHECK_FALSE(channel.is_open());
}

TEST_CASE("when the server closes a TCP channel's connection it says so once and reconnects",
          "[client]") {
  ScriptedTcpServer server(2, [](int fd, int connection) {
    Bytes query = read_message(fd);
    if (connection == 1) write_all(fd, framed(query));  // the second answers (an echo)
  });
  boost::asio::io_context io;
  std::vector<boost::system::error_code> closes;
  std::vector<Bytes> received;
  Bytes query = message_of(16, 'x');
  TcpChannel* channel_pointer = nullptr;
  TcpChannel channel(io, server.endpoint(),
                     {[&](std::span<const std::uint8_t> message) {
                        received.emplace_back(message.begin(), message.end());
                        channel_pointer->close();
                      },
                      [&](const boost::system::error_code& error) {
                        closes.push_back(error);
                        channel_pointer->send(query);  // what was lost, on a new connection
                      }});
  channel_pointer = &channel;
  channel.send(query);
  io.run();
  REQUIRE(closes.size() == 1);
  CHECK(closes[0] == boost::asio::error::eof);
  CHECK(describe_close(closes[0]) == "connection closed by the server");
  REQUIRE(received.size() == 1);
  CHECK(received[0] == query);
}

TEST_CASE("a length shorter than a DNS header ends a TCP channel's connection", "[client]") {
  ScriptedTcpServer server(1, [](int fd, int) {
    read_message(fd);
    write_all(fd, framed(Bytes{'h', 'e', 'l', 'l', 'o'}));
    read_message(fd);
  });
  boost::asio::io_context io;
  std::vector<boost::system::error_code> closes;
  int messages = 0;
  TcpChannel channel(io, server.endpoint(),
                     {[&](std::span<const std::uint8_t>) { ++messages; },
                      [&](const boost::system::error_code& error) { closes.push_back(error); }});
  channel.send(message_of(12, 'q'));
  io.run();
  CHECK(messages == 0);
  REQUIRE(closes.size() == 1);
  CHECK(describe_close(closes[0]) == "the server sent something that is not DNS");
  CHECK_FALSE(channel.is_open());
}

TEST_CASE("a TCP channel to a closed port reports the refusal", "[client]") {
  boost::asio::ip::tcp::endpoint closed_port;
  {
    closed_port = ScriptedTcpServer(0, [](int, int) {}).endpoint();
  }
  boost::asio::io_context io;
  std::vector<boost::system::error_code> closes;
  TcpChannel channel(io, closed_port,
                     {[](std::span<const std::uint8_t>) {},
                      [&](const boost::system::error_code& error) { closes.push_back(error); }});
  channel.send(message_of(12, 'q'));
  io.run();
  REQUIRE(closes.size() == 1);
  CHECK(closes[0] == boost::asio::error::connection_refused);
  CHECK(describe_close(closes[0]) == closes[0].message());
}

TEST_CASE("a message too long for two length bytes is refused by a TCP channel", "[client]") {
  boost::asio::io_context io;
  TcpChannel channel(io, {boost::asio::ip::make_address("127.0.0.1"), 9},
                     {[](std::span<const std::uint8_t>) {}, [](const auto&) {}});
  CHECK_FALSE(channel.send(Bytes(65536, 0)));
  CHECK_FALSE(channel.is_open());  // nothing to send, so no connection either
}
