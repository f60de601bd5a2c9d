#include "stream_peer.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <span>
#include <stdexcept>

#include "resolver/exchange/framing.hpp"

namespace harness {
namespace {

using resolver::exchange::kLengthPrefixSize;

void send_framed(int fd, const StreamPeer::Bytes& message) {
  StreamPeer::Bytes framed(kLengthPrefixSize);
  if (!resolver::exchange::write_length_prefix(message.size(),
                                               std::span(framed).first<kLengthPrefixSize>())) {
    return;
  }
  framed.insert(framed.end(), message.begin(), message.end());
  std::size_t sent = 0;
  while (sent < framed.size()) {
    ssize_t n = send(fd, framed.data() + sent, framed.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the other end went away: nothing to answer any more
    sent += static_cast<std::size_t>(n);
  }
}

struct Connection {
  int fd = -1;
  StreamPeer::Bytes received;  // what has come in and is not a whole message yet
};

}  // namespace

StreamPeer::StreamPeer(int fd, Respond respond) : fd_(fd), respond_(std::move(respond)) {
  if (listen(fd_, 64) != 0) throw std::runtime_error("listen failed");
  thread_ = std::thread([this] { run(); });
}

StreamPeer::~StreamPeer() {
  stopping_ = true;
  thread_.join();
  close(fd_);
}

void StreamPeer::run() {
  std::vector<Connection> connections;
  std::uint8_t chunk[4096];
  while (!stopping_) {
    std::vector<pollfd> fds{{fd_, POLLIN, 0}};
    for (const auto& connection : connections) fds.push_back({connection.fd, POLLIN, 0});
    // A bounded wait, so that `stopping_` is seen.
    if (poll(fds.data(), fds.size(), 50) <= 0) continue;
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      auto& connection = connections[i - 1];
      ssize_t n = read(connection.fd, chunk, sizeof chunk);
      if (n <= 0) {
        close(connection.fd);
        connection.fd = -1;
        continue;
      }
      auto& received = connection.received;
      received.insert(received.end(), chunk, chunk + n);
      while (received.size() >= kLengthPrefixSize) {
        std::size_t size =
            resolver::exchange::read_length_prefix(std::span(received).first<kLengthPrefixSize>());
        if (received.size() < kLengthPrefixSize + size) break;
        auto begin = received.begin() + kLengthPrefixSize;
        Bytes message(begin, begin + static_cast<std::ptrdiff_t>(size));
        received.erase(received.begin(), begin + static_cast<std::ptrdiff_t>(size));
        for (const auto& reply : respond_(message)) send_framed(connection.fd, reply);
      }
    }
    std::erase_if(connections, [](const Connection& connection) { return connection.fd < 0; });
    if (fds[0].revents & POLLIN) {
      int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) connections.push_back({client, {}});
    }
  }
  for (const auto& connection : connections) close(connection.fd);
}

}  // namespace harness
