// Asking the parents over TCP (RFC 7766): a reply truncated over UDP asked again over TCP,
// --parent-protocol tcp, and a parent whose TCP fails.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "harness.hpp"
#include "resolver/dns/query_parser.hpp"
#include "support/strings.hpp"

using namespace harness;
using test_support::contains;

namespace {

const std::string kRecords = "local.example,192.0.2.250,60\n";

// 192.0.2.1 to 192.0.2.COUNT, for the name the query asks about (in the query's letter case).
std::vector<resolver::dns::ResourceRecord> addresses_for(const Bytes& query, int count) {
  auto name = resolver::dns::parse_query(query).query.question.name;
  std::vector<resolver::dns::ResourceRecord> records;
  for (int i = 1; i <= count; ++i) {
    auto record = a_record("placeholder.example", "192.0.2." + std::to_string(i), 300);
    record.name = name;
    records.push_back(record);
  }
  return records;
}

// What `dig +short` prints for addresses_for(_, count), in sorted order.
std::vector<std::string> expected_lines(int count) {
  std::vector<std::string> lines;
  for (int i = 1; i <= count; ++i) lines.push_back("192.0.2." + std::to_string(i));
  std::sort(lines.begin(), lines.end());
  return lines;
}

// A parent whose answers are too big for UDP: TC over UDP, all `count` addresses over TCP.
FakeParent::RespondOver truncating_over_udp(int count) {
  return [count](const Bytes& query, Transport transport) {
    if (transport == Transport::Udp) return std::vector<Bytes>{truncated_reply(query)};
    return std::vector<Bytes>{dns_stream_reply(query, addresses_for(query, count))};
  };
}

FakeParent::Respond one_address() {
  return [](const Bytes& query) {
    return std::vector<Bytes>{dns_reply(query, addresses_for(query, 1))};
  };
}

// A port that was free a moment ago on TCP as well as UDP: a server binds both.
std::uint16_t free_port() {
  for (;;) {
    auto port = free_udp_port();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool free = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    if (free) return port;
  }
}

std::string flag(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

}  // namespace

TEST_CASE("a reply truncated over UDP is asked again over TCP, and the parent stays first",
          "[tcp]") {
  FakeParent first(truncating_over_udp(20), FakeParent::TcpPort::Served);
  FakeParent second(one_address());
  ResolverServer child(write_temp_file("tcp-retry.txt", kRecords), first.port(),
                       {"--parent", flag(second.port()), "--log-level", "debug"});
  // Scripted parents never answer loop probes: once both probes have timed out, both parents
  // are down, and only one that answers comes back up. From then on the second is asked only
  // if the first fails, and only the first's health decides where the next name goes.
  REQUIRE(child.process().wait_for_count("loop-probe.resolver.invalid A: timed out", 2));

  // 20 addresses fit our UDP reply to an EDNS client.
  auto many = dig(child.port(), {"+bufsize=4096", "+short", "many.example"});
  CHECK(sorted_lines(many.out) == expected_lines(20));
  CHECK(first.udp_queries() == 1);
  CHECK(first.tcp_queries() == 1);
  CHECK(second.queries() == 0);

  auto other = dig(child.port(), {"+bufsize=4096", "+short", "other.example"});
  CHECK(sorted_lines(other.out) == expected_lines(20));
  CHECK(first.udp_queries() == 2);
  CHECK(first.tcp_queries() == 2);
  CHECK(second.queries() == 0);

  // The answer got over TCP is complete: it is cached like any other.
  CHECK(sorted_lines(dig(child.port(), {"+bufsize=4096", "+short", "many.example"}).out) ==
        expected_lines(20));
  CHECK(first.queries() == 4);
}

TEST_CASE("dig +tcp gets all 120 addresses that the parent sends only over TCP",
          "[tcp][listener]") {
  FakeParent parent(truncating_over_udp(120), FakeParent::TcpPort::Served);
  ResolverServer child(write_temp_file("tcp-retry-120.txt", kRecords), parent.port());
  auto result = dig(child.port(), {"+tcp", "+short", "many.example"});
  CHECK(sorted_lines(result.out) == expected_lines(120));
  CHECK(parent.udp_queries() == 1);
  CHECK(parent.tcp_queries() == 1);
  // Complete, so cached: the next client is answered without the parent.
  CHECK(sorted_lines(dig(child.port(), {"+tcp", "+short", "many.example"}).out) ==
        expected_lines(120));
  CHECK(parent.queries() == 2);
}

TEST_CASE("with --parent-protocol tcp the parent is asked over TCP only, loop probes included",
          "[tcp]") {
  FakeParent parent(
      [](const Bytes& query, Transport) {
        return std::vector<Bytes>{dns_stream_reply(query, addresses_for(query, 3))};
      },
      FakeParent::TcpPort::Served);
  ResolverServer child(write_temp_file("tcp-only.txt", kRecords), parent.port(),
                       {"--parent-protocol", "tcp"});
  CHECK(contains(child.process().log(), "over tcp"));
  auto result = dig(child.port(), {"+short", "three.example"});
  CHECK(sorted_lines(result.out) == expected_lines(3));
  CHECK(parent.tcp_queries() == 1);
  // The probe goes out at start; waiting for it over TCP leaves time for any over UDP too.
  CHECK(wait_until([&] { return parent.probes(Transport::Tcp) == 1; }, 5s));
  CHECK(parent.udp_queries() == 0);
  CHECK(parent.probes(Transport::Udp) == 0);
}

TEST_CASE("the --parent-protocol option takes dns, tcp and text, and --help says what each does",
          "[tcp]") {
  auto help = run({binary(), "server", "--help"});
  CHECK(contains(help.out, "tcp (DNS over TCP only)"));
  auto records = write_temp_file("tcp-args.txt", kRecords);
  auto bad =
      run({binary(), "server", "0", "127.0.0.1", "1200", records, "--parent-protocol", "quic"});
  CHECK(bad.exit_code == 2);
}

TEST_CASE("a parent that truncates over UDP and refuses TCP fails the question, not the server",
          "[tcp]") {
  FakeParent parent(
      [](const Bytes& query, Transport) {
        auto name = resolver::dns::parse_query(query).query.question.name;
        if (name == resolver::dns::DnsName::from_text("big.example")) {
          return std::vector<Bytes>{truncated_reply(query)};
        }
        return std::vector<Bytes>{dns_reply(query, addresses_for(query, 1))};
      },
      FakeParent::TcpPort::Refused);
  ResolverServer child(write_temp_file("tcp-refused.txt", kRecords), parent.port());
  auto big = dig(child.port(), {"big.example"});
  CHECK(contains(big.out, "status: SERVFAIL"));
  CHECK(parent.tcp_queries() == 0);
  // Nothing of the truncated reply was kept: the next client's question goes to the parent.
  auto asked = parent.udp_queries();
  CHECK(contains(dig(child.port(), {"big.example"}).out, "status: SERVFAIL"));
  CHECK(parent.udp_queries() > asked);
  // Small answers still come over UDP, from the same parent.
  CHECK(dig(child.port(), {"+short", "small.example"}).out == "192.0.2.1\n");
  CHECK(dig(child.port(), {"+short", "local.example"}).out == "192.0.2.250\n");
}

TEST_CASE("a reply truncated over TCP too is a failure, never an answer", "[tcp]") {
  FakeParent parent(
      [](const Bytes& query, Transport) { return std::vector<Bytes>{truncated_reply(query)}; },
      FakeParent::TcpPort::Served);
  ResolverServer child(write_temp_file("tcp-truncated-twice.txt", kRecords), parent.port());
  CHECK(contains(dig(child.port(), {"twice.example"}).out, "status: SERVFAIL"));
  CHECK(parent.tcp_queries() >= 1);
}

TEST_CASE("with --parent-protocol tcp a loop probe crossing a TCP hop still finds the loop",
          "[tcp][listener]") {
  auto port_a = free_port();
  auto port_b = free_port();
  // B first, so that A's probe finds it listening: A -> B over TCP, B -> A over UDP.
  ResolverServer b(write_temp_file("tcp-loop-b.txt", "b.example,192.0.2.2,60\n"), port_a, {},
                   port_b);
  ResolverServer a(write_temp_file("tcp-loop-a.txt", "a.example,192.0.2.1,60\n"), port_b,
                   {"--parent-protocol", "tcp"}, port_a);
  CHECK(a.process().wait_for_log("FORWARDING LOOP", 5s));
}
