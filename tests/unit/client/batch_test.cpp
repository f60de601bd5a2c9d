// BatchResolver against an in-process UDP server on 127.0.0.1 that answers as each test scripts.
#include "resolver/client/batch.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "batch_names.hpp"
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
using test_support::contains;

// Answers each datagram with whatever `respond` returns (possibly nothing, possibly replies
// to earlier queries it held back).
class FakeServer {
 public:
  using Respond = std::function<std::vector<Bytes>(const Bytes& query)>;

  explicit FakeServer(Respond respond) : respond_(std::move(respond)) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeServer() {
    stopping_ = true;
    thread_.join();
    close(fd_);
  }

  boost::asio::ip::udp::endpoint endpoint() const {
    return {boost::asio::ip::make_address("127.0.0.1"), port_};
  }
  int queries() const { return queries_.load(); }

 private:
  void serve() {
    Bytes buffer(65536);
    while (!stopping_) {
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, 20) != 1) continue;
      sockaddr_in client{};
      socklen_t length = sizeof client;
      ssize_t n = recvfrom(fd_, buffer.data(), buffer.size(), 0,
                           reinterpret_cast<sockaddr*>(&client), &length);
      if (n < 0) continue;
      ++queries_;
      for (const auto& reply : respond_(Bytes(buffer.begin(), buffer.begin() + n))) {
        sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&client), length);
      }
    }
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  Respond respond_;
  std::atomic<int> queries_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

Bytes reply(const Bytes& query, const std::vector<std::string>& addresses,
            dns::Rcode rcode = dns::Rcode::NoError) {
  auto parse = dns::parse_query(query);
  dns::Answer answer = addresses.empty() ? dns::negative_answer(rcode, 60, true) : dns::Answer{};
  for (const auto& text : addresses) {
    auto address = dns::parse_address(text);
    answer.answers.push_back(
        {parse.query.question.name, address->type, dns::RrClass::IN, 60, address->rdata});
  }
  Bytes out(1232);
  out.resize(dns::build_response(parse.query, answer, {}, out));
  return out;
}

// A query with the same ID as `query` about another name: its reply is a spoofer's.
Bytes same_id_other_name(const Bytes& query) {
  Bytes out(512);
  dns::Question other{dns::DnsName::from_text("other.example"), dns::RrType::A, dns::RrClass::IN};
  out.resize(dns::build_query(other, parsed(query).header.id, true, out));
  return out;
}

BatchSettings settings_for(const FakeServer& server, std::size_t concurrency = 10) {
  BatchSettings settings;
  settings.lookup.server = server.endpoint();
  settings.lookup.timeout = 2s;
  settings.lookup.attempts = 2;
  settings.concurrency = concurrency;
  return settings;
}

std::vector<BatchItem> run_batch(const BatchSettings& settings, NameSource& source,
                                 std::function<void()> on_caught_up = {}) {
  boost::asio::io_context io;
  std::vector<BatchItem> items;
  BatchCallbacks callbacks{[&](const BatchItem& item) { items.push_back(item); }, on_caught_up};
  BatchResolver(io, settings).run(source, callbacks);
  return items;
}

}  // namespace

TEST_CASE("a batch delivers results in input order when replies come in reverse", "[client]") {
  std::mutex mutex;
  std::vector<Bytes> held;
  FakeServer server([&](const Bytes& query) {
    std::lock_guard lock(mutex);
    held.push_back(query);
    std::vector<Bytes> replies;
    if (held.size() < 8) return replies;  // all eight are in flight at once
    for (auto it = held.rbegin(); it != held.rend(); ++it) {
      replies.push_back(reply(*it, {address_for(name_of(*it))}));
    }
    return replies;
  });
  NameList names(numbered_names(8));
  auto items = run_batch(settings_for(server, 8), names);
  REQUIRE(items.size() == 8);
  for (std::size_t i = 0; i < items.size(); ++i) {
    CHECK(items[i].index == i);
    CHECK(items[i].name == "n" + std::to_string(i) + ".example");
    REQUIRE(items[i].result.status == LookupStatus::Answered);
    CHECK(items[i].result.records.at(0).address == "192.0.2." + std::to_string(i));
  }
}

TEST_CASE("a batch never has more queries in flight than its concurrency", "[client]") {
  std::mutex mutex;
  std::vector<Bytes> held;
  std::size_t most_in_flight = 0;
  std::size_t in_flight = 0;
  FakeServer server([&](const Bytes& query) {
    std::lock_guard lock(mutex);
    held.push_back(query);
    most_in_flight = std::max(most_in_flight, ++in_flight);
    std::vector<Bytes> replies;
    // Answer only once the window is full: a fourth query before that would be a violation.
    if (held.size() == 3) {
      for (const auto& q : held) replies.push_back(reply(q, {address_for(name_of(q))}));
      in_flight -= held.size();
      held.clear();
    }
    return replies;
  });
  NameList names(numbered_names(30));
  auto items = run_batch(settings_for(server, 3), names);
  CHECK(items.size() == 30);
  CHECK(most_in_flight == 3);
  CHECK(server.queries() == 30);
}

TEST_CASE("a reply with the wrong ID or another question is ignored", "[client]") {
  FakeServer server([](const Bytes& query) {
    Bytes wrong_id = reply(query, {"198.51.100.1"});
    wrong_id[1] ^= 0x01;
    Bytes other_question = reply(same_id_other_name(query), {"198.51.100.2"});
    return std::vector<Bytes>{wrong_id, other_question, reply(query, {"192.0.2.1"})};
  });
  NameList names({"a.example"});
  auto items = run_batch(settings_for(server), names);
  REQUIRE(items.size() == 1);
  REQUIRE(items[0].result.status == LookupStatus::Answered);
  REQUIRE(items[0].result.records.size() == 1);
  CHECK(items[0].result.records[0].address == "192.0.2.1");
}

TEST_CASE("an attempt without a reply is retried with a fresh ID", "[client]") {
  std::mutex mutex;
  std::set<std::uint16_t> ids;
  FakeServer server([&](const Bytes& query) {
    std::lock_guard lock(mutex);
    ids.insert(parsed(query).header.id);
    if (ids.size() == 1) return std::vector<Bytes>{};  // the first attempt goes unanswered
    return std::vector<Bytes>{reply(query, {"192.0.2.1"})};
  });
  auto settings = settings_for(server);
  settings.lookup.timeout = 100ms;
  NameList names({"a.example"});
  auto items = run_batch(settings, names);
  REQUIRE(items.size() == 1);
  CHECK(items[0].result.status == LookupStatus::Answered);
  CHECK(server.queries() == 2);
  std::lock_guard lock(mutex);
  CHECK(ids.size() == 2);
}

TEST_CASE("a name whose every attempt goes unanswered times out", "[client]") {
  FakeServer server([](const Bytes&) { return std::vector<Bytes>{}; });
  auto settings = settings_for(server);
  settings.lookup.timeout = 50ms;
  settings.lookup.attempts = 3;
  NameList names({"a.example", "b.example"});
  auto items = run_batch(settings, names);
  REQUIRE(items.size() == 2);
  CHECK(items[0].result.status == LookupStatus::Timeout);
  CHECK(items[1].result.status == LookupStatus::Timeout);
  CHECK(server.queries() == 6);
}

TEST_CASE("negative answers and failures reach the result", "[client]") {
  FakeServer server([](const Bytes& query) {
    std::string name = name_of(query);
    if (name == "gone.example") return std::vector<Bytes>{reply(query, {}, dns::Rcode::NxDomain)};
    if (name == "empty.example") return std::vector<Bytes>{reply(query, {})};
    auto failure = dns::failure_answer(dns::Rcode::ServFail);
    Bytes out(512);
    out.resize(dns::build_response(parsed(query), failure, {}, out));
    return std::vector<Bytes>{out};
  });
  NameList names({"gone.example", "empty.example", "broken.example"});
  auto items = run_batch(settings_for(server), names);
  REQUIRE(items.size() == 3);
  CHECK(items[0].result.status == LookupStatus::NxDomain);
  CHECK(items[0].result.ttl == 60);
  CHECK(items[1].result.status == LookupStatus::NoData);
  CHECK(items[2].result.status == LookupStatus::ServFail);
}

TEST_CASE("an invalid name fails locally with FORMERR and is never sent", "[client]") {
  FakeServer server(
      [](const Bytes& query) { return std::vector<Bytes>{reply(query, {"192.0.2.1"})}; });
  NameList names({"bad..name", "a.example", std::string(300, 'x')});
  auto items = run_batch(settings_for(server), names);
  REQUIRE(items.size() == 3);
  CHECK(items[0].result.status == LookupStatus::FormErr);
  CHECK(contains(items[0].result.detail, "empty label"));
  CHECK(items[1].result.status == LookupStatus::Answered);
  CHECK(items[2].result.status == LookupStatus::FormErr);
  CHECK(server.queries() == 1);
}

TEST_CASE("text-protocol replies are matched by the name they are about", "[client]") {
  std::mutex mutex;
  std::vector<std::string> held;
  FakeServer server([&](const Bytes& query) {
    std::lock_guard lock(mutex);
    held.emplace_back(query.begin(), query.end());
    std::vector<Bytes> replies;
    if (held.size() < 4) return replies;
    for (auto it = held.rbegin(); it != held.rend(); ++it) {
      std::string line =
          *it == "n2.example" ? *it + ",NXDOMAIN,30" : *it + "," + address_for(*it) + ",60";
      replies.emplace_back(line.begin(), line.end());
    }
    return replies;
  });
  auto settings = settings_for(server, 4);
  settings.lookup.text_protocol = true;
  NameList names(numbered_names(4));
  auto items = run_batch(settings, names);
  REQUIRE(items.size() == 4);
  CHECK(items[0].result.records.at(0).address == "192.0.2.0");
  CHECK(items[1].result.records.at(0).address == "192.0.2.1");
  CHECK(items[2].result.status == LookupStatus::NxDomain);
  CHECK(items[2].result.ttl == 30);
  CHECK(items[3].result.records.at(0).address == "192.0.2.3");
}

namespace {

// Offers one name, then nothing until the test hands it another: like a script that writes
// a name and waits for its answer before writing the next.
class LockstepSource : public NameSource {
 public:
  explicit LockstepSource(std::vector<std::string> names) : names_(std::move(names)) {}
  NextName next(const std::function<void()>& wake) override {
    if (position_ < released_) return {NextName::Kind::Name, names_[position_++]};
    if (end_released_) return {NextName::Kind::End, {}};
    wake_ = wake;
    return {NextName::Kind::NotYet, {}};
  }
  // Lets the next name through, or after the last one the end.
  void release() {
    if (released_ < names_.size()) {
      ++released_;
    } else {
      end_released_ = true;
    }
    if (auto wake = std::exchange(wake_, nullptr)) wake();
  }

 private:
  std::vector<std::string> names_;
  std::size_t position_ = 0;
  std::size_t released_ = 1;
  bool end_released_ = false;
  std::function<void()> wake_;
};

}  // namespace

TEST_CASE("a batch says when it has caught up with its input, so output can be flushed",
          "[client]") {
  FakeServer server([](const Bytes& query) {
    return std::vector<Bytes>{reply(query, {address_for(name_of(query))})};
  });
  LockstepSource source({"n1.example", "n2.example", "n3.example"});
  std::vector<std::size_t> delivered_when_caught_up;
  std::vector<BatchItem> items;
  boost::asio::io_context io;
  BatchCallbacks callbacks;
  callbacks.on_result = [&](const BatchItem& item) { items.push_back(item); };
  callbacks.on_caught_up = [&] {
    delivered_when_caught_up.push_back(items.size());
    source.release();  // the "script" has read the answer and writes the next name
  };
  BatchResolver(io, settings_for(server)).run(source, callbacks);
  CHECK(items.size() == 3);
  CHECK(delivered_when_caught_up == std::vector<std::size_t>{1, 2, 3});
}

TEST_CASE("the --rate option spaces the queries out", "[client]") {
  FakeServer server(
      [](const Bytes& query) { return std::vector<Bytes>{reply(query, {"192.0.2.1"})}; });
  auto settings = settings_for(server, 10);
  settings.rate = 200;  // 5 ms apart
  NameList names(numbered_names(11));
  auto start = std::chrono::steady_clock::now();
  auto items = run_batch(settings, names);
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(items.size() == 11);
  CHECK(elapsed >= 50ms);  // ten gaps of 5 ms at least
}

TEST_CASE("a closed port fails every attempt at once with the socket's error", "[client]") {
  std::uint16_t port = 0;
  {
    FakeServer closed([](const Bytes&) { return std::vector<Bytes>{}; });
    port = closed.endpoint().port();
  }
  BatchSettings settings;
  settings.lookup.server = {boost::asio::ip::make_address("127.0.0.1"), port};
  settings.lookup.timeout = 5s;
  NameList names({"a.example"});
  auto start = std::chrono::steady_clock::now();
  auto items = run_batch(settings, names);
  REQUIRE(items.size() == 1);
  CHECK(items[0].result.status == LookupStatus::Error);
  CHECK(items[0].result.detail == "Connection refused");
  CHECK(std::chrono::steady_clock::now() - start < 4s);
}

TEST_CASE("lookup() asks for one name through the same engine", "[client]") {
  FakeServer server(
      [](const Bytes& query) { return std::vector<Bytes>{reply(query, {"2001:db8::1"})}; });
  boost::asio::io_context io;
  LookupSettings settings{server.endpoint(), false, 1s, 1};
  auto result = lookup(io, settings, "v6.example", dns::RrType::AAAA);
  REQUIRE(result.status == LookupStatus::Answered);
  CHECK(result.records.at(0).address == "2001:db8::1");
  CHECK(result.records.at(0).type == dns::RrType::AAAA);
  CHECK(result.elapsed.count() > 0);
}
