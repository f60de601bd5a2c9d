// The systemd notify protocol: the real server, started as systemd starts a Type=notify service
// (NOTIFY_SOCKET in its environment), tells a socket of ours when it is ready, reloading and
// stopping, one datagram a message.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "harness.hpp"

using namespace harness;

namespace {

// The supervisor's end: an AF_UNIX datagram socket bound to a path, or to an abstract name
// when `name` starts with '@' (as NOTIFY_SOCKET writes it).
class NotifySocket {
 public:
  explicit NotifySocket(std::string name) : name_(std::move(name)) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket(AF_UNIX): " + std::string(strerror(errno)));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (name_.size() >= sizeof(address.sun_path)) throw std::runtime_error("name too long");
    std::memcpy(address.sun_path, name_.data(), name_.size());
    if (name_.front() == '@') address.sun_path[0] = '\0';
    auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size() +
                                         (name_.front() == '@' ? 0 : 1));
    if (bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
      throw std::runtime_error("bind " + name_ + ": " + strerror(errno));
    }
  }
  ~NotifySocket() {
    close(fd_);
    if (name_.front() == '/') unlink(name_.c_str());
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& name() const { return name_; }

  // The next message, or "" when none came within `timeout`.
  std::string receive(std::chrono::milliseconds timeout = 10s) {
    pollfd ready{fd_, POLLIN, 0};
    if (poll(&ready, 1, static_cast<int>(timeout.count())) != 1) return "";
    char buffer[4096];
    auto size = recv(fd_, buffer, sizeof(buffer), 0);
    return size > 0 ? std::string(buffer, static_cast<std::size_t>(size)) : "";
  }

  // Messages up to and including the first that holds `line` (e.g. "READY=1"); the last one is
  // "" when it never came.
  std::vector<std::string> receive_until(const std::string& line) {
    std::vector<std::string> messages;
    for (;;) {
      messages.push_back(receive());
      if (messages.back().empty() || has_line(messages.back(), line)) return messages;
    }
  }

  static bool has_line(const std::string& message, const std::string& line) {
    return ("\n" + message + "\n").find("\n" + line + "\n") != std::string::npos;
  }
  static bool has_prefix_line(const std::string& message, const std::string& prefix) {
    return ("\n" + message).find("\n" + prefix) != std::string::npos;
  }

 private:
  std::string name_;
  int fd_ = -1;
};

std::string unique(const std::string& stem) {
  static std::atomic<int> counter{0};
  return stem + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

// `resolver server PORT -1 -1 RECORDS extra...` with NOTIFY_SOCKET (and `environment`) set.
std::vector<std::string> notified_server(const std::string& notify_socket,
                                         const std::string& records,
                                         const std::vector<std::string>& environment = {},
                                         const std::vector<std::string>& extra = {},
                                         std::uint16_t port = 0) {
  std::vector<std::string> argv{"env", "NOTIFY_SOCKET=" + notify_socket};
  argv.insert(argv.end(), environment.begin(), environment.end());
  argv.insert(argv.end(), {binary(), "server", std::to_string(port), "-1", "-1", records});
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

void replace_file(const std::string& path, const std::string& content) {
  std::ofstream(path + ".new") << content;
  std::rename((path + ".new").c_str(), path.c_str());
}

// READY=1 at start, RELOADING=1 then READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM.
void check_life_cycle(NotifySocket& notify) {
  auto records = write_temp_file(unique("notify") + ".txt", "one.example,192.0.2.1,60\n");
  Process server(notified_server(notify.name(), records));

  auto ready = notify.receive();
  CHECK(NotifySocket::has_line(ready, "READY=1"));
  CHECK(NotifySocket::has_line(ready, "MAINPID=" + std::to_string(server.pid())));
  CHECK(NotifySocket::has_prefix_line(ready, "STATUS=serving 1 records for 1 names on "));

  replace_file(records, "one.example,192.0.2.1,60\ntwo.example,192.0.2.2,60\n");
  kill(server.pid(), SIGHUP);
  auto reloading = notify.receive();
  CHECK(NotifySocket::has_line(reloading, "RELOADING=1"));
  CHECK(NotifySocket::has_prefix_line(reloading, "MONOTONIC_USEC="));
  CHECK(NotifySocket::has_line(reloading, "STATUS=reloading " + records));
  auto reloaded = notify.receive();
  CHECK(NotifySocket::has_line(reloaded, "READY=1"));
  CHECK(NotifySocket::has_prefix_line(reloaded,
                                      "STATUS=reloaded " + records + ": 2 records for 2 names"));

  // stop() signals once and waits: the message stays queued in our socket.
  CHECK(server.stop(SIGTERM) == 0);
  auto stopping = notify.receive();
  CHECK(NotifySocket::has_line(stopping, "STOPPING=1"));
  CHECK(NotifySocket::has_line(stopping, "STATUS=shutting down on signal 15"));
}

}  // namespace

TEST_CASE("the server tells a NOTIFY_SOCKET path when it is ready, reloading and stopping",
          "[systemd]") {
  NotifySocket notify(temp_dir() + "/" + unique("notify") + ".sock");
  check_life_cycle(notify);
}

TEST_CASE("the server tells an abstract NOTIFY_SOCKET (@name) the same", "[systemd]") {
  NotifySocket notify("@" + unique("resolver-notify-test"));
  check_life_cycle(notify);
}

TEST_CASE("a refused reload is followed by READY=1 with a status that says so", "[systemd]") {
  NotifySocket notify(temp_dir() + "/" + unique("notify") + ".sock");
  auto records = write_temp_file(unique("refused") + ".txt", "kept.example,192.0.2.1,60\n");
  Process server(notified_server(notify.name(), records));
  REQUIRE(NotifySocket::has_line(notify.receive(), "READY=1"));

  replace_file(records, "broken..example,192.0.2.3,60\n");
  kill(server.pid(), SIGHUP);
  CHECK(NotifySocket::has_line(notify.receive(), "RELOADING=1"));
  auto after = notify.receive();
  CHECK(NotifySocket::has_line(after, "READY=1"));
  CHECK(NotifySocket::has_line(after, "STATUS=" + records +
                                          ": reload refused, 1 problem(s); the previous "
                                          "records stay in service"));
}

TEST_CASE("a --watch reload is announced with RELOADING=1 and READY=1", "[systemd]") {
  NotifySocket notify(temp_dir() + "/" + unique("notify") + ".sock");
  auto records = write_temp_file(unique("watched") + ".txt", "before.example,192.0.2.1,60\n");
  Process server(notified_server(notify.name(), records, {}, {"--watch"}));
  REQUIRE(NotifySocket::has_line(notify.receive(), "READY=1"));

  replace_file(records, "after.example,192.0.2.2,60\nafter.example,192.0.2.3,60\n");
  CHECK(NotifySocket::has_line(notify.receive(), "RELOADING=1"));
  auto after = notify.receive();
  CHECK(NotifySocket::has_line(after, "READY=1"));
  CHECK(NotifySocket::has_prefix_line(after, "STATUS=reloaded " + records + ": 2 records"));
}

TEST_CASE("with WATCHDOG_USEC the server pings at half the interval", "[systemd]") {
  NotifySocket notify(temp_dir() + "/" + unique("notify") + ".sock");
  auto records = write_temp_file(unique("watchdog") + ".txt", "one.example,192.0.2.1,60\n");
  // 100 ms: pings every 50 ms, so three arrive well within receive()'s timeout each.
  Process server(notified_server(notify.name(), records, {"WATCHDOG_USEC=100000"}));
  REQUIRE(NotifySocket::has_line(notify.receive(), "READY=1"));
  for (int ping = 0; ping < 3; ++ping) CHECK(notify.receive(2s) == "WATCHDOG=1");
}

TEST_CASE("WATCHDOG_USEC meant for another process (WATCHDOG_PID) is left alone", "[systemd]") {
  NotifySocket notify(temp_dir() + "/" + unique("notify") + ".sock");
  auto records = write_temp_file(unique("other-pid") + ".txt", "one.example,192.0.2.1,60\n");
  // PID 1 is never the server. Were the watchdog on, its first ping would go right after
  // READY=1, before the control thread could even see the SIGTERM.
  Process server(notified_server(notify.name(), records, {"WATCHDOG_USEC=2", "WATCHDOG_PID=1"}));
  REQUIRE(NotifySocket::has_line(notify.receive(), "READY=1"));
  REQUIRE(server.stop(SIGTERM) == 0);
  auto messages = notify.receive_until("STOPPING=1");
  REQUIRE(NotifySocket::has_line(messages.back(), "STOPPING=1"));
  CHECK(messages.size() == 1);
}

TEST_CASE("a NOTIFY_SOCKET nobody listens on is logged once and the server serves on",
          "[systemd]") {
  auto records = write_temp_file(unique("unheard") + ".txt", "one.example,192.0.2.1,60\n");
  auto port = free_udp_port();
  Process server(notified_server(temp_dir() + "/nobody-listens.sock", records, {}, {}, port));
  REQUIRE(server.wait_for_log("listening on"));
  kill(server.pid(), SIGHUP);  // two more messages that cannot be sent
  REQUIRE(server.wait_for_log("reloaded "));
  CHECK(text_query(port, "one.example") == "one.example,192.0.2.1,60");
  auto log = server.log();
  std::string failure = "NOTIFY_SOCKET: cannot tell systemd";
  auto first = log.find(failure + " 'READY=1'");
  CHECK(first != std::string::npos);
  CHECK(log.find(failure, first + failure.size()) == std::string::npos);
  CHECK(server.stop() == 0);
}
