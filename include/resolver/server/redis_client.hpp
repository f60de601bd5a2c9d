// RedisClient: one worker's connection to Redis, for the shared cache (shared_cache.hpp).
//
// Commands are pipelined on one TCP connection on the worker's io_context and answered in
// order. hiredis (Debian's libhiredis-dev) writes the commands and reads the replies (RESP);
// the I/O is Asio's, so nothing here blocks and no second event loop runs beside the worker's.
//
// Redis must never delay or break answering, so:
// - a command is sent only while the connection is up and fewer than `max_pending` wait;
//   otherwise send() says no at once (the caller asks the parents instead);
// - a command not answered within `timeout` is given up (its callback gets Failed) while its
//   reply, when it comes, is read and thrown away;
// - a circuit breaker: a connection that fails (connect error or timeout, I/O error, a protocol
//   error, three commands in a row timing out) is closed, every waiting command fails, and no
//   connection is tried for `retry_after`, doubled after each failure up to `max_retry_after`
//   and reset once a connection is made. The next attempt is made by a timer, not by traffic.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "resolver/server/clock.hpp"
#include "resolver/server/metrics.hpp"

struct redisReader;

namespace resolver::server {

struct RedisSettings {
  boost::asio::ip::tcp::endpoint endpoint;
  std::chrono::milliseconds timeout{50};  // a command's wait; then the caller does without
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds retry_after{1000};  // the breaker's first pause after a failure
  std::chrono::milliseconds max_retry_after{30'000};
  std::size_t max_pending = 1000;  // commands sent and not yet answered
};

class RedisClient {
 public:
  struct Reply {
    enum class Kind { String, Nil, Status, Error, Failed };
    Kind kind = Kind::Failed;
    std::string text;  // the string, status or error; for Failed, why
  };
  using Done = std::function<void(Reply)>;
  static constexpr unsigned kTimeoutsToBreak = 3;

  // `counters` (optional): where timeouts and connection failures are counted, and `up` set.
  RedisClient(boost::asio::io_context& io, RedisSettings settings, const Clock& clock,
              SharedCacheCounters* counters = nullptr);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Connects in the background (unless the breaker is open); send() says no until it is up.
  void start();
  // Sends the command `arguments` (binary-safe). False when it is not sent; then `done` is not
  // called. Otherwise `done` (may be empty) runs once on the io_context's thread, never within
  // this call.
  bool send(std::span<const std::string_view> arguments, Done done);
  bool up() const { return state_ == State::Up; }

 private:
  enum class State { Down, Connecting, Up };
  struct Pending {
    Done done;
    TimePoint deadline;
    bool expired = false;  // given up; its reply is still to come
  };
  struct ReaderDeleter {
    void operator()(redisReader* reader) const;
  };

  void connect();
  void fail(std::string_view why);
  void read();
  void write();
  void deliver(Reply reply);
  void arm_timer();
  void on_timer();
  void set_up(bool up);

  boost::asio::io_context& io_;
  RedisSettings settings_;
  const Clock& clock_;
  SharedCacheCounters* counters_ = nullptr;
  boost::asio::ip::tcp::socket socket_;
  // The connect deadline, the oldest command's deadline, or the breaker's pause.
  boost::asio::steady_timer timer_;
  bool timer_armed_ = false;
  State state_ = State::Down;
  // Handlers of an earlier connection find it moved on and do nothing.
  std::uint64_t generation_ = 0;
  TimePoint retry_at_{};
  std::chrono::milliseconds backoff_;
  std::unique_ptr<redisReader, ReaderDeleter> reader_;
  std::deque<Pending> pending_;
  unsigned timeouts_in_a_row_ = 0;
  std::string out_;      // commands formatted, not yet written
  std::string writing_;  // the bytes of the write in progress
  bool writing_now_ = false;
  std::array<char, 16 * 1024> in_{};
};

}  // namespace resolver::server
