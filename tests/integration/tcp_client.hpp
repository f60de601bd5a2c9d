// TcpClient: a raw DNS-over-TCP client for the tests that need what dig cannot do: many
// queries written at once, idle or half-sent connections, garbage lengths.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace harness {

class TcpClient {
 public:
  using Bytes = std::vector<std::uint8_t>;

  // Connects to 127.0.0.1:port; throws std::runtime_error (failing the test) when it cannot.
  explicit TcpClient(std::uint16_t port);
  ~TcpClient();
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  // Writes `messages`, each with its two-byte length, in one write.
  void send(const std::vector<Bytes>& messages);
  // Writes raw bytes, framing or not.
  void send_raw(const Bytes& bytes);
  // The next whole message, or nullopt when the server closed or nothing came in `timeout`.
  std::optional<Bytes> receive(std::chrono::milliseconds timeout = std::chrono::seconds(3));
  // True once the server has closed the connection (end of file or reset) within `timeout`;
  // messages still arriving are skipped.
  bool closed_by_server(std::chrono::milliseconds timeout);

 private:
  // Waits until the socket has something to read (data, end of file or an error); false once
  // `deadline` has passed.
  bool wait_readable(std::chrono::steady_clock::time_point deadline) const;
  // Reads exactly `size` bytes; false on close, error or timeout.
  bool read_exactly(std::uint8_t* data, std::size_t size, std::chrono::milliseconds timeout);

  int fd_ = -1;
};

}  // namespace harness
