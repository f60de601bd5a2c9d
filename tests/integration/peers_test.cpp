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

// Waits until the peer on `port` answers a query: that is when it is ready.
bool wait_until_answering(std::uint16_t port, const std::string& name, Process& peer) {
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline && peer.running()) {
    if (udp_exchange(port, dns_query(name, RrType::A), 200ms)) return true;
  }
  return false;
}

// An Unbound that serves peer.example itself and forwards everything else to `forward_port`.
std::unique_ptr<Process> start_unbound(std::uint16_t port,
                                       std::optional<std::uint16_t> forward_port,
                                       const std::string& tag) {
  REQUIRE(have_program("unbound"));  // installed by ./dev.sh test
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
  REQUIRE(wait_until_answering(port, "www.peer.example", *unbound));
  return unbound;
}

const std::string kRecords =
    "ours.example,192.0.2.21,120\n"
    "ours.example,2001:db8::21,120\n";

}  // namespace

TEST_CASE("Unbound works as the parent of a resolver", "[peers]") {
  auto unbound_port = free_udp_port();
  auto unbound = start_unbound(unbound_port, std::nullopt, "parent");
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
  auto unbound_port = free_udp_port();
  auto unbound = start_unbound(unbound_port, std::nullopt, "direct");
  auto result =
      run({binary(), "client", "127.0.0.1", std::to_string(unbound_port), "www.peer.example"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "198.51.100.7\n");
}

TEST_CASE("Unbound forwards to a resolver and gets its answers", "[peers]") {
  ResolverServer resolver(write_temp_file("above-unbound.txt", kRecords), std::nullopt);
  auto unbound_port = free_udp_port();
  auto unbound = start_unbound(unbound_port, resolver.port(), "forwarder");
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
  REQUIRE(wait_until_answering(dnsmasq_port, "ours.example", dnsmasq));
  auto port = std::to_string(dnsmasq_port);
  auto result = run({binary(), "client", "127.0.0.1", port, "--type", "AAAA", "ours.example"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "2001:db8::21\n");
  auto missing = run({binary(), "client", "127.0.0.1", port, "nosuch.example"});
  CHECK(missing.exit_code == 1);
}
