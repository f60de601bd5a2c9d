// Interoperability with real peers (Debian packages installed by ./dev.sh test):
// Unbound above and below a resolver, dnsmasq below it, our client against Unbound.
#include <catch2/catch.hpp>
#include <fstream>

#include "harness.hpp"
#include "support/strings.hpp"

using namespace harness;
using resolver::dns::RrType;
using test_support::contains;

namespace {

// Whether the peer on `port` answers `name` with `address` before it exits or 15 s pass: it is
// ready then. Only that answer counts, so a server of another test that got the same port is
// not taken for the peer.
bool answers_with(std::uint16_t port, const std::string& name, const std::string& address,
                  Process& peer) {
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline && peer.running()) {
    auto reply = udp_exchange(port, dns_query(name, RrType::A), 200ms);
    if (addresses_in(reply, name) == std::vector<std::string>{address}) return true;
  }
  return false;
}

// An Unbound that serves peer.example itself and forwards everything else to `forward_port`,
// on a port of its own. The port free_udp_port() found can still be taken before Unbound binds
// it (by another test's peer given the same one at the same moment): Unbound then exits, and
// is started again on another port. It is ready once it gives www.peer.example's address,
// which no other server gives.
struct Unbound {
  std::unique_ptr<Process> process;
  std::uint16_t port = 0;
};

Unbound start_unbound(std::optional<std::uint16_t> forward_port, const std::string& tag) {
  REQUIRE(have_program("unbound"));  // installed by ./dev.sh test
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto port = free_udp_port();
    std::string config =
        "server:\n"
        "  interface: 127.0.0.1\n"
        "  port: " +
        std::to_string(port) +
        "\n"
        "  do-ip6: no\n"
        "  do-daemonize: no\n"
        "  chroot: \"\"\n"
        "  username: \"\"\n"
        "  directory: \"" +
        temp_dir() +
        "\"\n"
        "  pidfile: \"\"\n"
        "  use-syslog: no\n"
        "  logfile: \"\"\n"
        "  verbosity: 0\n"
        "  module-config: \"iterator\"\n"
        "  do-not-query-localhost: no\n"
        "  access-control: 127.0.0.0/8 allow\n"
        "  local-zone: \"peer.example.\" static\n"
        "  local-data: \"www.peer.example. 300 IN A 198.51.100.7\"\n";
    if (forward_port) {
      config += "forward-zone:\n  name: \".\"\n  forward-addr: 127.0.0.1@" +
                std::to_string(*forward_port) + "\n";
    }
    auto path = write_temp_file("unbound-" + tag + ".conf", config);
    auto unbound = std::make_unique<Process>(std::vector<std::string>{"unbound", "-d", "-c", path});
    if (answers_with(port, "www.peer.example", "198.51.100.7", *unbound)) {
      return {std::move(unbound), port};
    }
    INFO("Unbound on port " << port << " did not answer: " << unbound->log());
    CHECK_FALSE(unbound->running());  // only a lost port is tried again
  }
  FAIL("Unbound did not start in 5 attempts");
  return {};
}

const std::string kRecords =
    "ours.example,192.0.2.21,120\n"
    "ours.example,2001:db8::21,120\n";

}  // namespace

TEST_CASE("Unbound works as the parent of a resolver", "[peers]") {
  auto unbound = start_unbound(std::nullopt, "parent");
  auto unbound_port = unbound.port;
  ResolverServer child(write_temp_file("below-unbound.txt", kRecords), unbound_port);
  auto port = std::to_string(child.port());
  auto result = run({binary(), "client", "127.0.0.1", port, "www.peer.example"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "198.51.100.7\n");
  auto missing = run({binary(), "client", "127.0.0.1", port, "nosuch.peer.example"});
  CHECK(missing.exit_code == 1);
  CHECK(contains(missing.err, "NXDOMAIN"));
  auto local = run({binary(), "client", "127.0.0.1", port, "ours.example"});
  CHECK(local.out == "192.0.2.21\n");
}

TEST_CASE("our client asks Unbound directly", "[peers]") {
  auto unbound = start_unbound(std::nullopt, "direct");
  auto unbound_port = unbound.port;
  auto result =
      run({binary(), "client", "127.0.0.1", std::to_string(unbound_port), "www.peer.example"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "198.51.100.7\n");
}

TEST_CASE("Unbound forwards to a resolver and gets its answers", "[peers]") {
  ResolverServer resolver(write_temp_file("above-unbound.txt", kRecords), std::nullopt);
  auto unbound = start_unbound(resolver.port(), "forwarder");
  auto unbound_port = unbound.port;
  auto dig = run(
      {"dig", "@127.0.0.1", "-p", std::to_string(unbound_port), "+short", "ours.example", "AAAA"});
  CHECK(dig.out == "2001:db8::21\n");
  auto nx = run({"dig", "@127.0.0.1", "-p", std::to_string(unbound_port), "nosuch.example"});
  CHECK(contains(nx.out, "status: NXDOMAIN"));
}

TEST_CASE("dnsmasq uses a resolver as its upstream and caches its answers", "[peers]") {
  REQUIRE(have_program("dnsmasq"));  // dnsmasq-base, installed by ./dev.sh test
  ResolverServer resolver(write_temp_file("above-dnsmasq.txt", kRecords), std::nullopt,
                          {"--log-queries"});
  auto dnsmasq_port = free_udp_port();
  Process dnsmasq({"dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                   "--no-hosts", "--port=" + std::to_string(dnsmasq_port),
                   "--listen-address=127.0.0.1", "--bind-interfaces", "--pid-file=", "--user=root",
                   "--server=127.0.0.1#" + std::to_string(resolver.port()), "--log-facility=-"});
  REQUIRE(answers_with(dnsmasq_port, "ours.example", "192.0.2.21", dnsmasq));
  auto port = std::to_string(dnsmasq_port);
  auto result = run({binary(), "client", "127.0.0.1", port, "--type", "AAAA", "ours.example"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "2001:db8::21\n");
  auto missing = run({binary(), "client", "127.0.0.1", port, "nosuch.example"});
  CHECK(missing.exit_code == 1);
}
