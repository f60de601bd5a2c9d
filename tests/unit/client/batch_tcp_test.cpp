// BatchResolver over TCP (--tcp, and the retry after a truncated UDP reply) against an
// in-process server on one 127.0.0.1 port, UDP and TCP, that answers as each test scripts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "batch_names.hpp"
#include "resolver/client/batch.hpp"
#include "resolver/dns/address.hpp"
#include "resolver/dns/query_parser.hpp"
#include "resolver/dns/response_builder.hpp"
#include "support/strings.hpp"

namespace {

using batch_test::address_for;
using batch_test::name_of;
using batch_test::numbered_names;
using batch_test::parsed;

using namespace resolver;
using namespace resolver::client;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

// What the server does with one query received over TCP: the replies to send (to this query
// or to earlier ones it held back), then possibly closing the connection.
struct TcpAction {
  std::vector<Bytes> replies;
  bool close = false;
};

// A DNS server on one loopback port over both UDP and TCP. TCP queries are read with their
// length framing undone, replies framed; `connection` counts from 0 in the order accepted.
class DualServer {
 public:
  using UdpRespond = std::function<std::vector<Bytes>(const Bytes& query)>;
  using TcpRespond = std::function<TcpAction(const Bytes& query, int connection)>;

  DualServer(UdpRespond udp, TcpRespond tcp)
      : udp_respond_(std::move(udp)), tcp_respond_(std::move(tcp)) {
    // A port free for both protocols: the kernel picks one for TCP, UDP takes the same.
    for (int tries = 0; tries < 20 && udp_fd_ < 0; ++tries) {
      if (listen_fd_ >= 0) close(listen_fd_);
      listen_fd_ = bound(SOCK_STREAM, 0);
      REQUIRE(listen(listen_fd_, 16) == 0);
      udp_fd_ = bound(SOCK_DGRAM, port_);
    }
    REQUIRE(udp_fd_ >= 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~DualServer() {
    stopping_ = true;
    thread_.join();
    for (auto& [fd, connection] : connections_) close(fd);
    close(listen_fd_);
    close(udp_fd_);
  }

  boost::asio::ip::udp::endpoint endpoint() const {
    return {boost::asio::ip::make_address("127.0.0.1"), port_};
  }
  int connections() const { return accepted_.load(); }
  int tcp_queries() const { return tcp_queries_.load(); }
  int udp_queries() const { return udp_queries_.load(); }

 private:
  struct Connection {
    int number = 0;
    Bytes buffer;
  };

  // A socket bound to 127.0.0.1:port (0: any free port, remembered in port_); -1 if taken.
  int bound(int type, std::uint16_t port) {
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      close(fd);
      return -1;
    }
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    return fd;
  }

  void serve() {
    Bytes buffer(65536);
    while (!stopping_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}, {udp_fd_, POLLIN, 0}};
      for (auto& [fd, connection] : connections_) fds.push_back({fd, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) connections_[fd] = {accepted_++, {}};
      }
      if (fds[1].revents & POLLIN) serve_datagram(buffer);
      for (std::size_t i = 2; i < fds.size(); ++i) {
        if (fds[i].revents != 0 && !serve_stream(fds[i].fd, buffer)) {
          close(fds[i].fd);
          connections_.erase(fds[i].fd);
        }
      }
    }
  }

  void serve_datagram(Bytes& buffer) {
    sockaddr_in client{};
    socklen_t length = sizeof client;
    ssize_t n = recvfrom(udp_fd_, buffer.data(), buffer.size(), 0,
                         reinterpret_cast<sockaddr*>(&client), &length);
    if (n < 0) return;
    ++udp_queries_;
    for (const auto& reply : udp_respond_(Bytes(buffer.begin(), buffer.begin() + n))) {
      sendto(udp_fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&client), length);
    }
  }

  // False when the connection is to be closed.
  bool serve_stream(int fd, Bytes& buffer) {
    ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) return false;
    Connection& connection = connections_[fd];
    connection.buffer.insert(connection.buffer.end(), buffer.begin(), buffer.begin() + n);
    auto& stream = connection.buffer;
    while (stream.size() >= 2 && stream.size() >= 2u + (stream[0] << 8 | stream[1])) {
      std::size_t length = stream[0] << 8 | stream[1];
      Bytes query(stream.begin() + 2, stream.begin() + 2 + static_cast<std::ptrdiff_t>(length));
      stream.erase(stream.begin(), stream.begin() + 2 + static_cast<std::ptrdiff_t>(length));
      ++tcp_queries_;
      TcpAction action = tcp_respond_(query, connection.number);
      for (const auto& reply : action.replies) {
        Bytes framed{static_cast<std::uint8_t>(reply.size() >> 8),
                     static_cast<std::uint8_t>(reply.size() & 0xFF)};
        framed.insert(framed.end(), reply.begin(), reply.end());
        send(fd, framed.data(), framed.size(), MSG_NOSIGNAL);
      }
      if (action.close) return false;
    }
    return true;
  }

  UdpRespond udp_respond_;
  TcpRespond tcp_respond_;
  int listen_fd_ = -1;
  int udp_fd_ = -1;
  std::uint16_t port_ = 0;
  std::map<int, Connection> connections_;  // by socket; only the server's thread touches it
  std::atomic<int> accepted_{0};
  std::atomic<int> tcp_queries_{0};
  std::atomic<int> udp_queries_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// A reply of any size (nothing cut to a UDP size), with TC as given.
Bytes wire_reply(const Bytes& query, const std::vector<std::string>& addresses,
                 bool truncated = false) {
  auto asked = parsed(query);
  dns::Header header;
  header.id = asked.header.id;
  header.qr = true;
  header.rd = asked.header.rd;
  header.ra = true;
  header.tc = truncated;
  header.qdcount = 1;
  header.ancount = static_cast<std::uint16_t>(addresses.size());
  Bytes out(65535);
  dns::WireWriter writer(out);
  header.write(writer);
  asked.question.write(writer);
  for (const auto& text : addresses) {
    auto address = dns::parse_address(text);
    dns::write_record(writer,
                      {asked.question.name, address->type, dns::RrClass::IN, 60, address->rdata},
                      &asked.question.name);
  }
  out.resize(writer.overflowed() ? 0 : writer.size());
  return out;
}

std::vector<std::string> many_addresses(int count) {
  std::vector<std::string> addresses;
  for (int i = 0; i < count; ++i) {
    addresses.push_back("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
  }
  return addresses;
}

// Catch2 assertions are for the test's thread only: the server counts what it sees instead,
// and the test checks the counts.
std::vector<Bytes> no_udp(const Bytes&) {
  return {};
}

TcpAction answer_by_name(const Bytes& query, int) {
  return {{wire_reply(query, {address_for(name_of(query))})}};
}

BatchSettings tcp_settings(const DualServer& server, std::size_t concurrency = 10) {
  BatchSettings settings;
  settings.lookup.server = server.endpoint();
  settings.lookup.timeout = 2s;
  settings.lookup.attempts = 2;
  settings.lookup.tcp = true;
  settings.concurrency = concurrency;
  return settings;
}

std::vector<BatchItem> run_batch(const BatchSettings& settings, std::vector<std::string> names) {
  boost::asio::io_context io;
  NameList source(std::move(names));
  std::vector<BatchItem> items;
  BatchCallbacks callbacks;
  callbacks.on_result = [&](const BatchItem& item) { items.push_back(item); };
  BatchResolver(io, settings).run(source, callbacks);
  return items;
}

}  // namespace

TEST_CASE("over TCP a window of queries is pipelined on one connection, replies in any order",
          "[client]") {
  std::mutex mutex;
  std::vector<Bytes> held;
  std::size_t most_held = 0;
  DualServer server(no_udp, [&](const Bytes& query, int) {
    std::lock_guard lock(mutex);
    held.push_back(query);
    most_held = std::max(most_held, held.size());
    TcpAction action;
    if (held.size() < 8) return action;  // the whole window is in flight before any reply
    for (auto it = held.rbegin(); it != held.rend(); ++it) {
      action.replies.push_back(wire_reply(*it, {address_for(name_of(*it))}));
    }
    held.clear();
    return action;
  });
  auto items = run_batch(tcp_settings(server, 8), numbered_names(24));
  REQUIRE(items.size() == 24);
  for (std::size_t i = 0; i < items.size(); ++i) {
    CHECK(items[i].index == i);
    REQUIRE(items[i].result.status == LookupStatus::Answered);
    CHECK(items[i].result.records.at(0).address == "192.0.2." + std::to_string(i));
  }
  CHECK(server.connections() == 1);
  CHECK(server.tcp_queries() == 24);
  CHECK(server.udp_queries() == 0);
  std::lock_guard lock(mutex);
  CHECK(most_held == 8);  // never more than the window
}

TEST_CASE("queries outstanding when the server closes the connection go out again on a new one",
          "[client]") {
  std::mutex mutex;
  int first_connection_queries = 0;
  DualServer server(no_udp, [&](const Bytes& query, int connection) {
    std::lock_guard lock(mutex);
    if (connection > 0) return answer_by_name(query, connection);
    // The first connection answers its first query, then closes with three outstanding.
    if (++first_connection_queries == 1) return answer_by_name(query, connection);
    return TcpAction{{}, first_connection_queries == 4};
  });
  auto settings = tcp_settings(server, 4);
  settings.lookup.attempts = 1;  // the resend is not a new attempt: the server made progress
  auto items = run_batch(settings, numbered_names(4));
  REQUIRE(items.size() == 4);
  for (std::size_t i = 0; i < items.size(); ++i) {
    REQUIRE(items[i].result.status == LookupStatus::Answered);
    CHECK(items[i].result.records.at(0).address == "192.0.2." + std::to_string(i));
  }
  CHECK(server.connections() == 2);
  CHECK(server.tcp_queries() == 4 + 3);
}

TEST_CASE("a server that closes every connection unanswered costs an attempt each time",
          "[client]") {
  DualServer server(no_udp, [](const Bytes&, int) { return TcpAction{{}, true}; });
  auto settings = tcp_settings(server, 3);
  settings.lookup.attempts = 2;
  auto items = run_batch(settings, numbered_names(3));
  REQUIRE(items.size() == 3);
  for (const auto& item : items) {
    CHECK(item.result.status == LookupStatus::Error);
    // A clean close, or a reset when queries were still unread as it closed.
    CHECK((item.result.detail == "connection closed by the server" ||
           test_support::contains(item.result.detail, "reset")));
  }
  CHECK(server.connections() == 2);  // the three queries fail together, twice
}

TEST_CASE("a refused TCP connection fails every name at once with the socket's error", "[client]") {
  std::uint16_t port = 0;
  {
    DualServer closed(no_udp, answer_by_name);
    port = closed.endpoint().port();
  }
  BatchSettings settings;
  settings.lookup.server = {boost::asio::ip::make_address("127.0.0.1"), port};
  settings.lookup.timeout = 5s;
  settings.lookup.tcp = true;
  auto start = std::chrono::steady_clock::now();
  auto items = run_batch(settings, {"a.example", "b.example"});
  REQUIRE(items.size() == 2);
  for (const auto& item : items) {
    CHECK(item.result.status == LookupStatus::Error);
    CHECK(item.result.detail == "Connection refused");
  }
  CHECK(std::chrono::steady_clock::now() - start < 4s);
}

TEST_CASE("an unanswered query over TCP is retried with a fresh ID on the same connection",
          "[client]") {
  std::mutex mutex;
  std::set<std::uint16_t> ids;
  DualServer server(no_udp, [&](const Bytes& query, int connection) {
    std::lock_guard lock(mutex);
    ids.insert(parsed(query).header.id);
    if (ids.size() == 1) return TcpAction{};  // the first attempt goes unanswered
    return answer_by_name(query, connection);
  });
  auto settings = tcp_settings(server);
  settings.lookup.timeout = 100ms;
  auto items = run_batch(settings, {"n5.example"});
  REQUIRE(items.size() == 1);
  CHECK(items[0].result.status == LookupStatus::Answered);
  CHECK(server.connections() == 1);
  CHECK(server.tcp_queries() == 2);
  std::lock_guard lock(mutex);
  CHECK(ids.size() == 2);
}

TEST_CASE("a TCP reply with the wrong ID or another question is ignored", "[client]") {
  DualServer server(no_udp, [](const Bytes& query, int) {
    Bytes wrong_id = wire_reply(query, {"198.51.100.1"});
    wrong_id[1] ^= 0x01;
    Bytes other_question(512);
    dns::Question other{dns::DnsName::from_text("other.example"), dns::RrType::A, dns::RrClass::IN};
    other_question.resize(dns::build_query(other, parsed(query).header.id, true, other_question));
    return TcpAction{
        {wrong_id, wire_reply(other_question, {"198.51.100.2"}), wire_reply(query, {"192.0.2.1"})}};
  });
  auto items = run_batch(tcp_settings(server), {"a.example"});
  REQUIRE(items.size() == 1);
  REQUIRE(items[0].result.status == LookupStatus::Answered);
  REQUIRE(items[0].result.records.size() == 1);
  CHECK(items[0].result.records[0].address == "192.0.2.1");
}

TEST_CASE("a truncated UDP reply is asked again over TCP, on one connection for every such name",
          "[client]") {
  auto big = many_addresses(120);
  std::mutex mutex;
  std::vector<std::string> over_tcp;
  DualServer server(
      [](const Bytes& query) {
        bool truncated = name_of(query).starts_with("big");
        return std::vector<Bytes>{truncated ? wire_reply(query, {}, true)
                                            : wire_reply(query, {"192.0.2.1"})};
      },
      [&](const Bytes& query, int) {
        std::lock_guard lock(mutex);
        over_tcp.push_back(name_of(query));
        return TcpAction{{wire_reply(query, big)}};
      });
  BatchSettings settings;
  settings.lookup.server = server.endpoint();
  settings.lookup.attempts = 1;  // the TCP query is no retry: it has attempts of its own
  settings.concurrency = 1;      // one name after the other: the connection is reused
  auto items = run_batch(settings, {"big1.example", "small.example", "big2.example"});
  REQUIRE(items.size() == 3);
  for (std::size_t i : {0, 2}) {
    REQUIRE(items[i].result.status == LookupStatus::Answered);
    REQUIRE(items[i].result.records.size() == 120);
    CHECK(items[i].result.records[119].address == "10.0.0.119");
  }
  REQUIRE(items[1].result.status == LookupStatus::Answered);
  CHECK(items[1].result.records.size() == 1);
  CHECK(server.udp_queries() == 3);
  CHECK(server.connections() == 1);
  std::lock_guard lock(mutex);
  CHECK(over_tcp == std::vector<std::string>{"big1.example", "big2.example"});
}

TEST_CASE("a truncated name is still answered when the server closes each connection after a reply",
          "[client]") {
  DualServer server(
      [](const Bytes& query) { return std::vector<Bytes>{wire_reply(query, {}, true)}; },
      [](const Bytes& query, int connection) {
        auto action = answer_by_name(query, connection);
        action.close = true;
        return action;
      });
  BatchSettings settings;
  settings.lookup.server = server.endpoint();
  settings.lookup.attempts = 1;
  settings.concurrency = 1;
  auto items = run_batch(settings, {"n1.example", "n2.example", "n3.example"});
  REQUIRE(items.size() == 3);
  for (std::size_t i = 0; i < items.size(); ++i) {
    REQUIRE(items[i].result.status == LookupStatus::Answered);
    CHECK(items[i].result.records.at(0).address == "192.0.2." + std::to_string(i + 1));
  }
  CHECK(server.connections() == 3);  // each connection answers one name
}

TEST_CASE("TCP with the text protocol is refused: the text protocol is UDP only", "[client]") {
  boost::asio::io_context io;
  BatchSettings settings;
  settings.lookup.text_protocol = true;
  settings.lookup.tcp = true;
  CHECK_THROWS_AS(BatchResolver(io, settings), std::invalid_argument);
}
