#include "tcp_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace harness {

TcpClient::TcpClient(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error("connecting to 127.0.0.1:" + std::to_string(port) + ": " + why);
  }
}

TcpClient::~TcpClient() {
  if (fd_ >= 0) ::close(fd_);
}

void TcpClient::send(const std::vector<Bytes>& messages) {
  Bytes framed;
  for (const auto& message : messages) {
    framed.push_back(static_cast<std::uint8_t>(message.size() >> 8));
    framed.push_back(static_cast<std::uint8_t>(message.size() & 0xff));
    framed.insert(framed.end(), message.begin(), message.end());
  }
  send_raw(framed);
}

void TcpClient::send_raw(const Bytes& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    }
    sent += static_cast<std::size_t>(n);
  }
}

bool TcpClient::wait_readable(std::chrono::steady_clock::time_point deadline) const {
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd ready{fd_, POLLIN, 0};
    int polled = ::poll(&ready, 1, static_cast<int>(left.count()));
    if (polled < 0 && errno == EINTR) continue;
    return polled > 0;
  }
}

bool TcpClient::read_exactly(std::uint8_t* data, std::size_t size,
                             std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t have = 0;
  while (have < size) {
    if (!wait_readable(deadline)) return false;
    auto n = ::recv(fd_, data + have, size - have, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    have += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<TcpClient::Bytes> TcpClient::receive(std::chrono::milliseconds timeout) {
  std::uint8_t length[2];
  if (!read_exactly(length, 2, timeout)) return std::nullopt;
  Bytes message(std::size_t{length[0]} << 8 | length[1]);
  if (!read_exactly(message.data(), message.size(), timeout)) return std::nullopt;
  return message;
}

bool TcpClient::closed_by_server(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::uint8_t buffer[4096];
  while (true) {
    if (!wait_readable(deadline)) return false;
    auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
  }
}

}  // namespace harness
