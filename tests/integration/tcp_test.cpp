// DNS over TCP to our server (RFC 7766): dig, kdig, Unbound and a raw client that pipelines,
// idles, floods and sends garbage. Every wait is on an observable event: a reply, a close, a
// scripted parent's held query.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"
#include "tcp_client.hpp"

using namespace harness;
using resolver::dns::RrType;

namespace {

std::string many_addresses(const std::string& name, int count) {
  std::string records;
  for (int i = 0; i < count; ++i) {
    records +=
        name + ",10.0." + std::to_string(i / 250) + "." + std::to_string(1 + i % 250) + ",300\n";
  }
  return records;
}

const std::string kRecords =
    "www.example,192.0.2.10,300\n"
    "mail.example,192.0.2.25,300\n" +
    many_addresses("many.example", 120);

int answer_lines(const std::string& dig_output) {
  int lines = 0;
  for (const auto& line : sorted_lines(dig_output)) {
    if (!line.empty() && line[0] != ';') ++lines;
  }
  return lines;
}

}  // namespace

TEST_CASE("dig +tcp is answered over TCP on the server's port", "[tcp][listener]") {
  ResolverServer server(write_temp_file("tcp-basic.txt", kRecords), std::nullopt);
  auto result = dig(server.port(), {"+tcp", "+short", "www.example", "A"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "192.0.2.10\n");
  auto missing = dig(server.port(), {"+tcp", "nothing.example", "A"});
  CHECK(missing.out.find("status: NXDOMAIN") != std::string::npos);
}

TEST_CASE("120 addresses: TC over UDP without EDNS, then all 120 over TCP", "[tcp][listener]") {
  ResolverServer server(write_temp_file("tcp-many.txt", kRecords), std::nullopt);
  auto truncated = dig(server.port(), {"+noedns", "+ignore", "many.example", "A"});
  CHECK(truncated.out.find(" tc ") != std::string::npos);
  CHECK(truncated.out.find("ANSWER: 0") != std::string::npos);  // whole RRsets only: none
  // dig retries over TCP on TC=1 by itself.
  auto complete = dig(server.port(), {"+noedns", "+short", "many.example", "A"});
  CHECK(answer_lines(complete.out) == 120);
  auto over_tcp = dig(server.port(), {"+tcp", "+short", "many.example", "A"});
  CHECK(answer_lines(over_tcp.out) == 120);
}

TEST_CASE("kdig pipelines queries on one kept-open connection", "[tcp][listener]") {
  REQUIRE(have_program("kdig"));  // knot-dnsutils, installed by ./dev.sh test
  ResolverServer server(write_temp_file("tcp-kdig.txt", kRecords), std::nullopt);
  auto result = run({"kdig", "@127.0.0.1", "-p", std::to_string(server.port()), "+tcp", "+keepopen",
                     "+short", "www.example", "A", "mail.example", "A"});
  CHECK(result.exit_code == 0);
  CHECK(sorted_lines(result.out) == std::vector<std::string>{"192.0.2.10", "192.0.2.25"});
}

TEST_CASE("50 pipelined queries on one connection are answered as they complete",
          "[tcp][listener]") {
  HoldingParent parent;
  ResolverServer server(write_temp_file("tcp-pipelined.txt", kRecords), parent.port());
  TcpClient client(server.port());
  // The first query waits for the parent; the 49 after it are local and must not wait.
  std::vector<Bytes> queries{dns_query("far.example", RrType::A, 1000)};
  for (std::uint16_t id = 1; id < 50; ++id)
    queries.push_back(dns_query("www.example", RrType::A, id));
  client.send(queries);
  REQUIRE(parent.wait_for_queries(1));
  std::vector<bool> answered(50, false);
  for (int i = 0; i < 49; ++i) {
    auto reply = client.receive();
    REQUIRE(reply);
    auto header = header_of(*reply);
    REQUIRE(header.id >= 1);
    REQUIRE(header.id < 50);
    CHECK(header.ancount == 1);
    answered[header.id] = true;
  }
  parent.release([](const Bytes& query) {
    return dns_reply(query, {a_record("far.example", "198.51.100.9", 60)});
  });
  auto last = client.receive();
  REQUIRE(last);
  CHECK(header_of(*last).id == 1000);
  CHECK(header_of(*last).ancount == 1);
  CHECK(std::count(answered.begin() + 1, answered.end(), true) == 49);
}

TEST_CASE("300 idle connections stop neither UDP nor TCP service", "[tcp][listener]") {
  ResolverServer server(write_temp_file("tcp-idle.txt", kRecords), std::nullopt,
                        {"--threads", "2"});
  std::vector<std::unique_ptr<TcpClient>> idle;
  for (int i = 0; i < 300; ++i) idle.push_back(std::make_unique<TcpClient>(server.port()));
  // A few of them half-send a message, as a slowloris client does.
  for (int i = 0; i < 10; ++i) idle[i]->send_raw({0, 40, 0x12});
  CHECK(dig(server.port(), {"+short", "www.example", "A"}).out == "192.0.2.10\n");
  CHECK(dig(server.port(), {"+tcp", "+short", "www.example", "A"}).out == "192.0.2.10\n");
  TcpClient fresh(server.port());
  fresh.send({dns_query("mail.example", RrType::A, 7)});
  auto reply = fresh.receive();
  REQUIRE(reply);
  CHECK(header_of(*reply).ancount == 1);
}

TEST_CASE("idle and half-sent connections are closed after --tcp-idle-timeout",
          "[tcp][listener][robustness]") {
  ResolverServer server(write_temp_file("tcp-timeout.txt", kRecords), std::nullopt,
                        {"--tcp-idle-timeout", "1"});
  TcpClient idle(server.port());
  TcpClient half_sent(server.port());
  half_sent.send_raw({0, 40, 0x12, 0x34});
  TcpClient answered(server.port());
  answered.send({dns_query("www.example", RrType::A, 9)});
  REQUIRE(answered.receive());
  CHECK(idle.closed_by_server(5s));
  CHECK(half_sent.closed_by_server(5s));
  CHECK(answered.closed_by_server(5s));
  CHECK(dig(server.port(), {"+tcp", "+short", "www.example", "A"}).out == "192.0.2.10\n");
}

TEST_CASE("beyond --tcp-max-connections a new connection is closed, the others keep working",
          "[tcp][listener][robustness]") {
  ResolverServer server(write_temp_file("tcp-flood.txt", kRecords), std::nullopt,
                        {"--tcp-max-connections", "5", "--threads", "1"});
  std::vector<std::unique_ptr<TcpClient>> open;
  for (int i = 0; i < 5; ++i) {
    open.push_back(std::make_unique<TcpClient>(server.port()));
    // Answered, so the server has accepted it before the next one comes.
    open.back()->send({dns_query("www.example", RrType::A, static_cast<std::uint16_t>(i))});
    REQUIRE(open.back()->receive());
  }
  TcpClient over(server.port());
  CHECK(over.closed_by_server(5s));
  open[0]->send({dns_query("mail.example", RrType::A, 77)});
  auto reply = open[0]->receive();
  REQUIRE(reply);
  CHECK(header_of(*reply).id == 77);
  CHECK(dig(server.port(), {"+short", "www.example", "A"}).out == "192.0.2.10\n");  // UDP
  // A closed connection frees its place.
  open.pop_back();
  REQUIRE(wait_until(
      [&] {
        TcpClient again(server.port());
        again.send({dns_query("www.example", RrType::A, 78)});
        return again.receive(500ms).has_value();
      },
      5s));
}

TEST_CASE("garbage over TCP closes that connection only", "[tcp][listener][robustness]") {
  ResolverServer server(write_temp_file("tcp-garbage.txt", kRecords), std::nullopt);
  TcpClient too_short(server.port());
  too_short.send_raw({0, 3, 1, 2, 3});  // shorter than a DNS header
  CHECK(too_short.closed_by_server(5s));
  TcpClient zero(server.port());
  zero.send_raw({0, 0});
  CHECK(zero.closed_by_server(5s));
  TcpClient text(server.port());
  text.send({to_bytes("www.example.and.some.more.text")});  // the text protocol is UDP only
  text.send({dns_query("www.example", RrType::A, 5)});
  auto reply = text.receive();
  REQUIRE(reply);
  CHECK(header_of(*reply).id == 5);
  TcpClient malformed(server.port());
  auto query = dns_query("www.example", RrType::A, 6);
  query[5] = 2;  // two questions announced, one present
  malformed.send({query});
  auto formerr = malformed.receive();
  REQUIRE(formerr);
  CHECK(header_of(*formerr).rcode == 1);
  CHECK(dig(server.port(), {"+tcp", "+short", "www.example", "A"}).out == "192.0.2.10\n");
}

TEST_CASE("Unbound forwards to us over TCP (tcp-upstream: yes)", "[tcp][listener][peers]") {
  REQUIRE(have_program("unbound"));  // installed by ./dev.sh test
  ResolverServer server(write_temp_file("tcp-unbound.txt", kRecords), std::nullopt,
                        {"--log-queries"});
  auto unbound_port = free_udp_port();
  std::string config = "server:\n  interface: 127.0.0.1\n  port: " + std::to_string(unbound_port) +
                       "\n  do-ip6: no\n  do-daemonize: no\n  chroot: \"\"\n  username: \"\"\n"
                       "  directory: \"" +
                       temp_dir() +
                       "\"\n  pidfile: \"\"\n  use-syslog: no\n  logfile: \"\"\n  verbosity: 0\n"
                       "  module-config: \"iterator\"\n  do-not-query-localhost: no\n"
                       "  access-control: 127.0.0.0/8 allow\n  tcp-upstream: yes\n"
                       "forward-zone:\n  name: \".\"\n  forward-addr: 127.0.0.1@" +
                       std::to_string(server.port()) + "\n";
  Process unbound({"unbound", "-d", "-c", write_temp_file("unbound-tcp.conf", config)});
  REQUIRE(wait_until(
      [&] {
        return dig(unbound_port, {"+short", "www.example", "A"}).out == "192.0.2.10\n";
      },
      10s, 100ms));
  CHECK(server.process().wait_for_log("dns/tcp www.example A -> NOERROR"));
  auto many = dig(unbound_port, {"+short", "many.example", "A"});
  CHECK(answer_lines(many.out) == 120);
}

TEST_CASE("with --no-tcp the server serves UDP only", "[tcp][listener]") {
  ResolverServer server(write_temp_file("tcp-off.txt", kRecords), std::nullopt, {"--no-tcp"});
  CHECK(server.process().log().find("(UDP only)") != std::string::npos);
  CHECK(dig(server.port(), {"+short", "www.example", "A"}).out == "192.0.2.10\n");
  CHECK_THROWS(TcpClient(server.port()));  // connection refused
}

TEST_CASE("resolver client talks TCP to our server, by choice or after a truncated reply",
          "[tcp][listener][client]") {
  ResolverServer server(write_temp_file("tcp-client.txt", kRecords), std::nullopt,
                        {"--log-queries"});
  auto port = std::to_string(server.port());
  auto chosen =
      run({binary(), "client", "127.0.0.1", port, "--tcp", "www.example", "mail.example"});
  CHECK(chosen.exit_code == 0);
  CHECK(chosen.out == "192.0.2.10\n192.0.2.25\n");
  CHECK(server.process().wait_for_log("dns/tcp mail.example A -> NOERROR"));
  auto retried = run({binary(), "client", "127.0.0.1", port, "many.example"});
  CHECK(retried.exit_code == 0);
  CHECK(sorted_lines(retried.out).size() == 120);
  CHECK(server.process().wait_for_log("dns/tcp many.example A -> NOERROR (120 records)"));
}
