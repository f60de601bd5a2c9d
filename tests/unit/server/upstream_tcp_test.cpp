// Upstream over TCP: a truncated reply asked again over TCP of the same parent, and
// ParentTransport::Tcp, against in-process parents on the test's own io_context.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "resolver/dns/query_parser.hpp"
#include "resolver/dns/response_builder.hpp"
#include "resolver/exchange/framing.hpp"
#include "resolver/server/upstream.hpp"
#include "support/records.hpp"
#include "support/strings.hpp"

namespace {

namespace asio = boost::asio;
using namespace resolver;
using namespace resolver::server;
using namespace std::chrono_literals;
using asio::ip::tcp;
using asio::ip::udp;
using Bytes = std::vector<std::uint8_t>;
using test_support::contains;

enum class Transport { Udp, Tcp };

struct Received {
  Transport transport;
  dns::Query query;
  std::uint16_t source_port = 0;  // over UDP: which of the upstream's sockets it came from
};

// `count` addresses for the question `query` asks, in its letter case.
Bytes reply_to(const dns::Query& query, int count, bool over_tcp) {
  dns::Answer answer;
  for (int i = 1; i <= count; ++i) {
    auto record =
        test_support::address_record("placeholder.example", "192.0.2." + std::to_string(i));
    record.name = query.question.name;
    answer.answers.push_back(record);
  }
  dns::ResponseFlags flags;
  flags.over_tcp = over_tcp;
  Bytes out(65535);
  out.resize(dns::build_response(query, answer, flags, out));
  return out;
}

Bytes truncated(const dns::Query& query) {
  auto reply = reply_to(query, 0, false);
  reply[2] |= 0x02;  // TC
  return reply;
}

// A parent on 127.0.0.1 with the same port on UDP and TCP, answering as the test scripts and
// keeping every query it got. Its TCP port may refuse every connection instead.
class Parent {
 public:
  using Respond = std::function<std::vector<Bytes>(const dns::Query& query, Transport transport)>;
  enum class TcpPort { Served, Refused };

  Parent(asio::io_context& io, Respond respond, TcpPort tcp = TcpPort::Served)
      : respond_(std::move(respond)), udp_(io), acceptor_(io) {
    // The UDP port the kernel picks may be taken on TCP: then another.
    for (;;) {
      udp_ = udp::socket(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      boost::system::error_code error;
      acceptor_ = tcp::acceptor(io);
      acceptor_.open(tcp::v4());
      acceptor_.bind(tcp::endpoint(udp_.local_endpoint().address(), udp_.local_endpoint().port()),
                     error);
      if (!error) break;
    }
    receive();
    if (tcp == TcpPort::Served) {
      acceptor_.listen();
      accept();
    }
  }

  udp::endpoint endpoint() const { return udp_.local_endpoint(); }
  const std::vector<Received>& received() const { return received_; }

 private:
  struct Connection {
    explicit Connection(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::array<std::uint8_t, 2> prefix{};
    Bytes message;
  };

  void receive() {
    udp_.async_receive_from(asio::buffer(buffer_), sender_, [this](auto error, std::size_t size) {
      if (error) return;
      auto replies = take(Bytes(buffer_.begin(), buffer_.begin() + size), Transport::Udp);
      received_.back().source_port = sender_.port();
      for (const auto& reply : replies) {
        udp_.send_to(asio::buffer(reply), sender_);
      }
      receive();
    });
  }

  void accept() {
    acceptor_.async_accept([this](auto error, tcp::socket socket) {
      if (error) return;
      read(std::make_shared<Connection>(std::move(socket)));
      accept();
    });
  }

  void read(std::shared_ptr<Connection> connection) {
    asio::async_read(connection->socket, asio::buffer(connection->prefix),
                     [this, connection](auto error, std::size_t) {
                       if (error) return;
                       connection->message.resize(exchange::read_length_prefix(connection->prefix));
                       asio::async_read(connection->socket, asio::buffer(connection->message),
                                        [this, connection](auto error, std::size_t) {
                                          if (error) return;
                                          answer(*connection);
                                          read(connection);
                                        });
                     });
  }

  void answer(Connection& connection) {
    for (const auto& reply : take(connection.message, Transport::Tcp)) {
      Bytes framed(exchange::kLengthPrefixSize);
      REQUIRE(exchange::write_length_prefix(reply.size(), std::span(framed).first<2>()));
      framed.insert(framed.end(), reply.begin(), reply.end());
      asio::write(connection.socket, asio::buffer(framed));
    }
  }

  std::vector<Bytes> take(const Bytes& message, Transport transport) {
    auto parse = dns::parse_query(message);
    REQUIRE(parse.query.has_question);
    received_.push_back({transport, parse.query});
    return respond_(parse.query, transport);
  }

  Respond respond_;
  udp::socket udp_;
  tcp::acceptor acceptor_;
  std::array<std::uint8_t, 65536> buffer_{};
  udp::endpoint sender_;
  std::vector<Received> received_;
};

Parent::Respond truncating_over_udp(int count) {
  return [count](const dns::Query& query, Transport transport) {
    if (transport == Transport::Udp) return std::vector<Bytes>{truncated(query)};
    return std::vector<Bytes>{reply_to(query, count, true)};
  };
}

Parent::Respond answering(int count) {
  return [count](const dns::Query& query, Transport transport) {
    return std::vector<Bytes>{reply_to(query, count, transport == Transport::Tcp)};
  };
}

// Asks `question` and runs the io_context until the outcome is in.
UpstreamOutcome ask(asio::io_context& io, Upstream& upstream, const std::string& name) {
  std::optional<UpstreamOutcome> outcome;
  upstream.query(test_support::question(name),
                 [&](UpstreamOutcome done) { outcome = std::move(done); });
  while (!outcome) REQUIRE(io.run_one_for(10s) > 0);
  return *outcome;
}

}  // namespace

TEST_CASE("a truncated reply is asked again over TCP of the same parent, which stays up",
          "[server][upstream][tcp]") {
  asio::io_context io;
  Parent truncating(io, truncating_over_udp(20));
  Parent other(io, answering(1));
  ParentSet parents({truncating.endpoint(), other.endpoint()});
  // Parent 1 down. Were parent 0 marked down as well, parent 1, not yet measured, would rank
  // first: so the order 0, 1 at the end says that parent 0 is up.
  parents.record_failure(1, system_clock().now());
  Upstream upstream(io, parents, {}, system_clock());

  auto outcome = ask(io, upstream, "many.example.org");
  REQUIRE(outcome.reached);
  CHECK(outcome.answer.answers.size() == 20);
  REQUIRE(truncating.received().size() == 2);
  const auto& over_udp = truncating.received()[0];
  const auto& over_tcp = truncating.received()[1];
  CHECK(over_udp.transport == Transport::Udp);
  CHECK(over_tcp.transport == Transport::Tcp);
  // A fresh ID, the same question in the same (randomised) letter case.
  CHECK(over_tcp.query.header.id != over_udp.query.header.id);
  CHECK(over_tcp.query.question.name.identical(over_udp.query.question.name));
  CHECK(other.received().empty());
  CHECK(parents.ranked(system_clock().now()) == std::vector<std::size_t>{0, 1});
}

TEST_CASE("a truncating parent that refuses TCP fails its attempt; the next parent answers",
          "[server][upstream][tcp]") {
  asio::io_context io;
  Parent refusing(io, truncating_over_udp(20), Parent::TcpPort::Refused);
  Parent other(io, answering(1));
  ParentSet parents({refusing.endpoint(), other.endpoint()});
  Upstream upstream(io, parents, {}, system_clock());

  auto outcome = ask(io, upstream, "many.example.org");
  REQUIRE(outcome.reached);
  CHECK(outcome.answer.answers.size() == 1);
  REQUIRE(refusing.received().size() == 1);
  CHECK(other.received().size() == 1);
  // The failed TCP exchange marked it down: the next question goes to the other parent first.
  CHECK(parents.ranked(system_clock().now()) == std::vector<std::size_t>{1, 0});
}

TEST_CASE("ParentTransport::Tcp asks over TCP only, and skips messages that are not the reply",
          "[server][upstream][tcp]") {
  asio::io_context io;
  Parent parent(io, [](const dns::Query& query, Transport) {
    auto stranger = query;
    stranger.header.id = static_cast<std::uint16_t>(query.header.id + 1);
    return std::vector<Bytes>{reply_to(stranger, 5, true), reply_to(query, 3, true)};
  });
  ParentSet parents({parent.endpoint()});
  UpstreamSettings settings;
  settings.transport = ParentTransport::Tcp;
  Upstream upstream(io, parents, settings, system_clock());

  auto outcome = ask(io, upstream, "three.example.org");
  REQUIRE(outcome.reached);
  CHECK(outcome.answer.answers.size() == 3);
  REQUIRE(parent.received().size() == 1);
  CHECK(parent.received()[0].transport == Transport::Tcp);
}

TEST_CASE("a parent silent or truncating over TCP fails the question within its budget",
          "[server][upstream][tcp]") {
  asio::io_context io;
  bool silent = GENERATE(true, false);
  CAPTURE(silent);
  Parent parent(io, [silent](const dns::Query& query, Transport transport) {
    if (transport == Transport::Tcp && silent) return std::vector<Bytes>{};
    return std::vector<Bytes>{truncated(query)};
  });
  ParentSet parents({parent.endpoint()});
  UpstreamSettings settings;
  settings.budget = 500ms;
  Upstream upstream(io, parents, settings, system_clock());

  auto started = SteadyClock::now();
  auto outcome = ask(io, upstream, "big.example.org");
  CHECK_FALSE(outcome.reached);
  CHECK(contains(outcome.error, silent ? "timed out" : "truncated reply over TCP"));
  CHECK(SteadyClock::now() - started < 2s);
  // Two attempts (the plan for one parent), each UDP then TCP.
  CHECK(parent.received().size() == 4);
}

TEST_CASE("the worker's counters get each question, each attempt, its failure or its latency",
          "[server][upstream][metrics]") {
  asio::io_context io;
  Parent silent(io, [](const dns::Query&, Transport) { return std::vector<Bytes>{}; });
  Parent refusing(io, truncating_over_udp(20), Parent::TcpPort::Refused);
  Parent answering_parent(io, answering(1));
  // Route 1 of two: the counters must land in the route's own entry.
  ParentSet parents({silent.endpoint(), refusing.endpoint(), answering_parent.endpoint()});
  WorkerMetrics metrics;
  metrics.parents = std::vector<std::vector<ParentCounters>>(2);
  metrics.parents[1] = std::vector<ParentCounters>(3);
  UpstreamSettings settings;
  settings.budget = 600ms;  // three attempts of 200 ms, on the three parents in this order
  Upstream upstream(io, parents, settings, system_clock(), &metrics, 1);

  auto outcome = ask(io, upstream, "one.example.org");
  REQUIRE(outcome.reached);
  CHECK(metrics.upstream_questions.value() == 1);
  const auto& counters = metrics.parents[1];
  CHECK(counters[0].queries.value() == 1);
  CHECK(counters[0].timeouts.value() == 1);
  CHECK(counters[1].queries.value() == 1);
  CHECK(counters[1].failures.value() == 1);  // truncated, then TCP refused
  CHECK(counters[2].queries.value() == 1);
  CHECK(counters[2].timeouts.value() + counters[2].failures.value() == 0);
  std::uint64_t replies = 0;
  for (const auto& bucket : counters[2].latency) replies += bucket.value();
  CHECK(replies == 1);
  for (const auto& parent : counters) CHECK(parent.latency_sum_us.value() < 1'000'000);
}

TEST_CASE("an answered query's socket serves the next; a failed attempt's is closed",
          "[server][upstream]") {
  asio::io_context io;
  bool silent = false;
  Parent parent(io, [&silent](const dns::Query& query, Transport transport) {
    if (silent) return std::vector<Bytes>{};
    return std::vector<Bytes>{reply_to(query, 1, transport == Transport::Tcp)};
  });
  ParentSet parents({parent.endpoint()});
  Upstream upstream(io, parents, {ParentProtocol::Dns, ParentTransport::Udp, 200ms},
                    system_clock());
  REQUIRE(ask(io, upstream, "one.example").reached);
  REQUIRE(ask(io, upstream, "two.example").reached);
  REQUIRE(parent.received().size() == 2);
  auto port = parent.received()[0].source_port;
  CHECK(parent.received()[1].source_port == port);  // one idle socket: taken again
  // Both the parent's IDs differ, whatever the socket.
  CHECK(parent.received()[1].query.header.id != parent.received()[0].query.header.id);

  silent = true;
  CHECK_FALSE(ask(io, upstream, "three.example").reached);  // both attempts time out
  silent = false;
  REQUIRE(ask(io, upstream, "four.example").reached);
  // The timed-out socket was closed, not pooled: the next query needed a new one.
  CHECK(parent.received().back().source_port != port);
}
