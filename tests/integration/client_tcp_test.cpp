// `resolver client` over TCP against Unbound (installed by ./dev.sh test): --tcp with a window
// of pipelined queries, the retry over TCP after a truncated UDP reply, and --tcp refused with
// the text protocol.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <regex>
#include <sstream>

#include "harness.hpp"
#include "support/strings.hpp"

using namespace harness;
using test_support::contains;

namespace {

constexpr int kManyAddresses = 120;  // far more than a 1232-byte datagram holds
constexpr int kNames = 50;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string many_address(int i) {
  return fmt::format("10.9.{}.{}", i / 256, i % 256);
}

// Unbound on 127.0.0.1:port serving tcp.example from local data: n0..n49 with one address
// each, and many.tcp.example with kManyAddresses. TCP always; UDP only when `udp`, so that a
// client that gets answers from an Unbound without UDP has shown it asked over TCP.
std::unique_ptr<Process> start_unbound(std::uint16_t port, bool udp) {
  REQUIRE(have_program("unbound"));  // installed by ./dev.sh test
  REQUIRE(have_program("dig"));      // bind9-dnsutils, the readiness probe
  std::string config = fmt::format(
      "server:\n"
      "  interface: 127.0.0.1\n"
      "  port: {}\n"
      "  do-ip6: no\n"
      "  do-udp: {}\n"
      "  do-tcp: yes\n"
      "  do-daemonize: no\n"
      "  chroot: \"\"\n"
      "  username: \"\"\n"
      "  directory: \"{}\"\n"
      "  pidfile: \"\"\n"
      "  use-syslog: no\n"
      "  logfile: \"\"\n"
      "  verbosity: 0\n"
      "  module-config: \"iterator\"\n"
      "  access-control: 127.0.0.0/8 allow\n"
      "  local-zone: \"tcp.example.\" static\n",
      port, udp ? "yes" : "no", temp_dir());
  for (int i = 0; i < kNames; ++i) {
    config += fmt::format("  local-data: \"n{}.tcp.example. 300 IN A 10.8.0.{}\"\n", i, i);
  }
  for (int i = 0; i < kManyAddresses; ++i) {
    config += fmt::format("  local-data: \"many.tcp.example. 300 IN A {}\"\n", many_address(i));
  }
  auto path = write_temp_file(fmt::format("unbound-tcp-{}.conf", port), config);
  auto unbound = std::make_unique<Process>(std::vector<std::string>{"unbound", "-d", "-c", path});
  // Ready when it answers over TCP (over UDP it may not listen at all).
  bool answering = wait_until(
      [&] {
        return unbound->running() &&
               contains(dig(port, {"+tcp", "+short", "n0.tcp.example"}).out, "10.8.0.0");
      },
      15s, 100ms);
  INFO(unbound->log());
  REQUIRE(answering);
  return unbound;
}

std::vector<std::string> client(std::uint16_t port, std::vector<std::string> args) {
  std::vector<std::string> argv{binary(), "client", "127.0.0.1", std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

TEST_CASE("the client with --tcp asks every name over one TCP connection, a window of 10 pipelined",
          "[client][tcp]") {
  auto port = free_udp_port();
  auto unbound = start_unbound(port, false);  // no UDP: every answer below came over TCP
  std::string names;
  std::vector<std::string> expected;
  for (int i = 0; i < kNames; ++i) {
    int n = (i * 17) % kNames;  // not in the order of the file
    names += fmt::format("n{}.tcp.example\n", n);
    expected.push_back(fmt::format("n{}.tcp.example,10.8.0.{},300", n, n));
  }
  auto result = run(client(port, {"--tcp", "-c", "10", "--format", "record"}), names);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(lines_of(result.out) == expected);
  CHECK(result.err.empty());
  auto missing = run(client(port, {"--tcp", "nosuch.tcp.example"}));
  CHECK(missing.exit_code == 1);
  CHECK(missing.out == "nosuch.tcp.example: NXDOMAIN\n");
  // The same without --tcp finds nobody on UDP.
  auto over_udp = run(client(port, {"--timeout", "0.5", "--retries", "0", "n1.tcp.example"}));
  CHECK(over_udp.exit_code == 2);
}

TEST_CASE("a reply truncated over UDP is asked again over TCP and every address printed",
          "[client][tcp]") {
  auto port = free_udp_port();
  auto unbound = start_unbound(port, true);
  // What makes the test: over UDP, at the client's EDNS size, Unbound sets TC.
  auto udp = dig(port, {"+ignore", "+bufsize=1232", "many.tcp.example"});
  REQUIRE(std::regex_search(udp.out, std::regex("flags:[a-z ]* tc[a-z ]*;")));
  std::vector<std::string> expected;
  for (int i = 0; i < kManyAddresses; ++i) {
    expected.push_back(fmt::format("many.tcp.example,{},300", many_address(i)));
  }
  for (const char* concurrency : {"1", "10"}) {
    INFO("-c " << concurrency);
    auto result = run(client(port, {"--format", "record", "-c", concurrency, "n3.tcp.example",
                                    "many.tcp.example", "n4.tcp.example", "many.tcp.example"}));
    INFO(result.err);
    CHECK(result.exit_code == 0);
    auto lines = lines_of(result.out);
    REQUIRE(lines.size() == 2 + 2 * kManyAddresses);
    CHECK(lines[0] == "n3.tcp.example,10.8.0.3,300");
    // Unbound may rotate the set; what matters is that all of it is there.
    std::vector<std::string> first(lines.begin() + 1, lines.begin() + 1 + kManyAddresses);
    std::sort(first.begin(), first.end());
    auto sorted_expected = expected;
    std::sort(sorted_expected.begin(), sorted_expected.end());
    CHECK(first == sorted_expected);
    CHECK(lines[1 + kManyAddresses] == "n4.tcp.example,10.8.0.4,300");
    std::vector<std::string> second(lines.begin() + 2 + kManyAddresses, lines.end());
    std::sort(second.begin(), second.end());
    CHECK(second == sorted_expected);
  }
  auto json = run(client(port, {"--format", "json", "many.tcp.example"}));
  CHECK(json.exit_code == 0);
  CHECK(contains(json.out, R"("rcode":"NOERROR")"));
  CHECK(contains(json.out, fmt::format(R"("{}")", many_address(kManyAddresses - 1))));
}

TEST_CASE("the client with --tcp and the text protocol is a usage error", "[client][tcp]") {
  auto result = run({binary(), "client", "127.0.0.1", "1199", "--tcp", "--text", "a.example"});
  CHECK(result.exit_code == 2);
  CHECK(contains(result.err, "the text protocol is UDP only"));
  CHECK(result.out.empty());
}
