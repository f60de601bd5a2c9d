// A fleet on loopback with real parts (docs/scale-out.md): PROXY v2 input from a trusted load
// balancer, then dnsdist in front of two resolver instances sharing a cache in redis-server.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <csignal>
#include <regex>
#include <string>
#include <vector>

#include "harness.hpp"
#include "http_client.hpp"
#include "resolver/dns/query_parser.hpp"
#include "resolver/dns/response_parser.hpp"
#include "resolver/net/proxy_header.hpp"
#include "support/records.hpp"

using namespace harness;
using boost::asio::ip::udp;
using resolver::dns::Rcode;
using resolver::dns::RrType;

namespace {

const std::string kRecords = "health.test,127.0.0.9,60\n";

// What the parent answers: one address per name, the same every time.
FakeParent::Respond answer_every_name() {
  return [](const Bytes& query) {
    auto parse = resolver::dns::parse_query(query);
    auto record = a_record("placeholder.example", "192.0.2.77", 300);
    record.name = parse.query.question.name;
    return std::vector<Bytes>{dns_reply(query, {record})};
  };
}

// `request` behind a PROXY v2 header naming `client`, as dnsdist sends it.
Bytes proxied(const std::string& client, const Bytes& request, bool stream = false) {
  auto bytes = resolver::net::encode_proxy_header(
      udp::endpoint(boost::asio::ip::make_address(client), 40000),
      udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 53), stream);
  bytes.insert(bytes.end(), request.begin(), request.end());
  return bytes;
}

Rcode rcode_of(const Bytes& reply) {
  return static_cast<Rcode>(header_of(reply).rcode);
}

// Polls `condition` (each try is a scrape or an exchange, a real event) for up to 10 s.
bool eventually(const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
  }
  return condition();
}

std::string proxy_series(const std::string& outcome) {
  return "resolver_proxy_headers_total{outcome=\"" + outcome + "\"}";
}

}  // namespace

TEST_CASE("a trusted balancer's PROXY header names the client for the access list and the log",
          "[scale-out][proxy]") {
  ResolverServer server(write_temp_file("proxy-udp.txt", "host.example,192.0.2.1,60\n"),
                        std::nullopt,
                        {"--proxy-from", "127.0.0.1", "--allow", "10.0.0.0/8", "--log-queries",
                         "--http", "127.0.0.1:0", "--threads", "1"});
  auto http = http_port(server.process());
  auto query = dns_query("host.example", RrType::A);

  auto inside = udp_exchange(server.port(), proxied("10.1.2.3", query));
  REQUIRE(inside);
  CHECK(rcode_of(*inside) == Rcode::NoError);
  auto outside = udp_exchange(server.port(), proxied("192.0.2.50", query));
  REQUIRE(outside);
  CHECK(rcode_of(*outside) == Rcode::Refused);
  CHECK(server.process().wait_for_log("10.1.2.3:40000 dns host.example A -> NOERROR"));
  CHECK(server.process().wait_for_log("192.0.2.50:40000 dns host.example A -> REFUSED"));

  // The balancer's own query, without a header, is dropped and counted: nothing answers it.
  CHECK_FALSE(udp_exchange(server.port(), query, 500ms));
  CHECK(scrape(http, proxy_series("missing")) == 1);
  CHECK(scrape(http, proxy_series("accepted")) == 2);

  // Over TCP the header opens the connection; every query on it is the relayed client's.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), server.port()});
  auto stream = resolver::net::encode_proxy_header(
      udp::endpoint(boost::asio::ip::make_address("10.4.5.6"), 41000),
      udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 53), true);
  for (int i = 0; i < 2; ++i) {
    stream.push_back(static_cast<std::uint8_t>(query.size() >> 8));
    stream.push_back(static_cast<std::uint8_t>(query.size() & 0xFF));
    stream.insert(stream.end(), query.begin(), query.end());
  }
  boost::asio::write(socket, boost::asio::buffer(stream));
  for (int i = 0; i < 2; ++i) {
    std::array<std::uint8_t, 2> length{};
    boost::asio::read(socket, boost::asio::buffer(length));
    Bytes reply(std::size_t{length[0]} << 8 | length[1]);
    boost::asio::read(socket, boost::asio::buffer(reply));
    CHECK(rcode_of(reply) == Rcode::NoError);
  }
  CHECK(server.process().wait_for_count("10.4.5.6:41000 dns/tcp host.example A -> NOERROR", 2));
}

TEST_CASE("a PROXY header from an address not in --proxy-from is dropped and counted",
          "[scale-out][proxy]") {
  ResolverServer server(write_temp_file("proxy-untrusted.txt", "host.example,192.0.2.1,60\n"),
                        std::nullopt, {"--http", "127.0.0.1:0", "--threads", "1"});
  auto http = http_port(server.process());
  auto query = dns_query("host.example", RrType::A);
  CHECK_FALSE(udp_exchange(server.port(), proxied("10.1.2.3", query), 500ms));
  CHECK(scrape(http, proxy_series("untrusted")) == 1);
  // A plain query from the same address is served as ever.
  auto plain = udp_exchange(server.port(), query);
  REQUIRE(plain);
  CHECK(rcode_of(*plain) == Rcode::NoError);
}

TEST_CASE("behind dnsdist two instances share Redis, lose nothing when it dies, and fail over",
          "[scale-out][dnsdist][redis]") {
  REQUIRE(have_program("redis-server"));  // installed by ./dev.sh test
  REQUIRE(have_program("dnsdist"));
  FakeParent parent(answer_every_name());

  auto redis_port = free_udp_port();
  // Redis logs to stdout; the harness reads stderr.
  Process redis({"sh", "-c",
                 "exec redis-server --port " + std::to_string(redis_port) +
                     " --bind 127.0.0.1 --save '' --appendonly no 1>&2"});
  REQUIRE(redis.wait_for_log("Ready to accept connections"));

  std::vector<std::string> options{
      "--proxy-from",   "127.0.0.1",
      "--shared-cache", "redis://127.0.0.1:" + std::to_string(redis_port),
      "--http",         "127.0.0.1:0",
      "--threads",      "1"};
  auto records = write_temp_file("fleet.txt", kRecords);
  ResolverServer first(records, parent.port(), options);
  ResolverServer second(records, parent.port(), options);
  REQUIRE(first.process().wait_for_log("connected to Redis"));
  REQUIRE(second.process().wait_for_log("connected to Redis"));
  auto first_http = http_port(first.process());
  auto second_http = http_port(second.process());

  // dnsdist sends everything to the first instance while it is up (firstAvailable), with a
  // PROXY header, and health-checks both every second with a local name.
  auto dnsdist_port = free_udp_port();
  auto console_port = free_udp_port();
  auto backend = [](const std::string& name, std::uint16_t port, int order) {
    return "newServer({name=\"" + name + "\", address=\"127.0.0.1:" + std::to_string(port) +
           "\", useProxyProtocol=true, checkName=\"health.test.\", checkInterval=1, "
           "maxCheckFailures=1, rise=1, order=" +
           std::to_string(order) + "})\n";
  };
  auto config = write_temp_file(
      "dnsdist.conf", "setLocal(\"127.0.0.1:" + std::to_string(dnsdist_port) + "\")\n" +
                          backend("first", first.port(), 1) + backend("second", second.port(), 2) +
                          "setServerPolicy(firstAvailable)\n"
                          "controlSocket(\"127.0.0.1:" +
                          std::to_string(console_port) +
                          "\")\n"
                          "setKey(\"MXNeLFWHUe4363BBKrY06cAsH8NWNb+Se2eXU5+Bb74=\")\n");
  Process dnsdist({"dnsdist", "--supervised", "--disable-syslog", "-C", config});
  auto servers = [&config] {
    return run({"dnsdist", "-C", config, "-c", "-e", "showServers()"}).out;
  };
  auto state_of = [&servers](const std::string& name) {
    std::smatch match;
    auto table = servers();
    std::regex row(name + R"(\s+127\.0\.0\.1:\d+\s+(\w+))");
    return std::regex_search(table, match, row) ? match[1].str() : std::string("absent");
  };
  // Its health checks reach both instances through the PROXY protocol, and pass.
  auto health_checks = [](std::uint16_t http) {
    return scrape(http, "resolver_answers_total{source=\"local\"}");
  };
  REQUIRE(eventually(
      [&] { return health_checks(first_http) >= 2 && health_checks(second_http) >= 2; }));
  CHECK(scrape(second_http, "resolver_proxy_headers_total{outcome=\"accepted\"}") >= 2);
  REQUIRE(eventually([&] { return state_of("first") == "up" && state_of("second") == "up"; }));

  SECTION("a name one instance learned is served by the other from Redis") {
    auto via_dnsdist = udp_exchange(dnsdist_port, dns_query("shared.example", RrType::A));
    CHECK(addresses_in(via_dnsdist, "shared.example") == std::vector<std::string>{"192.0.2.77"});
    CHECK(parent.queries() == 1);
    REQUIRE(
        eventually([&] { return scrape(first_http, "resolver_shared_cache_stores_total") == 1; }));
    // The second instance, asked directly (as dnsdist would, with a header), asks no parent.
    auto direct =
        udp_exchange(second.port(), proxied("10.0.0.1", dns_query("shared.example", RrType::A)));
    CHECK(addresses_in(direct, "shared.example") == std::vector<std::string>{"192.0.2.77"});
    CHECK(parent.queries() == 1);
    CHECK(scrape(second_http, "resolver_shared_cache_lookups_total{outcome=\"hit\"}") == 1);
    CHECK(scrape(second_http, "resolver_answers_total{source=\"shared\"}") == 1);
    CHECK(scrape(second_http, "resolver_answers_total{source=\"parent\"}") == 0);
  }

  SECTION("killing Redis mid-run loses no answer") {
    int answered = 0;
    for (int i = 0; i < 40; ++i) {
      if (i == 20) CHECK(redis.stop(SIGKILL) == 128 + SIGKILL);
      auto name = "name" + std::to_string(i) + ".example";
      auto reply = udp_exchange(dnsdist_port, dns_query(name, RrType::A));
      if (addresses_in(reply, name) == std::vector<std::string>{"192.0.2.77"}) ++answered;
    }
    CHECK(answered == 40);
    CHECK(scrape(first_http, "resolver_shared_cache_failures_total") >= 1);
    CHECK(scrape(first_http, "resolver_shared_cache_up") == 0);
  }

  SECTION("stopping one instance moves the traffic to the other") {
    auto before = scrape(second_http, "resolver_answers_total{source=\"parent\"}");
    CHECK(first.stop() == 0);
    // Queries within dnsdist's detection time (a missed health check) may be lost; after it,
    // none may be.
    REQUIRE(eventually([&] { return state_of("first") == "down"; }));
    int answered = 0;
    for (int i = 0; i < 20; ++i) {
      auto name = "after" + std::to_string(i) + ".example";
      auto reply = udp_exchange(dnsdist_port, dns_query(name, RrType::A), 2s);
      if (addresses_in(reply, name) == std::vector<std::string>{"192.0.2.77"}) ++answered;
    }
    CHECK(answered == 20);
    CHECK(scrape(second_http, "resolver_answers_total{source=\"parent\"}") >= before + 20);
    CHECK(state_of("second") == "up");
  }
}
