#include "service_notifier.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace resolver::cli {
namespace {

// The value of an environment variable as a whole unsigned number; nullopt when unset or not
// a number.
std::optional<unsigned long long> number_from_environment(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr) return std::nullopt;
  std::string_view view(text);
  unsigned long long value = 0;
  auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), value);
  if (error != std::errc() || end != view.data() + view.size() || view.empty()) {
    return std::nullopt;
  }
  return value;
}

std::string monotonic_microseconds() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  auto microseconds = static_cast<unsigned long long>(now.tv_sec) * 1000000ULL +
                      static_cast<unsigned long long>(now.tv_nsec) / 1000ULL;
  return std::to_string(microseconds);
}

// One line of a message: a STATUS= value holds no newline, or it would start a new field.
std::string one_line(std::string_view text) {
  std::string line(text);
  for (auto& c : line) {
    if (c == '\n') c = ' ';
  }
  return line;
}

}  // namespace

ServiceNotifier::ServiceNotifier() {
  const char* socket_name = std::getenv("NOTIFY_SOCKET");
  if (socket_name == nullptr || *socket_name == '\0') return;
  std::string_view name(socket_name);
  if (name.front() != '/' && name.front() != '@') {
    spdlog::error(
        "NOTIFY_SOCKET={}: not a socket path or an '@' abstract name; systemd will "
        "not be told of the state",
        name);
    return;
  }
  // sun_path holds a path with its NUL; an abstract name (its '@' a NUL) needs none.
  if (name.size() + (name.front() == '/' ? 1 : 0) > sizeof(address_.sun_path)) {
    spdlog::error("NOTIFY_SOCKET={}: longer than a socket address can hold", name);
    return;
  }
  address_.sun_family = AF_UNIX;
  std::memcpy(address_.sun_path, name.data(), name.size());
  if (name.front() == '@') address_.sun_path[0] = '\0';
  address_length_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    spdlog::error("NOTIFY_SOCKET={}: cannot open a socket: {}", name, std::strerror(errno));
    return;
  }

  auto usec = number_from_environment("WATCHDOG_USEC");
  auto pid = number_from_environment("WATCHDOG_PID");
  bool for_us = !pid || *pid == static_cast<unsigned long long>(getpid());
  if (usec && *usec >= 2 && for_us) {
    watchdog_period_ = std::chrono::microseconds(*usec / 2);
  } else if (std::getenv("WATCHDOG_USEC") != nullptr && for_us) {
    spdlog::error("WATCHDOG_USEC={}: not a number of microseconds; no watchdog pings",
                  std::getenv("WATCHDOG_USEC"));
  }
}

ServiceNotifier::~ServiceNotifier() {
  if (fd_ >= 0) close(fd_);
}

void ServiceNotifier::ready(std::string_view status) {
  send("READY=1\nSTATUS=" + one_line(status) + "\nMAINPID=" + std::to_string(getpid()));
}

void ServiceNotifier::reloading(std::string_view status) {
  send("RELOADING=1\nMONOTONIC_USEC=" + monotonic_microseconds() + "\nSTATUS=" + one_line(status));
}

void ServiceNotifier::stopping(std::string_view status) {
  send("STOPPING=1\nSTATUS=" + one_line(status));
}

void ServiceNotifier::watchdog() {
  send("WATCHDOG=1");
}

void ServiceNotifier::send(const std::string& message) {
  if (fd_ < 0) return;
  auto sent = sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL,
                     reinterpret_cast<const sockaddr*>(&address_), address_length_);
  if (sent == static_cast<ssize_t>(message.size())) return;
  // Once: a supervisor that went away would otherwise fill the log at every watchdog ping.
  if (!send_failure_logged_.exchange(true)) {
    spdlog::error("NOTIFY_SOCKET: cannot tell systemd '{}': {} (further failures not logged)",
                  message.substr(0, message.find('\n')),
                  sent < 0 ? std::strerror(errno) : "message cut short");
  }
}

WatchdogPing::WatchdogPing(boost::asio::io_context& io, ServiceNotifier& notifier)
    : notifier_(notifier), timer_(io) {
  if (!notifier.active() || !notifier.watchdog_period()) return;
  period_ = *notifier.watchdog_period();
  notifier_.watchdog();
  schedule();
}

void WatchdogPing::schedule() {
  timer_.expires_after(period_);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    notifier_.watchdog();
    schedule();
  });
}

}  // namespace resolver::cli
