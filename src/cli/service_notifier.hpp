// ServiceNotifier: the systemd notify protocol (sd_notify(3)), without libsystemd.
//
// A service started with Type=notify finds the socket of its supervisor in $NOTIFY_SOCKET (a
// path, or an abstract name written with a leading '@') and sends it one datagram per message,
// lines of KEY=VALUE: READY=1 when it serves, RELOADING=1 and READY=1 around a reload,
// STOPPING=1 on the way out, WATCHDOG=1 to prove it is alive. Without $NOTIFY_SOCKET every call
// does nothing, so the server behaves the same outside systemd.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace resolver::cli {

class ServiceNotifier {
 public:
  // Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID. A bad value is logged and leaves
  // the notifier (or its watchdog) off: a supervisor we cannot reach must not stop the server.
  ServiceNotifier();
  ~ServiceNotifier();
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  bool active() const { return fd_ >= 0; }

  // READY=1 with STATUS=status and MAINPID: at start, and again after each reload.
  void ready(std::string_view status);
  // RELOADING=1 with the CLOCK_MONOTONIC time (systemd 253+ wants it to tell reloads apart).
  void reloading(std::string_view status);
  void stopping(std::string_view status);
  void watchdog();

  // How often to send WATCHDOG=1 (half the supervisor's timeout), when it asks for it.
  std::optional<std::chrono::microseconds> watchdog_period() const { return watchdog_period_; }

 private:
  void send(const std::string& message);

  int fd_ = -1;
  sockaddr_un address_{};
  socklen_t address_length_ = 0;
  std::optional<std::chrono::microseconds> watchdog_period_;
  std::atomic<bool> send_failure_logged_{false};
};

// Sends WATCHDOG=1 every watchdog_period() on `io` (the control thread's: if it stalls, the
// supervisor notices). Does nothing when the supervisor asked for no watchdog.
class WatchdogPing {
 public:
  WatchdogPing(boost::asio::io_context& io, ServiceNotifier& notifier);

 private:
  void schedule();

  ServiceNotifier& notifier_;
  boost::asio::steady_timer timer_;
  std::chrono::microseconds period_{};
};

}  // namespace resolver::cli
