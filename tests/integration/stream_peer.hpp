// StreamPeer: the TCP side of a scripted peer. Serves DNS over TCP (two-byte length framing,
// RFC 1035 4.2.2) on a socket the caller bound, every connection at once on one thread, so a
// connection held open (a query left unanswered) never keeps the next one waiting.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace harness {

class StreamPeer {
 public:
  using Bytes = std::vector<std::uint8_t>;
  // The messages to send back for one message received (none: silence on that connection).
  using Respond = std::function<std::vector<Bytes>(const Bytes& message)>;

  // Listens on `fd`, a bound TCP socket, and closes it when destroyed.
  StreamPeer(int fd, Respond respond);
  ~StreamPeer();
  StreamPeer(const StreamPeer&) = delete;
  StreamPeer& operator=(const StreamPeer&) = delete;

 private:
  void run();

  int fd_ = -1;
  Respond respond_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace harness
